"""Split a blind search file into its dev and test halves, stratified by kind.

Within each kind, queries are ordered by the SHA-256 of their text and dealt alternately
to dev and test (dev first): each half holds about half of every kind (the queries for
items the catalogue lacks, those naming an attribute...), the split depends on the text
alone, so anyone can redo it, and nobody chooses which query lands in which half.

Run: python benchmarks/split_search.py FILE.jsonl... --out benchmarks/data/search/<set>
(appends each file's halves to <out>/dev/search_<lang>.jsonl and <out>/test/..., the
language taken from the file name's last part: library_en.jsonl -> search_en.jsonl).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from split_halves import deal


def split(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(dev, test): each kind's queries ordered by the text's SHA-256, dealt alternately."""
    return deal(rows, lambda r: r["kind"], "query")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    for half in ("dev", "test"):
        (args.out / half).mkdir(parents=True, exist_ok=True)
    for path in args.files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
        lang = path.stem.rsplit("_", 1)[-1]
        for half, part in zip(("dev", "test"), split(rows), strict=True):
            with (args.out / half / f"search_{lang}.jsonl").open("a", encoding="utf-8") as out:
                out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
            print(f"{path.name} -> {half}/search_{lang}.jsonl: {len(part)} queries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
