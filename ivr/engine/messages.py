"""System phrases the engine speaks on its own, per language; menus may override them."""

from __future__ import annotations

MESSAGE_NAMES = (
    "no_match",  # a key or phrase that fits nothing here
    "no_input",  # silence
    "fallback",  # too many failed tries: on the way to the fallback
    "goodbye",  # the call ends normally
    "too_long",  # the call reached the menu's maximum length
    "error",  # our own failure: apologise and carry on
    "menu_changed",  # the node the caller was on vanished in a reload
    "transfer_failed",  # nobody answered a transfer
)

BUILTIN: dict[str, dict[str, str]] = {
    "en": {
        "no_match": "Sorry, I didn't understand that.",
        "no_input": "Sorry, I didn't hear anything.",
        "fallback": "Let me find another way to help you.",
        "goodbye": "Thank you for calling. Goodbye.",
        "too_long": "This call has reached its time limit. Thank you for calling. Goodbye.",
        "error": "We're sorry, something went wrong on our side.",
        "menu_changed": "Our menu has just been updated. Let's start again.",
        "transfer_failed": "Sorry, nobody is available to take your call right now.",
    },
    "fr": {
        "no_match": "Désolé, je n'ai pas compris.",
        "no_input": "Désolé, je n'ai rien entendu.",
        "fallback": "Je vais vous aider autrement.",
        "goodbye": "Merci de votre appel. Au revoir.",
        "too_long": "Cet appel a atteint sa durée maximale. Merci de votre appel. Au revoir.",
        "error": "Nous sommes désolés, un problème est survenu de notre côté.",
        "menu_changed": "Notre menu vient d'être mis à jour. Reprenons depuis le début.",
        "transfer_failed": "Désolé, personne n'est disponible pour le moment.",
    },
    "ro": {
        "no_match": "Ne pare rău, nu am înțeles.",
        "no_input": "Ne pare rău, nu am auzit nimic.",
        "fallback": "Vă vom ajuta în alt mod.",
        "goodbye": "Vă mulțumim pentru apel. La revedere.",
        "too_long": "Acest apel a atins durata maximă. Vă mulțumim pentru apel. La revedere.",
        "error": "Ne pare rău, a apărut o problemă la noi.",
        "menu_changed": "Meniul nostru tocmai a fost actualizat. Să o luăm de la început.",
        "transfer_failed": "Ne pare rău, nu este nimeni disponibil în acest moment.",
    },
}
