"""Every `make bench-*` target runs here at a tiny size, in seconds, so a benchmark that
breaks fails the build; the full sizes stay for measurement (docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from ivr.migrations import upgrade
from tests.conftest import OPEN_TIME, ROOT, TOKEN, Clock, make_app, shutdown

# Per script: the arguments of a tiny run. The test below checks every script a
# `bench-*` target of the Makefile runs is here.
SMOKE = {
    "bench_menus.py": ["--limit", "2"],
    "bench_online.py": ["--tiny"],
    "bench_capacity.py": ["--tiny", "--workers", "1"],  # one worker boots in half the time
    "bench_queue.py": ["--tiny"],
    "bench_speech.py": ["--quick", "--banking77", "{banking77}"],
    "bench_step.py": ["--requests", "30"],
    "bench_wordpiece.py": ["--banking77", "{banking77}", "--rounds", "1", "--model-limit", "2"],
    "bench_analytics.py": ["--steps", "3000", "--runs", "1"],
    "bench_rollup.py": ["--lengths", "5", "20", "--repeat", "3", "--batches", "2"],
    "bench_load.py": ["--seconds", "1", "--warmup", "1", "--rounds", "2", "--connections", "4",
                      "--sqlite-only", "--mix", "keyed", "--workers", "1"],
    "bench_menu_scale.py": ["--nodes", "60", "--repeat", "1"],
    "bench_search.py": ["--scale", "300", "--rounds", "1", "--no-postgres"],
    "bench_search_served.py": ["--tiny"],
}
WRITES_NOTHING = {"bench_speech.py"}  # --quick prints its table only


def bench_scripts() -> set[str]:
    """The scripts the Makefile's bench-* targets run."""
    scripts: set[str] = set()
    target = ""
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([\w-]+):", line):
            target = match.group(1)
        elif line.startswith("\t") and target.startswith("bench-"):
            scripts |= set(re.findall(r"benchmarks/(\w+\.py)", line))
    return scripts


def test_every_benchmark_target_has_a_tiny_run() -> None:
    assert bench_scripts() == set(SMOKE)


def banking77_sample(folder: Path) -> Path:
    """Banking77's layout (train.csv, test.csv: text,category) with three intents."""
    folder.mkdir()
    rows = {"card_arrival": ["where is my new card", "my card has not arrived yet",
                             "when will the card come"],
            "exchange_rate": ["what is the exchange rate", "how much is a euro in dollars",
                              "rate for pounds today"],
            "lost_or_stolen_card": ["i lost my card", "my card was stolen", "someone took my card"]}
    for name, part in (("train.csv", slice(0, 2)), ("test.csv", slice(2, 3))):
        lines = ["text,category"] + [f"{text},{intent}" for intent, texts in rows.items()
                                     for text in texts[part]]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("script", sorted(SMOKE))
def test_the_benchmark_runs_at_a_tiny_size(script: str, tmp_path: Path) -> None:
    if script == "bench_load.py" and shutil.which("wrk") is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is missing: the load benchmark must run in CI (.ci/run installs it)")
        pytest.skip("wrk is not installed (apt-get install wrk); CI installs it")
    args = SMOKE[script]
    if "{banking77}" in args:
        sample = banking77_sample(tmp_path / "banking77")
        args = [arg.format(banking77=sample) for arg in args]
    out = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if k != "IVR_BENCH_POSTGRES_URL"}
    env["IVR_INSTANCE_DIR"] = str(tmp_path / "instance")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args,
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    if script in WRITES_NOTHING:
        assert "top1" in done.stdout.lower() or "k=" in done.stdout.lower(), done.stdout[-2000:]
    else:
        figures = json.loads(out.read_text(encoding="utf-8"))
        assert figures, "the benchmark wrote no figures"
        if script == "bench_capacity.py":
            check_capacity(figures, done.stdout)
        if script == "bench_search_served.py":
            check_search_served(figures, done.stdout)
    if script == "bench_load.py":
        (figures,) = json.loads(out.read_text(encoding="utf-8"))["results"]
        # The goal's mix: every answer a key press, and the rounds' throughput compared.
        assert figures["mix"] == "keyed" and figures["mix_spoken_steps"] == 0
        assert len(figures["runs"]["app"]) == 2 and min(figures["runs"]["app"]) > 0
        first, last = figures["runs"]["app"]
        assert figures["last_round_vs_first"] == pytest.approx(last / first - 1, abs=0.002)
        assert figures["journey_steps_stored"] >= figures["mix_steps"]


def check_search_served(figures: dict[str, Any], stdout: str) -> None:
    """Searches of an imported catalogue were sent at each rate, then at half the best one
    carried, and timed by gunicorn."""
    (result,) = figures["results"]
    assert result["database"] == "sqlite" and result["items"] == 2000
    assert result["searches_walked"] == 20
    assert [row["rate"] for row in result["rates"]] == [10]
    for row in [*result["rates"], result["at_half"]]:
        assert row["samples"] > 0 and row["spoken_share"] == 1  # every request a search
        assert row["server_p50_ms"] <= row["server_p99_ms"] <= row["answer_p99_ms"]
    assert result["at_half"]["rate"] == result["half_capacity_rate"] > 0
    assert stdout.strip().splitlines()[-1].startswith("SEARCH sqlite: 2,000 items")


def check_capacity(figures: dict[str, Any], stdout: str) -> None:
    """Each mix was sent at each rate, timed by gunicorn, and the keyed capacity kept."""
    assert set(figures["keyed_capacity_steps_per_s"]) == {"sqlite"}
    assert [r["mix"] for r in figures["results"]] == ["keyed", "spoken"]
    for result in figures["results"]:
        spoken = result["walked_spoken_share"]  # of all the walked calls' requests
        assert spoken == 0 if result["mix"] == "keyed" else 0.15 <= spoken <= 0.25
        assert [row["rate"] for row in result["rates"]][:1] == [10]
        for row in result["rates"]:
            assert row["samples"] > 0  # gunicorn logged the measured requests by their ids
            assert row["server_p50_ms"] <= row["server_p99_ms"] <= row["answer_p99_ms"]
            if result["mix"] == "keyed":
                assert row["spoken_share"] == 0 and "spoken_samples" not in row
            elif row["spoken_share"] > 0:  # the spoken requests' own times, beside the mix's
                assert row["spoken_samples"] == round(row["spoken_share"] * row["samples"])
                assert row["spoken_server_p50_ms"] <= row["spoken_server_p99_ms"] \
                    <= row["spoken_answer_p99_ms"]
    assert stdout.strip().splitlines()[-1].startswith("CAPACITY at p99 <= 100 ms")


def run_online(tmp_path: Path, mode: str) -> tuple[dict[str, Any], Any]:
    """bench_online.py in ``mode``, tiny: its figures and the finished process."""
    out = tmp_path / "result.json"
    env = {**os.environ, "IVR_INSTANCE_DIR": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_online.py"),
                           mode, "--tiny", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(out.read_text(encoding="utf-8")), done


def test_the_online_benchmark_reads_gunicorns_own_times(tmp_path: Path) -> None:
    """--gunicorn: every request is served by gunicorn and timed from its access log."""
    figures, _ = run_online(tmp_path, "--gunicorn")
    assert figures["server"].startswith("gunicorn")
    for name in ("page", "search", "text"):
        # One logged duration per request sent: gunicorn served and logged every one. An
        # answer it logged that this client then lost on a closing connection (seen once
        # in a while on a loaded machine) is counted apart, never as a server's error.
        kinds = figures[name]["error_kinds"]
        lost = sum(count for kind, count in kinds.items()
                   if kind.startswith("answer not received (logged 2"))
        assert figures[name]["samples"] + lost == 40, kinds
        assert figures[name]["samples"] > 0
        assert 0 < figures[name]["p50_ms"] <= figures[name]["p99_ms"] <= figures[name]["max_ms"]


def test_the_online_benchmark_measures_the_cpu_of_an_answer(tmp_path: Path) -> None:
    """--cpu: a text and a typed question per language, each timed, and the most texts a
    second the cores could answer worked out from them."""
    figures, done = run_online(tmp_path, "--cpu")
    for kind in ("text", "search"):
        assert set(figures[kind]) == {"en", "fr", "ro"}
        for row in figures[kind].values():
            assert row["n"] == 5 and 0 < row["cpu_p50_ms"] <= row["cpu_p99_ms"]
    mean = sum(r["cpu_mean_ms"] for r in figures["text"].values()) / 3
    assert figures["most_texts_per_s_on_these_cores"] == pytest.approx(
        figures["cores"] * 1000 / mean, rel=0.01)
    assert "TEXTS:" in done.stdout


def test_the_keyed_load_mix_presses_keys_where_the_mixed_one_speaks(tmp_path: Path) -> None:
    """The same walk of calls, with every spoken answer replaced by key presses."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from load_mix import walk_calls

    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    upgrade(url)
    app = make_app(url, tmp_path, Clock(OPEN_TIME))
    try:
        walked = {mix: walk_calls(app, TOKEN, "http://localhost", ["+15005550001"], calls=30,
                                  mix=mix) for mix in ("mixed", "keyed")}
    finally:
        shutdown(app)
    for mix, requests in walked.items():
        paths = [r.path.split("?")[0] for r in requests]
        assert paths.count("/voice") == 30 and paths.count("/voice/status") == 30, mix
        assert all(r.signature for r in requests)
    spoken = {mix: sum("SpeechResult=" in r.body for r in requests)
              for mix, requests in walked.items()}
    keys = {mix: sum("Digits=" in r.body for r in requests) for mix, requests in walked.items()}
    assert spoken["mixed"] > 0 and spoken["keyed"] == 0
    assert keys["keyed"] > keys["mixed"]
    # Side by side, as Twilio would send them: every call's first request, then the second...
    firsts = walked["keyed"][:30]
    assert all(r.path == "/voice" for r in firsts)
    assert len({parse_qs(r.body)["CallSid"][0] for r in firsts}) == 30
    with pytest.raises(ValueError, match="unknown mix"):
        walk_calls(app, TOKEN, "http://localhost", ["+15005550001"], calls=1, mix="spoken")
