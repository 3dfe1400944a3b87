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
    "refine_intro",  # before offering a few candidates for a spoken request
    "refine_option",  # one candidate: {label} and {key}
    "refine_other",  # how to say something else instead
    "confirm",  # a low-confidence recognition: {label}
    "nothing_found",  # a spoken request matched nothing
    "topics_intro",  # before reading the main topics when a request found nothing
    "voicemail_thanks",  # after a voicemail was recorded
    "lookup_readback",  # the number the caller entered, read back: {digits}
    "lookup_invalid",  # the entry is too short, too long or not digits
    "lookup_not_found",  # no record for the number entered: {digits}
    "lookup_failed",  # the data source is slow or down: apologise (then the fallback)
    "lookup_refused",  # the second factor did not match
    "lookup_no_caller_id",  # the caller's number is withheld but the lookup needs it
    "callback_offer",  # a callback node's offer, when it has no `say` of its own
    "callback_readback",  # the number we would call back, read back: {digits}
    "callback_withheld",  # the caller's number is withheld (or cannot be called back)
    "callback_key",  # key the number to call back, then #
    "callback_invalid",  # the keyed number is not a phone number
    "callback_refused",  # the keyed number is premium-rate, shared-cost...
    "callback_reason",  # say what it is about after the beep
    "callback_thanks",  # the request is registered
)

# Phrases of "text me this" (a message node's `text_me`): built in for en, fr and ro; a
# menu in another language must give them only when one of its nodes offers a text.
TEXT_MESSAGE_NAMES = (
    "text_offer",  # after the answer: how to get it by text: {key}
    "text_sent",  # the text is on its way
    "text_already",  # this call already asked for this text
    "text_withheld",  # the caller's number is hidden
    "text_not_mobile",  # the caller's number is a landline
    "text_refused",  # a number texts may not go to (premium-rate, invalid)
    "text_capped",  # the number has had today's texts
    "text_unavailable",  # texts are off or failing: sorry
)

# Phrases of actions (a lookup node's `action`: a hold on a book): built in for en, fr and
# ro; a menu in another language must give them only when one of its nodes runs an action.
ACTION_MESSAGE_NAMES = (
    "action_done",  # done, when the node's answer cannot be said (a field is missing)
    "action_already",  # done before (a hold already placed), when the node has no `already`
    "action_refused",  # the item is unknown or cannot take it, when the node has no `refused`
    "action_failed",  # the action's database or service is slow or down (then the fallback)
    "action_no_item",  # the node was reached without a chosen item (then the fallback)
)

# Phrases built in for en, fr and ro that a menu in another language may leave out: the
# caller then hears the phrase named beside it (a menu valid before they existed still loads).
OPTIONAL_MESSAGES = {
    "text_busy": "text_unavailable",  # the line has sent all its automatic texts for the hour
    "callback_abroad": "callback_refused",  # a number outside the countries we call back
}

# Phrases of queues (a queue node): built in for en, fr and ro; a menu in another language
# that does not give them hears them in its first language (`ivr check` warns).
QUEUE_MESSAGE_NAMES = (
    "queue_position",  # where the caller is in the queue: {position}
    "queue_next",  # the caller is next in line
    "queue_wait",  # the estimated wait, in minutes: {minutes}
    "queue_wait_short",  # the estimated wait is under a minute
    "queue_wait_one",  # the estimated wait is about a minute
    "queue_leave",  # how to stop waiting: {key}
    "queue_full",  # the queue is full, or nobody is there to answer
    "queue_connect",  # an agent takes the caller
)

# What a caller may say to get the answer by text, per language (folded: no accents).
TEXT_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("text me", "text it", "send me a text", "text message", "by text", "sms", "message me"),
    "fr": ("sms", "texto", "par message", "envoyez moi", "envoyez le moi", "envoyer par sms"),
    # Not a bare "mesaj" (nor "message" in en/fr): "I want to leave a message" is no request
    # for a text.
    "ro": ("sms", "trimiteti mi", "trimite mi", "prin mesaj", "mesaj text"),
}

# Words that answer a yes/no confirmation, per language (folded: no accents).
YES_NO: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("yes", "yeah", "yep", "correct", "right", "sure", "exactly", "that's right"),
           ("no", "nope", "wrong", "not really", "something else")),
    "fr": (("oui", "ouais", "exact", "exactement", "c'est ca", "d'accord", "tout a fait"),
           ("non", "pas du tout", "autre chose", "ce n'est pas ca")),
    "ro": (("da", "corect", "exact", "asa e", "sigur"),
           ("nu", "gresit", "altceva", "nu e corect")),
}

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
        "refine_intro": "I found a few things that might help.",
        "refine_option": "For {label}, press {key}.",
        "refine_other": "Or say something else.",
        "confirm": "Did you mean {label}? Press 1 or say yes. Press 2 or say no.",
        "nothing_found": "Sorry, I couldn't find anything about that.",
        "topics_intro": "Here are our main topics.",
        "voicemail_thanks": "Thank you, we have your message and will get back to you. Goodbye.",
        "lookup_readback": ("You entered {digits}. If that is right, press 1 or say yes. "
                            "To enter it again, press 2 or say no."),
        "lookup_invalid": "Sorry, that number doesn't look right.",
        "lookup_not_found": "Sorry, I couldn't find anything for {digits}.",
        "lookup_failed": "Sorry, we can't check that right now.",
        "lookup_refused": "Sorry, those details don't match our records.",
        "lookup_no_caller_id": "Sorry, I can't see the number you are calling from.",
        "action_done": "Done: your request is registered.",
        "action_already": "That was already done before: nothing has changed.",
        "action_refused": "Sorry, that cannot be done for this item.",
        "action_failed": "Sorry, we can't do that right now. Please try again later.",
        "action_no_item": "Sorry, I don't know which item you mean.",
        "queue_position": "You are number {position} in the queue.",
        "queue_next": "You are next in the queue.",
        "queue_wait": "Your estimated wait is about {minutes} minutes.",
        "queue_wait_short": "Your estimated wait is less than a minute.",
        "queue_wait_one": "Your estimated wait is about one minute.",
        "queue_leave": "To stop waiting and be called back or leave a message, press {key}.",
        "queue_connect": "Connecting you now.",
        "queue_full": "Sorry, all our team members are busy and we cannot take more calls "
                      "in the queue right now.",
        "text_offer": "To get this by text message, press {key} or say text me.",
        "text_sent": "Done: we are sending it to your mobile phone by text message.",
        "text_already": "We have already sent you this text during this call.",
        "text_withheld": "Sorry, your number is hidden, so we cannot send you a text.",
        "text_not_mobile": "Sorry, we can only send texts to mobile phones, and you are not "
                           "calling from one.",
        "text_refused": "Sorry, we cannot send a text to the number you are calling from.",
        "text_capped": "Sorry, this number has had all the texts we send in a day. "
                       "Please try again tomorrow.",
        "text_unavailable": "Sorry, we cannot send texts right now.",
        "text_busy": "Sorry, we cannot send this text right now: this line has sent all its "
                     "texts for the hour. Please try again later.",
        "callback_offer": ("We can call you back during our opening hours. To be called back, "
                           "press 1 or say yes. Otherwise, press 2 or say no."),
        "callback_readback": ("We will call you back on {digits}. If that is right, press 1 or "
                              "say yes. To key another number, press 2 or say no."),
        "callback_withheld": "Your number is not shown to us, or we cannot call it back.",
        "callback_key": ("Please key the phone number we should call, with its area code, then "
                         "press the pound key."),
        "callback_invalid": "Sorry, that is not a phone number we can call.",
        "callback_refused": "Sorry, we cannot call premium-rate or shared-cost numbers.",
        "callback_abroad": "Sorry, we cannot call back numbers in that country.",
        "callback_reason": ("After the beep, tell us in a few words what it is about, then "
                            "press the pound key."),
        "callback_thanks": ("Thank you, your request is registered. We will call you back during "
                            "our opening hours. Goodbye."),
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
        "refine_intro": "J'ai trouvé plusieurs réponses possibles.",
        "refine_option": "Pour {label}, tapez {key}.",
        "refine_other": "Ou dites autre chose.",
        "confirm": "Vous voulez dire {label} ? Tapez 1 ou dites oui. Tapez 2 ou dites non.",
        "nothing_found": "Désolé, je n'ai rien trouvé à ce sujet.",
        "topics_intro": "Voici nos principaux sujets.",
        "voicemail_thanks": "Merci, nous avons bien reçu votre message et vous rappellerons. Au revoir.",
        "lookup_readback": ("Vous avez saisi {digits}. Si c'est correct, tapez 1 ou dites oui. "
                            "Pour le saisir à nouveau, tapez 2 ou dites non."),
        "lookup_invalid": "Désolé, ce numéro ne semble pas correct.",
        "lookup_not_found": "Désolé, je n'ai rien trouvé pour {digits}.",
        "lookup_failed": "Désolé, nous ne pouvons pas vérifier cela pour le moment.",
        "lookup_refused": "Désolé, ces informations ne correspondent pas à notre dossier.",
        "lookup_no_caller_id": "Désolé, je ne vois pas le numéro depuis lequel vous appelez.",
        "action_done": "C'est fait : votre demande est enregistrée.",
        "action_already": "C'était déjà fait : rien n'a changé.",
        "action_refused": "Désolé, ce n'est pas possible pour ce document.",
        "action_failed": "Désolé, nous ne pouvons pas le faire pour le moment. Merci de "
                         "réessayer plus tard.",
        "action_no_item": "Désolé, je ne sais pas de quel document il s'agit.",
        "queue_position": "Vous êtes en position {position} dans la file d'attente.",
        "queue_next": "Vous êtes le prochain dans la file d'attente.",
        "queue_wait": "Votre temps d'attente estimé est d'environ {minutes} minutes.",
        "queue_wait_short": "Votre temps d'attente estimé est de moins d'une minute.",
        "queue_wait_one": "Votre temps d'attente estimé est d'environ une minute.",
        "queue_leave": ("Pour ne plus attendre et être rappelé ou laisser un message, "
                        "tapez {key}."),
        "queue_connect": "Nous vous mettons en relation.",
        "queue_full": ("Désolé, tous nos conseillers sont occupés et la file d'attente est "
                       "complète pour le moment."),
        "text_offer": "Pour le recevoir par SMS, tapez {key} ou dites SMS.",
        "text_sent": "C'est fait : nous vous l'envoyons par SMS sur votre mobile.",
        "text_already": "Nous vous avons déjà envoyé ce SMS pendant cet appel.",
        "text_withheld": "Désolé, votre numéro est masqué, nous ne pouvons pas vous envoyer de SMS.",
        "text_not_mobile": "Désolé, nous envoyons des SMS uniquement aux mobiles, et vous "
                           "n'appelez pas d'un mobile.",
        "text_refused": "Désolé, nous ne pouvons pas envoyer de SMS au numéro dont vous appelez.",
        "text_capped": "Désolé, ce numéro a déjà reçu tous les SMS que nous envoyons en une "
                       "journée. Merci de réessayer demain.",
        "text_unavailable": "Désolé, nous ne pouvons pas envoyer de SMS pour le moment.",
        "text_busy": "Désolé, nous ne pouvons pas envoyer ce SMS pour le moment : cette ligne a "
                     "envoyé tous ses SMS de l'heure. Merci de réessayer plus tard.",
        "callback_offer": ("Nous pouvons vous rappeler pendant nos heures d'ouverture. Pour être "
                           "rappelé, tapez 1 ou dites oui. Sinon, tapez 2 ou dites non."),
        "callback_readback": ("Nous vous rappellerons au {digits}. Si c'est correct, tapez 1 ou "
                              "dites oui. Pour saisir un autre numéro, tapez 2 ou dites non."),
        "callback_withheld": ("Votre numéro ne s'affiche pas chez nous, ou nous ne pouvons pas "
                              "le rappeler."),
        "callback_key": ("Saisissez le numéro de téléphone auquel vous rappeler, puis appuyez "
                         "sur la touche dièse."),
        "callback_invalid": "Désolé, ce n'est pas un numéro que nous pouvons appeler.",
        "callback_refused": "Désolé, nous ne pouvons pas appeler les numéros surtaxés.",
        "callback_abroad": "Désolé, nous ne pouvons pas rappeler les numéros de ce pays.",
        "callback_reason": ("Après le bip, dites-nous en quelques mots de quoi il s'agit, puis "
                            "appuyez sur la touche dièse."),
        "callback_thanks": ("Merci, votre demande est enregistrée. Nous vous rappellerons pendant "
                            "nos heures d'ouverture. Au revoir."),
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
        "refine_intro": "Am găsit câteva variante care v-ar putea ajuta.",
        "refine_option": "Pentru {label}, apăsați {key}.",
        "refine_other": "Sau spuneți altceva.",
        "confirm": "Ați spus {label}? Apăsați 1 sau spuneți da. Apăsați 2 sau spuneți nu.",
        "nothing_found": "Ne pare rău, nu am găsit nimic despre asta.",
        "topics_intro": "Iată principalele noastre subiecte.",
        "voicemail_thanks": "Vă mulțumim, am primit mesajul și vă vom contacta. La revedere.",
        "lookup_readback": ("Ați introdus {digits}. Dacă este corect, apăsați 1 sau spuneți da. "
                            "Pentru a-l introduce din nou, apăsați 2 sau spuneți nu."),
        "lookup_invalid": "Ne pare rău, acest număr nu pare corect.",
        "lookup_not_found": "Ne pare rău, nu am găsit nimic pentru {digits}.",
        "lookup_failed": "Ne pare rău, nu putem verifica acest lucru acum.",
        "lookup_refused": "Ne pare rău, aceste date nu corespund cu evidențele noastre.",
        "lookup_no_caller_id": "Ne pare rău, nu văd numărul de pe care sunați.",
        "action_done": "Gata: cererea dumneavoastră a fost înregistrată.",
        "action_already": "Acest lucru era deja făcut: nu s-a schimbat nimic.",
        "action_refused": "Ne pare rău, acest lucru nu este posibil pentru acest document.",
        "action_failed": "Ne pare rău, nu putem face acest lucru acum. Vă rugăm să încercați "
                         "mai târziu.",
        "action_no_item": "Ne pare rău, nu știu despre ce document este vorba.",
        "queue_position": "Sunteți pe locul {position} în așteptare.",
        "queue_next": "Sunteți următorul în așteptare.",
        "queue_wait": "Timpul estimat de așteptare este de aproximativ {minutes} minute.",
        "queue_wait_short": "Timpul estimat de așteptare este sub un minut.",
        "queue_wait_one": "Timpul estimat de așteptare este de aproximativ un minut.",
        "queue_leave": ("Pentru a nu mai aștepta și a fi sunat înapoi sau a lăsa un mesaj, "
                        "apăsați {key}."),
        "queue_connect": "Vă facem legătura acum.",
        "queue_full": ("Ne pare rău, toți colegii noștri sunt ocupați și nu mai putem primi "
                       "apeluri în așteptare acum."),
        "text_offer": "Pentru a-l primi prin SMS, apăsați {key} sau spuneți SMS.",
        "text_sent": "Gata, vi-l trimitem prin SMS pe telefonul mobil.",
        "text_already": "V-am trimis deja acest SMS în timpul acestui apel.",
        "text_withheld": "Ne pare rău, numărul dumneavoastră este ascuns, nu vă putem trimite SMS.",
        "text_not_mobile": "Ne pare rău, trimitem SMS doar pe telefoane mobile, iar "
                           "dumneavoastră nu sunați de pe un mobil.",
        "text_refused": "Ne pare rău, nu putem trimite SMS la numărul de pe care sunați.",
        "text_capped": "Ne pare rău, acest număr a primit deja toate mesajele pe care le "
                       "trimitem într-o zi. Vă rugăm să încercați mâine.",
        "text_unavailable": "Ne pare rău, nu putem trimite SMS în acest moment.",
        "text_busy": "Ne pare rău, nu putem trimite acest SMS acum: această linie a trimis toate "
                     "mesajele din această oră. Vă rugăm să încercați mai târziu.",
        "callback_offer": ("Vă putem suna înapoi în timpul programului. Pentru a fi sunat "
                           "înapoi, apăsați 1 sau spuneți da. Altfel, apăsați 2 sau spuneți nu."),
        "callback_readback": ("Vă vom suna înapoi la {digits}. Dacă este corect, apăsați 1 sau "
                              "spuneți da. Pentru alt număr, apăsați 2 sau spuneți nu."),
        "callback_withheld": "Numărul dumneavoastră nu ne este afișat sau nu îl putem apela.",
        "callback_key": ("Vă rugăm să introduceți numărul la care să vă sunăm, apoi apăsați "
                         "tasta diez."),
        "callback_invalid": "Ne pare rău, nu este un număr pe care îl putem apela.",
        "callback_refused": "Ne pare rău, nu putem apela numere cu tarif special.",
        "callback_abroad": "Ne pare rău, nu putem suna înapoi numere din acea țară.",
        "callback_reason": ("După semnalul sonor, spuneți-ne pe scurt despre ce este vorba, apoi "
                            "apăsați tasta diez."),
        "callback_thanks": ("Vă mulțumim, cererea a fost înregistrată. Vă vom suna înapoi în "
                            "timpul programului. La revedere."),
    },
}
