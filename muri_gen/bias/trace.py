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


def trace_rows(rows: Iterable[dict], occupations_path: str | None = None, ci_samples: int = 1000,
               seed: int = 0, ratio_steps: int = 10) -> dict:
    """The per-stage trace of a run's kept rows (fields text, language, text_en, instruction_en, instruction)."""
    counters: dict[str, CooccurrenceCounter] = {}
    # (stage, language) -> Counts; "all" pools the languages (counts are keyed by occupation name)
    counts: dict[tuple[str, str], Counts] = {}
    rows_per_language: dict[str, int] = {}
    missing_fields: dict[str, int] = {}

    def counter(language: str) -> CooccurrenceCounter:
        code = file_code(language)
        if code not in counters:
            counters[code] = CooccurrenceCounter(language, load_lexicon(language, occupations_path))
        return counters[code]

    for row in rows:
        language = row.get("language") or "und"
        rows_per_language[language] = rows_per_language.get(language, 0) + 1
        for stage in STAGES:
            text = row.get(stage.field)
            if not isinstance(text, str) or not text.strip():
                missing_fields[stage.field] = missing_fields.get(stage.field, 0) + 1
                continue
            text_language = language if stage.native else ENGLISH
            if not has_lexicon(text_language):
                continue
            one = counter(text_language).count([text])
            for key in ((stage.name, language), (stage.name, "all")):
                counts.setdefault(key, Counts(file_code(text_language) if key[1] != "all" else "all")).add(one)

    occupations = load_lexicon(ENGLISH, occupations_path).occupations
    stages: dict[str, dict] = {}
    for stage in STAGES:
        per_language = {}
        for language in sorted(rows_per_language):
            text_language = language if stage.native else ENGLISH
            if not has_lexicon(text_language):
                per_language[language] = {"skipped": f"no lexicon for {language!r}: not counted (have: {', '.join(lexicon_languages())})"}
            elif (stage.name, language) not in counts:
                per_language[language] = {"skipped": f"no {stage.field!r} text in this run's rows"}
            else:
                lexicon = counter(text_language).lexicon
                per_language[language] = counts_report(counts[(stage.name, language)], lexicon.occupations, ci_samples, seed)
        overall = counts.get((stage.name, "all"))
        stages[stage.name] = {
            "field": stage.field,
            "generated": stage.generated,
            "overall": counts_report(overall, occupations, ci_samples, seed) if overall else None,
            "languages": per_language,
        }

    amplifications = {}
    for generated, source in AMPLIFICATION_PAIRS.items():
        entry = {}
        for scope in ["overall", *sorted(rows_per_language)]:
            gen = stages[generated]["overall"] if scope == "overall" else stages[generated]["languages"].get(scope)
            src = stages[source]["overall"] if scope == "overall" else stages[source]["languages"].get(scope)
            if gen and src and "occupations" in gen and "occupations" in src:
                entry[scope] = amplification(gen, src)
        amplifications[f"{generated}_vs_{source}"] = entry

    source_en, generated_en = counts.get(("english_document", "all")), counts.get(("english_instruction", "all"))
    return {
        "summary": summary(stages, amplifications),
        "method": "sentence-window gender-occupation co-occurrence (arXiv 2411.19240); STA = total variation "
                  "distance to the reference share of women (US BLS via WinoBias), epsilon 1e-5",
        "rows": sum(rows_per_language.values()),
        "rows_per_language": rows_per_language,
        "missing_fields": missing_fields,
        "lexicon_languages": lexicon_languages(),
        "stages": stages,
        "amplification": amplifications,
        "bias_ratio": (bias_ratio_curve(source_en, generated_en, occupations, ratio_steps)
                       if source_en and generated_en else None),
    }


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


__all__ = ["trace_texts", "trace_rows", "STAGES", "LexiconError"]
