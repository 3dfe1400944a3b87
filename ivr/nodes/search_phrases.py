"""What a ``type: search`` node says on its own, per language, and the words callers use
to point at a result ("the second one"). Menus override ``found``, ``nothing`` and
``not_found`` per node."""

from __future__ import annotations

# What the node says on its own, per language; `found` and `nothing` can be set per node.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "not_found": "Sorry, I couldn't find {query}.",
        "closest": "The closest I have is {text}.",
        "missing": "We have {query} in {have}, but not in {wanted}.",
        "missing_none": "Sorry, we don't have {query} in {wanted}.",
        "out_of_stock": "Sorry, {query} is out of stock right now.",
        "person": "For a person, press {key}.",
        "found": "I found {count} results.",
        "found_one": "I found one result.",
        "nothing": "Sorry, I found nothing for {query}.",
        "item": "{n}: {text}.",
        "choose": "For more about one of them, press its number or say it. Or say another search.",
        "choose_one": "For more about it, press 1 or say yes. Or say another search.",
        "more": "To hear about another result, press its number. Or say another search.",
        "refine_key": "For {label}, press {key}.",
        "nothing_refined": "Sorry, I found nothing for {query}, {label}.",
        "spell_offer": "Or, to spell it on the keypad, press 1.",
        "spell": "Spell the first word on the keypad, one key per letter: 2 for A B C, 3 for D E "
                 "F, and so on. Then press hash.",
        "spelled": "the keys {keys}",
        "hold_offer": "To {label}, press {key} or say {say}.",
        "hold_offer_key": "To {label}, press {key}.",
    },
    "fr": {
        "not_found": "Désolé, je n'ai pas trouvé {query}.",
        "closest": "Ce qui s'en rapproche le plus : {text}.",
        "missing": "Nous avons {query} en {have}, mais pas en {wanted}.",
        "missing_none": "Désolé, nous n'avons pas {query} en {wanted}.",
        "out_of_stock": "Désolé, {query} : il n'y en a plus en stock pour le moment.",
        "person": "Pour parler à quelqu'un, tapez {key}.",
        "found": "J'ai trouvé {count} résultats.",
        "found_one": "J'ai trouvé un résultat.",
        "nothing": "Désolé, je n'ai rien trouvé pour {query}.",
        "item": "{n} : {text}.",
        "choose": "Pour en savoir plus sur l'un d'eux, tapez son numéro ou dites-le. Ou dites "
                  "une autre recherche.",
        "choose_one": "Pour en savoir plus, tapez 1 ou dites oui. Ou dites une autre recherche.",
        "more": "Pour un autre résultat, tapez son numéro. Ou dites une autre recherche.",
        "refine_key": "Pour {label}, tapez {key}.",
        "nothing_refined": "Désolé, je n'ai rien trouvé pour {query}, {label}.",
        "spell_offer": "Ou, pour l'épeler sur le clavier, tapez 1.",
        "spell": "Épelez le premier mot sur le clavier, une touche par lettre : 2 pour A B C, 3 "
                 "pour D E F, et ainsi de suite. Puis tapez dièse.",
        "spelled": "les touches {keys}",
        "hold_offer": "Pour {label}, tapez {key} ou dites {say}.",
        "hold_offer_key": "Pour {label}, tapez {key}.",
    },
    "ro": {
        "not_found": "Îmi pare rău, nu am găsit {query}.",
        "closest": "Cel mai apropiat rezultat: {text}.",
        "missing": "Avem {query} în {have}, dar nu în {wanted}.",
        "missing_none": "Îmi pare rău, nu avem {query} în {wanted}.",
        "out_of_stock": "Îmi pare rău, {query}: nu mai avem în stoc momentan.",
        "person": "Pentru a vorbi cu cineva, apăsați {key}.",
        "found": "Am găsit {count} rezultate.",
        "found_one": "Am găsit un rezultat.",
        "nothing": "Îmi pare rău, nu am găsit nimic pentru {query}.",
        "item": "{n}: {text}.",
        "choose": "Pentru detalii despre unul dintre ele, apăsați numărul lui sau spuneți-l. "
                  "Sau spuneți o altă căutare.",
        "choose_one": "Pentru detalii, apăsați 1 sau spuneți da. Sau spuneți o altă căutare.",
        "more": "Pentru alt rezultat, apăsați numărul lui. Sau spuneți o altă căutare.",
        "refine_key": "Pentru {label}, apăsați {key}.",
        "nothing_refined": "Îmi pare rău, nu am găsit nimic pentru {query}, {label}.",
        "spell_offer": "Sau, ca să îl scrieți cu tastatura, apăsați 1.",
        "spell": "Scrieți primul cuvânt cu tastatura, câte o tastă pentru fiecare literă: 2 pentru "
                 "A B C, 3 pentru D E F și așa mai departe. Apoi apăsați diez.",
        "spelled": "tastele {keys}",
        "hold_offer": "Pentru {label}, apăsați {key} sau spuneți {say}.",
        "hold_offer_key": "Pentru {label}, apăsați {key}.",
    },
}
# "the second one", "le deuxième", "al doilea" (folded)
ORDINALS: dict[str, dict[str, str]] = {
    "en": {"first": "1", "second": "2", "third": "3"},
    "fr": {"premier": "1", "premiere": "1", "deuxieme": "2", "second": "2", "seconde": "2",
           "troisieme": "3"},
    "ro": {"primul": "1", "prima": "1", "intai": "1", "doilea": "2", "doua": "2",
           "treilea": "3", "treia": "3"},
}

# Words around a number that point at a result: "the second one", "numéro deux", "numărul doi".
POINTING = frozenset("the one number no result option please that le la l numero resultat "
                     "celui celle ci pe cel cea numarul nr rezultatul varianta al a".split())

AND = {"en": "and", "fr": "et", "ro": "și"}


def join_words(words: list[str], lang: str) -> str:
    """"white, green and black" in the caller's language."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} {AND.get(lang.split('-')[0], AND['en'])} {words[-1]}"
