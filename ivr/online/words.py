"""The help pages' and texts' own words (headings, buttons, "open now"), per language.

A menu's answers come from the menu; these are the few words around them. A language
without its own entry gets English's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "help": "Help", "search_label": "Ask a question", "search": "Search",
        "search_hint": "In your own words, for example: where is my parcel",
        "hours": "Opening hours", "open_until": "Open now, until {time}",
        "closed_opens": "Closed now. Opens {day} at {time}", "closed": "Closed now",
        "topics": "Topics", "contact": "Contact us", "call_us": "Call us",
        "answer": "Answer", "did_you_mean": "Did you mean one of these?",
        "not_found": "We found no answer to “{question}”.",
        "main_topics": "Our main topics", "back": "Back to the help pages",
        "languages": "Other languages", "results_for": "Results for “{question}”",
        "menu_word": "menu", "reply_number": "Reply with a number:",
        "sms_menu": "Reply with a number or a question:",
        "sms_not_found": "Sorry, we found no answer to that.",
        "sms_contact": "To talk to us, call {number}.",
        "sms_more": "More: {url}",
        "days": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
        "today": "today", "tomorrow": "tomorrow",
    },
    "fr": {
        "help": "Aide", "search_label": "Posez votre question", "search": "Rechercher",
        "search_hint": "Avec vos mots, par exemple : où est mon colis",
        "hours": "Horaires", "open_until": "Ouvert maintenant, jusqu'à {time}",
        "closed_opens": "Fermé pour le moment. Ouverture {day} à {time}",
        "closed": "Fermé pour le moment",
        "topics": "Sujets", "contact": "Nous contacter", "call_us": "Appelez-nous",
        "answer": "Réponse", "did_you_mean": "Vouliez-vous dire l'un de ces sujets ?",
        "not_found": "Nous n'avons trouvé aucune réponse à « {question} ».",
        "main_topics": "Nos principaux sujets", "back": "Retour aux pages d'aide",
        "languages": "Autres langues", "results_for": "Résultats pour « {question} »",
        "menu_word": "menu", "reply_number": "Répondez par un numéro :",
        "sms_menu": "Répondez par un numéro ou une question :",
        "sms_not_found": "Désolé, nous n'avons pas trouvé de réponse.",
        "sms_contact": "Pour nous parler, appelez le {number}.",
        "sms_more": "Plus : {url}",
        "days": "lundi mardi mercredi jeudi vendredi samedi dimanche",
        "today": "aujourd'hui", "tomorrow": "demain",
    },
    "ro": {
        "help": "Ajutor", "search_label": "Puneți o întrebare", "search": "Caută",
        "search_hint": "Cu cuvintele dumneavoastră, de exemplu: unde este coletul",
        "hours": "Program", "open_until": "Deschis acum, până la {time}",
        "closed_opens": "Închis acum. Se deschide {day} la {time}", "closed": "Închis acum",
        "topics": "Subiecte", "contact": "Contact", "call_us": "Sunați-ne",
        "answer": "Răspuns", "did_you_mean": "Ați vrut să spuneți unul dintre acestea?",
        "not_found": "Nu am găsit niciun răspuns pentru „{question}”.",
        "main_topics": "Subiectele principale", "back": "Înapoi la paginile de ajutor",
        "languages": "Alte limbi", "results_for": "Rezultate pentru „{question}”",
        "menu_word": "meniu", "reply_number": "Răspundeți cu un număr:",
        "sms_menu": "Răspundeți cu un număr sau o întrebare:",
        "sms_not_found": "Ne pare rău, nu am găsit un răspuns.",
        "sms_contact": "Pentru a vorbi cu noi, sunați la {number}.",
        "sms_more": "Mai mult: {url}",
        "days": "luni marți miercuri joi vineri sâmbătă duminică",
        "today": "astăzi", "tomorrow": "mâine",
    },
}
# What a texter sends to see the topics, in every language (compared folded).
MENU_WORDS = frozenset({"menu", "meniu", "meniul", "topics", "sujets", "subiecte", "help menu",
                        "options", "start over"})


def words(lang: str) -> Mapping[str, str]:
    """The words of ``lang`` (English's for a language without its own)."""
    return WORDS.get(lang.split("-")[0], WORDS["en"])


def day_name(moment: datetime, now: datetime, lang: str) -> str:
    """"today", "tomorrow" or the weekday, in ``lang`` (both moments in the same zone)."""
    table = words(lang)
    gap = (moment.date() - now.date()).days
    if gap == 0:
        return table["today"]
    if gap == 1:
        return table["tomorrow"]
    return table["days"].split()[moment.weekday()]


def opening_line(is_open: bool, until: datetime | None, opens: datetime | None,
                 now: datetime, lang: str) -> str:
    """"Open now, until 18:00" or "Closed now. Opens tomorrow at 09:00", in ``lang``."""
    table = words(lang)
    if is_open:
        return table["open_until"].format(time=until.strftime("%H:%M")) if until else \
            table["open_until"].split(",")[0]
    if opens is None:
        return table["closed"]
    local_now = now.astimezone(opens.tzinfo)
    return table["closed_opens"].format(day=day_name(opens, local_now, lang),
                                        time=opens.strftime("%H:%M"))
