"""Search matching on the demo catalogues, and `ivr check` on malformed search nodes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ivr.menu.lint import check_paths
from ivr.search.match import (
    COMMON,
    MAX_QUERY_WORDS,
    MAX_SPELLED,
    SCAN,
    SPELLED,
    CatalogueIndex,
    Vocabulary,
    keypad,
    query_words,
    terms_of,
    word_forms,
    words_of,
)
from ivr.speech.normalize import fold, tokenize
from tests.conftest import ROOT

DATA = ROOT / "menus" / "data"


@pytest.fixture(scope="module")
def library() -> CatalogueIndex:
    with (DATA / "library_catalogue.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return CatalogueIndex(rows, {"title": 4, "author": 3, "topics": 1, "formats": 1}, "id")


@pytest.fixture(scope="module")
def shop() -> CatalogueIndex:
    with (DATA / "shop_products.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    from ivr.menu.loader import load_menu
    from ivr.nodes.search import SearchNode

    menu = load_menu(DATA.parent / "shop.yaml")  # the demo node's fields and weights
    config = next(n.catalogue for n in menu.nodes.values()
                  if isinstance(n, SearchNode) and n.catalogue is not None)
    return CatalogueIndex(rows, config.fields, config.key)


def test_the_demo_catalogues_are_big_enough_and_real() -> None:
    with (DATA / "library_catalogue.csv").open(encoding="utf-8") as handle:
        books = list(csv.DictReader(handle))
    with (DATA / "shop_products.csv").open(encoding="utf-8") as handle:
        products = list(csv.DictReader(handle))
    assert len(books) >= 500 and len(products) >= 200
    assert {b["language"] for b in books} == {"en", "fr", "ro"}
    assert min(sum(b["language"] == lang for b in books) for lang in ("en", "fr", "ro")) >= 150
    assert {"Ion Creangă", "Mihai Eminescu", "Victor Hugo", "Jane Austen"} <= {b["author"]
                                                                              for b in books}
    assert len({b["id"] for b in books}) == len(books)
    assert all(int(b["copies"]) == int(b["copies_central"]) + int(b["copies_north"])
               + int(b["copies_riverside"]) for b in books)


def plain(words: list[str]) -> list[str]:
    return [w for w in words if "=" not in w]


def test_query_words_fold_and_drop_the_framing() -> None:
    assert plain(query_words("Do you have Les Misérables, please?", "en")) == ["les",
                                                                               "miserables"]
    assert plain(query_words("euh je voudrais Madame Bovary s'il vous plaît", "fr")) == [
        "madame", "bovary"]
    assert plain(query_words("ăă aveți Amintiri din copilărie", "ro")) == ["amintiri",
                                                                          "copilarie"]
    assert query_words("the the the", "en") == []
    assert query_words("", "en") == []
    many = query_words("word " * 300 + "other " * 300, "en")
    assert len(plain(many)) <= MAX_QUERY_WORDS and len(many) <= 2 * MAX_QUERY_WORDS
    assert query_words("x" * 500, "en") == ["x" * 200]  # cut before any work
    assert query_words("hugo " * 39 + "miserables", "en") == ["hugo"]  # no half word left


def test_words_said_apart_and_numbers_said_as_words_have_alternatives() -> None:
    assert query_words("frank einstein", "en") == ["frank", "einstein",
                                                   "frankeinstein=frank einstein"]
    assert "813=huit cent treize" in query_words("huit cent treize", "fr")
    assert "93=quatre vingt treize" in query_words("quatre vingt treize", "fr")
    assert "44=patruzeci si patru" in query_words("mărimea patruzeci și patru", "ro")
    assert "20000=twenty thousand" in query_words("twenty thousand leagues", "en")
    assert "1840=o mie opt sute patruzeci" not in query_words("anul o mie", "ro")


def test_alternatives_find_what_the_words_alone_do_not(library: CatalogueIndex) -> None:
    alone = library.search(plain(query_words("frank einstein", "en")), 3)
    assert "Frankenstein" not in [r["title"] for r in alone]  # L. Frank Baum's books
    found = library.search(query_words("frank einstein", "en"), 3)
    assert [r["title"] for r in found][:1] == ["Frankenstein"]
    found = library.search(query_words("huit cent treize", "fr"), 3)
    assert [r["title"] for r in found][:1] == ["813"]
    found = library.search(query_words("charles beau de l'air", "fr"), 3)
    assert found and all(r["author"] == "Charles Baudelaire" for r in found)


@pytest.mark.parametrize(("said", "lang", "title"), [
    ("do you have les miserables", "en", "Les Misérables"),
    ("les miserable victor hugo", "fr", "Les Misérables"),
    ("amintiri din copilarie", "ro", "Amintiri din copilărie"),
    ("povestea lui harap alb", "ro", "Povestea lui Harap-Alb"),
    ("o scrisoare pierduta", "ro", "O scrisoare pierdută"),
    ("moara cu noroc de slavici", "ro", "Moara cu noroc"),
    ("madam bovary", "fr", "Madame Bovary"),
    ("prejudice and pride", "en", "Pride and Prejudice"),
    ("the adventures of sherlock holmes", "en", "The Adventures of Sherlock Holmes"),
    ("oliver twist by charles dickins", "en", "Oliver Twist"),
    ("vingt mille lieues sous les mers", "fr", "Vingt mille lieues sous les mers"),
    ("le comte de monte cristo", "fr", "Le Comte de Monte-Cristo"),
    ("the count of monte cristo", "en", "Le Comte de Monte-Cristo"),
    ("arsene lupin gentleman cambrioleur", "fr", "Arsène Lupin, gentleman cambrioleur"),
    ("pădurea spânzuraților", "ro", "Pădurea spânzuraților"),
    ("padurea spanzuratilor rebreanu", "ro", "Pădurea spânzuraților"),
    ("wuthering heights", "en", "Wuthering Heights"),
    ("alice in wonderland", "en", "Alice's Adventures in Wonderland"),
    ("jane eyre", "en", "Jane Eyre"),
    ("luceafarul eminescu", "ro", "Luceafărul"),
])
def test_spoken_titles_are_found_in_the_first_three(library: CatalogueIndex, said: str,
                                                     lang: str, title: str) -> None:
    found = [r["title"] for r in library.search(query_words(said, lang), 3)]
    assert title in found, found


def test_an_author_lists_their_works(library: CatalogueIndex) -> None:
    found = library.search(query_words("something by mihai eminescu", "en"), 3)
    assert len(found) == 3 and {r["author"] for r in found} == {"Mihai Eminescu"}
    found = library.search(query_words("jules vern", "fr"), 3)
    assert {r["author"] for r in found} == {"Jules Verne"}


def test_nonsense_finds_nothing(library: CatalogueIndex) -> None:
    for said in ("blorg fizzle", "'; DROP TABLE catalogue; --", "qwertyuiop", "hello hello"):
        assert library.search(query_words(said, "en"), 3) == [], said


def test_products_by_name_and_colour_in_three_languages(shop: CatalogueIndex) -> None:
    en = shop.search(query_words("is the navy rain jacket in stock", "en"), 3)
    assert en[0]["name_en"] == "rain jacket" and en[0]["colour"] == "navy"
    fr = shop.search(query_words("veste de pluie bleu marine", "fr"), 3)
    assert fr[0]["name_en"] == "rain jacket" and fr[0]["colour"] == "navy"
    ro = shop.search(query_words("jacheta de ploaie bleumarin", "ro"), 3)
    assert ro[0]["name_en"] == "rain jacket" and ro[0]["colour"] == "navy"


BROKEN = """menu: desk
languages: {en: {locale: en-US, voice: Polly.Joanna}}
start: find
defaults: {fallback: bye}
nodes:
  find:
    type: search
    say: "Say a title."
    catalogue: {type: csv, file: data/books.csv, fields: {title: 3, writer: 2}}
    result: "{title}, by {author}"
    details: "{title}, shelf {shelf_mark}"
    next: bye
  lost:
    type: search
    say: "Say a title."
    catalogue: {type: csv, file: data/missing.csv, fields: [title]}
    result: "{title}"
    details: "{title}"
    next: bye
  bye: {type: hangup}
"""


def test_search_problems_are_reported_with_their_lines(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "books.csv").write_text("id,title,author,shelf\nB1,Ion,Liviu Rebreanu,"
                                                 "859 REB\n", encoding="utf-8")
    menu = tmp_path / "desk.yaml"
    menu.write_text(BROKEN.replace("  lost:", "  lost:\n    phrases: {en: [lost]}"),
                    encoding="utf-8")
    problems, _ = check_paths([menu], None)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert f"{menu}:9:16: error: catalogue of 'find': data/books.csv has no column 'writer' " \
           "(columns: author, id, shelf, title)" in errors
    assert any(e.startswith(f"{menu}:11:14: error: 'find' uses {{shelf_mark}}") for e in errors)
    assert any(e.startswith(f"{menu}:17:16: error: catalogue of 'lost': file data/missing.csv "
                            "not found") for e in errors)


def test_a_refinement_on_a_column_the_file_lacks_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,title\nB1,Ion\n", encoding="utf-8")
    menu = tmp_path / "desk.yaml"
    menu.write_text("menu: desk\nlanguages: {en: {locale: en-US, voice: Polly.Joanna}}\n"
                    "start: find\nnodes:\n  find: {" + SEARCH + ", refine: {audio: {field: "
                    "formats, contains: audio, label: audio, say: {en: [audio]}}}}\n",
                    encoding="utf-8")
    problems, _ = check_paths([menu], None)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert any("'find' uses {formats} but a.csv has only id, title" in e for e in errors), errors


SEARCH = ("type: search, say: Hi, catalogue: {type: csv, file: a.csv, fields: [title]}, "
          "result: '{title}', details: '{title}'")


@pytest.mark.parametrize(("node", "message"), [
    ("{type: search, say: Hi, result: '{title}', details: '{title}'}",
     "needs 'catalogue'"),
    ("{type: search, say: Hi, catalogue: {type: ftp, fields: [title]}, result: '{title}', "
     "details: '{title}'}", "unknown catalogue type 'ftp'"),
    ("{type: search, say: Hi, catalogue: {type: sql, fields: [title]}, result: '{title}', "
     "details: '{title}'}", "catalogue needs 'name'"),
    ("{type: search, say: Hi, catalogue: {type: sql, name: 'a b', fields: [title]}, "
     "result: '{title}', details: '{title}'}", "catalogue name 'a b' must be letters"),
    ("{type: search, say: Hi, catalogue: {type: csv, file: ../etc/passwd, fields: [title]}, "
     "result: '{title}', details: '{title}'}", "file must be a path inside the menus folder"),
    ("{type: search, say: Hi, catalogue: {type: csv, file: a.csv, fields: {title: 99}}, "
     "result: '{title}', details: '{title}'}", "the weight of 'title' must be between 1 and 10"),
    ("{type: search, say: Hi, catalogue: {type: csv, file: a.csv, fields: [title]}, "
     "result: '{title:money}', details: '{title}'}", "unknown format 'money'"),
    ("{type: search, catalogue: {type: csv, file: a.csv, fields: [title]}, result: '{title}', "
     "details: '{title}'}", "a search node needs 'say'"),
    ("{type: search, say: Hi, catalogue: {type: csv, file: a.csv, fields: [title]}, "
     "result: '{title}'}", "needs 'details'"),
    ("{type: search, say: Hi, catalogue: {type: csv, file: a.csv, fields: [title], colour: x},"
     " result: '{title}', details: '{title}'}", "unknown key 'colour' in catalogue"),
    ("{" + SEARCH + ", refine: {audio: {field: formats, contains: audio, key: '1', label: "
     "audio, say: {en: [audio]}}}}", "a refinement's key is one of 4, 5, 6, 7, 8"),
    ("{" + SEARCH + ", refine: {audio: {field: formats, label: audio, say: {en: [audio]}}}}",
     "needs one of contains"),
    ("{" + SEARCH + ", refine: {audio: {field: formats, equals: x, other: true, label: audio, "
     "say: {en: [audio]}}}}", "needs one of contains"),
    ("{" + SEARCH + ", refine: {audio: {field: formats, equals: x, label: audio, "
     "say: {de: [audio]}}}}", "phrases for 'de', which is not declared"),
    ("{" + SEARCH + ", refine: {audio: {field: 'a b', equals: x, label: audio, say: {en: [a]}}}}",
     "'a b' is not a column name"),
    ("{" + SEARCH + ", refine: {a: {field: f, equals: x, key: '7', label: a, say: {en: [a]}}, "
     "b: {field: f, equals: y, key: '7', label: b, say: {en: [b]}}}}",
     "key 7 is already another refinement's"),
])
def test_malformed_search_nodes_are_refused_at_their_line(tmp_path: Path, node: str,
                                                          message: str) -> None:
    menu = tmp_path / "desk.yaml"
    menu.write_text("menu: desk\nlanguages: {en: {locale: en-US, voice: Polly.Joanna}}\n"
                    f"start: find\nnodes:\n  find: {node}\n", encoding="utf-8")
    problems, _ = check_paths([menu], None)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert any(e.startswith(f"{menu}:5:") and message in e for e in errors), errors


def test_a_large_vocabulary_is_narrowed_by_dropped_letters() -> None:
    # Past SCAN words, near words come from one-letter-shorter forms: the same words as
    # comparing with every word, for a letter misheard, missing or added.
    words = {f"w{i:05d}x": 1 for i in range(SCAN + 1)}
    words.update({"dickens": 3, "exupery": 2, "baskerville": 1, "dickensian": 1})
    large = Vocabulary(words, 20_000)
    small = Vocabulary({w: n for w, n in words.items() if not w.startswith("w")}, 20_000)
    assert large._near is not None and small._near is None
    for said in ("dickins", "exupery", "baskervile", "baskervilles", "dikens"):
        assert large.similar(said) == small.similar(said), said
    assert [w for w, _ in large.similar("dickins")] == ["dickens"]
    assert large.similar("zzzz") == []


def test_a_word_most_items_hold_only_ranks_what_rarer_words_found() -> None:
    rows = [{"id": f"N{i}", "title": f"Novel {i}", "author": "Someone"} for i in range(COMMON + 5)]
    rows.append({"id": "R1", "title": "Roman Spahi", "author": "Pierre Loti"})
    rows.append({"id": "R2", "title": "Spahi Story", "author": "Somebody"})
    index = CatalogueIndex(rows, {"title": 3, "author": 2}, "id")
    assert [r["id"] for r in index.search(["novel", "spahi", "loti"], 3)][:1] == ["R1"]
    assert [r["id"] for r in index.search(["novel", "spahi"], 3)][:2] in (["R1", "R2"],
                                                                          ["R2", "R1"])
    found = index.search(["novel"], 3)  # only a common word: still items that hold it
    assert len(found) == 3 and all(r["id"].startswith("N") for r in found)


def test_keypad_spelling_finds_words_by_their_keys(library: CatalogueIndex) -> None:
    assert keypad("hugo") == "4846" and keypad("exupery") == "3987379" and keypad("813") == "813"
    vocabulary = library.vocabulary
    assert ("hugo", 1.0) in vocabulary.spelled("4846")
    assert all(keypad(w).startswith("484") for w, _ in vocabulary.spelled("484"))
    assert len(vocabulary.spelled("2")) == 0 and len(vocabulary.spelled("22")) <= MAX_SPELLED
    found = library.search([SPELLED + "4846"], 3)  # H U G O
    assert len(found) == 3 and all(r["author"] == "Victor Hugo" for r in found)
    found = library.search([SPELLED + "58232"], 3)  # L U C E A, the start of Luceafărul
    assert [r["title"] for r in found][:1] == ["Luceafărul"]
    assert library.search([SPELLED + "9999999"], 3) == []


def test_a_sentence_with_one_catalogue_word_finds_it(shop: CatalogueIndex) -> None:
    found = shop.search(query_words("i need a gift perhaps some gloves", "en"), 3)
    assert found and all(item["name_en"] == "leather gloves" for item in found)
    # A word only near a catalogue word is not enough on its own in a sentence.
    assert shop.search(query_words("please cancel the whole thing now", "en"), 3) == []


def test_everyday_names_colours_and_sizes_said_as_words(shop: CatalogueIndex) -> None:
    # Colours and sizes said as words come from the demo's terms file, not from columns
    # of words packed by hand: what a caller hears (ivr.search.answer), as a call does it.
    from ivr.menu.loader import load_menu
    from ivr.nodes.search import SearchNode
    from ivr.search.answer import WIDE, decide, understand, vocabulary
    from ivr.search.live import read_terms

    menu = load_menu(DATA.parent / "shop.yaml")
    config = next(n.catalogue for n in menu.nodes.values()
                  if isinstance(n, SearchNode) and n.catalogue is not None)
    terms = read_terms(DATA.parent / config.terms.replace("{lang}", "en"))
    known = vocabulary(config.attributes, shop.rows, terms)

    def heard(said: str) -> list[dict[str, str]]:
        asked = understand(said, "en", known)
        rows = shop.search(query_words(asked.query, "en"), WIDE)
        return list(decide(rows, asked, config.attributes, 3, "en", terms).items)

    trainers = shop.search(query_words("trainers", "en"), 3)
    assert trainers and {i["name_en"] for i in trainers} <= {"running shoes", "canvas sneakers"}
    dark = heard("dark blue rain jacket")
    assert [(i["name_en"], i["colour"]) for i in dark] == [("rain jacket", "navy")]
    small = heard("hoodie in extra small")
    assert small and all(i["name_en"] == "hoodie" and "XS" in i["sizes_in_stock"].split(", ")
                         for i in small)


def test_catalogue_words_are_folded_word_by_word() -> None:
    # words_of leaves lower-case ASCII words as they are and remembers other words'
    # folds: the same words as folding every word of every demo row.
    assert all(fold(chr(c)) == chr(c).lower() for c in range(128))
    for name in ("library_catalogue.csv", "shop_products.csv"):
        with (DATA / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for text in row.values():
                    assert words_of(text or "") == [fold(t) for t in tokenize(text or "", "xx")]
    assert words_of("L'Étranger — Ştefan cel Mare, Straße") == [
        "l", "etranger", "stefan", "cel", "mare", "strasse"]
    assert words_of("") == []


def test_names_split_into_other_words_are_found_by_sound(library: CatalogueIndex,
                                                         shop: CatalogueIndex) -> None:
    found = library.search(query_words("bron tay", "en"), 3)
    assert found and all("Brontë" in item["author"] for item in found)
    # Words that are all catalogue words were heard right: not read again as sounds.
    jacket = shop.search(query_words("green down jacket in medium", "en"), 3)
    assert (jacket[0]["name_en"], jacket[0]["colour"]) == ("down jacket", "green")
    # Nor in a whole sentence, where joined neighbours are rarely one name.
    for said, sounds in (("bron tay", True),
                         ("my grandmother wants the bron tay novels she read at school", False)):
        words = query_words(said, "en")
        near = dict(zip([term for term, _ in terms_of(words)[0]],
                        library.vocabulary.terms_near(words), strict=True))
        assert ("bronte" in [w for w, _ in near["brontay"]]) is sounds, said


def test_other_forms_of_a_word_and_digits_said_one_by_one(library: CatalogueIndex) -> None:
    assert word_forms("stories") == ["story"] and "stories" in word_forms("story")
    assert word_forms("knitted")[-1] == "knit" and word_forms("boots") == ["boot"]
    assert "dresses" in word_forms("dress") and "dres" not in word_forms("dress")
    assert word_forms("été") == [] and word_forms("hat") == []  # accented; too short
    # "love stories": the romances (love story) before a title that only says "love".
    assert library.search(query_words("love stories", "en"), 1)[0]["subject"] == "romance"
    assert ("813", ["eight", "one", "three"]) in [
        (w.partition("=")[0], w.partition("=")[2].split())
        for w in query_words("eight one three", "en") if "=" in w]
    assert any(w.startswith("1984=") for w in query_words("one nine eight four", "en"))
    assert any(w.startswith("23=") for w in query_words("twenty three", "en"))  # still a sum


def test_words_split_apart_are_joined_again_after_a_word_whose_stem_is_a_function_words(
        shop: CatalogueIndex) -> None:
    # "para" is no French word to search ("par" is its stem), yet "para pluie" is parapluie
    words = query_words("un para pluie", "fr")
    assert "parapluie=para pluie" in words and "para" not in words
    found = shop.search(words, 3)
    assert found and all(item["name_en"] == "umbrella" for item in found)
    # a true function word still starts no join: "de la" is not "dela"
    assert not any(w.startswith("dela") for w in query_words("de la pluie", "fr"))
