"""Whole documents through a sentence translator: nothing truncated, layout kept, work minimised.

1. Each document is cut into sentences (``segment.layout``), none longer than the backend's
   input limit, and optionally cut to a context budget (the first N tokens or sentences).
2. Sentences already in the cache are reused; the others are deduplicated across documents,
   sorted by length and packed into batches up to a token budget (one backend call each).
3. A failing batch is bisected so one bad sentence errors only the documents that contain it.
4. Documents are rebuilt with their original line and paragraph breaks, with provenance.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from muri_gen import languages
from muri_gen.backends.base import Translator
from muri_gen.translation import segment
from muri_gen.translation.cache import TranslationCache, cache_key
from muri_gen.translation.tokens import counter_for

log = logging.getLogger("muri_gen.translation")


class TranslatorUnavailable(RuntimeError):
    """The backend cannot work at all (binary missing, process hangs): retrying parts is useless."""


@dataclass(frozen=True)
class ContextBudget:
    """Translate only the start of a document: the reverse-instruction LLM reads no more."""

    max_tokens: int | None = None
    max_sentences: int | None = None

    def keep(self, counts: list[int]) -> int:
        """How many leading segments fit (at least one, so no document comes back empty)."""
        kept, total = 0, 0
        for n in counts:
            if kept and (
                (self.max_sentences is not None and kept >= self.max_sentences)
                or (self.max_tokens is not None and total + n > self.max_tokens)
            ):
                break
            kept, total = kept + 1, total + n
        return kept


@dataclass
class DocumentResult:
    text: str | None  # None when the document could not be translated
    error: str | None = None
    provenance: dict = field(default_factory=dict)


class DocumentTranslator:
    def __init__(
        self,
        translator: Translator,
        cache: TranslationCache | None = None,
        batch_tokens: int = 4096,
        max_batch_segments: int = 256,
        default_max_input_tokens: int = 200,
    ):
        self.translator = translator
        self.cache = cache
        self.batch_tokens = batch_tokens
        self.max_batch_segments = max_batch_segments
        # NLLB-style models drop anything past ~200 tokens; backends that know better say so
        self.default_max_input_tokens = default_max_input_tokens
        self.stats: Counter = Counter()

    def translate(
        self, texts: list[str], src: str, tgt: str, budget: ContextBudget | None = None
    ) -> list[DocumentResult]:
        """Translate documents all written in ``src`` into ``tgt`` (ISO 639-3 codes)."""
        backend = self.translator.route(src, tgt)
        count = lru_cache(maxsize=None)(counter_for(backend))  # layout, budget and batching all count
        limit = backend.max_input_tokens or self.default_max_input_tokens
        described = backend.describe()
        model = json.dumps(described, sort_keys=True)

        layouts = [segment.layout(text, src, limit, count) for text in texts]
        budgets: list[dict | None] = []
        for index, layout in enumerate(layouts):
            budgets.append(None)
            if budget is None:
                continue
            counts = [count(s) for s in layout.segments]
            keep = budget.keep(counts)
            if keep < len(counts):
                budgets[index] = {
                    "segments_kept": keep, "segments_total": len(counts),
                    "tokens_kept": sum(counts[:keep]), "tokens_total": sum(counts),
                }
                layouts[index] = layout.truncated(keep)

        keys = {s: cache_key(backend.name, model, src, tgt, s) for layout in layouts for s in layout.segments}
        cached = self.cache.get_many(list(keys.values())) if self.cache is not None else {}
        done: dict[str, str] = {s: cached[k] for s, k in keys.items() if k in cached}
        todo = [s for s in keys if s not in done]
        self.stats["segments"] += sum(len(layout.segments) for layout in layouts)
        self.stats["unique_segments"] += len(keys)
        self.stats["cache_hits"] += len(done)
        failed: dict[str, str] = {}
        for batch in self._batches(todo, count):
            self._translate(backend, batch, src, tgt, done, failed)
            if self.cache is not None:  # batch by batch: a killed worker loses one batch at most
                self.cache.put_many([(keys[s], backend.name, model, src, tgt, done[s]) for s in batch if s in done])

        target_script = languages.get(tgt).script
        results = []
        for layout, budget_used in zip(layouts, budgets):
            segments = layout.segments
            provenance = {
                **described, "src": src, "tgt": tgt, "segments": len(segments),
                "segments_cached": sum(keys[s] in cached for s in segments),
                "split_sentences": layout.split_sentences,
            }
            if budget_used:
                provenance["context_budget"] = budget_used
            errors = [failed[s] for s in segments if s in failed]
            if errors:
                results.append(DocumentResult(None, f"{len(errors)} of {len(segments)} segments failed: {errors[0]}", provenance))
            elif not segments:
                results.append(DocumentResult(None, "nothing to translate (empty text)", provenance))
            else:
                results.append(DocumentResult(layout.rebuild([done[s] for s in segments], target_script), None, provenance))
        return results

    def _batches(self, segments: list[str], count) -> list[list[str]]:
        """Length-sorted batches: similar lengths pad little, and each fills the token budget."""
        ordered = sorted(segments, key=lambda s: (count(s), s))
        batches: list[list[str]] = []
        current: list[str] = []
        tokens = 0
        for s in ordered:
            n = count(s)
            if current and (tokens + n > self.batch_tokens or len(current) >= self.max_batch_segments):
                batches.append(current)
                current, tokens = [], 0
            current.append(s)
            tokens += n
        if current:
            batches.append(current)
        return batches

    def _translate(self, backend: Translator, batch: list[str], src: str, tgt: str, done: dict, failed: dict) -> None:
        self.stats["calls"] += 1
        try:
            outputs = backend.translate_batch(batch, src, tgt)
            if len(outputs) != len(batch):
                raise RuntimeError(f"backend returned {len(outputs)} translations for {len(batch)} segments")
        except TranslatorUnavailable as exc:
            failed.update(dict.fromkeys(batch, f"{backend.name}: {exc}"))
            return
        except Exception as exc:  # noqa: BLE001 - a backend's own failure: find the segments that cause it
            if len(batch) == 1:
                log.warning("translation failed for one segment: %s", exc)
                failed[batch[0]] = f"{backend.name}: {type(exc).__name__}: {exc}"
                return
            half = len(batch) // 2
            self._translate(backend, batch[:half], src, tgt, done, failed)
            self._translate(backend, batch[half:], src, tgt, done, failed)
            return
        empty = [s for s, out in zip(batch, outputs) if not out.strip()]
        done.update((s, out.strip()) for s, out in zip(batch, outputs) if out.strip())
        self.stats["translated"] += len(batch) - len(empty)
        if empty and len(batch) > 1:
            for s in empty:  # alone, a segment cannot be confused with its batch neighbours
                self._translate(backend, [s], src, tgt, done, failed)
        elif empty:
            failed[batch[0]] = f"{backend.name}: empty translation for {batch[0][:60]!r}"
