"""Degeneration: an instruction that loops on one clause, stops at max_tokens mid-sentence, or
restates the prompt it was asked with ("This instruction must make sense without seeing the text").

    value = 0 when truncated, else 1 - max(repeated n-grams, repeated clauses, prompt overlap)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from muri_gen.curation.ngrams import repeated_share

_CLAUSE = re.compile(r"[,;:.!?¿¡。，；：！？、]+")


@dataclass
class Degeneration:
    value: float  # 1: clean, 0: degenerate
    repeated: float  # share of word 3-grams or clauses that repeat an earlier one
    truncated: bool | None  # cut at max_tokens; None when the generation's finish reason is unknown
    prompt_overlap: float | None  # share of word 3-grams copied from the prompt; None when unknown


def repeated_clauses(text: str) -> float:
    clauses = [" ".join(c.lower().split()) for c in _CLAUSE.split(text)]
    clauses = [c for c in clauses if len(c.split()) >= 2]
    return (len(clauses) - len(set(clauses))) / len(clauses) if clauses else 0.0


def degeneration(text: str, finish_reason: str | None = None, prompt_overlap: float | None = None) -> Degeneration:
    """``prompt_overlap``: ``ngram_overlap(text, prompt)``, measured where the prompt is known."""
    repeated = max(repeated_share(text), repeated_clauses(text))
    truncated = None if not finish_reason else finish_reason == "length"
    value = 0.0 if truncated else 1.0 - max(repeated, prompt_overlap or 0.0)
    return Degeneration(round(value, 4), round(repeated, 4), truncated, prompt_overlap)
