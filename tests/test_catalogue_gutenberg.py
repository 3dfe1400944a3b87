"""A second catalogue imported as an operator would: Project Gutenberg's export, searched
by subject through its headings, with no search words added by hand."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ivr.cli import cli
from ivr.lookup.readonly import catalogue_engine
from ivr.menu.loader import load_text
from ivr.menu.source import Where
from ivr.search.config import CatalogueConfig
from ivr.search.formats import GUTENBERG_FIELDS, GUTENBERG_HEADINGS, gutenberg_rows, spoken_name
from ivr.search.match import CatalogueIndex, heading_words, query_words
from ivr.search.sql import SqlCatalogue, catalogue_items
from tests.conftest import ROOT

EXPORT = ROOT / "benchmarks" / "data" / "gutenberg" / "pg_catalog_subset.csv"
CONFIG = CatalogueConfig("sql", Where("t", 1), GUTENBERG_FIELDS, name="gutenberg",
                         headings=frozenset(GUTENBERG_HEADINGS))


@pytest.fixture
def gutenberg(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlCatalogue]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["catalogue", "import", "gutenberg", str(EXPORT),
                                      "--format", "gutenberg"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "catalogue gutenberg: 1042 items"
    engine = catalogue_engine(db_url, 5.0)  # read-only, as for a call
    yield SqlCatalogue(CONFIG, engine)
    engine.dispose()


# A subject question, and what the subject headings or shelves of a fitting work hold.
SUBJECTS = [
    ("detective stories", r"detective|mystery"),
    ("ghost stories", r"ghost"),
    ("books about the sea", r"\bsea\b|seafaring|ocean"),
    ("science fiction", r"science.fiction"),
    ("do you have any westerns", r"western"),
    ("fairy tales", r"fairy tales"),
    ("stories about pirates", r"pirates"),
    ("poems about the first world war", r"world war, 1914-1918"),
]


@pytest.mark.parametrize(("said", "fits"), SUBJECTS)
def test_subject_questions_find_fitting_works_first(gutenberg: SqlCatalogue, said: str,
                                                    fits: str) -> None:
    found = gutenberg.search(query_words(said, "en"), 3)
    assert len(found) == 3, said
    fitting = [bool(re.search(fits, f"{w['subjects']}; {w['bookshelves']}", re.IGNORECASE))
               for w in found]
    assert fitting[0] and sum(fitting) >= 2, [(w["title"], w["subjects"]) for w in found]


def test_titles_and_authors_still_come_first(gutenberg: SqlCatalogue) -> None:
    assert gutenberg.search(query_words("the time machine", "en"), 3)[0]["id"] == "35"
    found = gutenberg.search(query_words("jules verne", "en"), 3)
    assert found and all(w["author"] == "Jules Verne" for w in found)
    assert gutenberg.item("1342") is None and gutenberg.item("84")["title"].startswith(
        "Frankenstein")


def test_the_import_keeps_the_export_and_adds_no_words(gutenberg: SqlCatalogue,
                                                       db_url: str) -> None:
    with EXPORT.open(encoding="utf-8") as handle:
        export = {r["Text#"]: r for r in csv.DictReader(handle)}
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(catalogue_items).where(
            catalogue_items.c.catalogue == "gutenberg")).scalar()
    engine.dispose()
    assert count == len(export) == 1042
    work = gutenberg.item("15")
    assert work is not None
    assert work["title"] == "Moby-Dick; or, The Whale" and work["author"] == "Herman Melville"
    # the headings as the export has them, subdivisions and all
    assert work["subjects"] == export["15"]["Subjects"]
    assert "Whaling -- Fiction; Sea stories" in work["subjects"]
    assert work["bookshelves"] == export["15"]["Bookshelves"]
    assert gutenberg.item("2")["subtitle"].startswith("The Ten Original Amendments")


@pytest.mark.parametrize(("creator", "said"), [
    ("Carroll, Lewis, 1832-1898", "Lewis Carroll"),
    ("Wells, H. G. (Herbert George), 1866-1946", "H. G. Wells"),
    ("Twain, Mark, 1835-1910; Kemble, E. W. (Edward Windsor), 1861-1933 [Illustrator]",
     "Mark Twain"),
    ("Tolstoy, Leo, graf, 1828-1910", "Leo Tolstoy"),
    ("Orczy, Emmuska Orczy, Baroness, 1865-1947", "Emmuska Orczy"),
    ("Aesop, 621? BCE-565? BCE", "Aesop"),
    ("United States. Central Intelligence Agency", "United States. Central Intelligence Agency"),
    ("", ""),
])
def test_creators_are_named_as_callers_say_them(creator: str, said: str) -> None:
    assert gutenberg_rows([{"Authors": creator}])[0]["author"] == said
    assert spoken_name(creator.split(";")[0]) == said


def test_headings_are_searched_as_headings() -> None:
    words = heading_words("Science fiction; Sea stories -- Juvenile fiction; "
                          "Detective and mystery stories, English")
    assert {"sciencefiction", "seastories", "juvenilefiction", "mysterystories"} <= set(words)
    # no joins across headings, subdivisions or inversions
    assert not {"fictionsea", "storiesjuvenile", "storiesenglish"} & set(words)
    rows = [{"id": "1", "title": "The Science of Fiction", "subjects": "Authorship"},
            {"id": "2", "title": "Gulliver", "subjects": "Science fiction; Satire"},
            {"id": "3", "title": "Fiction Science Monthly", "subjects": "Periodicals"}]
    fields = {"title": 4, "subjects": 2}
    found = CatalogueIndex(rows, fields, "id", headings=["subjects"]).search(
        query_words("science fiction", "en"), 3)
    assert found[0]["id"] == "2"
    # without headings, the title's two words outweigh the subject
    plain = CatalogueIndex(rows, fields, "id").search(query_words("science fiction", "en"), 3)
    assert plain[0]["id"] != "2"


def test_the_import_refuses_what_is_not_an_export(tmp_path: object, db_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    books = ROOT / "tests" / "menus" / "data" / "books.csv"
    result = CliRunner().invoke(cli, ["catalogue", "import", "x", str(books), "--format",
                                      "gutenberg"])
    assert result.exit_code == 1 and "is not a gutenberg export" in result.output
    result = CliRunner().invoke(cli, ["catalogue", "import", "x", str(books)])
    assert result.exit_code == 1 and "--fields is required" in result.output
    result = CliRunner().invoke(cli, ["catalogue", "import", "x", str(EXPORT), "--format",
                                      "gutenberg", "--headings", "subjects,shelf"])
    assert result.exit_code == 1 and "not searched: shelf" in result.output
    result = CliRunner().invoke(cli, ["catalogue", "import", "../x", str(books), "--fields",
                                      "title"])
    assert result.exit_code == 1 and "must be letters" in result.output


EXAMPLE = """
menu: classics
languages: {en: {locale: en-US}}
start: search
nodes:
  search:
    type: search
    say: "Say a title, an author or a subject."
    catalogue:
      type: sql
      name: gutenberg
      fields: {title: 4, subtitle: 2, author: 3, subjects: 3, bookshelves: 2}
      headings: [subjects, bookshelves]
    result: "{title}, by {author}"
    details: "{title}, by {author}. Subjects: {subjects}."
    next: bye
  bye: {type: hangup, say: "Goodbye."}
"""


def test_a_menu_names_its_heading_fields() -> None:
    menu = load_text(EXAMPLE, "classics.yaml")
    catalogue = menu.nodes["search"].catalogue  # type: ignore[attr-defined]
    assert catalogue.headings == {"subjects", "bookshelves"}
    assert catalogue.fields == GUTENBERG_FIELDS
    with pytest.raises(Exception, match="not in fields: shelves"):
        load_text(EXAMPLE.replace("[subjects, bookshelves]", "[subjects, shelves]"), "x.yaml")


def test_the_demo_library_carries_only_real_headings() -> None:
    """Every heading of the demo library is a committed Project Gutenberg record's, whole;
    works without a record have none."""
    records: dict[tuple[str, str], str] = {}
    for name in ("pg_catalog_subset.csv", "pg_catalog_library.csv"):
        with (EXPORT.parent / name).open(encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                records[(r["Subjects"], r["Bookshelves"])] = r["Text#"]
    with (ROOT / "menus" / "data" / "library_catalogue.csv").open(encoding="utf-8") as handle:
        library = list(csv.DictReader(handle))
    with_headings = [w for w in library if w["subjects"] or w["bookshelves"]]
    assert len(library) == 763 and len(with_headings) >= 200
    for work in with_headings:
        assert (work["subjects"], work["bookshelves"]) in records, work["id"]
    by_id = {w["id"]: w for w in library}
    assert "Ghost stories" in by_id["L0016"]["subjects"]  # A Christmas Carol, ebook 46
    assert by_id["L0255"]["subjects"].startswith("Tragedies; Hamlet")  # ebook 1122
    assert not any(w["subjects"] for w in library if w["language"] == "ro")
