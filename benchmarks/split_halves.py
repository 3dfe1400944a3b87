"""Split a blind callers' file into its dev and test halves, as every set here was split.

Within each (at, expect) group, utterances are ordered by the SHA-256 of their text and
dealt alternately to dev and test (dev first): the split depends on the text alone, so
anyone can redo it, and nobody chooses which utterance lands in which half.

Run: python benchmarks/split_halves.py FILE.jsonl... --out benchmarks/data/callers/<set>
(writes <out>/dev/<name> and <out>/test/<name>; the test half is measured once, at the end).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

Row = TypeVar("Row", bound=Mapping[str, Any])


def deal(rows: Sequence[Row], group: Callable[[Row], Any],
         text: str) -> tuple[list[Row], list[Row]]:
    """(dev, test): each group's rows ordered by the SHA-256 of their ``text`` field, dealt
    alternately, dev first."""
    groups: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        groups[group(row)].append(row)
    dev: list[Row] = []
    test: list[Row] = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda r: hashlib.sha256(r[text].encode()).hexdigest())
        for i, row in enumerate(ordered):
            (dev if i % 2 == 0 else test).append(row)
    return dev, test


def split(rows: Sequence[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(dev, test): each (at, expect) group ordered by the text's SHA-256, dealt alternately."""
    return deal(rows, lambda r: (r["at"], r["expect"]), "text")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    for path in args.files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
        for half, part in zip(("dev", "test"), split(rows), strict=True):
            folder = args.out / half
            folder.mkdir(parents=True, exist_ok=True)
            (folder / path.name).write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
            print(f"{folder / path.name}: {len(part)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
