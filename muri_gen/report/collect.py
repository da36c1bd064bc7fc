"""Read a finished run once into per-language summaries and automatic quality indicators.

Everything streams over the run's rows: lengths and scores are kept as numbers, sample pairs and
the instructions used for distinct-n are a fixed-size deterministic sample per language (the rows
with the smallest stable hash), so a run of millions of rows fits in memory and the same run
always shows the same samples.

Quality indicators are computed over every *generated* instruction (kept rows and rejected or
errored records that carry one), because the post-filter removes echoes and refusals: counting only
kept rows would always report 0%. They come from what the post-filter decided and recorded
(rejection reasons, its ``postfilter`` scores); a LID function fills in the language of
instructions the post-filter did not label.
"""
from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import regex
import yaml
from tqdm.auto import tqdm

from muri_gen import languages
from muri_gen.text import UNSPACED_SCRIPTS
from muri_gen.record import stable_hash
from muri_gen.runner.layout import RunDir
from muri_gen.yaml_lines import safe_load

_WORD = regex.compile(r"\w+")
DISTINCT_SAMPLE = 1000  # instructions per language: distinct-n shrinks with corpus size, so fix it
LID_BATCH = 256

Identify = Callable[[list[str]], list[str]]  # texts -> ISO 639-3 codes


def language_name(code: str) -> str:
    try:
        return languages.get(code).name
    except languages.UnknownLanguage:
        return code


def same_language(detected: str, expected: str) -> bool:
    """Macrolanguage-aware, as the language_id stage decides: "hrv" is consistent with "hbs"."""
    try:
        return languages.covers(languages.code3(expected), languages.code3(detected))
    except languages.UnknownLanguage:
        return detected == expected


def tokens(text: str, script: str | None) -> list[str]:
    words = _WORD.findall(text.lower())
    if script in UNSPACED_SCRIPTS:  # written without spaces: distinct-n counts characters, not words
        return [char for word in words for char in word]
    return words


def distinct_n(texts: Iterable[tuple[str, str | None]], n: int) -> float | None:
    """Share of unique n-grams among all n-grams of the texts (Li et al. 2016); None without any."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for text, script in texts:
        words = tokens(text, script)
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        seen.update(grams)
        total += len(grams)
    return len(seen) / total if total else None


class HashSample:
    """The k items with the smallest stable hash of their key: deterministic, order-independent."""

    def __init__(self, k: int, salt: str):
        self.k, self.salt = k, salt
        self._heap: list[tuple[int, str, dict]] = []  # max-heap through negated hashes

    def offer(self, key: str, item) -> None:
        if self.k <= 0:
            return
        entry = (-stable_hash(self.salt, key), key, item)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, entry)
        elif entry[0] > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def items(self) -> list:
        return [item for _, _, item in sorted(self._heap, reverse=True)]


@dataclass
class Indicators:
    generated: int = 0  # instructions produced (kept or not)
    echo: int = 0
    refusal: int = 0
    language_checked: int = 0
    language_consistent: int = 0
    distinct_1: float | None = None
    distinct_2: float | None = None
    distinct_sample: int = 0  # kept instructions the distinct-n figures were computed on

    def rate(self, count: int, of: int) -> float | None:
        return round(count / of, 4) if of else None

    def to_json(self) -> dict:
        return {
            "generated_instructions": self.generated,
            "language_consistency": self.rate(self.language_consistent, self.language_checked),
            "language_checked": self.language_checked,
            "echo_rate": self.rate(self.echo, self.generated),
            "refusal_rate": self.rate(self.refusal, self.generated),
            "distinct_1": None if self.distinct_1 is None else round(self.distinct_1, 4),
            "distinct_2": None if self.distinct_2 is None else round(self.distinct_2, 4),
            "distinct_sample": self.distinct_sample,
        }


@dataclass
class PairQuality:
    """The curate stage's verdicts in one language: scores kept and rejected, signal means, and the
    best and worst pairs as examples."""

    EXAMPLES = 3

    kept: array = field(default_factory=lambda: array("f"))
    rejected: array = field(default_factory=lambda: array("f"))
    signal_sums: Counter = field(default_factory=Counter)
    signal_counts: Counter = field(default_factory=Counter)
    candidates: int = 0  # candidate instructions scored (best-of-n): above the pair count when n > 1
    best: list = field(default_factory=list)  # min-heap of (score, id, example)
    worst: list = field(default_factory=list)  # min-heap of (-score, id, example)

    def add(self, record: dict, curation: dict, kept: bool) -> None:
        score = curation.get("score")
        if not isinstance(score, (int, float)):
            return
        (self.kept if kept else self.rejected).append(float(score))
        for name, value in (curation.get("signals") or {}).items():
            if isinstance(value, (int, float)):
                self.signal_sums[name] += value
                self.signal_counts[name] += 1
        self.candidates += len(curation.get("candidates") or [None])
        example = {"instruction": record.get("instruction"), "text": record.get("text"), "score": score, "kept": kept,
                   "reasons": curation.get("reasons") or [], "signals": curation.get("signals") or {}}
        for heap, key in ((self.best, score), (self.worst, -score)):
            entry = (key, str(record.get("id")), example)
            if len(heap) < self.EXAMPLES:
                heapq.heappush(heap, entry)
            elif entry[:2] > heap[0][:2]:
                heapq.heapreplace(heap, entry)

    @property
    def pairs(self) -> int:
        return len(self.kept) + len(self.rejected)

    def signal_means(self) -> dict[str, float]:
        return {k: round(v / self.signal_counts[k], 3) for k, v in self.signal_sums.items()}

    def examples(self) -> list[dict]:
        best = [e for _, _, e in sorted(self.best, key=lambda x: x[:2], reverse=True)]
        worst = [e for _, _, e in sorted(self.worst, key=lambda x: x[:2], reverse=True)]
        return best + [e for e in worst if e not in best]


@dataclass
class LanguageSummary:
    code: str
    samples_wanted: int
    seed: int
    # compact arrays: 4 bytes a row, so tens of millions of rows fit
    doc_chars: array = field(default_factory=lambda: array("I"))
    instruction_chars: array = field(default_factory=lambda: array("I"))
    lid_scores: array = field(default_factory=lambda: array("f"))
    styles: Counter = field(default_factory=Counter)
    indicators: Indicators = field(default_factory=Indicators)
    quality: PairQuality = field(default_factory=lambda: PairQuality())

    def __post_init__(self):
        self.samples = HashSample(self.samples_wanted, f"samples-{self.seed}-{self.code}")
        self.instructions = HashSample(DISTINCT_SAMPLE, f"distinct-{self.seed}-{self.code}")

    @property
    def name(self) -> str:
        return language_name(self.code)


@dataclass
class RunSummary:
    root: Path
    stats: dict | None
    recipe: dict | None
    languages: dict[str, LanguageSummary]
    rejected_by_stage_language: Counter  # (stage, language) -> n
    rejected_by_reason_language: Counter  # (stage, reason, language) -> n
    rejected_lid_scores: array
    errors: Counter  # (stage, first line of the error) -> n
    has_instructions: bool
    language_checked_by: str  # where instruction languages came from ("postfilter", "lid", "")

    @property
    def stage_order(self) -> list[str]:
        """Stage ids in recipe order (stats.json's by_stage follows shard order, not recipe order)."""
        if self.recipe:
            return [s.get("id") or s.get("stage") for s in self.recipe.get("stages", [])]
        return list((self.stats or {}).get("by_stage", {}))

    def stage_types(self) -> dict[str, str]:
        if not self.recipe:
            return {}
        return {s.get("id") or s.get("stage"): s.get("stage") for s in self.recipe.get("stages", [])}

    def indicators_json(self) -> dict:
        by_language = {code: s.indicators.to_json() for code, s in sorted(self.languages.items()) if s.indicators.generated}
        return {
            # flat "lang indicator" -> value rows for the dataset card
            "summary": {f"{code} {key}": value for code, row in by_language.items() for key, value in row.items()
                        if key in ("language_consistency", "echo_rate", "refusal_rate", "distinct_2") and value is not None},
            "language_checked_by": self.language_checked_by or None,
            "by_language": by_language,
        }


UNSURE_LID = 0.3  # a label at or below this confidence counts as unknown (as in arXiv 2412.14050)


def _instruction_language(scores: dict) -> tuple[str | None, bool]:
    """(the post-filter's language label of the native instruction, whether it is sure enough to count)."""
    label = scores.get("instruction_lid_language")
    if not isinstance(label, str) or not label:
        return None, False
    confidence = scores.get("instruction_lid")
    return label, not isinstance(confidence, (int, float)) or confidence > UNSURE_LID


class _Collector:
    def __init__(self, samples_per_language: int, seed: int, identify: Identify | None, lid_stages: set[str]):
        self.samples_per_language, self.seed, self.identify = samples_per_language, seed, identify
        self.lid_stages = lid_stages  # their rejects carry the LID score in the detail, not yet on the record
        self.languages: dict[str, LanguageSummary] = {}
        self.by_stage_language: Counter = Counter()
        self.by_reason_language: Counter = Counter()
        self.rejected_lid_scores = array("f")
        self.errors: Counter = Counter()
        self.pending_lid: list[tuple[str, str]] = []  # (expected language, instruction)
        self.checked_by: set[str] = set()
        self.has_instructions = False

    def language(self, code: str) -> LanguageSummary:
        if code not in self.languages:
            self.languages[code] = LanguageSummary(code, self.samples_per_language, self.seed)
        return self.languages[code]

    def generated(self, summary: LanguageSummary, record: dict, reasons: list[str], scores: dict) -> None:
        """Count one generated instruction towards the quality indicators.

        ``reasons`` are every post-filter reason it failed (the accounting names only the first);
        ``scores`` what the post-filter measured (on kept rows, or in a reject's detail).
        """
        if not (record.get("instruction") or record.get("instruction_en")):
            return
        self.has_instructions = True
        ind = summary.indicators
        ind.generated += 1
        ind.echo += any("echo" in r for r in reasons)
        ind.refusal += any("refus" in r for r in reasons)
        native = record.get("instruction")
        detected, sure = _instruction_language(scores)
        if detected is not None:
            self.checked_by.add("postfilter")
            if sure:
                ind.language_checked += 1
                ind.language_consistent += same_language(detected, summary.code)
        elif native and any("language" in r for r in reasons):
            self.checked_by.add("postfilter")
            ind.language_checked += 1  # rejected for being in the wrong language
        elif native and self.identify is not None:
            self.pending_lid.append((summary.code, native))
            if len(self.pending_lid) >= LID_BATCH:
                self.flush_lid()

    def flush_lid(self) -> None:
        if not self.pending_lid:
            return
        self.checked_by.add("lid")
        detected = self.identify([text for _, text in self.pending_lid])
        for (code, _), label in zip(self.pending_lid, detected):
            ind = self.languages[code].indicators
            ind.language_checked += 1
            ind.language_consistent += same_language(label, code)
        self.pending_lid = []

    def kept(self, row: dict) -> None:
        summary = self.language(row.get("language") or row.get("declared_language") or "und")
        summary.doc_chars.append(len(row.get("text") or ""))
        if row.get("instruction"):
            summary.instruction_chars.append(len(row["instruction"]))
        if isinstance(row.get("lid_score"), (int, float)):
            summary.lid_scores.append(float(row["lid_score"]))
        if row.get("style"):
            summary.styles[str(row["style"])] += 1
        summary.samples.offer(row["id"], row)
        if row.get("instruction"):
            summary.instructions.offer(row["id"], (row["instruction"], row.get("script")))
        scores = row.get("postfilter")
        self.generated(summary, row, [], scores if isinstance(scores, dict) else {})
        if isinstance(row.get("curation"), dict):
            summary.quality.add(row, row["curation"], kept=bool(row["curation"].get("keep", True)))

    def outcome(self, outcome: dict, kind: str) -> None:
        code = outcome.get("language") or "und"
        record = outcome.get("record") or {}
        reason = outcome.get("reason", "error") if kind == "rejected" else "error"
        detail = outcome.get("detail") if isinstance(outcome.get("detail"), dict) else {}
        if kind == "rejected":
            self.by_stage_language[(outcome.get("stage", "?"), code)] += 1
            self.by_reason_language[(outcome.get("stage", "?"), reason, code)] += 1
            score = detail.get("score") if outcome.get("stage") in self.lid_stages else record.get("lid_score")
            if isinstance(score, (int, float)) and not isinstance(score, bool):
                self.rejected_lid_scores.append(float(score))
        else:
            message = str(outcome.get("error") or "unknown error").strip().splitlines() or ["unknown error"]
            self.errors[(outcome.get("stage", "?"), message[0][:300])] += 1
        reasons = detail.get("all_reasons") if isinstance(detail.get("all_reasons"), list) else [reason]
        self.generated(self.language(code), record, [str(r) for r in reasons], detail)
        if isinstance(detail.get("curation"), dict):
            self.language(code).quality.add(record, detail["curation"], kept=False)


def _read_yaml(path: Path) -> dict | None:
    try:
        return safe_load(path.read_text(encoding="utf-8"), str(path)) if path.exists() else None
    except yaml.YAMLError:
        return None


def _counted(rows: Iterable[dict], bar, every: int = 4096) -> Iterable[dict]:
    """Advance the progress bar in steps: per-row updates would cost more than reading the row."""
    n = 0
    for n, row in enumerate(rows, 1):
        yield row
        if n % every == 0:
            bar.update(every)
    bar.update(n % every)


def summarize(run: RunDir, samples_per_language: int = 3, identify: Identify | None = None) -> RunSummary:
    """One pass over kept rows, rejects and errors. ``identify`` labels instructions the post-filter left unlabelled."""
    stats = run.read_stats() if run.stats.exists() else None
    recipe = _read_yaml(run.recipe)
    seed = int((recipe or {}).get("seed", 0) or 0)
    lid_stages = {s.get("id") or s.get("stage") for s in (recipe or {}).get("stages", []) if s.get("stage") == "language_id"}
    collector = _Collector(samples_per_language, seed, identify, lid_stages)
    total = sum(stats[k] for k in ("kept", "rejected", "errored")) if stats else None
    with tqdm(total=total, desc="report: reading rows", unit="rec", dynamic_ncols=True, leave=False) as bar:
        if run.split_marker.exists():
            for row in _counted(run.kept_records(), bar):
                collector.kept(row)
        for kind in ("rejected", "errored"):
            for outcome in _counted(run.outcome_records(kind), bar):
                collector.outcome(outcome, kind)
    collector.flush_lid()
    for summary in collector.languages.values():
        sample = summary.instructions.items()
        summary.indicators.distinct_sample = len(sample)
        summary.indicators.distinct_1 = distinct_n(sample, 1)
        summary.indicators.distinct_2 = distinct_n(sample, 2)
    return RunSummary(
        root=run.root, stats=stats, recipe=recipe, languages=collector.languages,
        rejected_by_stage_language=collector.by_stage_language,
        rejected_by_reason_language=collector.by_reason_language,
        rejected_lid_scores=collector.rejected_lid_scores,
        errors=collector.errors,
        has_instructions=collector.has_instructions,
        language_checked_by="+".join(sorted(collector.checked_by)),
    )
