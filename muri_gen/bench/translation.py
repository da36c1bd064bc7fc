"""Translation benchmark, measured side by side in one run on real UDHR text.

Rows:
- ``apertium_batched_vs_per_sentence``: sentences/s of the document layer (length-sorted batches
  up to a token budget, one Apertium process per batch) against one Apertium call per sentence.
- ``bergamot_batched_vs_per_sentence``: the same for Bergamot (a batch runs on a 2-thread pool).
- ``transformers_batched_vs_per_sentence``: the transformers backend on a tiny NLLB-architecture
  model built offline, batches of 32 against one generate() per sentence.
- ``ctranslate2_vs_transformers``: the same model converted to CTranslate2, both batched.
- ``cache_work_on_demo_corpus``: segments sent to a translator for the demo corpus, with the
  cache and cross-document deduplication, against every segment of every document (lower is
  better; ratio = share of the work left). A rerun of the same corpus is reported in the note.
- ``context_budget_tokens``: source tokens translated into English with a 128-token context
  budget against the full documents on the demo corpus (ratio = share of the work left).
"""
from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path

from muri_gen import corpora
from muri_gen.backends.translate.apertium import ApertiumTranslator
from muri_gen.backends.translate.bergamot import BergamotTranslator
from muri_gen.bench.measure import throughput_row
from muri_gen.resources import bundled
from muri_gen.translation import segment
from muri_gen.translation.cache import TranslationCache
from muri_gen.translation.documents import ContextBudget, DocumentTranslator
from muri_gen.translation.tokens import counter_for

DEMO = bundled("data", "udhr-demo.jsonl")


def _sentences(code: str, language: str, n: int) -> list[str]:
    found = []
    for _, text in corpora.read_declaration(corpora.udhr_declarations() / f"{code}.html").sections:
        for line in text.split("\n"):
            found += segment.sentences(line, language)
    return found[:n]


def _batched_vs_per_sentence(name: str, backend, sentences: list[str], src: str, repeat: int) -> dict:
    first = DocumentTranslator(backend)
    first.translate(["\n".join(sentences)], src, "eng")  # loads the model outside the timing
    return throughput_row(
        name, len(sentences), lambda: DocumentTranslator(backend).translate(["\n".join(sentences)], src, "eng"),
        lambda: [backend.translate_batch([s], src, "eng") for s in sentences], repeat, "sentences/s",
        f"{len(sentences)} UDHR sentences ({src}->eng), {first.stats['calls']} batched calls vs {len(sentences)} single calls")


def _demo_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    with open(DEMO, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("language") in ("spa", "cat", "glg", "epo", "hrv", "por") and row["text"].strip():
                groups[row["language"]].append(row["text"])
    return groups


def _demo_work(apertium, bergamot) -> list[dict]:
    groups = _demo_groups()
    total_segments = total_tokens = budget_tokens = translated = rerun_translated = 0
    with tempfile.TemporaryDirectory() as folder:
        for language, texts in groups.items():
            backend = bergamot if language == "por" else apertium
            count = counter_for(backend)
            cache = TranslationCache(Path(folder) / "translations")
            documents = DocumentTranslator(backend, cache)
            documents.translate(texts, language, "eng")
            total_segments += documents.stats["segments"]
            translated += documents.stats["translated"]
            full_tokens = [sum(count(s) for s in segment.layout(t, language).segments) for t in texts]
            total_tokens += sum(full_tokens)
            rerun = DocumentTranslator(backend, cache)
            rerun.translate(texts, language, "eng")
            rerun_translated += rerun.stats["translated"]
            budgeted = DocumentTranslator(backend, cache).translate(texts, language, "eng", ContextBudget(max_tokens=128))
            for result, tokens in zip(budgeted, full_tokens):
                used = result.provenance.get("context_budget")
                budget_tokens += used["tokens_kept"] if used else tokens
            cache.close()
    return [
        {"benchmark": "cache_work_on_demo_corpus", "ours": translated, "baseline": total_segments, "unit": "segments",
         "ratio": round(translated / total_segments, 3),
         "note": f"{sum(map(len, groups.values()))} demo documents; a rerun translated {rerun_translated} segments "
                 "(every one from the cache)"},
        {"benchmark": "context_budget_tokens", "ours": budget_tokens, "baseline": total_tokens, "unit": "source tokens",
         "ratio": round(budget_tokens / total_tokens, 3),
         "note": "max_context_tokens=128 on the demo corpus (UDHR articles are short; long web documents gain more)"},
    ]


def _seq2seq_rows(sentences: list[str], repeat: int) -> list[dict]:
    """The transformers path on a tiny NLLB-architecture model (random weights: every sentence
    decodes to the length cap, so this measures batching and padding, not model quality), and
    the same model converted to CTranslate2 against transformers. Both on one thread: threads that
    spin while waiting for a core made the ratio swing 0.9-3.3 between runs on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _tiny_nllb_rows(sentences, repeat)
    finally:
        torch.set_num_threads(threads)


def _tiny_nllb_rows(sentences: list[str], repeat: int) -> list[dict]:
    from muri_gen.backends.translate.transformers import TransformersTranslator
    from muri_gen.translation.tiny_model import build_tiny_nllb

    with tempfile.TemporaryDirectory() as folder:
        model = build_tiny_nllb(Path(folder) / "nllb")
        options = {"model": str(model), "batch_size": 32, "max_new_tokens": 32}
        hf = TransformersTranslator(TransformersTranslator.Config(**options))
        rows = [_batched_vs_per_sentence("transformers_batched_vs_per_sentence", hf, sentences, "spa", repeat)]
        try:
            from ctranslate2.converters import TransformersConverter

            from muri_gen.backends.translate.ctranslate2 import CTranslate2Translator
        except ImportError:
            return rows
        converted = TransformersConverter(str(model), copy_files=["tokenizer.json", "tokenizer_config.json"])
        ct2 = CTranslate2Translator(CTranslate2Translator.Config(
            **{**options, "model": converted.convert(f"{folder}/ct2"), "intra_threads": 1}))
        ct2.translate_batch(sentences[:2], "spa", "eng")
        text = "\n".join(sentences)
        rows.append(throughput_row(
            "ctranslate2_vs_transformers", len(sentences), lambda: DocumentTranslator(ct2).translate([text], "spa", "eng"),
            lambda: DocumentTranslator(hf).translate([text], "spa", "eng"), repeat, "sentences/s",
            f"{len(sentences)} sentences, tiny NLLB-architecture model, batches of 32, float32, one thread each"))
        return rows


def run(full: bool = False, repeat: int = 5) -> list[dict]:
    apertium = ApertiumTranslator(ApertiumTranslator.Config())
    bergamot = BergamotTranslator(BergamotTranslator.Config())
    n = 400 if full else 40  # the one-call-per-sentence baselines dominate the run time
    try:
        return [
            _batched_vs_per_sentence("apertium_batched_vs_per_sentence", apertium, _sentences("spa", "spa", n), "spa", repeat),
            _batched_vs_per_sentence("bergamot_batched_vs_per_sentence", bergamot, _sentences("por_PT", "por", n), "por", repeat),
            *_seq2seq_rows(_sentences("spa", "spa", n // 2), repeat),
            *_demo_work(apertium, bergamot),
        ]
    finally:
        bergamot.teardown()
