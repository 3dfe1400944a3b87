"""Project Gutenberg's subject headings and bookshelves for the demo library's works.

The records are the ones committed in ``data/gutenberg/`` (SOURCE.md says where they come
from): ``pg_catalog_subset.csv`` (ebooks 1-1081) and ``pg_catalog_library.csv`` (the
records of later ebooks read for the demo's works). A work gets a record's
``Subjects`` and ``Bookshelves`` only when the record is that work:

- the same title (the record's first line, or its part before ":" or ";"; case,
  accents, punctuation and a leading article aside) and the author's surname among the
  record's creators, in the work's language or in English (a translation's record
  describes the same work); or
- a record named in ``SAME_WORK`` below, checked by hand: the same work under another
  title ("The Tragedy of Hamlet, Prince of Denmark" for "Hamlet").

Where no record is found the fields stay empty: nothing is guessed or written by hand.
``make_catalogues.py`` calls ``headings`` for every work; ``python
benchmarks/gutenberg_headings.py`` prints the coverage per language.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "gutenberg"
RECORDS = (DATA / "pg_catalog_subset.csv", DATA / "pg_catalog_library.csv")

# Demo work (title | author) -> Text# of the record of the same work under another title.
SAME_WORK = """
The Adventures of Tom Sawyer | Mark Twain | 74
Pudd'nhead Wilson | Mark Twain | 102
A Christmas Carol | Charles Dickens | 46
Robinson Crusoe | Daniel Defoe | 521
Moll Flanders | Daniel Defoe | 370
Gulliver's Travels | Jonathan Swift | 829
Tristram Shandy | Laurence Sterne | 1079
A Sentimental Journey | Laurence Sterne | 804
Three Men in a Boat | Jerome K. Jerome | 308
Peter and Wendy | J. M. Barrie | 16
The Sonnets | William Shakespeare | 1105
Hamlet | William Shakespeare | 1122
Macbeth | William Shakespeare | 1129
Othello | William Shakespeare | 1127
King Lear | William Shakespeare | 1128
Romeo and Juliet | William Shakespeare | 1112
Twelfth Night | William Shakespeare | 1123
Julius Caesar | William Shakespeare | 1120
Antony and Cleopatra | William Shakespeare | 1130
Richard III | William Shakespeare | 1103
Richard II | William Shakespeare | 1111
Henry V | William Shakespeare | 1119
Henry IV, Part 1 | William Shakespeare | 1115
Coriolanus | William Shakespeare | 1131
Titus Andronicus | William Shakespeare | 1106
The Star Rover | Jack London | 1162
Salome | Oscar Wilde | 1339
Le Médecin de campagne | Honoré de Balzac | 1350
Le Lys dans la vallée | Honoré de Balzac | 1569
La Cousine Bette | Honoré de Balzac | 1749
Splendeurs et misères des courtisanes | Honoré de Balzac | 1660
Le Mystère de la chambre jaune | Gaston Leroux | 1685
Le Fantôme de l'Opéra | Gaston Leroux | 175
The Marble Faun | Nathaniel Hawthorne | 2181
Le Vicomte de Bragelonne | Alexandre Dumas | 2609
Candide | Voltaire | 4650
Zadig | Voltaire | 4647
Les Misérables | Victor Hugo | 135
Les Trois Mousquetaires | Alexandre Dumas | 1257
Vingt ans après | Alexandre Dumas | 1259
Le Comte de Monte-Cristo | Alexandre Dumas | 1184
La Tulipe noire | Alexandre Dumas | 965
Salammbô | Gustave Flaubert | 1290
Un cœur simple | Gustave Flaubert | 1253
Le Père Goriot | Honoré de Balzac | 1237
La Peau de chagrin | Honoré de Balzac | 1307
Ursule Mirouët | Honoré de Balzac | 1223
La Duchesse de Langeais | Honoré de Balzac | 469
Manon Lescaut | Abbé Prévost | 468
La Princesse de Clèves | Madame de La Fayette | 467
L'Île mystérieuse | Jules Verne | 1268
Vingt mille lieues sous les mers | Jules Verne | 164
"""


def fold(text: str) -> str:
    """Lower case, no accents or punctuation, no leading article."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    while words and words[0] in ("the", "a", "an", "le", "la", "les", "l", "un", "une"):
        words = words[1:]
    return " ".join(words)


def records() -> dict[str, dict[str, str]]:
    """Text# -> record, from the committed exports."""
    out: dict[str, dict[str, str]] = {}
    for path in RECORDS:
        with path.open(encoding="utf-8", newline="") as handle:
            out.update({r["Text#"]: r for r in csv.DictReader(handle)})
    return out


def _titles(record: Mapping[str, str]) -> set[str]:
    first = record["Title"].split("\n")[0]
    return {fold(first), fold(re.split(r"[:;]", first)[0])}


class Headings:
    """Finds a work's record and gives its headings."""

    def __init__(self, found: Mapping[str, dict[str, str]] | None = None) -> None:
        self.records = dict(found if found is not None else records())
        self.same = {}
        for line in SAME_WORK.strip().splitlines():
            title, author, number = (p.strip() for p in line.split("|"))
            self.same[(fold(title), fold(author))] = number
        self.by_title: dict[str, list[dict[str, str]]] = {}
        for record in self.records.values():
            for title in _titles(record):
                self.by_title.setdefault(title, []).append(record)

    def record(self, title: str, author: str, lang: str) -> dict[str, str] | None:
        """The record of this work, or None."""
        number = self.same.get((fold(title), fold(author)))
        if number is not None:
            return self.records[number]
        surname = fold(author).split()[-1] if author.strip() else ""
        for record in self.by_title.get(fold(title), ()):
            languages = {code.strip() for code in record["Language"].split(";")}
            if surname and surname in fold(record["Authors"]).split() and (
                    lang in languages or "en" in languages):
                return record
        return None

    def headings(self, title: str, author: str, lang: str) -> tuple[str, str, str]:
        """(subjects, bookshelves, Text#) of the work's record; empty strings for none."""
        record = self.record(title, author, lang)
        if record is None:
            return "", "", ""
        return record["Subjects"], record["Bookshelves"], record["Text#"]


def coverage(rows: Iterable[Mapping[str, str]]) -> dict[str, tuple[int, int]]:
    """Language -> (works with subject headings, works)."""
    out: dict[str, tuple[int, int]] = {}
    for row in rows:
        have, total = out.get(row["language"], (0, 0))
        out[row["language"]] = (have + bool(row.get("subjects")), total + 1)
    return out


if __name__ == "__main__":
    library = Path(__file__).resolve().parent.parent / "menus" / "data" / "library_catalogue.csv"
    with library.open(encoding="utf-8", newline="") as handle:
        for lang, (have, total) in sorted(coverage(csv.DictReader(handle)).items()):
            print(f"{lang}: {have} of {total} works have subject headings ({have / total:.0%})")
