"""Phrase vectors kept on disk between restarts (ivr.speech.vectorfile): a starting worker
embeds only what is new, never keeps a caller's words, and a broken cache fails nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ivr import config as cfg
from ivr.speech import vectorfile
from ivr.speech.encoders import Encoder
from ivr.speech.vectorfile import keep_vectors_in
from tests.conftest import VECTORS


class Model:
    """A stand-in model that counts the texts it is asked to embed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> Any:
        self.seen += texts
        return np.stack([np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8)
                         .astype(np.float32) - 100.0 for t in texts])


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "vectors"
    keep_vectors_in(folder)
    yield folder
    keep_vectors_in(VECTORS)  # the suite's own folder again


def encoder(model: Model, identity: str | None = "demo:abc") -> Encoder:
    return Encoder("demo", model, "numpy", identity)


def test_a_restarted_worker_reuses_the_vectors_and_runs_the_model_only_on_new_texts(
        kept: Path) -> None:
    first_model = Model()
    first = encoder(first_model).encode(["opening hours", "returns and refunds"])
    assert first_model.seen == ["opening hours", "returns and refunds"]
    keep_vectors_in(kept)  # a new process: nothing in memory, only the files
    restarted_model = Model()
    again = encoder(restarted_model).encode(["opening hours", "returns and refunds", "gift cards"])
    assert restarted_model.seen == ["gift cards"]
    assert np.array_equal(again[:2], first)  # the same vectors, bit for bit
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0)


def test_callers_words_are_never_kept(kept: Path) -> None:
    encoder(Model()).encode(["my parcel never came"], remember=False)
    keep_vectors_in(kept)
    model = Model()
    encoder(model).encode(["my parcel never came"], remember=False)
    assert model.seen == ["my parcel never came"]
    assert not list(kept.rglob("*.npz"))


def test_other_weights_never_reuse_the_vectors(kept: Path) -> None:
    encoder(Model(), "demo:abc").encode(["opening hours"])
    keep_vectors_in(kept)
    other, unnamed = Model(), Model()
    encoder(other, "demo:def").encode(["opening hours"])
    encoder(unnamed, None).encode(["opening hours"])  # a model file without a pinned checksum
    assert other.seen == ["opening hours"] and unnamed.seen == ["opening hours"]


def test_a_torn_file_is_skipped_and_its_texts_embedded_again(kept: Path) -> None:
    encoder(Model()).encode(["opening hours"])
    (file,) = kept.rglob("*.npz")
    file.write_bytes(file.read_bytes()[:40])
    keep_vectors_in(kept)
    model = Model()
    encoder(model).encode(["opening hours"])
    assert model.seen == ["opening hours"]


def test_a_folder_that_cannot_be_written_leaves_the_cache_off(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    keep_vectors_in(blocker / "vectors")
    try:
        model = Model()
        vecs = encoder(model).encode(["opening hours", "returns"])
        assert vecs.shape == (2, 32) and model.seen == ["opening hours", "returns"]
    finally:
        keep_vectors_in(VECTORS)


def test_many_small_files_are_merged_into_one(kept: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(vectorfile, "MERGE_AT", 3)
    for i in range(3):
        keep_vectors_in(kept)  # three processes, one file each
        encoder(Model()).encode([f"phrase {i}"])
    assert len(list(kept.rglob("*.npz"))) == 1
    keep_vectors_in(kept)
    model = Model()
    encoder(model).encode([f"phrase {i}" for i in range(3)])
    assert model.seen == []


def test_the_cache_lives_in_the_instance_folder_unless_configured(tmp_path: Path) -> None:
    assert cfg.vectors_root({}, tmp_path) == tmp_path / "vectors"
    assert cfg.vectors_root({"IVR_EMBED_CACHE": "off"}, tmp_path) is None
    assert cfg.vectors_root({"IVR_EMBED_CACHE": str(tmp_path / "v")}, tmp_path) == tmp_path / "v"


def test_a_merge_keeps_at_most_the_newest_vectors(kept: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(vectorfile, "MERGE_AT", 3)
    monkeypatch.setattr(vectorfile, "MAX_VECTORS", 2)
    for i in range(3):
        keep_vectors_in(kept)
        encoder(Model()).encode([f"phrase {i}"])
    keep_vectors_in(kept)
    model = Model()
    encoder(model).encode([f"phrase {i}" for i in range(3)])
    assert model.seen == ["phrase 0"]  # the oldest was dropped, the two newest kept
