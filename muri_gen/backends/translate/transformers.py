"""Seq2seq translation models through Hugging Face transformers: NLLB-200, MADLAD-400, M2M-100
and opus-mt (Marian), from a Hub id or a local folder, on CPU or GPU.

Each family names languages its own way: NLLB sets the tokenizer's ``src_lang`` and forces the
target code (``spa_Latn``) as the first generated token; M2M-100 does the same with ISO 639-1
codes; MADLAD-400 prefixes the source with ``<2xx>``; an opus-mt model is one fixed pair (read
from its name, e.g. ``opus-mt-es-en``, or given as ``pairs``). The document layer has already
cut every input below ``max_input_tokens`` (NLLB silently truncates past ~200 tokens).
"""
from __future__ import annotations

import json
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field

from muri_gen import languages
from muri_gen.backends.base import BackendConfig, Translator

Family = Literal["nllb", "madlad", "m2m100", "marian"]
_OPUS_PAIR = re.compile(r"opus-mt-(?P<src>[a-z]{2,3})-(?P<tgt>[a-z]{2,3})$")


class Seq2SeqConfig(BackendConfig):
    """Options shared by the transformers and CTranslate2 backends."""

    model: str = Field(description="a Hub id (facebook/nllb-200-distilled-600M, google/madlad400-3b-mt) or a local "
                                   "folder")
    family: Family | None = Field(default=None,
                                  description="default: read from the model's name or its tokenizer_config.json")
    device: str = Field(default="cpu", description="\"cuda\", \"cuda:1\", \"cpu\"")
    batch_size: int = Field(default=16, ge=1, description="segments per model call")
    max_input_tokens: int = Field(default=200, ge=8,
                                  description="tokens per segment sent to the model; longer sentences are cut into "
                                              "pieces (NLLB drops what is past ~200)")
    max_new_tokens: int = Field(default=256, ge=1, description="per segment; also capped at 2x its input + 16")
    num_beams: int = Field(default=1, ge=1, description="beam search width; 1: greedy, the fastest")
    pairs: list[str] | None = Field(default=None, description="opus-mt: \"spa-eng\"; others: restrict to these pairs")


class TransformersConfig(Seq2SeqConfig):
    revision: str | None = Field(default=None, description="a Hub branch, tag or commit; None: the default branch")
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = Field(default="auto",
                                                                     description="weights' precision; auto: as "
                                                                                 "saved (16-bit halves GPU memory)")


class Seq2SeqTranslator(Translator):
    """Language codes, capabilities and tokenizer of a seq2seq model family; no inference."""

    def __init__(self, config: Seq2SeqConfig, context=None):
        super().__init__(config, context)
        self.max_input_tokens = config.max_input_tokens

    @property
    def tokenizer_source(self) -> str:
        return self.config.model

    @cached_property
    def family(self) -> Family:
        """From the config, the model's name, or the local folder's tokenizer class (no weights read)."""
        if self.config.family:
            return self.config.family
        name = self.config.model.lower()
        tokenizer_class = ""
        local = Path(self.tokenizer_source) / "tokenizer_config.json"
        if local.is_file():
            tokenizer_class = json.loads(local.read_text()).get("tokenizer_class", "").lower()
        for family, hints in (("nllb", ("nllb",)), ("madlad", ("madlad", "t5")), ("m2m100", ("m2m",)),
                              ("marian", ("opus-mt", "marian"))):
            if any(h in name or h in tokenizer_class for h in hints):
                return family  # type: ignore[return-value]
        raise ValueError(f"cannot tell the model family of {self.config.model!r}: set family (nllb, madlad, m2m100, marian)")

    @cached_property
    def _pairs(self) -> set[tuple[str, str]] | None:
        if self.config.pairs:
            return {tuple(languages.code3(c) for c in p.split("-", 1)) for p in self.config.pairs}  # type: ignore[misc]
        match = _OPUS_PAIR.search(self.config.model.rstrip("/"))
        if self.family == "marian" and match:
            return {(languages.code3(match["src"]), languages.code3(match["tgt"]))}
        return None

    def supports(self, src: str, tgt: str) -> bool:
        if self._pairs is not None:
            return (src, tgt) in self._pairs
        if self.family == "nllb":
            codes = languages.nllb_codes()
            return languages.nllb_code(src) in codes and languages.nllb_code(tgt) in codes
        if self.family == "m2m100":
            from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

            codes = set(FAIRSEQ_LANGUAGE_CODES["m2m100"])
            return all(languages.get(c).alpha2 in codes for c in (src, tgt))
        if self.family == "madlad":
            return True  # 419 languages; a code the model lacks comes back as an error per segment
        return False  # a Marian model without a known pair

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.config.model, "family": self.family, "num_beams": self.config.num_beams}

    @cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.tokenizer_source, revision=getattr(self.config, "revision", None))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def source_texts(self, texts: list[str], src: str, tgt: str) -> list[str]:
        """Sets the tokenizer's source language; MADLAD wants the target as a text prefix."""
        if self.family == "nllb":
            self.tokenizer.src_lang = languages.nllb_code(src)
        elif self.family == "m2m100":
            self.tokenizer.src_lang = languages.get(src).alpha2
        elif self.family == "madlad":
            return [f"{languages.madlad_code(tgt)} {t}" for t in texts]
        return texts

    def target_token(self, tgt: str) -> str | None:
        """The token NLLB and M2M-100 must generate first to write in ``tgt``."""
        if self.family == "nllb":
            return languages.nllb_code(tgt)
        if self.family == "m2m100":
            return self.tokenizer.lang_code_to_token[languages.get(tgt).alpha2]
        return None


class TransformersTranslator(Seq2SeqTranslator):
    name = "transformers"
    Config = TransformersConfig

    def __init__(self, config: TransformersConfig, context=None):
        super().__init__(config, context)
        self._model = None

    def describe(self) -> dict:
        return {**super().describe(), "revision": self.config.revision}

    def setup(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForSeq2SeqLM

        dtype = "auto" if self.config.dtype == "auto" else getattr(torch, self.config.dtype)
        self._model = AutoModelForSeq2SeqLM.from_pretrained(
            self.config.model, revision=self.config.revision, dtype=dtype
        ).to(self.config.device).eval()

    def teardown(self) -> None:
        self._model = None

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        self.setup()
        outputs: list[str] = []
        for start in range(0, len(texts), self.config.batch_size):
            ids = self.generate(texts[start : start + self.config.batch_size], src, tgt)
            outputs.extend(self.tokenizer.batch_decode(ids, skip_special_tokens=True))
        return outputs

    def encode(self, texts: list[str], src: str, tgt: str) -> tuple[dict, dict]:
        """Model inputs (never truncated) and the generate() options that select the target."""
        inputs = self.tokenizer(self.source_texts(texts, src, tgt), return_tensors="pt", padding=True, truncation=False)
        target = self.target_token(tgt)
        options = {"forced_bos_token_id": self.tokenizer.convert_tokens_to_ids(target)} if target else {}
        return inputs, options

    def generate(self, texts: list[str], src: str, tgt: str):
        import torch

        inputs, options = self.encode(texts, src, tgt)
        inputs = inputs.to(self.config.device)
        longest = int(inputs["input_ids"].shape[1])
        with torch.inference_mode():
            return self._model.generate(
                **inputs, **options, num_beams=self.config.num_beams, do_sample=False,
                max_new_tokens=min(self.config.max_new_tokens, 2 * longest + 16),
            )
