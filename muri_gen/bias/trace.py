"""Counting whole collections and tracing a run's rows through the pipeline's stages.

``trace_texts`` is what ``muri-gen bias trace`` writes; ``trace_rows`` is what the bias_trace sink
writes: the same report per stage (native document, English document, English instruction,
back-translated instruction), per language and overall, with amplification and the bias ratio view.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from muri_gen.bias.counting import CooccurrenceCounter, Counts
from muri_gen.bias.lexicons import LexiconError, file_code, has_lexicon, lexicon_languages, load_lexicon
from muri_gen.bias.metrics import amplification, bias_ratio_curve, counts_report

ENGLISH = "eng"


@dataclass(frozen=True)
class TraceStage:
    name: str
    field: str
    native: bool  # in the record's own language (else English)
    generated: bool  # written by the pipeline's models (else human-written or its translation)


STAGES = (
    TraceStage("native_document", "text", native=True, generated=False),
    TraceStage("english_document", "text_en", native=False, generated=False),
    TraceStage("english_instruction", "instruction_en", native=False, generated=True),
    TraceStage("native_instruction", "instruction", native=True, generated=True),
)
# generated stage -> the text it came from
AMPLIFICATION_PAIRS = {"english_instruction": "english_document", "native_instruction": "native_document"}


def trace_texts(texts: Iterable[str], language: str, occupations_path: str | None = None,
                ci_samples: int = 1000, seed: int = 0) -> dict:
    """Counts and metrics of one collection in one language (raises LexiconError without a lexicon)."""
    lexicon = load_lexicon(language, occupations_path)
    counts = CooccurrenceCounter(language, lexicon).count(texts)
    report = counts_report(counts, lexicon.occupations, ci_samples, seed)
    report["lexicon"] = lexicon.language
    return report


def trace_by_language(texts: Iterable[tuple[str, str]], occupations_path: str | None = None,
                      ci_samples: int = 1000, seed: int = 0) -> dict:
    """``trace_texts`` for a file mixing languages: (text, language) pairs counted in one pass, one
    report per language; languages without a lexicon are counted in ``no_lexicon``, not guessed."""
    counters: dict[str, CooccurrenceCounter] = {}
    counts: dict[str, Counts] = {}
    no_lexicon: dict[str, int] = {}
    for text, language in texts:
        if not has_lexicon(language):
            no_lexicon[language] = no_lexicon.get(language, 0) + 1
            continue
        code = file_code(language)
        if code not in counters:
            counters[code] = CooccurrenceCounter(language, load_lexicon(language, occupations_path))
        counts.setdefault(code, Counts(code)).add(counters[code].count([text]))
    reports = {}
    for code, collected in sorted(counts.items()):
        reports[code] = counts_report(collected, counters[code].lexicon.occupations, ci_samples, seed)
        reports[code]["lexicon"] = counters[code].lexicon.language
    return {"languages": reports, "no_lexicon": no_lexicon}


class StageCounts:
    """Counts of one set of texts per (stage, language), and per stage over all languages ("all")."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], Counts] = {}
        self.rows_per_language: dict[str, int] = {}
        self.missing_fields: dict[str, int] = {}

    def add(self, stage: str, language: str, counted: Counts) -> None:
        for key in ((stage, language), (stage, "all")):
            self.counts.setdefault(key, Counts(counted.language if key[1] != "all" else "all")).add(counted)

    def __add__(self, other: StageCounts) -> StageCounts:
        total = StageCounts()
        for part in (self, other):
            for (stage, language), counts in part.counts.items():
                total.counts.setdefault((stage, language), Counts(counts.language)).add(counts)
            for target, source in ((total.rows_per_language, part.rows_per_language),
                                   (total.missing_fields, part.missing_fields)):
                for key, value in source.items():
                    target[key] = target.get(key, 0) + value
        return total

    def languages(self) -> list[str]:
        return sorted(set(self.rows_per_language) | {lang for _, lang in self.counts if lang != "all"})


class Tracer:
    """Counts rows into StageCounts with one co-occurrence counter per language, then reports them."""

    def __init__(self, occupations_path: str | None = None, ci_samples: int = 1000, seed: int = 0,
                 ratio_steps: int = 10):
        self.occupations_path = occupations_path
        self.ci_samples, self.seed, self.ratio_steps = ci_samples, seed, ratio_steps
        self._counters: dict[str, CooccurrenceCounter] = {}

    def counter(self, language: str) -> CooccurrenceCounter:
        code = file_code(language)
        if code not in self._counters:
            self._counters[code] = CooccurrenceCounter(language, load_lexicon(language, self.occupations_path))
        return self._counters[code]

    def count(self, into: StageCounts, language: str, texts: dict[str, list[str]]) -> None:
        """Adds one row's texts (stage name -> texts of that stage) in the row's language."""
        for stage in STAGES:
            text_language = language if stage.native else ENGLISH
            present = [t for t in texts.get(stage.name, ()) if isinstance(t, str) and t.strip()]
            if present and has_lexicon(text_language):
                into.add(stage.name, language, self.counter(text_language).count(present))

    def count_rows(self, rows: Iterable[dict], into: StageCounts | None = None) -> StageCounts:
        """Each row's own stage fields, once."""
        into = into or StageCounts()
        for row in rows:
            language = row.get("language") or "und"
            into.rows_per_language[language] = into.rows_per_language.get(language, 0) + 1
            for stage in STAGES:
                if not _texts(row, stage.field):
                    into.missing_fields[stage.field] = into.missing_fields.get(stage.field, 0) + 1
            self.count(into, language, {stage.name: _texts(row, stage.field) for stage in STAGES})
        return into

    def report(self, counted: StageCounts) -> dict:
        """The per-stage trace of counted texts: per language and overall, amplification, bias ratio."""
        occupations = load_lexicon(ENGLISH, self.occupations_path).occupations
        languages = counted.languages()
        stages: dict[str, dict] = {}
        for stage in STAGES:
            per_language = {}
            for language in languages:
                text_language = language if stage.native else ENGLISH
                if not has_lexicon(text_language):
                    per_language[language] = {"skipped": f"no lexicon for {language!r}: not counted "
                                                         f"(have: {', '.join(lexicon_languages())})"}
                elif (stage.name, language) not in counted.counts:
                    per_language[language] = {"skipped": f"no {stage.field!r} text in these rows"}
                else:
                    per_language[language] = counts_report(counted.counts[(stage.name, language)],
                                                           self.counter(text_language).lexicon.occupations,
                                                           self.ci_samples, self.seed)
            overall = counted.counts.get((stage.name, "all"))
            stages[stage.name] = {
                "field": stage.field,
                "generated": stage.generated,
                "overall": counts_report(overall, occupations, self.ci_samples, self.seed) if overall else None,
                "languages": per_language,
            }

        amplifications = {}
        for generated, source in AMPLIFICATION_PAIRS.items():
            entry = {}
            for scope in ["overall", *languages]:
                gen = stages[generated]["overall"] if scope == "overall" else stages[generated]["languages"].get(scope)
                src = stages[source]["overall"] if scope == "overall" else stages[source]["languages"].get(scope)
                if gen and src and "occupations" in gen and "occupations" in src:
                    entry[scope] = amplification(gen, src)
            amplifications[f"{generated}_vs_{source}"] = entry

        source_en = counted.counts.get(("english_document", "all"))
        generated_en = counted.counts.get(("english_instruction", "all"))
        return {
            "summary": summary(stages, amplifications),
            "method": "sentence-window gender-occupation co-occurrence (arXiv 2411.19240); STA = total variation "
                      "distance to the reference share of women (US BLS via WinoBias), epsilon 1e-5",
            "rows": sum(counted.rows_per_language.values()),
            "rows_per_language": counted.rows_per_language,
            "missing_fields": counted.missing_fields,
            "lexicon_languages": lexicon_languages(),
            "stages": stages,
            "amplification": amplifications,
            "bias_ratio": (bias_ratio_curve(source_en, generated_en, occupations, self.ratio_steps)
                           if source_en and generated_en else None),
        }


def _texts(row: dict, field: str) -> list[str]:
    text = row.get(field)
    return [text] if isinstance(text, str) and text.strip() else []


def trace_rows(rows: Iterable[dict], occupations_path: str | None = None, ci_samples: int = 1000,
               seed: int = 0, ratio_steps: int = 10) -> dict:
    """The per-stage trace of a run's kept rows (fields text, language, text_en, instruction_en, instruction)."""
    tracer = Tracer(occupations_path, ci_samples, seed, ratio_steps)
    return tracer.report(tracer.count_rows(rows))


def trace_run(kept: Iterable[dict], outcomes: Iterable[dict], occupations_path: str | None = None,
              ci_samples: int = 1000, seed: int = 0, ratio_steps: int = 10) -> dict:
    """``trace_rows`` of the kept rows, plus the same trace over everything the generator wrote.

    ``outcomes`` are the run's rejected and errored records ({"stage", "record", ...}); those whose
    record carries generated text (rejected after the generator: post-filter, curate) are traced.
    Each text is counted once, in one of two parts that add up to ``generated``: ``kept`` (the
    dataset: each kept row's document and chosen instruction) and ``discarded`` (documents of the
    rejected rows, and every other distinct candidate the generator wrote, for kept and rejected rows
    alike; identical candidates of one row are one text). Comparing ``kept`` with ``generated`` shows
    what selection did to the bias (``selection``).
    """
    tracer = Tracer(occupations_path, ci_samples, seed, ratio_steps)
    kept_counts, discarded = StageCounts(), StageCounts()
    dropped_by: dict[str, int] = {}
    for row in kept:
        tracer.count_rows([row], kept_counts)
        tracer.count(discarded, row.get("language") or "und", _other_candidates(row))
    for outcome in outcomes:
        record = outcome.get("record")
        if not isinstance(record, dict) or not any(_candidate_texts(record, s.field) for s in STAGES if s.generated):
            continue
        where = f"{'errored' if 'error' in outcome else 'rejected'}:{outcome.get('stage', '?')}"
        dropped_by[where] = dropped_by.get(where, 0) + 1
        language = record.get("language") or "und"
        discarded.rows_per_language[language] = discarded.rows_per_language.get(language, 0) + 1
        tracer.count(discarded, language, {s.name: (_candidate_texts(record, s.field) if s.generated
                                                    else _texts(record, s.field)) for s in STAGES})
    trace = tracer.report(kept_counts)
    scopes = {"kept": trace, "discarded": tracer.report(discarded), "generated": tracer.report(kept_counts + discarded)}
    trace["generated"] = scopes["generated"]
    trace["discarded"] = {**scopes["discarded"], "rows_by_outcome": dropped_by}
    trace["selection"] = selection(scopes)
    return trace


def _candidate_texts(row: dict, field: str) -> list[str]:
    """Distinct texts of one field over a row's candidates (the row's own field when it has none)."""
    candidates = [c for c in row.get("candidates") or [] if isinstance(c, dict)]
    texts = [t for c in candidates for t in _texts(c, field)] if candidates else _texts(row, field)
    return list(dict.fromkeys(texts))


def _other_candidates(row: dict) -> dict[str, list[str]]:
    """A kept row's generated texts other than the one chosen, per generated stage."""
    return {s.name: [t for t in _candidate_texts(row, s.field) if t not in _texts(row, s.field)]
            for s in STAGES if s.generated}


def selection(scopes: dict[str, dict]) -> dict:
    """Per stage and scope (kept, discarded, generated = kept + discarded): texts, occupations with
    evidence, female/male windows and female share, overall and per language."""
    def digest(report: dict | None) -> dict | None:
        if not report or "occupations" not in report:
            return None
        return {k: report[k] for k in ("texts", "occupations_with_evidence", "female", "male", "female_pct", "overall_sta")}

    result = {}
    for stage in STAGES:
        result[stage.name] = {
            scope: {"overall": digest(report["stages"][stage.name]["overall"]),
                    "languages": {lang: d for lang, r in report["stages"][stage.name]["languages"].items()
                                  if (d := digest(r))}}
            for scope, report in scopes.items()
        }
        kept, generated = (result[stage.name][s]["overall"] for s in ("kept", "generated"))
        result[stage.name]["female_pct_kept_minus_generated"] = (
            round(kept["female_pct"] - generated["female_pct"], 4)
            if kept and generated and kept["female_pct"] is not None and generated["female_pct"] is not None else None)
    return result


def summary(stages: dict, amplifications: dict) -> dict:
    """The few numbers a report shows first: per stage, per language STA and female%, and what was skipped."""
    result = {}
    for name, stage in stages.items():
        counted = {lang: {"overall_sta": r["overall_sta"], "female_pct": r["female_pct"],
                          "occupations_with_evidence": r["occupations_with_evidence"]}
                   for lang, r in stage["languages"].items() if "occupations" in r}
        overall = stage["overall"]
        result[name] = {
            "overall_sta": overall["overall_sta"] if overall else None,
            "female_pct": overall["female_pct"] if overall else None,
            "occupations_with_evidence": overall["occupations_with_evidence"] if overall else 0,
            "languages": counted,
            "skipped": {lang: r["skipped"] for lang, r in stage["languages"].items() if "skipped" in r},
        }
    result["amplification_mean"] = {pair: {scope: a["mean"] for scope, a in entry.items()}
                                     for pair, entry in amplifications.items()}
    return result


__all__ = ["trace_texts", "trace_rows", "trace_run", "STAGES", "LexiconError"]
