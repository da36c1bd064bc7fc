"""Word n-grams shared by the echo check (an instruction copying its document) and the
degeneration signal (an instruction repeating itself)."""
from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def ngram_overlap(candidate: str, reference: str, n: int = 3) -> float:
    """Share of the candidate's word n-grams found in the reference (1.0: copied verbatim)."""
    cand = words(candidate)
    if len(cand) < n:  # too short to copy anything (the length filters judge it)
        return 0.0
    grams = ngrams(cand, n)
    present = set(ngrams(words(reference), n))
    return sum(g in present for g in grams) / len(grams)


def repeated_share(text: str, n: int = 3) -> float:
    """Share of the text's word n-grams that repeat an earlier one (0: no loop; 0.9: one clause over and over)."""
    grams = ngrams(words(text), n)
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0
