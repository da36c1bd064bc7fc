"""Translate one text column: documents to English, or English instructions back to the source.

    - {stage: translate, id: translate_document, translator: mt, direction: to_english,
       max_context_tokens: 512}
    - {stage: translate, id: translate_instruction, translator: mt, direction: to_source}

Text already in the target language (English documents) is copied and marked ``skipped``;
a language the translator lacks is rejected (and refused at recipe validation when the recipe
lists its languages); a backend that keeps failing errors the record with the reason.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Literal

from pydantic import Field, model_validator

from muri_gen import languages
from muri_gen.component import Context
from muri_gen.record import Errored, Outcome, Rejected
from muri_gen.stages.base import Stage, StageConfig
from muri_gen.translation.documents import ContextBudget, DocumentTranslator
from muri_gen.translation.cache import TranslationCache

ENGLISH = "eng"
_DEFAULT_FIELDS = {
    "to_english": ("text", "text_en", "translation_en"),
    "to_source": ("instruction_en", "instruction", "translation_src"),
}


class TranslateConfig(StageConfig):
    translator: str = Field(default="mt", description="the recipe's backends: key of a translator")
    direction: Literal["to_english", "to_source"] = Field(default="to_english",
                                                          description="to_english: documents into English; "
                                                                      "to_source: English instructions back into "
                                                                      "the record's language")
    source_field: str | None = Field(default=None, description="default: text (to_english), instruction_en (to_source)")
    target_field: str | None = Field(default=None, description="default: text_en (to_english), instruction (to_source)")
    provenance_field: str | None = Field(default=None, description="default: translation_en / translation_src")
    language_field: str = Field(default="language", description="the record's ISO 639-3 source language")
    script_field: str | None = Field(default="script",
                                     description="the record's ISO 15924 script: Latin Serbian or Traditional Chinese "
                                                 "go to the translator as srp_Latn / zho_Hant (documents in, "
                                                 "instructions back) when it knows that script")
    max_context_tokens: int | None = Field(default=None, ge=1,
                                           description="context budget: translate only the start of long documents "
                                                       "(the LLM reads no more)")
    max_context_sentences: int | None = Field(default=None, ge=1,
                                              description="as max_context_tokens, in sentences (segments); with "
                                                          "both, the first limit reached ends the document")
    batch_tokens: int = Field(default=4096, ge=1, description="tokens per backend call (length-sorted batches)")
    cache: bool = Field(default=True, description="the translation cache in the run's cache folder")
    candidates_field: str | None = Field(default="candidates",
                                         description="a list of dicts on the record (reverse_instruction's "
                                                     "candidates): each item's source_field is translated into its "
                                                     "target_field too, in the same backend calls")

    @model_validator(mode="after")
    def _defaults(self) -> TranslateConfig:
        source, target, provenance = _DEFAULT_FIELDS[self.direction]
        self.source_field = self.source_field or source
        self.target_field = self.target_field or target
        self.provenance_field = self.provenance_field or provenance
        return self

    def pair(self, language: str) -> tuple[str, str]:
        """(source, target); ``language`` is an ISO 639-3 code or a code_Script tag."""
        return (language, ENGLISH) if self.direction == "to_english" else (ENGLISH, language)

    def budget(self) -> ContextBudget | None:
        if self.max_context_tokens is None and self.max_context_sentences is None:
            return None
        return ContextBudget(self.max_context_tokens, self.max_context_sentences)


class Translate(Stage):
    name = "translate"
    reads = ("text", "language")
    writes = ("text_en", "translation_en")
    Config = TranslateConfig
    uses_backends = {"translator": "translator"}

    @classmethod
    def columns(cls, config: TranslateConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return (config.source_field, config.language_field), (config.target_field, config.provenance_field)

    @classmethod
    def check(cls, config: TranslateConfig, context: Context | None) -> list[str]:
        """Every language the recipe targets must be translatable; no model is loaded."""
        component = context.configured_backend(config.translator)
        if component is None or component.kind != "translator":
            return []  # the recipe validation already names the missing backend
        translator = component.cls(component.config, context)
        problems = [f"translator {config.translator!r}: {p}" for p in translator.problems()]
        if problems:
            return problems
        for code in context.languages or []:
            if code == ENGLISH:
                continue
            src, tgt = config.pair(code)
            if not translator.supports(src, tgt):
                problems.append(
                    f"translator {config.translator!r} ({translator.summary}) cannot translate "
                    f"{languages.get(src).name} ({src}) -> {languages.get(tgt).name} ({tgt})"
                )
        return problems

    def setup(self) -> None:
        self.translator = self.context.backend(self.config.translator)
        cache = TranslationCache(self.context.cache_dir / "translations") if self.config.cache else None
        self.documents = DocumentTranslator(self.translator, cache, batch_tokens=self.config.batch_tokens)

    def teardown(self) -> None:
        if getattr(self, "documents", None) and self.documents.cache is not None:
            self.documents.cache.close()

    def process(self, records: list[dict]) -> list[Outcome]:
        cfg = self.config
        outcomes: list[Outcome | None] = [None] * len(records)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, record in enumerate(records):
            text = record.get(cfg.source_field)
            language = languages.record_code(record.get(cfg.language_field))
            if not isinstance(text, str) or not text.strip():
                outcomes[i] = Rejected("empty_text", {"field": cfg.source_field})
            elif not language:
                detail = {"field": cfg.language_field, "value": record.get(cfg.language_field)}
                outcomes[i] = Rejected("unknown_language", detail)
            elif language == ENGLISH:
                outcomes[i] = {**record, cfg.target_field: text, cfg.provenance_field: {"skipped": "already_english"}}
                if candidates := self._candidates(record):
                    outcomes[i][cfg.candidates_field] = [{**c, cfg.target_field: c[cfg.source_field]} for c in candidates]
            elif not self.translator.supports(*cfg.pair(language)):
                src, tgt = cfg.pair(language)
                outcomes[i] = Rejected("unsupported_language", {"src": src, "tgt": tgt, "translator": cfg.translator})
            else:
                groups[self._tag(language, record.get(cfg.script_field) if cfg.script_field else None)].append(i)
        for language, indices in groups.items():
            src, tgt = cfg.pair(language)
            texts = [records[i][cfg.source_field] for i in indices]
            candidate_texts = [c[cfg.source_field] for i in indices for c in self._candidates(records[i])]
            results = self.documents.translate(texts + candidate_texts, src, tgt,
                                               cfg.budget() if cfg.direction == "to_english" else None)
            candidate_results = iter(results[len(texts):])
            for i, result in zip(indices, results):
                translated = [{**c, cfg.target_field: r.text} | ({"translation_error": r.error} if r.error else {})
                              for c, r in zip(self._candidates(records[i]), candidate_results)]
                if result.text is None:
                    outcomes[i] = Errored(f"translate {src}->{tgt}: {result.error}")
                    continue
                outcomes[i] = {**records[i], cfg.target_field: result.text, cfg.provenance_field: result.provenance}
                if translated:
                    outcomes[i][cfg.candidates_field] = translated
        return outcomes  # type: ignore[return-value]

    def _candidates(self, record: dict) -> list[dict]:
        """The record's candidates that carry text to translate (none without a candidates_field)."""
        items = record.get(self.config.candidates_field) if self.config.candidates_field else None
        if not isinstance(items, list):
            return []
        return [c for c in items if isinstance(c, dict) and isinstance(c.get(self.config.source_field), str)
                and c[self.config.source_field].strip()]


    def _tag(self, language: str, script) -> str:
        """``srp_Latn`` for a script other than the language's usual one, if the translator knows it."""
        tag = languages.tag_in_script(language, script)
        return tag if tag == language or self.translator.supports(*self.config.pair(tag)) else language
