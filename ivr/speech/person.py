"""Callers asking for a person ("agent", "un conseiller", "cineva"), in every language.

A request for a person names one (a noun: agent, someone, un conseiller, un operator)
and either asks to talk (talk, parler, vorbesc...) or says little else (want, please,
a real...). "Someone stole my card" names a person but asks for something else.
Words are compared folded (no accents, lower case), so "opérateur" and "operateur",
"persoană" and "persoana" are the same word.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from .normalize import fold, primary_lang, tokenize

# Who a caller asks for. Multi-word entries must appear in this order.
_NOUNS: dict[str, str] = {
    "en": "agent|agents|person|someone|somebody|anyone|anybody|human|humans|human being|"
          "operator|representative|rep|advisor|adviser|staff|staff member|member of staff|"
          "employee|real person|live person|customer service|customer services|"
          "customer support|customer care|team member|member of your team|people|"
          "real people|actual person|a real human|live agent|receptionist|colleague|manager|"
          "switchboard|reception|front desk",
    "fr": "conseiller|conseillere|conseillers|quelqu un|une personne|un humain|humain|"
          "operateur|operatrice|agent|interlocuteur|interlocutrice|employe|employee|"
          "service client|service clientele|vraie personne|personne physique|"
          "une vraie personne|standardiste|responsable|quelqu un de chez vous|un agent|"
          "standard|le standard",
    "ro": "operator|operatorul|operatoare|un operator|cineva|un om|om|persoana|o persoana|"
          "persoane|angajat|un angajat|consultant|consultantul|agent|un agent|reprezentant|"
          "serviciul clienti|relatii cu clientii|un coleg|colegi|om adevarat|"
          "persoana reala|functionar|centrala|dispecer",
}
# Asking to talk to them (not "call me back": that is a message, not a person now).
_VERBS: dict[str, str] = {
    "en": "talk|talking|speak|speaking|chat|connect|connected|transfer|put me through|"
          "get me|get hold|reach|contact",
    "fr": "parler|discuter|joindre|passer|passez|passe|mettre en relation|mettez moi|"
          "contacter|avoir|transferer|relation",
    "ro": "vorbesc|vorbi|vorbim|vorbeasca|discut|discuta|legatura|transfer|transferati|"
          "faceti|dati mi|dati|contactez|contacta",
}
# Words that may sit around the noun in a bare request ("a real agent please").
_GLUE: dict[str, str] = {
    "en": "a an the to with i me my want need would like could can please get some one "
          "real live actual just only now right away immediately give us your you let "
          "speak talk is there any available",
    "fr": "je j veux voudrais voudrai aimerais un une le la les a au avec de du des me moi "
          "s il vous plait svp tout suite un vrai vraie est ce qu que ya y il maintenant "
          "possible peux pourrais puis avoir",
    "ro": "vreau as sa cu un o imi mi pe va rog doresc dori vrea sau ma eu acum se poate "
          "pot putea si cineva la",
}


def _phrases(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p.split()) for p in text.split("|") if p.strip())


def _words(text: str, lang: str) -> list[str]:
    return [fold(t) for t in tokenize(text, lang)]


@lru_cache(maxsize=256)
def _vocabulary(lang: str, extra: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], ...],
                                                              tuple[tuple[str, ...], ...],
                                                              frozenset[str]]:
    nouns = list(_phrases(_NOUNS.get(lang, _NOUNS["en"])))
    nouns += [tuple(_words(p, lang)) for p in extra if _words(p, lang)]
    verbs = _phrases(_VERBS.get(lang, _VERBS["en"]))
    glue = frozenset(_GLUE.get(lang, _GLUE["en"]).split())
    return tuple(nouns), verbs, glue


def _find(words: list[str], phrases: Iterable[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Spans (start, end) of every phrase found in ``words``."""
    spans = []
    for phrase in phrases:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if tuple(words[i:i + n]) == phrase:
                spans.append((i, i + n))
    return spans


def asks_for_person(text: str, lang: str, extra: tuple[str, ...] = ()) -> bool:
    """Whether ``text`` asks to talk to a person (``extra``: the menu's own words for one)."""
    lang = primary_lang(lang)
    words = _words(text[:300], lang)
    if not words or len(words) > 20:
        return False
    nouns, verbs, glue = _vocabulary(lang, extra)
    found = _find(words, nouns)
    if not found:
        return False
    if _find(words, verbs):
        return True
    covered = {i for start, end in found for i in range(start, end)}
    # A bare request: nothing but the person and polite glue around it.
    return all(i in covered or w in glue for i, w in enumerate(words))
