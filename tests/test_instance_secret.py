"""The generated secret key: processes starting together all end up with the same one."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from ivr import config


def test_a_process_that_loses_the_race_uses_the_winners_secret(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def other_process_writes_first(_bytes: int) -> str:
        # Between this process's look for the file and its write, another one wrote it.
        (tmp_path / "secret_key").write_text("b" * 32 + "\n")
        return "a" * 32

    monkeypatch.setattr(config.secrets, "token_hex", other_process_writes_first)
    assert config.instance_secret(tmp_path, "secret_key") == "b" * 32
    assert (tmp_path / "secret_key").read_text() == "b" * 32 + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no temporary left


def test_the_secret_file_is_private_and_kept(tmp_path: Path) -> None:
    first = config.instance_secret(tmp_path, "secret_key")
    assert len(first) == 32
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert config.instance_secret(tmp_path, "secret_key") == first


def _start(folder: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    barrier.wait()
    out.put(config.instance_secret(Path(folder), "secret_key"))


def test_processes_starting_together_agree(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(8), context.Queue()
    workers = [context.Process(target=_start, args=(str(tmp_path), barrier, out)) for _ in range(8)]
    for worker in workers:
        worker.start()
    values = {out.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join(30)
    assert values == {(tmp_path / "secret_key").read_text().strip()}
