"""Short answers as callers say them: ``fold`` for comparing a few words (a menu option,
"text me", a spoken key) and the spoken digits of each language. A leaf: the menu and
message nodes, the menu checker and the lookups' digit matching all use it."""

from __future__ import annotations

import re
import unicodedata

# Callers often say the key instead of pressing it; Twilio transcribes "one" or "1.".
SPOKEN_DIGITS = {
    "en": "zero one two three four five six seven eight nine",
    "fr": "zero un deux trois quatre cinq six sept huit neuf",
    "ro": "zero unu doi trei patru cinci sase sapte opt noua",
}


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation (for comparing short answers)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^\w*#]+", " ", text).strip()
