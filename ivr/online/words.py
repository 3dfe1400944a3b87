"""The help pages' and texts' own words (headings, buttons, "open now"), per language.

A menu's answers come from the menu; these are the few words around them. A language
without its own entry gets English's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "write_us": "Leave a message or ask to be called back",
        "message_title": "Leave us a message", "callback_title": "Ask to be called back",
        "name": "Your name (optional)",
        "name_callback": "Your name",
        "name_needed": "Please tell us whom to ask for when we call.",
        "phone": "Your phone number",
        "phone_optional": "Your phone number (or an e-mail address below)",
        "email": "Your e-mail address", "message": "Your message",
        "send_message": "Send the message", "send_callback": "Call me back",
        "phone_invalid": "This is not a phone number we can call.",
        "phone_needed": "Please give the number to call you back on.",
        "email_invalid": "This is not an e-mail address.",
        "reach_needed": "Please give a phone number or an e-mail address to answer you.",
        "message_needed": "Please write your message.",
        "expired": "This form has expired. Please send it again.",
        "busy": "Too many messages right now. Please try again later or call us.",
        "honeypot": "Leave this field empty",
        "thanks_message": "Thank you. Your message is with our team; we answer in opening hours.",
        "thanks_callback": "Thank you. We will call you back in our opening hours.",
        "no_texts": "We answer you ourselves; this page sends no automatic text.",
        "lookup_id": "Order number", "lookup_factor": "The postcode or e-mail address of the order",
        "lookup_send": "Check", "lookup_none": "We found no order with this number and this "
        "postcode or e-mail address.",
        "lookup_failed": "We cannot check this right now. Please try again later or call us.",
        "lookup_busy": "Too many checks right now. Please try again later or call us.",
        "lookup_phone_only": "This can be checked by phone only.",
        "find_label": "What are you looking for?", "find": "Find",
        "search_none": "We found nothing for these words.",
        "search_out_of_stock": "None of these is in stock right now.",
        "search_failed": "The search does not answer right now. Please try again later.",
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
        "write_us": "Laisser un message ou être rappelé",
        "message_title": "Laissez-nous un message", "callback_title": "Être rappelé",
        "name": "Votre nom (facultatif)",
        "name_callback": "Votre nom",
        "name_needed": "Dites-nous qui demander quand nous appellerons.",
        "phone": "Votre numéro de téléphone",
        "phone_optional": "Votre numéro de téléphone (ou une adresse e-mail ci-dessous)",
        "email": "Votre adresse e-mail", "message": "Votre message",
        "send_message": "Envoyer le message", "send_callback": "Rappelez-moi",
        "phone_invalid": "Ce numéro ne peut pas être appelé.",
        "phone_needed": "Indiquez le numéro où vous rappeler.",
        "email_invalid": "Cette adresse e-mail n'est pas valide.",
        "reach_needed": "Indiquez un numéro ou une adresse e-mail pour vous répondre.",
        "message_needed": "Écrivez votre message.",
        "expired": "Ce formulaire a expiré. Merci de l'envoyer à nouveau.",
        "busy": "Trop de messages en ce moment. Réessayez plus tard ou appelez-nous.",
        "honeypot": "Laissez ce champ vide",
        "thanks_message": "Merci. Votre message est transmis à notre équipe ; nous répondons "
                          "aux heures d'ouverture.",
        "thanks_callback": "Merci. Nous vous rappellerons aux heures d'ouverture.",
        "no_texts": "Nous vous répondons nous-mêmes ; cette page n'envoie aucun SMS automatique.",
        "lookup_id": "Numéro de commande",
        "lookup_factor": "Le code postal ou l'adresse e-mail de la commande",
        "lookup_send": "Vérifier", "lookup_none": "Aucune commande ne correspond à ce numéro et à "
        "ce code postal ou cette adresse e-mail.",
        "lookup_failed": "Impossible de vérifier pour le moment. Réessayez plus tard ou "
        "appelez-nous.",
        "lookup_busy": "Trop de vérifications en ce moment. Réessayez plus tard ou appelez-nous.",
        "lookup_phone_only": "Ceci ne peut être vérifié que par téléphone.",
        "find_label": "Que cherchez-vous ?", "find": "Chercher",
        "search_none": "Rien ne correspond à ces mots.",
        "search_out_of_stock": "Aucun de ces produits n'est en stock pour le moment.",
        "search_failed": "La recherche ne répond pas pour le moment. Réessayez plus tard.",
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
        "write_us": "Lăsați un mesaj sau cereți să fiți sunat",
        "message_title": "Lăsați-ne un mesaj", "callback_title": "Cereți să fiți sunat înapoi",
        "name": "Numele dumneavoastră (opțional)",
        "name_callback": "Numele dumneavoastră",
        "name_needed": "Spuneți-ne pe cine să căutăm când sunăm.",
        "phone": "Numărul dumneavoastră de telefon",
        "phone_optional": "Numărul de telefon (sau o adresă de e-mail mai jos)",
        "email": "Adresa de e-mail", "message": "Mesajul dumneavoastră",
        "send_message": "Trimiteți mesajul", "send_callback": "Sunați-mă înapoi",
        "phone_invalid": "Acesta nu este un număr pe care îl putem suna.",
        "phone_needed": "Vă rugăm să dați numărul la care să vă sunăm.",
        "email_invalid": "Aceasta nu este o adresă de e-mail.",
        "reach_needed": "Vă rugăm să dați un număr sau o adresă de e-mail pentru răspuns.",
        "message_needed": "Vă rugăm să scrieți mesajul.",
        "expired": "Formularul a expirat. Vă rugăm să-l trimiteți din nou.",
        "busy": "Prea multe mesaje acum. Încercați mai târziu sau sunați-ne.",
        "honeypot": "Lăsați acest câmp gol",
        "thanks_message": "Vă mulțumim. Mesajul a ajuns la echipa noastră; răspundem în "
                          "timpul programului.",
        "thanks_callback": "Vă mulțumim. Vă vom suna înapoi în timpul programului.",
        "no_texts": "Vă răspundem noi înșine; această pagină nu trimite SMS-uri automate.",
        "lookup_id": "Numărul comenzii",
        "lookup_factor": "Codul poștal sau adresa de e-mail a comenzii",
        "lookup_send": "Verifică", "lookup_none": "Nu am găsit nicio comandă cu acest număr și "
        "acest cod poștal sau adresă de e-mail.",
        "lookup_failed": "Nu putem verifica acum. Încercați mai târziu sau sunați-ne.",
        "lookup_busy": "Prea multe verificări acum. Încercați mai târziu sau sunați-ne.",
        "lookup_phone_only": "Acest lucru se poate verifica doar prin telefon.",
        "find_label": "Ce căutați?", "find": "Caută",
        "search_none": "Nu am găsit nimic pentru aceste cuvinte.",
        "search_out_of_stock": "Niciunul dintre acestea nu este în stoc momentan.",
        "search_failed": "Căutarea nu răspunde acum. Încercați mai târziu.",
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
