"""Post-filters on the finished pair (after back-translation); each rejection names its reason.

    - {stage: postfilter, lid: lid, echo_threshold: 0.5}

Reasons: ``empty``, ``too_short``, ``too_long``, ``echo`` (the instruction copies the document:
word n-gram overlap), ``refusal`` ("I cannot", "As an AI"), ``meta_talk`` (talks about "the text"
the reader never sees, or about itself), ``summarize_or_translate`` (MURI dropped these asks), ``not_a_request`` (a statement about the
topic instead of a question or an order; search queries are exempt),
``template_leftover`` (chat tokens, placeholders, labels), ``prompt_injection`` (the document
gave the model orders and the instruction followed them), ``wrong_language`` (the back-translated
instruction is not in the document's language, by the recipe's LID backend), ``doubled_phrase`` (the
back-translated instruction coordinates a phrase with itself: a translator gave two English words one
translation, "la esclavitud y la esclavitud" for "slavery and servitude"; the 19 rated demo pairs with
one rated 1.9 of 5 on instruction; conjunctions in ``filters/curate/coordinators.txt``).

The English checks (``InstructionChecks``) also rank candidate instructions in the
reverse_instruction stage when it samples several per document.
"""
from __future__ import annotations

import re

import regex
from pydantic import Field

from muri_gen import languages
from muri_gen.component import ComponentConfig
from muri_gen.curation.ngrams import ngram_overlap, words
from muri_gen.curation.purity import word_list
from muri_gen.record import Outcome, Rejected
from muri_gen.stages.base import Stage, StageConfig

REFUSAL = re.compile(
    r"\b(as an ai|as a language model|i(?:'m| am) (?:sorry|unable|not able)|i can(?:not|'t)|i (?:do not|don't) have"
    r"|i apologi[sz]e|i won't|cannot (?:help|assist|provide))\b", re.IGNORECASE)
META_TALK = re.compile(
    r"\b((?:the|this|that|above|below|following|given|provided|attached) (?:text|passage|article|document|paragraph|excerpt)"
    r"|here(?:'s| is) (?:the|an?|your) (?:instruction|request|query|message|question)|the instruction (?:is|would be)"
    r"|reverse instruction|language model|chatbot message)\b", re.IGNORECASE)
SUMMARIZE_OR_TRANSLATE = re.compile(
    r"\b(summari[sz](?:e|es|ed|ing|ation)|summary|tl;?dr|translat(?:e|es|ed|ing|ion)|paraphras(?:e|ing)"
    r"|rephras(?:e|ing)|rewrite)\b", re.IGNORECASE)
TEMPLATE_LEFTOVER = re.compile(
    r"<\|[^|<>]{1,40}\|>|</?s>|\[/?INST\]|<<\/?SYS>>|\{(?:document|text|n|unit|instruction)\}"
    r"|^\s*(?:instruction|output|query|message|text|answer|response)\s*:|(?:^|\n)\s*(?:user|assistant|system)\s*:",
    re.IGNORECASE)
# how a question or an order starts; a "search_query" style instruction needs neither
REQUEST_START = re.compile(
    r"^\W*(?:what|how|why|when|where|who|whom|whose|which|is|are|can|could|should|would|will|do|does|did|may|hey|hi"
    r"|hello|please|explain|describe|write|tell|list|give|discuss|compare|define|outline|name|provide|suggest|help"
    r"|create|draft|compose|argue|analy[sz]e|evaluate|imagine|share|recommend|i(?:'d| would) like|i want|i need"
    r"|let's)\b", re.IGNORECASE)
# orders aimed at a model, in the document (planted) or in the instruction (followed)
INJECTION = re.compile(
    r"\b(ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier|preceding) (?:instructions|prompts?|text)"
    r"|disregard (?:all |the )?(?:previous|above|prior) \w+|(?:reveal|print|repeat) (?:your|the) system prompt"
    r"|you are now\b|new instructions?:|as instructed (?:above|in the text)|(?:ai|language model|assistant),? (?:you )?(?:must|should) (?:now )?(?:write|say|reply|respond))",
    re.IGNORECASE)


def doubled_phrase(coordinators: frozenset[str]) -> regex.Pattern:
    """A phrase of 1-3 words, the first of five letters or more, a conjunction, maybe an article, the phrase again."""
    conjunctions = "|".join(sorted((regex.escape(c) for c in coordinators), key=len, reverse=True))
    return regex.compile(rf"(?<!\p{{L}})(\p{{L}}{{5,}}(?:\s+\p{{L}}+){{0,2}})\s+(?:{conjunctions})\s+"
                         rf"(?:\p{{L}}{{1,3}}\s+|\p{{L}}['’])?\1(?!\p{{L}})", regex.IGNORECASE | regex.V1)


class ChecksConfig(ComponentConfig):
    """The English-side checks: the postfilter stage's options, and reverse_instruction's ``checks:``."""

    min_words: int = Field(default=3, ge=1, description="of the English instruction")
    max_words: int = Field(default=150, ge=1, description="of the English instruction; longer is too_long")
    echo_ngram: int = Field(default=3, ge=1, description="words per n-gram of the echo checks (echo_threshold)")
    echo_threshold: float = Field(default=0.5, gt=0, le=1,
                                  description="share of instruction n-grams copied from the document")
    injection_overlap: float = Field(default=0.5, gt=0, le=1,
                                     description="share copied from an injected sentence of the document")
    require_request: bool = Field(default=True,
                                  description="reject statements: an instruction asks (question) or orders "
                                              "(imperative)")


class InstructionChecks:
    """The English-side checks: (failed reasons in order, scores) for one instruction and document."""

    def __init__(self, config: ChecksConfig):
        self.config = config

    def check(self, instruction: str, document: str, style: str | None = None) -> tuple[list[str], dict]:
        cfg = self.config
        n_words = len(words(instruction))
        echo = ngram_overlap(instruction, document, cfg.echo_ngram)
        scores = {"words_en": n_words, "echo_overlap": round(echo, 4)}
        if not instruction.strip():
            return ["empty"], scores
        # the most specific reason first: it names the rejection in the accounting
        failed = [reason for reason, pattern in (("template_leftover", TEMPLATE_LEFTOVER), ("refusal", REFUSAL),
                                                 ("meta_talk", META_TALK),
                                                 ("summarize_or_translate", SUMMARIZE_OR_TRANSLATE))
                  if pattern.search(instruction)]
        if self.followed_injection(instruction, document):
            failed.insert(0, "prompt_injection")
        if echo >= cfg.echo_threshold:
            failed.append("echo")
        if cfg.require_request and style != "search_query" and "?" not in instruction \
                and not REQUEST_START.match(instruction):
            failed.append("not_a_request")
        if n_words < cfg.min_words:
            failed.append("too_short")
        if n_words > cfg.max_words:
            failed.append("too_long")
        return failed, scores

    def followed_injection(self, instruction: str, document: str) -> bool:
        if INJECTION.search(instruction):
            return True
        planted = [s for s in re.split(r"(?<=[.!?])\s+|\n+", document) if INJECTION.search(s)]
        return any(ngram_overlap(instruction, s, 2) >= self.config.injection_overlap for s in planted)


class PostFilterConfig(ChecksConfig, StageConfig):
    min_chars: int = Field(default=10, ge=1, description="of the back-translated instruction")
    max_chars: int = Field(default=1500, ge=1, description="of the back-translated instruction; longer is too_long")
    lid: str | None = Field(default=None,
                            description="the recipe's LID backend: reject instructions not in the document's language")
    min_lid_confidence: float = Field(default=0.5, ge=0, le=1, description="below it LID is unsure: not a rejection")
    coordinators: str = Field(default="coordinators.txt",
                              description="conjunctions of the doubled_phrase check: a filters/curate/ list, or a path")


class PostFilter(Stage):
    """Checks every candidate instruction of a pair; the pair goes on while one candidate passes.

    Failing candidates stay in ``candidates`` with their reasons (the report shows them); a pair
    whose candidates all fail is rejected with the reasons of the one that failed fewest checks.
    """

    name = "postfilter"
    reads = ("instruction", "instruction_en", "text", "text_en", "language")
    writes = ("postfilter",)
    Config = PostFilterConfig
    uses_backends = {"lid": "lid"}

    def setup(self) -> None:
        self.checks = InstructionChecks(self.config)
        self.doubled = doubled_phrase(word_list(self.config.coordinators))
        self.lid = self.context.backend(self.config.lid) if self.config.lid else None

    def process(self, records: list[dict]) -> list[Outcome]:
        candidates = [candidates_of(record) for record in records]
        flat = [c["instruction"] for cands in candidates for c in cands]
        predictions = iter(self.lid.identify(flat) if self.lid else [None] * len(flat))
        outcomes: list[Outcome] = []
        for record, cands in zip(records, candidates):
            checked = [{**c, "postfilter": self.verdict(record, c, next(predictions))} for c in cands]
            passing = [c for c in checked if c["postfilter"]["passed"]]
            if not passing:
                first = min(checked, key=lambda c: (len(c["postfilter"]["failed"]), c["postfilter"]["echo_overlap"]))
                verdict = first["postfilter"]
                detail = {"all_reasons": verdict["failed"], **{k: v for k, v in verdict.items() if k not in ("failed", "passed")}}
                if len(checked) > 1:
                    detail["candidates"] = len(checked)
                outcomes.append(Rejected(verdict["failed"][0], detail))
                continue
            best = min(passing, key=lambda c: c["postfilter"]["echo_overlap"])
            kept = {**record, "instruction": best["instruction"], "postfilter": best["postfilter"]}
            if best.get("instruction_en"):
                kept["instruction_en"] = best["instruction_en"]
            if "candidates" in record:
                kept["candidates"] = checked
            outcomes.append(kept)
        return outcomes

    def verdict(self, record: dict, candidate: dict, prediction) -> dict:
        """{failed: [reasons, most specific first], passed, scores...} for one candidate instruction."""
        cfg = self.config
        instruction = candidate["instruction"]
        english = candidate.get("instruction_en") or instruction
        failed, scores = self.checks.check(english, record.get("text_en") or record.get("text") or "", record.get("style"))
        native_echo = ngram_overlap(instruction, record.get("text") or "", cfg.echo_ngram)
        scores |= {"chars": len(instruction), "echo_overlap_native": round(native_echo, 4)}
        if not instruction.strip():
            failed.insert(0, "empty")
        elif len(instruction) < cfg.min_chars:
            failed.append("too_short")
        elif len(instruction) > cfg.max_chars:
            failed.append("too_long")
        if native_echo >= cfg.echo_threshold and "echo" not in failed:
            failed.append("echo")
        if self.doubled.search(instruction):
            failed.append("doubled_phrase")
        if prediction is not None:
            scores |= {"instruction_lid": round(prediction.score, 4), "instruction_lid_language": prediction.language}
            if (not languages.covers(str(record.get("language")), prediction.language)
                    and prediction.score >= cfg.min_lid_confidence and instruction.strip()):
                failed.append("wrong_language")
        failed = list(dict.fromkeys(failed))
        return {**scores, "failed": failed, "passed": not failed}


def candidates_of(record: dict) -> list[dict]:
    """The candidate instructions of a pair: reverse_instruction's list, or the pair's own instruction."""
    items = [c for c in record.get("candidates") or [] if isinstance(c, dict)]
    if items:
        return [{**c, "instruction": c.get("instruction") if isinstance(c.get("instruction"), str) else ""} for c in items]
    instruction = record.get("instruction")
    return [{"instruction": instruction if isinstance(instruction, str) else "", "instruction_en": record.get("instruction_en")}]
