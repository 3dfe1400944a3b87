"""What a search answers: the items that match what the caller named and every attribute
they stated, or that it is not there — and what is there instead.

Two steps around the catalogue's ranking (``ivr.search.match``):

- ``understand`` reads the caller's words: values of the catalogue's attributes
  ("black", "size medium", "audiobook", "in French") become constraints, everyday names
  for a kind of item become the catalogue's words (``ivr.search.terms``), and the rest
  is what to search. Words are compared in any form (``ivr.search.forms``).
- ``decide`` takes the ranked items with how well each matched (``match.MATCH``): an
  item is a match when it holds what the caller named (most of the words said, weighed
  by rarity) or they said one of its fields whole, in order. Matches are read alone,
  never padded with weaker items. When the best item is no match, the answer is "not
  found", with the closest item as one alternative if it is close. When items match
  but none has every attribute stated, the answer names the attribute missing and the
  values there are; an item that contradicts a stated attribute is never read.
  A work and its author named apart ("sanditon by jane austen", "lourdes de zola")
  must both be the item's: an author's other works are not "Sanditon", so the answer
  is "not found", with the closest of them as the alternative.

Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ivr.search.forms import form_keys, function_word, same_word
from ivr.search.match import FRAMING, MATCH, MAX_QUERY_CHARS, WHOLE, _spoken_numbers, query_words
from ivr.search.terms import EMPTY, Terms, phrase_words
from ivr.speech.normalize import drop_fillers, fold, primary_lang, tokenize

FOUND, NOT_FOUND, MISSING = "found", "not_found", "missing"
OUT_OF_STOCK = "out_of_stock"  # items answer, but none is in stock: said, then read
WIDE = 50  # items ranked before the attributes are checked ...
NARROW = 12  # ... or, when the caller stated none, before the matches are chosen
CONFIDENT = 0.7  # share of what the caller named that a match holds ...
WHOLE_FIELD = WHOLE  # ... or share of one of its fields said in order ...
WITH_FIELD = 0.3  # ... with at least this share of what was named
ALTERNATIVES = 3  # the best ranked items among which the closest is chosen
LOOKS_SAME = 0.88  # ... or what was said is, letter by letter, nearly one of its names
CLOSE = 0.4, 0.5, 0.65  # the best item, no match, is offered as the one alternative with
# this share of what was named, or of one of its fields, or likeness to one of its names
# (or when a one-word field of it, "The Moonstone", was said)
TIER = 0.1, 0.25  # a match this far below the best (said, field) is padding: not read
OTHER_NAME = 0.75  # a match below the tier that has what was stated is read when its name
# looks like what was said (the Latin "Aeneidos" for "the aeneid"), not when it merely
# shares a word ("polo shirt" for "green t shirts")
MAX_HAVE = 6  # values named in "we have it in ..."
MAX_NAMED = 8  # words of what the caller named, repeated in "I couldn't find ..."


# Words that join a work to its author, per language ("... by ...", "... de ...", "... lui
# ..."), and words that, before one, name no particular work ("what ... by", "novels by").
BY: dict[str, frozenset[str]] = {
    "en": frozenset({"by"}),
    "fr": frozenset({"de", "d", "par"}),
    "ro": frozenset({"de", "lui"}),
}
ANY_WORK: dict[str, frozenset[str]] = {
    "en": frozenset("what which whatever everything all novel novels story stories work works "
                    "poem poems poetry play plays title titles written read reading listen "
                    "latest new other more".split()),
    "fr": frozenset("quoi quel quels quelle quelles tout tous roman romans histoire histoires "
                    "oeuvre oeuvres ouvrage ouvrages poeme poemes poesie poesies piece pieces "
                    "titre titres ecrit ecrits lire ecouter dernier autre autres".split()),
    "ro": frozenset("ce care orice tot toate roman romane romanul romanele poveste povesti "
                    "povestile opera opere operele lucrare lucrari poezie poezii piesa piese "
                    "titlu titluri scris scrisa scrise citesc citi citeasca ascult asculta "
                    "ultima ultimul alta alte altceva".split()),
}


@dataclass(frozen=True)
class Want:
    """An attribute the caller stated: one of ``values`` (as the catalogue holds them)."""

    attribute: str
    values: frozenset[str]
    said: str  # the words the caller used for it
    # values whose phrase holds the one said ("navy blue" for "blue"): they satisfy it
    # only when no item that matches the rest has one of ``values``
    wider: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Asked:
    """The caller's words, understood."""

    query: str  # what to search the catalogue for
    named: str  # what the caller named, as said (for "I couldn't find ...")
    wants: tuple[Want, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What to say: the items to read (or the one alternative), and why."""

    verdict: str  # FOUND, NOT_FOUND or MISSING
    items: tuple[dict[str, Any], ...] = ()
    named: str = ""
    missing: tuple[str, str, tuple[str, ...]] | tuple[()] = ()  # attribute, value wanted, values there


@dataclass(frozen=True)
class Vocabulary:
    """The phrases ``understand`` looks for, longest first: attribute values and names."""

    phrases: tuple[tuple[tuple[str, ...], str, str], ...] = ()  # words, attribute|"", value
    cues: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    # A value whose own phrase is a word of another value's ("blue" in "navy blue"):
    # asked for, the other satisfies it when no item has the value itself (not for
    # codes: "small" is not "XS").
    broader: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    # phrases by their first word, and by that word's form keys: what a word may start
    by_first: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    # each attribute's values as the catalogue holds them: after a cue, "taille m" is M
    held: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def starting(self, word: str) -> list[tuple[tuple[str, ...], str, str]]:
        """The phrases that may start with ``word`` (in any form), longest first."""
        at = set(self.by_first.get(word, ()))
        for key in form_keys(word):
            at.update(self.by_first.get(key, ()))
        return [self.phrases[i] for i in sorted(at)]


def parts(value: Any) -> list[str]:
    """A field's values: "XS, S, M" -> ["xs", "s", "m"]; "book, audiobook" -> two."""
    text = fold(str(value or ""))
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip() and p.strip() != "-"]


def _said_alone(words: tuple[str, ...]) -> bool:
    """Whether a catalogue value can be recognised in speech on its own: "navy", "42",
    not "m" or "s" (those need a phrase in the terms file: "medium")."""
    text = "".join(words)
    return (text.isdigit() and len(text) >= 2) or sum(c.isalpha() for c in text) >= 3


def vocabulary(attributes: Mapping[str, Sequence[str]], rows: Iterable[Mapping[str, Any]],
               terms: Terms = EMPTY) -> Vocabulary:
    """The phrases for ``attributes`` (name -> its columns, the first holding the value the
    others name in other languages), from the values ``rows`` hold and ``terms``."""
    found: dict[tuple[tuple[str, ...], str], str] = {}
    held: dict[str, set[str]] = {}
    for row in rows:
        for name, columns in attributes.items():
            values = parts(row.get(columns[0]))
            held.setdefault(name, set()).update(values)
            for column in columns:
                said = parts(row.get(column))
                pairs = zip(said, values, strict=False) if len(said) == len(values) else (
                    (s, values[0]) for s in said) if len(values) == 1 else ()
                for spoken, value in pairs:
                    words = phrase_words(spoken)
                    if words and _said_alone(words):
                        found.setdefault((words, name), value)
    for name, table in terms.values.items():
        held.setdefault(name, set()).update(fold(value) for value in table)
        for value, phrases in table.items():
            for words in phrases:
                found[(words, name)] = fold(value)
    for value, phrases in terms.names.items():
        for words in phrases:
            found.setdefault((words, ""), value)
    ordered = sorted(((w, a, v) for (w, a), v in found.items()), key=lambda p: -len(p[0]))
    single = {(a, w[0]): v for w, a, v in ordered if a and len(w) == 1}
    broader: dict[tuple[str, str], set[str]] = {}
    for words, attribute, value in ordered:
        if not _said_alone((value,)):  # a code ("XS") is one exact value: "small" is not it
            continue
        for word in words if attribute and len(words) > 1 else ():
            other = single.get((attribute, word))
            if other is not None and other != value:
                broader.setdefault((attribute, other), set()).add(value)
    by_first: dict[str, list[int]] = {}
    for n, (words, _, _) in enumerate(ordered):
        for key in {words[0], *form_keys(words[0])}:
            by_first.setdefault(key, []).append(n)
    return Vocabulary(tuple(ordered), dict(terms.cues),
                      {k: frozenset(v) for k, v in broader.items()},
                      {k: tuple(v) for k, v in by_first.items()},
                      {k: frozenset(v) for k, v in held.items()})


def _numbers_as_digits(tokens: list[str], lang: str) -> tuple[list[str], list[list[str]]]:
    """Sizes said as words become digits: "taille quarante deux" -> "taille 42"; with each
    token, the words said for it (a number left unused is searched as said)."""
    out = list(tokens)
    said = [[t] for t in tokens]
    for number, words in _spoken_numbers(tokens, lang):
        if len(number) < 2:
            continue
        for i in range(len(out) - len(words) + 1):
            if out[i:i + len(words)] == words:
                out[i:i + len(words)] = [number]
                said[i:i + len(words)] = [list(words)]
                break
    return out, said


def _matches(tokens: Sequence[str], at: int, words: tuple[str, ...]) -> bool:
    if at + len(words) > len(tokens):
        return False
    return all(t == w or (not w.isdigit() and same_word(t, w))
               for t, w in zip(tokens[at:at + len(words)], words, strict=True))


def understand(speech: str, lang: str, known: Vocabulary) -> Asked:
    """What the caller asked for: constraints, the catalogue's names, the rest to search."""
    if len(speech) > MAX_QUERY_CHARS:
        speech = speech[:MAX_QUERY_CHARS].rsplit(None, 1)[0]
    code = primary_lang(lang)
    framing = {fold(w) for w in FRAMING.get(code, frozenset())}
    heard = drop_fillers(tokenize(speech, "xx"), code)
    tokens = [fold(t) for t in heard]
    # repeated to the caller as said, diacritics and all ("șapcă neagră", not "sapca neagra")
    named = " ".join([h for h, t in zip(heard, tokens, strict=True) if t not in framing][:MAX_NAMED])
    if not known.phrases:
        return Asked(speech, named)
    tokens, spoken = _numbers_as_digits(tokens, code)
    rest: list[str] = []
    wants: dict[str, tuple[set[str], list[str]]] = {}
    wider: dict[str, set[str]] = {}
    i = 0
    while i < len(tokens):
        cued = _cued(known, tokens, i, code)
        if cued is not None:  # "size 39": a value after its cue, even one no item has
            attribute, length, value = cued
            values, said = wants.setdefault(attribute, (set(), []))
            values.add(value)
            said.append(" ".join(tokens[i:i + length]))
            i += length
            continue
        for words, attribute, value in known.starting(tokens[i]):
            # a value that is only the words a request is framed with ("jules verne books
            # as audiobooks": "books" is the request's, not the format "book")
            if attribute and all(t in framing for t in tokens[i:i + len(words)]):
                continue
            if _matches(tokens, i, words):
                if attribute:
                    for cue in known.cues.get(attribute, ()):  # "size" in "size 42"
                        if len(rest) >= len(cue) and _matches(rest, len(rest) - len(cue), cue):
                            del rest[len(rest) - len(cue):]
                            break
                    start = i
                    if rest and rest[-1] in DOUBLE.get(code, ()) and value.startswith("x"):
                        rest.pop()  # "double extra large": the size after XL
                        value, start = "x" + value, i - 1
                    values, said = wants.setdefault(attribute, (set(), []))
                    values.add(value)
                    wider.setdefault(attribute, set()).update(
                        known.broader.get((attribute, value), ()))
                    said.append(" ".join(tokens[start:i + len(words)]))
                else:
                    rest += phrase_words(value)
                i += len(words)
                break
        else:
            rest += spoken[i]
            i += 1
    asked = tuple(Want(a, frozenset(v), " ".join(s), frozenset(wider.get(a, set()) - v))
                  for a, (v, s) in wants.items())
    return Asked(" ".join(rest), named, asked)


def _cued(known: Vocabulary, tokens: Sequence[str], at: int, lang: str = "en"
          ) -> tuple[str, int, str] | None:
    """(attribute, words used, value) when a cue is at ``at`` followed by a number or one of
    the attribute's values as the catalogue holds them: "taille 39", "taille m", "en xl",
    "mărimea ics el" (a code said letter by letter)."""
    for attribute, cues in known.cues.items():
        held = known.held.get(attribute, frozenset())
        for cue in cues:
            end = at + len(cue)
            if end >= len(tokens) or not _matches(tokens, at, cue):
                continue
            word = tokens[end]
            if word.isdigit() or word in held or (word.startswith("xx") and word[1:] in held):
                return attribute, len(cue) + 1, word  # ("en xxl" beside XL: the next size)
            spelled = _spelled(tokens, end, held, lang)
            if spelled is not None:
                return attribute, len(cue) + spelled[1], spelled[0]
    return None


# Letters as callers say them, per language: a size code said letter by letter ("em",
# "ics el"), and the words that double its X ("double extra large", "doi ics el").
LETTERS: dict[str, dict[str, str]] = {
    "en": {"ex": "x", "x": "x", "extra": "x", "es": "s", "ess": "s", "s": "s", "em": "m",
           "m": "m", "el": "l", "ell": "l", "l": "l"},
    "fr": {"ix": "x", "ixe": "x", "iks": "x", "x": "x", "extra": "x", "esse": "s", "es": "s",
           "s": "s", "emme": "m", "em": "m", "m": "m", "elle": "l", "el": "l", "l": "l"},
    "ro": {"ics": "x", "x": "x", "extra": "x", "es": "s", "s": "s", "em": "m", "m": "m",
           "el": "l", "l": "l"},
}
DOUBLE: dict[str, frozenset[str]] = {
    "en": frozenset({"double", "two", "2"}),
    "fr": frozenset({"double", "deux", "2"}),
    "ro": frozenset({"dublu", "doi", "2"}),
}
SIZE_WORDS = {"small": "s", "medium": "m", "large": "l"}  # after "extra": "extra large"


def _spelled(tokens: Sequence[str], at: int, held: frozenset[str], lang: str
             ) -> tuple[str, int] | None:
    """A code the catalogue holds (or one more X than one it holds: "XXL" beside "XL"), said
    letter by letter from ``at``: ("xl", 2) for "ics el"."""
    letters, double = LETTERS.get(lang, LETTERS["en"]), DOUBLE.get(lang, DOUBLE["en"])
    code, n = "", at
    if n < len(tokens) and tokens[n] in double:
        code, n = "x", n + 1
    while n < len(tokens) and n - at < 4:
        letter = letters.get(tokens[n]) or (SIZE_WORDS.get(tokens[n]) if code.endswith("x")
                                            else None)
        if letter is None:
            break
        code, n = code + letter, n + 1
    if not code or code[-1] == "x" or n == at:
        return None
    if code in held or (code.startswith("x") and code[1:] in held):
        return code, n - at
    return None


def search_words(asked: Asked, query: str, lang: str) -> list[str]:
    """The words to search the catalogue for: what is left of the query once the
    attributes are taken out, or, when that names nothing in particular ("what have you
    got in french"), the whole query (the values' own words find the items that have
    them)."""
    if asked.wants and not _named(asked.query, lang):
        return query_words(query, lang)
    return query_words(asked.query, lang) or query_words(query, lang)


def ranked_for(asked: Asked) -> int:
    """How many ranked items ``decide`` needs: enough to find those with every attribute
    stated further down, else only the best (the matches read are among them)."""
    return WIDE if asked.wants else NARROW


def is_match(row: Mapping[str, Any]) -> bool:
    """Whether an item holds what the caller named (``match.MATCH``; spelled: always)."""
    how = row.get(MATCH) or {}
    said, whole = float(how.get("said", 1.0)), float(how.get("field", 1.0))
    looks = float(how.get("looks", 0.0))
    # Every word heard, misheard perhaps, is not enough alone: a misheard word counts by
    # its likeness in ``said`` ("ben hur" is not "Au Bonheur des Dames").
    if how.get("other_number"):  # "part two" is not Part 1, however much else it holds
        return False
    if (how.get("strong") == 0 and len(how.get("heard") or ()) < 2
            and float(how.get("looks", 0.0)) < LOOKS_SAME):
        return False  # one word like that said: "hamlet" is not "The Story of the Amulet"
    return said >= CONFIDENT or (whole >= WHOLE_FIELD and said >= WITH_FIELD) or (
        looks >= LOOKS_SAME and said >= WITH_FIELD)


def _looks(row: Mapping[str, Any]) -> float:
    return float((row.get(MATCH) or {}).get("looks", 0.0))


def _how(row: Mapping[str, Any]) -> tuple[float, float]:
    how = row.get(MATCH) or {}
    return float(how.get("said", 1.0)), float(how.get("field", 1.0))


def satisfies(row: Mapping[str, Any], want: Want, columns: Sequence[str]) -> bool:
    """Whether an item has one of the values the caller wants for an attribute."""
    have = parts(row.get(columns[0])) if columns else []
    return any(h == v or (not v.isdigit() and same_word(h, v))
               for h in have for v in want.values)


def spoken_values(rows: Iterable[Mapping[str, Any]], attribute: str, columns: Sequence[str],
                  lang: str, terms: Terms = EMPTY) -> list[str]:
    """An attribute's values among ``rows`` as a caller of ``lang`` is told them: the terms
    file's phrase, else the column for that language ("colour_fr"), else the value."""
    code = primary_lang(lang)
    own = next((c for c in columns if c.endswith(f"_{code}")), None)
    out: list[str] = []
    for row in rows:
        values = parts(row.get(columns[0]))
        theirs = [p.strip() for p in str(row.get(own) or "").replace(";", ",").split(",")
                  if p.strip() and p.strip() != "-"] if own else []
        for n, value in enumerate(values):
            text = terms.spoken(attribute, value) or (
                theirs[n] if len(theirs) == len(values) else "") or value
            if text not in out:
                out.append(text)
    return out[:MAX_HAVE]


def decide(rows: Sequence[Mapping[str, Any]], asked: Asked,
           attributes: Mapping[str, Sequence[str]], limit: int, lang: str = "en",
           terms: Terms = EMPTY, in_stock: str = "") -> Decision:
    """The items to read for ``asked`` among ``rows`` (ranked, best first). With an
    ``in_stock`` column, those in stock come first; when none is, the verdict says so."""
    apart = named_apart(asked.query, lang)
    named = _named(asked.query, lang)
    matches = [r for r in rows if is_match(r) and not _other_work(r, apart)
               and not _beside(r, named)]
    wants = [_widened(w, matches or rows, attributes[w.attribute])
             for w in asked.wants if w.attribute in attributes]

    def keeps(row: Mapping[str, Any], skip: Want | None = None) -> bool:
        return all(satisfies(row, w, attributes[w.attribute]) for w in wants if w is not skip)

    if wants and not named:  # "books in romanian", "what have you in french": attributes alone
        having = [r for r in rows if keeps(r)]
        if having:
            return _found(having, limit, asked, in_stock)
    if not matches:
        looks = _looks
        close = [r for r in [r for r in rows if keeps(r)][:ALTERNATIVES] if (
            _how(r)[0] >= CLOSE[0] or _how(r)[1] >= CLOSE[1] or looks(r) >= CLOSE[2]
            or float((r.get(MATCH) or {}).get("single", 0.0)) >= 1.0)]
        close.sort(key=lambda r: -max(_how(r)[0], looks(r)))  # stable: rank breaks ties
        return Decision(NOT_FOUND, tuple(_clean(r) for r in close[:1]), asked.named)
    said, whole = max(_how(r) for r in matches)  # the best said, then the most whole
    tier = [r for r in matches if _how(r)[0] >= said - TIER[0] and _how(r)[1] >= whole - TIER[1]]
    kept = [r for r in tier if keeps(r)] or [
        r for r in matches if keeps(r) and _looks(r) >= OTHER_NAME]
    if kept:
        return _found(kept, limit, asked, in_stock)
    for want in wants:  # the first attribute that the others leave some items without
        others = [r for r in tier if keeps(r, skip=want)]
        if others:
            have = spoken_values(others, want.attribute, attributes[want.attribute], lang, terms)
            return Decision(MISSING, (), _rest(asked), (want.attribute, want.said, tuple(have)))
    want = wants[0]
    have = spoken_values(tier, want.attribute, attributes[want.attribute], lang, terms)
    return Decision(MISSING, (), _rest(asked), (want.attribute, want.said, tuple(have)))


def _found(rows: Sequence[Mapping[str, Any]], limit: int, asked: Asked, in_stock: str
           ) -> Decision:
    """The first ``limit`` of ``rows``, those in stock first; when none is, the verdict
    says so ("black baseball cap": there is one, and none is left)."""
    if in_stock:
        stocked = [r for r in rows if parts(r.get(in_stock))]
        if not stocked:
            return Decision(OUT_OF_STOCK, tuple(_clean(r) for r in rows[:limit]), asked.named)
        rows = stocked + [r for r in rows if not parts(r.get(in_stock))]
    return Decision(FOUND, tuple(_clean(r) for r in rows[:limit]), asked.named)


def _widened(want: Want, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Want:
    """``want`` taking in its wider values ("navy blue" for "blue") when none of ``rows``
    has one of its own: "blue backpack" reads the blue one, not the navy one first; "blue
    rain jacket", where none is blue, reads the navy one."""
    if not want.wider or any(satisfies(r, want, columns) for r in rows):
        return want
    return Want(want.attribute, want.values | want.wider, want.said)


def named_apart(query: str, lang: str) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Each way ``query`` names a work and its author apart: the words worth searching
    before and after one of the language's "by" words, when both sides have some and the
    side before names a particular work (not "what ... by", "novels de ...")."""
    code = primary_lang(lang)
    joins, any_work = BY.get(code, frozenset()), ANY_WORK.get(code, frozenset())
    tokens = query.split()
    out = []
    for at, token in enumerate(tokens):
        if token in joins and 0 < at < len(tokens) - 1:
            work = frozenset(_plain(" ".join(tokens[:at]), lang)) - any_work
            author = frozenset(_plain(" ".join(tokens[at + 1:]), lang))
            if work and author:
                out.append((work, author))
    return out


def _other_work(row: Mapping[str, Any], apart: Sequence[tuple[frozenset[str], frozenset[str]]]
                ) -> bool:
    """Whether ``row`` holds one side of a work and its author named apart but nothing of the
    other: another work by that author, or that title by someone else."""
    heard = (row.get(MATCH) or {}).get("heard")
    if heard is None:  # spelled on the keypad, or an HTTP catalogue's own ranking
        return False
    held = set(heard)
    return any((author <= held and bool(work - held)) or (work <= held and not author & held)
               for work, author in apart)


def _plain(text: str, lang: str) -> list[str]:
    """The words of ``text`` worth searching, as said (no alternatives), in order."""
    return [w for w in query_words(text, lang) if "=" not in w]


def _named(query: str, lang: str) -> tuple[str, ...]:
    """The plain words of ``query`` worth searching that may name a particular work, in
    the order said."""
    any_work = ANY_WORK.get(primary_lang(lang), frozenset())
    return tuple(w for w in _plain(query, lang) if w not in any_work and not function_word(w))


def _beside(row: Mapping[str, Any], named: Sequence[str]) -> bool:
    """Whether words ``row`` lacks entirely were all said before the words it holds, and
    none of its heaviest fields (its title) was said whole: "redgauntlet walter scott" names
    a work, then its author, not his others; "the adventures of sherlock holmes" is not "The
    Return of Sherlock Holmes"; "my son wants treasure island" and "little women for my
    daughter" name no other work."""
    how = row.get(MATCH) or {}
    heard = how.get("heard")
    if heard is None or how.get("lead"):  # its title said whole: words before are a sentence's
        return False
    held = [n for n, w in enumerate(named) if w in heard]
    lacked = [n for n, w in enumerate(named) if w not in heard]
    return bool(held and lacked) and max(lacked) < min(held)


def _rest(asked: Asked) -> str:
    """What the caller named, without the attributes they stated ("jeans", not "black jeans")."""
    said = {w for want in asked.wants for w in want.said.split()}
    words = [w for w in asked.named.split() if fold(w) not in said]
    while words and function_word(fold(words[-1])):  # "oliver twist in" (large print)
        words.pop()
    return " ".join(words) or asked.named


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != MATCH}
