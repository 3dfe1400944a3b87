"""Catalogue exports `ivr catalogue import` reads as they come (``--format``).

``csv`` (the default) takes a file's columns as they are. ``gutenberg`` reads Project
Gutenberg's catalogue export (``pg_catalog.csv``: ``Text#, Type, Issued, Title, Language,
Authors, Subjects, LoCC, Bookshelves``) and gives each work the columns a search node
uses, with nothing added by hand:

- ``id`` (``Text#``), ``title`` (the title's first line) and ``subtitle`` (the rest),
- ``author``: the first creator named as a caller says it ("Lewis Carroll" for "Carroll,
  Lewis, 1832-1898"), ``authors``: every creator as the export has them,
- ``subjects`` and ``bookshelves``: the headings as the export has them, "; " between
  them and " -- " before each subdivision ("Detective and mystery stories, English;
  Paris (France) -- Fiction"),
- ``language``, ``issued``, ``type`` and ``locc`` as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

# Searched fields and weights when the operator names none: a title outweighs a name,
# a name a subject heading, a heading a shelf.
GUTENBERG_FIELDS = {"title": 4, "subtitle": 2, "author": 3, "subjects": 3, "bookshelves": 2}
GUTENBERG_HEADINGS = ("subjects", "bookshelves")
GUTENBERG_COLUMNS = ("Text#", "Title", "Authors", "Subjects", "Bookshelves", "Language")

_ROLE = re.compile(r"\s*\[[^\]]*\]\s*$")  # "[Translator]", "[Editor]"
_DATES = re.compile(r"^(?:\d|-\d|active |approximately |ca\. |\d+\?)")  # "1832-1898", "-1468"
_FULLER = re.compile(r"\s*\(([^)]*)\)\s*$")  # "Wells, H. G. (Herbert George)"


def spoken_name(creator: str) -> str:
    """A creator of the export as a caller names them: "Carroll, Lewis, 1832-1898" ->
    "Lewis Carroll", "Wells, H. G. (Herbert George), 1866-1946" -> "H. G. Wells",
    "Twain, Mark, 1835-1910 [Illustrator]" -> "Mark Twain"; a body ("United States.
    Central Intelligence Agency") or a single name ("Laozi") stays as it is."""
    creator = _ROLE.sub("", creator.strip())
    parts = [p.strip() for p in creator.split(",")]
    kept = [p for p in parts if p and not _DATES.match(p)]
    if len(kept) < 2:
        return kept[0] if kept else ""
    surname, forenames = kept[0], _FULLER.sub("", kept[1])
    # "Tolstoy, Leo, graf": a title after the names is not said; "Orczy, Emmuska Orczy,
    # Baroness" names her in full already
    if forenames.split()[-1:] == [surname]:
        return forenames
    return f"{forenames} {surname}".strip()


def gutenberg_rows(rows: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Rows of Project Gutenberg's catalogue export as catalogue items (see the module)."""
    out: list[dict[str, str]] = []
    for row in rows:
        title, _, subtitle = (row.get("Title") or "").strip().partition("\n")
        creators = [c for c in (row.get("Authors") or "").split(";") if c.strip()]
        out.append({
            "id": (row.get("Text#") or "").strip(),
            "title": " ".join(title.split()),
            "subtitle": " ".join(subtitle.split()),
            "author": spoken_name(creators[0]) if creators else "",
            "authors": (row.get("Authors") or "").strip(),
            "subjects": (row.get("Subjects") or "").strip(),
            "bookshelves": (row.get("Bookshelves") or "").strip(),
            "language": (row.get("Language") or "").strip(),
            "issued": (row.get("Issued") or "").strip(),
            "type": (row.get("Type") or "").strip(),
            "locc": (row.get("LoCC") or "").strip(),
        })
    return out


# --format name -> (the columns the file must have, rows -> items, default fields,
# default fields of subject headings)
FORMATS: dict[str, tuple[tuple[str, ...],
                         Callable[[Iterable[Mapping[str, str]]], list[dict[str, str]]],
                         Mapping[str, int], tuple[str, ...]]] = {
    "gutenberg": (GUTENBERG_COLUMNS, gutenberg_rows, GUTENBERG_FIELDS, GUTENBERG_HEADINGS),
}
