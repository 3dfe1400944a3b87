"""What callers say at any node that is not a topic: closing, repeat, go back, main menu.

Each built-in intent has, per language, *markers* (word sequences that say it: "that's
all", "c'est tout", "gata") and a *vocabulary* of the words that may surround them
("no thanks, that's all, have a nice day"). An utterance is the intent when it holds a
marker and every other word is of that vocabulary or of the language's politeness words:
"no thanks that's all" closes the call, "that's all I wanted to know about my card"
does not. Words are compared folded (no accents, lower case, apostrophes as spaces).

Languages without phrases here (an admin-added one) have these intents off;
``languages()`` says which have them (``ivr check`` warns about the others).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import fold, primary_lang

INTENTS = ("closing", "repeat", "back", "main")

# Words that may surround any intent: politeness, hesitation, "I want to".
_POLITE = {
    "en": "please can could would you i i'd id want wanna to like just ok okay alright right "
          "sorry um uh er erm hmm well so now yes yeah yep oh and thanks thank a the me let "
          "let's lets go",
    "fr": "s'il vous plait svp je veux voudrais vous pouvez pourriez bon ben euh heu alors "
          "oui ok d'accord daccord merci voila eh bien et le la les me moi",
    "ro": "va rog te vreau as dori doresc puteti poti ok bine deci da si pai mersi "
          "multumesc eu imi imi sa",
}
_MARKERS: dict[str, dict[str, str]] = {
    "closing": {
        "en": "bye|goodbye|good bye|bye bye|that's all|that is all|thats all|that's it|"
              "that will be all|that'll be all|nothing else|nothing more|no more questions|"
              "all done|i'm done|im done|i am done|we're done|hang up|end the call|"
              "end call|no thank you|no thanks|that's everything|have a nice day|"
              "have a good day|i'm all set|all set|i'm good thanks|that's fine thanks|"
              "all i needed|all i wanted|nothing thanks|never mind|"
              "got it|got my answer|answered my question|that helps|that helped|"
              "what i needed|what i wanted|thats everything|thats it",
        "fr": "au revoir|c'est tout|c est tout|ce sera tout|ca sera tout|rien d'autre|"
              "rien de plus|bonne journee|bonne soiree|j'ai termine|raccrocher|"
              "fin de l'appel|non merci|c'est bon|ca ira merci|c'est parfait merci|rien merci|"
              "terminer l'appel|j'ai ma reponse|j'ai eu ma reponse|c'est regle|c'est note|"
              "laissez tomber|ca va aller|ca va merci|j'ai ce qu'il me faut",
        "ro": "la revedere|gata|asta e tot|asta a fost tot|atat|nimic altceva|nimic mai mult|"
              "o zi buna|am terminat|inchid|nu multumesc|pa|ok multumesc|bine multumesc|"
              "asta este tot|nu mai am intrebari|o seara buna|asta voiam|doar atat|"
              "nimic multumesc|asta era tot|am aflat|am inteles|am primit raspunsul|"
              "nu mai vreau nimic|nu mai am nevoie|nu mai conteaza|inchide|"
              "inchideti apelul|inchide apelul|terminam convorbirea|inchei apelul",
    },
    "repeat": {
        "en": "repeat|repeat that|say that again|say again|come again|pardon|"
              "i didn't hear|i didn't catch that|didn't catch that|what were the options|"
              "repeat the options|one more time|again",
        "fr": "repeter|repetez|repete|redites|redire|pardon|je n'ai pas compris|"
              "je n'ai pas entendu|encore une fois|les options|une nouvelle fois",
        "ro": "repetati|repeta|repetat|inca o data|poftim|nu am inteles|n am inteles|"
              "nu am auzit|optiunile|din nou",
    },
    "back": {
        "en": "go back|back|previous menu|the previous menu|previous|back up|last menu",
        "fr": "retour|revenir|revenir en arriere|en arriere|menu precedent|precedent|"
              "retour en arriere",
        "ro": "inapoi|meniul anterior|meniul precedent|inapoi la meniul anterior|anterior",
    },
    "main": {
        "en": "main menu|the main menu|start again|start over|back to the start|"
              "back to the beginning|from the beginning|beginning|the beginning|home menu",
        "fr": "menu principal|le menu principal|retour au menu|retour au menu principal|"
              "recommencer|depuis le debut|au debut|accueil|menu d'accueil",
        "ro": "meniul principal|meniu principal|inapoi la meniu|inapoi la meniul principal|"
              "de la inceput|la inceput|de la capat|reincep",
    },
}
# Words that may stand beside an intent's markers (besides the politeness words).
_VOCABULARY: dict[str, dict[str, str]] = {
    "closing": {
        "en": "no nope thanks thank you very much much cheers for your help it that's that is "
              "all everything fine good great perfect nice day have a bye goodbye done i'm im am "
              "we're set nothing else more really then for now today was helpful need needed "
              "wanted know to never mind you've you have been very helpful so kind lovely got "
              "answer answered question my exactly helps helped thats what",
        "fr": "non merci beaucoup bien bonne journee soiree au revoir c'est c est ce sera ca "
              "tout rien d'autre autre de plus parfait super top pour aujourd'hui l'aide aide "
              "votre j'ai termine fini c'etait c etait tres madame monsieur a vous terminer "
              "l'appel appel que voulais savoir vous m'avez bien aide aidee gentil hein "
              "ma reponse eu regle note compris ca va aller laissez tomber ce qu'il qu il faut",
        "ro": "nu multumesc mersi frumos mult gata asta e este tot a fost la revedere o zi "
              "buna seara nimic altceva mai am terminat pa o atat pentru ajutor azi "
              "acum foarte perfect super in regula doar voiam stiu m-ati ajutat amabil "
              "era am aflat inteles primit raspunsul ce voiam sa aflu vreau nevoie de conteaza "
              "lasa lasati inchideti inchide apelul terminam convorbirea inchei",
    },
    "repeat": {
        "en": "could you can repeat that again the options say what was it sorry one more "
              "time didn't did not hear catch i what were menu list please",
        "fr": "pouvez vous repeter repetez les options encore une fois je n'ai pas ai compris "
              "entendu pardon redire le menu qu'est ce que vous avez dit nouvelle",
        "ro": "puteti repetati repeta inca o data optiunile meniul nu am inteles auzit poftim "
              "din nou ce ati spus",
    },
    "back": {
        "en": "go back to the previous menu last one before up",
        "fr": "retour revenir en arriere au menu precedent d'avant",
        "ro": "inapoi la meniul anterior precedent de dinainte",
    },
    "main": {
        "en": "go back to the main menu start again over beginning from home take me",
        "fr": "retour au menu principal recommencer depuis le debut revenir accueil",
        "ro": "inapoi la meniul principal meniu de inceput capat vreau sa",
    },
}

# Thanks alone ("thanks", "merci beaucoup", "super, mulțumesc frumos") ends the call too:
# said at a menu, with nothing asked, it is how most callers take their leave. Only these
# few words may stand beside it, so "I need help, thanks" is still a request.
_THANKS = {
    "en": ("thanks|thank you|cheers|many thanks",
           "ok okay alright great perfect lovely super very much so a lot again bye goodbye "
           "oh um uh well right yes yeah no nope madam sir"),
    "fr": ("merci|je vous remercie",
           "ok d'accord bon ben euh super parfait top tres beaucoup bien hein madame "
           "monsieur au revoir oui non voila ah alors infiniment encore c'est c est beau"),
    "ro": ("multumesc|mersi|va multumesc",
           "ok bine super perfect frumos mult foarte doamna domnule la revedere pa da nu "
           "pai aa pai deci"),
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", fold(text).replace("'", " ")))


@lru_cache(maxsize=32)
def _tables(lang: str) -> tuple[tuple[str, tuple[tuple[str, ...], ...], frozenset[str]], ...]:
    polite = set(_words(_POLITE.get(lang, "")))
    tables = []
    for intent in INTENTS:
        markers = _MARKERS[intent].get(lang)
        if not markers:
            continue
        marks = tuple(sorted({_words(m) for m in markers.split("|") if _words(m)},
                             key=lambda m: -len(m)))
        vocab = polite | set(_words(_VOCABULARY[intent].get(lang, "")))
        vocab |= {w for m in marks for w in m}
        tables.append((intent, marks, frozenset(vocab)))
    return tuple(tables)


def languages() -> frozenset[str]:
    """The languages that have the built-in intents."""
    return frozenset(_MARKERS["closing"])


def _holds(words: tuple[str, ...], marker: tuple[str, ...]) -> bool:
    n = len(marker)
    return any(words[i:i + n] == marker for i in range(len(words) - n + 1))


def builtin_intent(text: str, lang: str) -> str | None:
    """"closing", "repeat", "back" or "main" when that is all the caller said; else None."""
    words = _words(text[:200])
    if not words or len(words) > 14:
        return None
    lang = primary_lang(lang)
    for intent, marks, vocab in _tables(lang):
        if all(w in vocab for w in words) and any(_holds(words, m) for m in marks):
            return intent
    thanks = _thanks(lang)
    if thanks and all(w in thanks[1] for w in words) and any(_holds(words, m) for m in thanks[0]):
        return "closing"
    return None


@lru_cache(maxsize=32)
def _thanks(lang: str) -> tuple[tuple[tuple[str, ...], ...], frozenset[str]] | None:
    found = _THANKS.get(lang)
    if found is None:
        return None
    marks = tuple(_words(m) for m in found[0].split("|") if _words(m))
    return marks, frozenset(_words(found[1])) | {w for m in marks for w in m}


__all__ = ["INTENTS", "builtin_intent", "languages"]
