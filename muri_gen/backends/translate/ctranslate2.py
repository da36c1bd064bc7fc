"""CTranslate2: the fast CPU/GPU path for the same model families (NLLB, MADLAD, M2M-100, opus-mt).

The model is a folder converted once with CTranslate2's converter, e.g.
``ct2-transformers-converter --model facebook/nllb-200-distilled-600M --output_dir nllb-ct2
--quantization int8 --copy_files tokenizer.json tokenizer_config.json``; the tokenizer comes from
that folder (or ``tokenizer``, a Hub id or folder). Languages are handled as in the transformers
backend: the target code is the forced first target token, MADLAD's ``<2xx>`` a source prefix.
"""
from __future__ import annotations

import os

from pydantic import Field

from muri_gen.backends.translate.transformers import Seq2SeqConfig, Seq2SeqTranslator
from muri_gen.optional import require


class CTranslate2Config(Seq2SeqConfig):
    tokenizer: str | None = Field(default=None, description="default: the converted model folder")
    compute_type: str = Field(default="default", description="int8, int8_float16, float16, bfloat16, float32 ...")
    intra_threads: int = Field(default=0, ge=0, description="0: CTranslate2's default (all cores)")


class CTranslate2Translator(Seq2SeqTranslator):
    name = "ctranslate2"
    Config = CTranslate2Config

    def __init__(self, config: CTranslate2Config, context=None):
        super().__init__(config, context)
        self._translator = None

    @property
    def tokenizer_source(self) -> str:
        return self.config.tokenizer or self.config.model

    def describe(self) -> dict:
        return {**super().describe(), "compute_type": self.config.compute_type}

    def setup(self) -> None:
        if self._translator is not None:
            return
        ctranslate2 = require("ctranslate2", "the ctranslate2 translator")
        if not os.path.isfile(os.path.join(self.config.model, "model.bin")):
            raise FileNotFoundError(f"{self.config.model} is not a CTranslate2 model folder (no model.bin); convert it first")
        device, _, index = self.config.device.partition(":")
        self._translator = ctranslate2.Translator(
            self.config.model, device=device, device_index=int(index or 0),
            compute_type=self.config.compute_type, intra_threads=self.config.intra_threads,
        )

    def teardown(self) -> None:
        self._translator = None

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        self.setup()
        tokenizer = self.tokenizer
        source = [tokenizer.convert_ids_to_tokens(tokenizer.encode(t)) for t in self.source_texts(texts, src, tgt)]
        target = self.target_token(tgt)
        longest = max(len(tokens) for tokens in source)
        results = self._translator.translate_batch(
            source,
            target_prefix=[[target]] * len(source) if target else None,
            max_batch_size=self.config.batch_size,
            beam_size=self.config.num_beams,
            max_decoding_length=min(self.config.max_new_tokens, 2 * longest + 16),
        )
        outputs = []
        for result in results:
            tokens = result.hypotheses[0][1:] if target else result.hypotheses[0]  # drop the forced code
            outputs.append(tokenizer.decode(tokenizer.convert_tokens_to_ids(tokens), skip_special_tokens=True))
        return outputs
