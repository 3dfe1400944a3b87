"""What callers say to the demo menus and to menus nobody tuned, through the engine.

Data: benchmarks/data/callers/dev/*.jsonl (and, with --final only, .../test/*.jsonl),
one line per utterance: {"menu": "shop", "lang": "en", "at": "main", "text": "...",
"expect": "tracking"}; ``expect`` is a node id, ``_goodbye`` (the caller ends the call) or
``_none`` (nothing in the menu serves it). The demo menus are menus/<menu>.yaml; the menus
nobody tuned (written by an operator from the docs alone) are
benchmarks/data/blind_menus/<menu>.yaml. The dev half is for tuning; the test half is
measured once, at the end, and reported apart.

Every utterance goes through the real engine at the node ``at`` (benchmarks/caller_outcomes.py
says how each first turn is classified). Per menu and language: straight, resolved,
wrong-straight, same-question-again, one-menu-too-high, ended-wrongly, each with its 95 %
Wilson interval, and the spoken step's server time and CPU (p50/p99). Writes
benchmarks/results/callers.json.

--learn measures the *Not understood* page's learning loop (benchmarks/learning_loop.py):
one part of the utterances is fed as if callers had said it, the page's suggestions are
taken as an admin would (the right ones accepted, wrong ones corrected by choosing), the
accepted wordings become phrases of a new version of the menu, and another part is
measured before and after. Without --final both parts come from the dev half (each menu
and language's dev utterances split in two with --seed); with --final the whole dev half
is learned from and the test half measured.
Run: .venv/bin/python benchmarks/bench_menus.py [--final] [--matcher lexical|hybrid] [-v]
     .venv/bin/python benchmarks/bench_menus.py --learn [--seed 21] [--data ...]
     .venv/bin/python benchmarks/bench_menus.py --menu some.yaml --utterances a.jsonl b.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from caller_outcomes import RATES, measure  # noqa: E402
from learning_loop import learn, split  # noqa: E402

from ivr.menu.loader import load_menu, load_text  # noqa: E402
from ivr.menu.model import Menu  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "callers"
MENU_DIRS = (ROOT / "menus", ROOT / "benchmarks" / "data" / "blind_menus")
RESULTS = ROOT / "benchmarks" / "results" / "callers.json"


def read_files(paths: Sequence[Path], limit: int | None = None) -> list[dict[str, str]]:
    """Every utterance of the given files, in order; at most ``limit`` a file."""
    rows = []
    for path in paths:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows += [json.loads(line) for line in lines[:limit]]
    return rows


def read(half: str, limit: int | None = None, data: Path = DATA) -> list[dict[str, str]]:
    """Every utterance of one half (dev or test), in file order; at most ``limit`` a file."""
    return read_files(sorted((data / half).glob("*.jsonl")), limit)


def menu_file(name: str) -> Path:
    """A demo menu, or one of the menus nobody tuned."""
    for folder in MENU_DIRS:
        if (folder / f"{name}.yaml").exists():
            return folder / f"{name}.yaml"
    raise SystemExit(f"no menu file for {name!r} in {', '.join(str(d) for d in MENU_DIRS)}")


def warm(menu: Menu) -> None:
    """Build the routing indexes as a menu version does when it loads."""
    from ivr.nodes.directory import warm as build

    build(menu)


def evaluate(rows: Sequence[dict[str, str]], half: str,
             menus: dict[str, Menu] | None = None) -> list[dict[str, Any]]:
    """Figures per menu and language for one half."""
    menus = dict(menus or {})
    for name in sorted({r["menu"] for r in rows} - set(menus)):
        menus[name] = load_menu(menu_file(name))
    for menu in menus.values():
        warm(menu)
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[(row["menu"], row["lang"])].append(row)
    return [measure(menus[name], groups[(name, lang)], f"{half}-{name}-{lang}")
            for name, lang in sorted(groups)]


def _by_menu_lang(rows: Sequence[dict[str, str]]) -> dict[tuple[str, str], list[dict[str, str]]]:
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[(row["menu"], row["lang"])].append(row)
    return groups


def learning(data: Path, limit: int | None, seed: int, final: bool) -> list[dict[str, Any]]:
    """Before and after the learning loop, per menu and language: learned from one part,
    measured on another (dev split in two, or with ``final`` dev then test)."""
    dev = _by_menu_lang(read("dev", limit, data))
    if final:
        taught, measured, tag = dev, _by_menu_lang(read("test", limit, data)), "test"
    else:
        parts = {key: split(rows, seed) for key, rows in dev.items()}
        taught = {key: part[0] for key, part in parts.items()}
        measured = {key: part[1] for key, part in parts.items()}
        tag = f"dev{seed}"
    if data.name != DATA.name:  # another set of the same menus (callers/fresh): named apart
        tag = f"{data.name}-{tag}"
    records: list[dict[str, Any]] = []
    for name in sorted({m for m, _ in measured}):
        path = menu_file(name)
        menu, text = load_menu(path), path.read_text(encoding="utf-8")
        done: dict[str, Any] = {}
        for lang in sorted(lang for m, lang in taught if m == name):
            text, done[lang] = learn(menu, text, taught[(name, lang)])
        after = load_text(text, str(path), default_id=menu.id)
        warm(menu)
        warm(after)
        for lang in sorted(lang for m, lang in measured if m == name):
            rows = measured[(name, lang)]
            records.append(measure(menu, rows, f"before-{tag}-{name}-{lang}"))
            record = measure(after, rows, f"learned-{tag}-{name}-{lang}")
            if lang in done:
                record["loop"] = done[lang].record()
            records.append(record)
    return records


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate, print a table per half, write the results."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--final", action="store_true", help="also measure the test half")
    ap.add_argument("--matcher", default="auto", help="auto (live default), lexical or hybrid")
    ap.add_argument("--menu", type=Path, help="a menu file (with --utterances)")
    ap.add_argument("--utterances", type=Path, nargs="*", default=[],
                    help="utterance files (.jsonl) said to --menu")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--limit", type=int, default=None,
                    help="at most this many utterances a file (a quick run that checks the script)")
    ap.add_argument("--data", type=Path, default=DATA,
                    help="a folder with dev/ and test/ halves (default: the first blind set and the "
                         "menus nobody tuned; the demo menus' fresh set is callers/fresh)")
    ap.add_argument("--learn", action="store_true",
                    help="measure before and after the Not understood page's learning loop")
    ap.add_argument("--seed", type=int, default=21,
                    help="with --learn: how the dev half is split in two (learned / measured)")
    args = ap.parse_args(argv)
    from ivr.speech import use_matcher

    matcher = use_matcher(args.matcher)
    records: list[dict[str, Any]] = []
    if args.learn:
        records += learning(args.data, args.limit, args.seed, args.final)
    elif args.menu is not None:
        menu = load_menu(args.menu)
        rows = [{**r, "menu": menu.id} for r in read_files(args.utterances, args.limit)]
        records += evaluate(rows, "file", {menu.id: menu})
    else:
        for half in ["dev", "test"] if args.final else ["dev"]:
            rows = read(half, args.limit, args.data)
            if not rows:
                print(f"no utterances in {args.data / half}")
                continue
            records += evaluate(rows, half)
    print(f"matcher: {matcher}")
    short = {"straight": "straight", "resolved": "resolved", "wrong_straight": "wrong",
             "same_question": "again", "one_menu_too_high": "tooHigh", "ended_wrongly": "ended"}
    width = max([18, *(len(r["dataset"]) for r in records)])
    print(f"{'dataset':<{width}} {'n':>4} " + " ".join(f"{short[r]:>15}" for r in RATES)
          + "  server p50/p99 ms   cpu p50/p99 ms")
    for r in records:
        cells = " ".join(f"{r[k]:>5.3f} [{r[k + '_ci'][0]:.2f}-{r[k + '_ci'][1]:.2f}]"
                         for k in RATES)
        print(f"{r['dataset']:<{width}} {r['n']:>4} {cells}  {r['server_p50_ms']:>6}/{r['server_p99_ms']:<7}"
              f"  {r['cpu_p50_ms']:>6}/{r['cpu_p99_ms']}")
        if "loop" in r:
            print("    loop: " + ", ".join(f"{k} {v}" for k, v in r["loop"].items()))
        if args.verbose:
            for miss in r["misses"]:
                print(f"    {miss}")
    clean = [{**{k: v for k, v in r.items() if k != "misses"}, "matcher": matcher}
             for r in records]
    existing = json.loads(args.out.read_text()) if args.out.exists() else []
    done = {(r["dataset"], r["matcher"]) for r in clean}
    kept = [r for r in existing if (r.get("dataset"), r.get("matcher")) not in done]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(kept + clean, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
