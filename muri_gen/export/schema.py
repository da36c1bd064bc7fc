"""The exported row: the MURI-IT columns first, then provenance, with an explicit Features schema.

A kept record becomes one row (``to_row``) or a reason why it cannot be a pair (no instruction,
no usable language code). Splits come from a hash of the id alone, so a record keeps its split
whatever else changes between runs (seed, other records, shard size).
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from datasets import Features, List, Value

from muri_gen import languages
from muri_gen.curation.score import SIGNALS
from muri_gen.record import stable_hash
from muri_gen.runner.layout import safe_part

MURI_IT_COLUMNS = ("input", "output", "language", "dataset_name", "subdataset_name", "split")

COLUMN_DOCS: dict[str, str] = {
    "input": "the instruction, in the document's language (back-translated from instruction_en)",
    "output": "the original human-written document (never machine-translated)",
    "language": "ISO 639-3 code of the document",
    "dataset_name": "name of the dataset this release belongs to",
    "subdataset_name": "the source corpus the document came from",
    "split": "train, validation or test (fixed by a hash of id)",
    "id": "stable record id",
    "script": "ISO 15924 script of the document",
    "source_id": "the document's id in its source corpus",
    "document_en": "the document translated into English (what the instruction model read)",
    "instruction_en": "the instruction the model wrote, in English",
    "instruction_style": "instruction style (e.g. instruction, chatbot, search query)",
    "prompt_template": "prompt template name and version",
    "instruction_model": "the model that wrote the instruction",
    "translator_to_english": "the translator used for the document (native -> English)",
    "translator_to_source": "the translator used for the instruction (English -> native)",
    "lid_score": "language-identification confidence of the document",
    "filter_scores": "numeric scores of the quality and post-filter stages (name, value)",
    "quality_score": "the curate stage's overall score of the pair (0-1, higher is better; see the card's calibration)",
    "quality_signals": "the curate stage's signals (0-1 each, higher is better; null when not measured): "
                       + "; ".join(f"{name}: {doc}" for name, doc in SIGNALS.items()),
}

FEATURES = Features({
    "input": Value("string"),
    "output": Value("string"),
    "language": Value("string"),
    "dataset_name": Value("string"),
    "subdataset_name": Value("string"),
    "split": Value("string"),
    "id": Value("string"),
    "script": Value("string"),
    "source_id": Value("string"),
    "document_en": Value("string"),
    "instruction_en": Value("string"),
    "instruction_style": Value("string"),
    "prompt_template": Value("string"),
    "instruction_model": Value("string"),
    "translator_to_english": Value("string"),
    "translator_to_source": Value("string"),
    "lid_score": Value("float32"),
    "filter_scores": List({"name": Value("string"), "value": Value("float64")}),
    "quality_score": Value("float32"),
    "quality_signals": {name: Value("float32") for name in SIGNALS},
})

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitFractions:
    validation: float = 0.05
    test: float = 0.05

    def of(self, record_id: str) -> str:
        # 10^6 buckets: fractions are honoured to 1e-6 and the bucket depends on the id only
        bucket = stable_hash("split", record_id) % 1_000_000 / 1_000_000
        if bucket < self.test:
            return "test"
        if bucket < self.test + self.validation:
            return "validation"
        return "train"


def language_config(code: object) -> str | None:
    """The config (and folder) name of a record's language, or None when it cannot name a path."""
    if not isinstance(code, str) or not languages.SAFE_CODE.match(code):
        return None
    try:
        return safe_part(code)
    except ValueError:
        return None


def describe(provenance: object) -> str | None:
    """A model/translator/template name from a stage's provenance (a dict or a plain string)."""
    if provenance is None or isinstance(provenance, str):
        return provenance
    if isinstance(provenance, dict):
        parts = [str(provenance[k]) for k in ("backend", "type", "name", "model") if provenance.get(k)]
        if not parts:
            # e.g. {"skipped": "already_english"}: say that no model was used, and why
            return f"none ({provenance['skipped']})" if provenance.get("skipped") else None
        name = " ".join(dict.fromkeys(parts))  # e.g. "apertium spa-eng", "xllamacpp SmolLM2-135M-Instruct"
        version = provenance.get("version")
        return f"{name}@{version}" if version not in (None, "") else name
    return str(provenance)


def filter_scores(record: dict) -> list[dict]:
    """The numeric values of the quality and postfilter dicts, flattened to (stage.name, value)."""
    scores = []
    for stage in ("quality", "postfilter"):
        values = record.get(stage)
        if not isinstance(values, dict):
            continue
        for name, value in sorted(values.items()):
            if isinstance(value, bool) or isinstance(value, (int, float)):
                number = float(value)
                if math.isfinite(number):
                    scores.append({"name": f"{stage}.{name}", "value": number})
    return scores


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def to_row(record: dict, dataset_name: str, split: str) -> dict:
    """A kept record as an exported row (callers check ``missing_pair_reason`` first)."""
    score = record.get("lid_score")
    return {
        "input": record["instruction"],
        "output": record["text"],
        "language": record["language"],
        "dataset_name": dataset_name,
        "subdataset_name": record.get("source_dataset") or "",
        "split": split,
        "id": str(record["id"]),
        "script": record.get("script"),
        "source_id": None if record.get("source_id") is None else str(record["source_id"]),
        "document_en": _text(record.get("text_en")),
        "instruction_en": _text(record.get("instruction_en")),
        "instruction_style": record.get("style"),
        "prompt_template": describe(record.get("prompt")),
        "instruction_model": describe(record.get("generation")),
        "translator_to_english": describe(record.get("translation_en")),
        "translator_to_source": describe(record.get("translation_src")),
        "lid_score": float(score) if isinstance(score, (int, float)) else None,
        "filter_scores": filter_scores(record),
        **quality_columns(record.get("curation")),
    }


def quality_columns(curation: object) -> dict:
    """quality_score and quality_signals from the curate stage's verdict (nulls without one)."""
    curation = curation if isinstance(curation, dict) else {}
    signals = curation.get("signals") if isinstance(curation.get("signals"), dict) else {}
    score = curation.get("score")
    return {"quality_score": float(score) if isinstance(score, (int, float)) else None,
            "quality_signals": {name: float(v) if isinstance(v := signals.get(name), (int, float)) else None
                                for name in SIGNALS}}


# exported column -> record field, where the names differ (the inverse of to_row's renaming)
_RECORD_FIELDS = {"input": "instruction", "output": "text", "document_en": "text_en", "instruction_style": "style",
                  "subdataset_name": "source_dataset", "prompt_template": "prompt", "instruction_model": "generation",
                  "translator_to_english": "translation_en", "translator_to_source": "translation_src"}


def is_exported_row(row: dict) -> bool:
    """A row in the published dataset's columns (what a user downloads from the Hub), not a run's record."""
    return "input" in row and "output" in row and "instruction" not in row and "text" not in row


def from_row(row: dict) -> dict:
    """An exported row back into a record that ``to_row`` maps to the same row: renamed columns get their
    record names, filter_scores its quality and postfilter dicts; other columns are kept as they are."""
    record = {_RECORD_FIELDS.get(column, column): value for column, value in row.items()
              if column not in ("filter_scores", "dataset_name", "split", "quality_score", "quality_signals")}
    for score in row.get("filter_scores") or []:
        stage, _, name = score["name"].partition(".")
        record.setdefault(stage, {})[name] = score["value"]
    if row.get("quality_score") is not None or row.get("quality_signals"):
        record["curation"] = {"score": row.get("quality_score"), "signals": row.get("quality_signals") or {}}
    return record


def missing_pair_reason(record: dict) -> str | None:
    """Why a kept record cannot be exported as an instruction pair, or None if it can."""
    if _text(record.get("instruction")) is None:
        return "no_instruction"
    if _text(record.get("text")) is None:
        return "no_document"
    if language_config(record.get("language")) is None:
        return "unsafe_language_code"
    return None


def length_summary(values: list[int]) -> dict:
    """Length distribution for max_length and packing: mean, p50, p95, max, total, and how many
    2k/4k-token sequences a packing trainer fills with it (lower bound: no partial fills)."""
    if not values:
        return {}
    ordered = sorted(values)
    total = sum(ordered)
    return {"mean": round(statistics.fmean(ordered), 1), "p50": ordered[len(ordered) // 2],
            "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], "max": ordered[-1], "total": total,
            "packed_2048": -(-total // 2048), "packed_4096": -(-total // 4096)}
