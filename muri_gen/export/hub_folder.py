"""The ``hub_dataset`` sink: OUT/dataset/ as a Hugging Face dataset repository, ready to push.

    OUT/dataset/README.md                          card: YAML front matter (configs, languages...) + prose
    OUT/dataset/data/<lang>/<split>-NNNNN.parquet  one config per ISO 639-3 code, Features in the schema;
                                                   the "default" config reads every language
    OUT/dataset/recipe.yaml                        the resolved recipe, credentials redacted
    OUT/dataset_summary.json                       what the card is rendered from (not uploaded)

Rows stream from the run's kept records into one Parquet writer per (language, split), so memory
stays flat whatever the run's size. The folder is built beside the old one and swapped in at the
end: re-running the sink never leaves a half-written dataset.
"""
from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path

import yaml
from pydantic import Field, model_validator

from muri_gen import languages
from muri_gen.backends.hub import load_tokenizer
from muri_gen.component import Context
from muri_gen.curation.score import DEFAULT_CALIBRATION, load_calibration
from muri_gen.export.schema import SplitFractions, length_summary, missing_pair_reason, to_row
from muri_gen.export.writer import DatasetWriter, built_beside
from muri_gen.redact import redact
from muri_gen.runner.layout import RunDir, write_atomic
from muri_gen.sinks import Sink, SinkConfig
from muri_gen.yaml_lines import safe_load

log = logging.getLogger("muri_gen")

SUMMARY_FILE = "dataset_summary.json"


class HubDatasetConfig(SinkConfig):
    license: str = Field(default="other",
                         description="the Hub's license id; set it to what your sources allow (e.g. cc-by-sa-4.0)")
    pretty_name: str | None = Field(default=None,
                                    description="the title on the Hub; default: the input's dataset_name, else the "
                                                "recipe's name")
    validation_fraction: float = Field(default=0.05, ge=0, lt=1,
                                       description="share of pairs in the validation split (chosen by a hash of "
                                                   "the id: a pair stays in its split across runs)")
    test_fraction: float = Field(default=0.05, ge=0, lt=1, description="share of pairs in the test split, likewise")
    max_rows_per_file: int = Field(default=100_000, ge=1,
                                   description="rows per Parquet file; a larger split is written in several files")
    card_template: str | None = Field(default=None, description="default: release/dataset_card.md.j2")
    tags: list[str] = Field(default=[], description="Hub tags added to the card's own (instruction-tuning, muri...)")
    citation: str | None = Field(default=None, description="BibTeX of your release, shown beside MURI's")
    tokenizer: str | None = Field(default=None,
                                  description="also count tokens (local folder or Hub id) for max_length and packing")

    @model_validator(mode="after")
    def _fractions(self):
        if self.validation_fraction + self.test_fraction >= 1:
            raise ValueError("validation_fraction + test_fraction must leave rows for train (< 1)")
        return self


class _TokenLengths:
    """Token counts of instructions and documents per language, tokenised in batches as rows stream by."""

    BATCH = 1000

    def __init__(self, name_or_path: str):
        self.name = name_or_path
        self.tokenizer = load_tokenizer(name_or_path, "hub_dataset tokenizer")
        self.pending: list[tuple[str, str, str]] = []
        self.lengths: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"input": [], "output": []})

    def add(self, language: str, instruction: str, document: str) -> None:
        self.pending.append((language, instruction, document))
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        languages_, inputs, outputs = zip(*self.pending)
        for side, texts in (("input", inputs), ("output", outputs)):
            ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
            for lang, tokens in zip(languages_, ids):
                self.lengths[lang][side].append(len(tokens))
        self.pending = []

    def summary(self) -> dict:
        self.flush()
        every = {side: [n for lang in self.lengths.values() for n in lang[side]] for side in ("input", "output")}
        return {"tokenizer": Path(self.name).name if Path(self.name).exists() else self.name,
                "overall": {side: length_summary(values) for side, values in every.items()},
                "languages": {lang: {side: length_summary(v) for side, v in sides.items()}
                              for lang, sides in sorted(self.lengths.items())}}


def write_dataset_folder(run: RunDir, config: HubDatasetConfig, target: Path) -> dict:
    """Write the Parquet configs of ``run`` into ``target``; returns the summary the card is made from."""
    recipe = safe_load(run.recipe.read_text(encoding="utf-8"), str(run.recipe)) if run.recipe.exists() else {}
    dataset_name = (recipe.get("input") or {}).get("dataset_name") or recipe.get("name") or run.root.name
    fractions = SplitFractions(config.validation_fraction, config.test_fraction)
    data = DatasetWriter(target, config.max_rows_per_file)
    not_exported: dict[str, Counter] = defaultdict(Counter)
    scripts: dict[str, Counter] = defaultdict(Counter)
    provenance = {key: Counter() for key in
                  ("instruction_style", "instruction_model", "prompt_template", "translator_to_english",
                   "translator_to_source", "subdataset_name")}
    lengths: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"input": [], "output": []})
    tokens = _TokenLengths(config.tokenizer) if config.tokenizer else None
    quality = QualitySummary()
    for record in run.kept_records():
        reason = missing_pair_reason(record)
        if reason is not None:
            not_exported[reason][str(record.get("language"))] += 1
            continue
        split = fractions.of(str(record["id"]))
        row = to_row(record, dataset_name, split)
        lang = row["language"]
        data.add(row)
        scripts[lang][row["script"] or "?"] += 1
        quality.add(lang, row)
        for column, tally in provenance.items():
            tally[row[column] or "unknown"] += 1
        lengths[lang]["input"].append(len(row["input"]))
        lengths[lang]["output"].append(len(row["output"]))
        if tokens is not None:
            tokens.add(lang, row["input"], row["output"])
    data.close()
    for reason, by_lang in not_exported.items():
        log.warning("hub_dataset: %d kept records not exported as pairs (%s): %s",
                    sum(by_lang.values()), reason, dict(by_lang))

    stats = json.loads(run.stats.read_text()) if run.stats.exists() else {}
    # the recipe's target languages; without a list, every language the run saw
    expected = set(recipe.get("languages") or set(stats.get("by_language", {})) - {"und"})
    summary_languages = {}
    for lang in sorted(data.counts):
        summary_languages[lang] = {
            "name": _language_name(lang),
            "scripts": dict(scripts[lang]),
            "splits": data.splits(lang),
            "files": {s: [str(p.relative_to(target)) for p in files] for s, files in data.files(lang).items()},
            "lengths": {side: length_summary(lengths[lang][side]) for side in ("input", "output")},
            "bytes": data.sizes(lang),
        }
    skipped = {lang: _skip_reason(lang, stats, not_exported) for lang in sorted(expected - set(data.counts))}
    for lang, why in skipped.items():
        log.warning("hub_dataset: no config for %s: %s", lang, why)
    every = {side: [n for lang in lengths for n in lengths[lang][side]] for side in ("input", "output")}
    return {
        "dataset_name": dataset_name,
        "pretty_name": config.pretty_name or dataset_name,
        "license": config.license,
        "tags": config.tags,
        "citation": config.citation,
        "card_template": str(Path(config.card_template).resolve()) if config.card_template else None,
        "recipe": _recipe_summary(recipe),
        "rows": data.rows,
        "languages": summary_languages,
        "skipped_languages": skipped,
        "not_exported": {reason: dict(by_lang) for reason, by_lang in not_exported.items()},
        "provenance": {column: dict(tally.most_common()) for column, tally in provenance.items()},
        "lengths": {side: length_summary(values) for side, values in every.items()},
        "token_lengths": tokens.summary() if tokens is not None else None,
        "quality": quality.summary(recipe, stats),
        "funnel": {k: stats.get(k) for k in ("input", "kept", "rejected", "errored", "by_reason", "by_stage")
                   if k in stats},
    }


class QualitySummary:
    """Per language: kept pairs per score band and mean signals; with the calibration that decided."""

    BANDS = (0.5, 0.6, 0.7, 0.8, 0.9)

    def __init__(self) -> None:
        self.bands: dict[str, Counter] = defaultdict(Counter)
        self.sums: dict[str, Counter] = defaultdict(Counter)
        self.counts: dict[str, Counter] = defaultdict(Counter)

    def band(self, score: float) -> str:
        low = max([0.0, *(b for b in self.BANDS if score >= b)])
        high = min([1.0, *(b for b in self.BANDS if score < b)])
        return f"{low:.1f}-{high:.1f}"

    def add(self, language: str, row: dict) -> None:
        if row["quality_score"] is None:
            return
        self.bands[language][self.band(row["quality_score"])] += 1
        for name, value in {"score": row["quality_score"], **row["quality_signals"]}.items():
            if value is not None:
                self.sums[language][name] += value
                self.counts[language][name] += 1

    def summary(self, recipe: dict, stats: dict) -> dict | None:
        if not self.bands:
            return None
        curate = next((s for s in recipe.get("stages") or [] if isinstance(s, dict) and s.get("stage") == "curate"), {})
        rejected = {key.split(":", 1)[1]: n for key, n in (stats.get("by_reason") or {}).items()
                    if key.startswith(f"{curate.get('id', 'curate')}:")}
        return {
            "calibration": calibration_summary(curate.get("calibration") or DEFAULT_CALIBRATION),
            "rejected_by_curate": rejected,
            "languages": {lang: {"pairs": sum(self.bands[lang].values()),
                                 "bands": dict(sorted(self.bands[lang].items())),
                                 "mean": {k: round(v / self.counts[lang][k], 3) for k, v in self.sums[lang].items()}}
                          for lang in sorted(self.bands)},
        }


def calibration_summary(name: str) -> dict:
    """The calibration's name and how well it agreed with ratings (what the card states)."""
    try:
        calibration = load_calibration(name)
    except (ValueError, OSError) as exc:
        return {"name": name, "note": f"not readable when the card was made: {exc}"}
    fitted = calibration.fitted or {}
    cross = fitted.get("cross_validated") or {}
    kept = cross.get("best_per_document") or cross  # what the stage keeps: each document's best candidate
    return {"name": calibration.name, "min_score": calibration.min_score, "weights": calibration.weights,
            "floors": calibration.floors, "rated_pairs": fitted.get("rated_pairs"), "date": fitted.get("date"),
            "spearman": fitted.get("spearman"), "spearman_cross_validated": cross.get("spearman"),
            "good": fitted.get("good"), "precision_cross_validated": kept.get("precision_good"),
            "kept_alignment": kept.get("kept_mean_alignment"), "kept_instruction": kept.get("kept_mean_instruction")}


def _language_name(code: str) -> str:
    try:
        return languages.get(code).name
    except languages.UnknownLanguage:
        return code


def _skip_reason(lang: str, stats: dict, not_exported: dict[str, Counter]) -> str:
    counts = stats.get("by_language", {}).get(lang)
    lost = {reason: by_lang[lang] for reason, by_lang in not_exported.items() if by_lang.get(lang)}
    if lost:
        return "kept records had no usable pair: " + ", ".join(f"{n} {r}" for r, n in lost.items())
    if counts is None:
        return "no input records in this language"
    return f"all {counts.get('input', 0)} records were rejected ({counts.get('rejected', 0)}) or errored ({counts.get('errored', 0)})"


def _recipe_summary(recipe: dict) -> dict:
    """Names of stages and backends; option values are left out (they may hold endpoints or paths)."""
    backends = {}
    for ref, spec in (recipe.get("backends") or {}).items():
        spec = spec or {}
        backends[ref] = {k: spec[k] for k in ("kind", "type", "model") if isinstance(spec.get(k), str)}
    return {
        "name": recipe.get("name"),
        "seed": recipe.get("seed"),
        "languages": recipe.get("languages"),
        "stages": [s.get("id") or s.get("stage") for s in recipe.get("stages") or [] if isinstance(s, dict)],
        "sinks": [s.get("sink") for s in recipe.get("sinks") or [] if isinstance(s, dict)],
        "backends": backends,
    }


def export_run(run: RunDir, config: HubDatasetConfig) -> Path:
    """Build OUT/dataset/ (Parquet configs + card) from a finished run, replacing any older one."""
    from muri_gen.export.card import write_card

    target = run.root / "dataset"
    with built_beside(target) as building:
        summary = write_dataset_folder(run, config, building)
        write_atomic(run.root / SUMMARY_FILE, json.dumps(summary, indent=2, ensure_ascii=False).encode())
        if run.recipe.exists():
            recipe = redact(safe_load(run.recipe.read_text(encoding="utf-8"), str(run.recipe)))
            write_atomic(building / "recipe.yaml",
                         yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True).encode())
        write_card(run.root, building, config.card_template)
    if summary["rows"] == 0:
        log.warning("hub_dataset: no instruction pairs to export (%s); %s has the card only",
                    ", ".join(summary["not_exported"]) or "no kept records", target)
    else:
        log.info("hub_dataset: %d pairs in %d language configs -> %s",
                 summary["rows"], len(summary["languages"]), target)
    return target


class HubDatasetSink(Sink):
    name = "hub_dataset"
    Config = HubDatasetConfig

    @classmethod
    def check(cls, config: HubDatasetConfig, context: Context | None) -> list[str]:
        if config.card_template and not Path(config.card_template).is_file():
            return [f"card_template: {config.card_template} does not exist"]
        return []

    def write(self, run: RunDir) -> None:
        export_run(run, self.config)
