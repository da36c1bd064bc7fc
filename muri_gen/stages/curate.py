"""Curate: score every candidate of every pair, keep the best candidate, keep the best pairs.

    - {stage: curate, embedder: use, native_embedder: e5}                  # the demo's
    - {stage: curate, embedder: labse, judge: llm, calibration: my-ratings.yaml,
       languages: {por: {min_score: 0.7}}}

Signals (muri_gen/curation): alignment by embedding rank (English instruction against the
batch's English documents; native instruction against the documents of its language), grounding
(the instruction's rare words found in its document), language purity, degeneration, the request's
form (what rated requests of its kind were worth), length fit,
the document's LID confidence and, with ``judge``, an LLM's rating. The overall score and the keep
decision follow the ``calibration`` (weights, min_score, floors per language), whose single values
the recipe may override. Among a pair's candidates that passed the post-filter the best-scoring one
becomes the instruction; the others' scores stay in ``curation.candidates``. A pair below the thresholds is rejected with its first reason
(``low_score``, ``low_language_purity``...), or only annotated with ``filter: false``.
"""
from __future__ import annotations

from functools import cached_property

from pydantic import Field

from muri_gen import languages
from muri_gen.backends.llm.cache import CachedChat, RequestCache
from muri_gen.component import Context
from muri_gen.curation.alignment import AlignmentScorer, Query
from muri_gen.curation.degeneration import degeneration
from muri_gen.curation.grounding import GroundingScorer
from muri_gen.curation.judge import JUDGE_KEYS, LLMJudge
from muri_gen.curation.length import demand_of, length_fit, length_of
from muri_gen.curation.purity import Purity, PurityChecker
from muri_gen.curation.request_form import request_form
from muri_gen.curation.score import DEFAULT_CALIBRATION, Calibration, Thresholds, load_calibration
from muri_gen.text import WordSegmenter
from muri_gen.prompts import load_prompt
from muri_gen.record import Outcome, Rejected
from muri_gen.stages.base import Stage, StageConfig


class CurateConfig(StageConfig):
    embedder: str | None = Field(default="embedder",
                                 description="the recipe's embedder backend: English side, and native where it covers")
    native_embedder: str | None = Field(default=None,
                                        description="another embedder for the native side (e.g. e5 for languages use "
                                                    "lacks)")
    judge: str | None = Field(default=None,
                              description="an LLM backend that rates every candidate (costs one request each)")
    judge_prompt: str = Field(default="pair-judge-v1",
                              description="the judge's prompt: a file of muri_gen/prompts, or a path to a YAML file")
    lid: str | None = Field(default=None,
                            description="scores the documents that come without a lid_score (datasets from elsewhere)")
    calibration: str = Field(default=DEFAULT_CALIBRATION,
                             description="a shipped calibration's name or a calibration file")
    weights: dict[str, float] | None = Field(default=None, description="override the calibration's")
    min_score: float | None = Field(default=None, ge=0, le=1,
                                    description="overall score (0..1) a pair needs to be kept, in every language (the "
                                                "calibration's per-language thresholds give way; languages: sets "
                                                "one); None: the calibration's")
    floors: dict[str, float] | None = Field(default=None, description="merged over the calibration's")
    languages: dict[str, Thresholds] | None = Field(default=None,
                                                    description="per language, merged over the calibration's")
    english_markers: str = Field(default="english_markers.txt", description="filters/curate/ word lists, or paths")
    english_short_words: str = Field(default="english_short_words.txt",
                                     description="frequent short English words (of, by, is) that count as foreign "
                                                 "in an instruction: a filters/curate/ list, or a path")
    filter: bool = Field(default=True,
                         description="False: score and annotate every pair, reject none (e.g. to build a rating "
                                     "sample)")


class Curate(Stage):
    name = "curate"
    reads = ("instruction", "text", "language")
    writes = ("curation", "language")  # the language as ISO 639-3 ("es", "spa_Latn" -> "spa")
    Config = CurateConfig
    uses_backends = {"embedder": "embedder", "native_embedder": "embedder", "judge": "llm", "lid": "lid"}

    @classmethod
    def check(cls, config: CurateConfig, context: Context | None) -> list[str]:
        problems = []
        try:
            merged_calibration(config)
        except ValueError as exc:
            problems.append(f"curate calibration: {exc}")
        if config.judge:
            try:
                load_prompt(config.judge_prompt, JUDGE_KEYS, "judge")
            except ValueError as exc:
                problems.append(str(exc))
        if not (config.embedder or config.native_embedder or config.judge):
            problems.append("curate needs an embedder, a native_embedder or a judge: without one, nothing "
                            "says whether the document answers the instruction")
        return problems

    @cached_property
    def calibration(self) -> Calibration:
        return merged_calibration(self.config)

    def setup(self) -> None:
        cfg = self.config
        english = self.context.backend(cfg.embedder) if cfg.embedder else None
        native = self.context.backend(cfg.native_embedder) if cfg.native_embedder else english
        self.alignment = AlignmentScorer(english, native)
        self.purity = PurityChecker(cfg.english_markers, cfg.english_short_words)
        self.grounding = GroundingScorer()
        self.segmenter = WordSegmenter()
        self.lid = self.context.backend(cfg.lid) if cfg.lid else None
        self.judge = None
        if cfg.judge:
            cache = RequestCache(self.context.cache_dir / "llm_requests")
            self.judge = LLMJudge(CachedChat(self.context.backend(cfg.judge), cache), cfg.judge_prompt)

    def teardown(self) -> None:
        if getattr(self, "judge", None) is not None:
            self.judge.chat.cache.close()

    def process(self, records: list[dict]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(records)
        usable: dict[int, dict] = {}
        for i, record in enumerate(records):
            code = languages.record_code(record.get("language"))
            if code is None:
                outcomes[i] = Rejected("unknown_language", {"language": record.get("language")})
            elif not any(c["instruction"].strip() for c in candidates_to_score(record)):
                outcomes[i] = Rejected("empty_instruction")
            else:
                usable[i] = {**record, "language": code}
        for i, outcome in zip(usable, self.curate(list(usable.values()))):
            outcomes[i] = outcome
        return outcomes  # type: ignore[return-value]

    def curate(self, records: list[dict]) -> list[Outcome]:
        candidates = [candidates_to_score(record) for record in records]
        lid = self.document_lid(records)
        flat = [(record, c) for record, cands in zip(records, candidates) for c in cands]
        rows = iter(self.score_all(flat, [score for score, cands in zip(lid, candidates) for _ in cands]))
        outcomes: list[Outcome] = []
        for record, cands in zip(records, candidates):
            language = record.get("language") or "und"
            scored = [next(rows) for _ in cands]
            best = max(range(len(scored)), key=lambda i: (scored[i]["score"] is not None, scored[i]["score"] or 0, -i))
            chosen = scored[best]
            reasons = self.calibration.reasons(chosen["signals"], chosen["score"], language)
            curation = {"score": chosen["score"], "keep": not reasons, "reasons": reasons, "signals": chosen["signals"],
                        "details": chosen["details"], "calibration": self.calibration.name,
                        "candidate": cands[best].get("index", 0),
                        "candidates": [{"index": c.get("index", 0), "score": r["score"], "signals": r["signals"]}
                                       for c, r in zip(cands, scored)]}
            if reasons and self.config.filter:
                outcomes.append(Rejected(reasons[0], {"curation": curation}))
                continue
            kept = {**record, "instruction": cands[best]["instruction"], "curation": curation}
            if cands[best].get("instruction_en"):
                kept["instruction_en"] = cands[best]["instruction_en"]
            outcomes.append(kept)
        return outcomes

    def score_all(self, flat: list[tuple[dict, dict]], lid: list[float | None]) -> list[dict]:
        """Signals and score of every (record, candidate): the text signals first, then the costly ones
        (embeddings, the judge) for the candidates that can still be kept. A candidate that fails the
        calibration even at perfect alignment and judge is not embedded when the stage filters: on the
        demo that skips most of Serbo-Croatian's word salad and keeps scoring within a tenth of generation."""
        # in the record's script: a Cyrillic Serbian instruction is not foreign to Serbo-Croatian
        purities = self.purity.check_all([
            (c["instruction"], languages.tag_in_script(record.get("language") or "und", record.get("script")),
             record.get("text") or "", contact_languages(record)) for record, c in flat])
        rows = [self.text_signals(record, c, score, purity) for (record, c), score, purity in zip(flat, lid, purities)]
        grounded = self.grounding.score([self.query(record, c) for record, c in flat])
        for row, (english, native) in zip(rows, grounded):
            row["signals"].update(grounding_en=english, grounding_native=native)
        costly = [not self.config.filter or self.reachable(row["signals"], record.get("language") or "und")
                  for row, (record, _) in zip(rows, flat)]
        alignment = self.alignment.score([
            self.query(record, c) if wanted else Query(None, record.get("text"), record.get("language") or "und")
            for (record, c), wanted in zip(flat, costly)])
        asked = [i for i, wanted in enumerate(costly) if wanted]
        verdicts: list = [None] * len(flat)
        if self.judge and asked:
            rated = self.judge.rate([(flat[i][1]["instruction"], flat[i][0].get("text") or "",
                                      flat[i][0].get("language") or "und") for i in asked])
            for i, verdict in zip(asked, rated):
                verdicts[i] = verdict
        for row, scores, verdict, wanted in zip(rows, alignment, verdicts, costly):
            self.add_costly(row, scores, verdict, wanted)
        return rows

    @staticmethod
    def query(record: dict, candidate: dict) -> Query:
        return Query(candidate["instruction"], record.get("text"), record.get("language") or "und",
                     candidate.get("instruction_en"), record.get("text_en"))

    def reachable(self, signals: dict, language: str) -> bool:
        """Whether the costly signals at their best could still make the calibration keep this candidate:
        they raise the weighted mean at most to what 1.0 each gives."""
        best = {**signals, "alignment_en": 1.0, "alignment_native": 1.0, "judge": 1.0 if self.judge else None}
        return not self.calibration.reasons(best, self.calibration.score(best), language)

    def text_signals(self, record: dict, candidate: dict, lid_score: float | None, purity: Purity) -> dict:
        """Degeneration, request form, length fit and the document's LID confidence (no model needed),
        with the language purity checked for the whole batch."""
        language = record.get("language") or "und"
        document = record.get("text") or ""
        instruction = candidate["instruction"]
        english = candidate.get("instruction_en") or (instruction if language == "eng" else None)
        degenerate = degeneration(english or instruction, candidate.get("finish_reason"), candidate.get("prompt_overlap"))
        demand = demand_of(english) if english else None
        fit = length_fit(demand, length_of(document, language, demand.unit, self.segmenter)) if demand else None
        form = request_form(english)
        signals = {"alignment_en": None, "alignment_native": None, "grounding_en": None, "grounding_native": None,
                   "language_purity": purity.value,
                   "degeneration": degenerate.value, "request_form": self.calibration.form_value(form), "length_fit": fit, "lid_confidence": lid_score, "judge": None}
        details = {"foreign_words": purity.foreign[:20], "unknown_words": purity.unknown[:20],
                   "artefacts": purity.artefacts[:20],
                   "repeated": degenerate.repeated, "truncated": degenerate.truncated, "request_form": form,
                   "length_demand": f"{demand.bound} {demand.n} {demand.unit}" if demand else None}
        return {"score": None, "signals": signals, "details": details}

    def add_costly(self, row: dict, alignment, verdict, computed: bool) -> None:
        """Alignment and the judge's verdict into a candidate's row, then its score."""
        signals, details = row["signals"], row["details"]
        signals.update(alignment_en=alignment.en, alignment_native=alignment.native,
                       judge=verdict.value if verdict else None)
        details.update(rank_en=alignment.rank_en, rank_native=alignment.rank_native,
                       cosine_en=alignment.cosine_en, cosine_native=alignment.cosine_native)
        if not computed:
            details["not_embedded"] = "fails the calibration at any alignment"
        if verdict is not None:
            details["judge"] = {"alignment": verdict.alignment, "instruction": verdict.instruction,
                                "reason": verdict.reason, **({"error": verdict.error} if verdict.error else {})}
        row["score"] = self.calibration.score(signals)

    def document_lid(self, records: list[dict]) -> list[float | None]:
        """The language_id stage's confidence, or this stage's LID backend's for the document's language."""
        scores = [round(float(r["lid_score"]), 4) if isinstance(r.get("lid_score"), (int, float)) else None for r in records]
        missing = [i for i, s in enumerate(scores) if s is None and isinstance(records[i].get("text"), str)]
        if self.lid is None or not missing:
            return scores
        texts = [records[i]["text"] for i in missing]
        ranked = self.lid.identify_ranked(texts)  # top-1 only for an unranked LID: another language's label gives 0
        for i, predictions in zip(missing, ranked):
            wanted = str(records[i].get("language"))
            scores[i] = round(sum(p.score for p in predictions if languages.covers(wanted, p.language)), 4)
        return scores


def merged_calibration(config: CurateConfig) -> Calibration:
    """The named calibration with the recipe's single values on top."""
    base = load_calibration(config.calibration)
    update = {key: value for key, value in (("weights", config.weights), ("min_score", config.min_score)) if value is not None}
    if config.floors:
        update["floors"] = {**base.floors, **config.floors}
    languages = base.languages
    if config.min_score is not None:  # the recipe's threshold replaces the calibration's, its languages' too
        languages = {code: own.model_copy(update={"min_score": None}) for code, own in languages.items()}
    update["languages"] = {**languages, **(config.languages or {})}
    return Calibration.model_validate({**base.model_dump(), **update})


def contact_languages(record: dict) -> tuple[str, ...]:
    """The pivot the instruction's translation went through: its words may be left in."""
    source = record.get("translation_src")
    via = source.get("via") if isinstance(source, dict) else None
    return (via,) if via else ()


def candidates_to_score(record: dict) -> list[dict]:
    """The candidates the post-filter passed (each with its index), or the pair's own instruction."""
    items = [{**c, "index": i} for i, c in enumerate(record.get("candidates") or []) if isinstance(c, dict)]
    passing = [c for c in items if isinstance(c.get("instruction"), str) and c["instruction"].strip()
               and (c.get("postfilter") or {}).get("passed", True)]
    if passing:
        return passing
    instruction = record.get("instruction")
    return [{"instruction": instruction if isinstance(instruction, str) else "", "instruction_en": record.get("instruction_en"),
             "finish_reason": (record.get("generation") or {}).get("finish_reason")}]
