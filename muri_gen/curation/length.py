"""Length demands: "Respond in 3 sentences" is about the answer, which is the native document.

``length_of`` counts a unit in the native text (sentences by sentencex for the language, words by
script-aware segmentation); the reverse_instruction stage writes its LongForm length hints from
it, and ``length_fit`` checks any demand an instruction makes (the model's own included) against it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from muri_gen import languages
from muri_gen.text import WordSegmenter
from muri_gen.translation import segment

_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50,
            "a hundred": 100, "one hundred": 100}
_UNITS = {"word": "words", "sentence": "sentences", "paragraph": "paragraphs", "line": "lines",
          "bullet point": "lines", "bullet": "lines", "point": "lines", "item": "lines"}
_BOUNDS = {"at most": "max", "no more than": "max", "not more than": "max", "under": "max", "fewer than": "max",
           "less than": "max", "up to": "max", "maximum": "max", "max": "max", "at least": "min", "more than": "min",
           "minimum": "min", "about": "about", "around": "about", "approximately": "about", "roughly": "about",
           "exactly": "exact"}
DEMAND = re.compile(
    rf"\b(?:(?P<bound>{'|'.join(sorted(_BOUNDS, key=len, reverse=True))})\s+)?(?:of\s+)?"
    rf"(?P<n>\d{{1,5}}|{'|'.join(sorted(_NUMBERS, key=len, reverse=True))})(?:\s*-\s*|\s+)"
    rf"(?P<unit>{'|'.join(sorted(_UNITS, key=len, reverse=True))})s?\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d{1,3}[.)])\s+")


@dataclass(frozen=True)
class Demand:
    n: int
    unit: str  # words, sentences, paragraphs, lines
    bound: str  # exact, max, min, about


def demand_of(instruction_en: str) -> Demand | None:
    """The length an English instruction asks for, if it asks ("in about 200 words", "3 sentences")."""
    match = DEMAND.search(instruction_en)
    if not match:
        return None
    raw = match["n"].lower()
    n = int(raw) if raw.isdigit() else _NUMBERS[raw]
    unit = _UNITS[match["unit"].lower()]
    # nobody counts words exactly: "in 50 words" means about 50
    bound = _BOUNDS.get((match["bound"] or "").lower(), "about" if unit == "words" else "exact")
    return Demand(n, unit, bound) if n > 0 else None


def length_of(text: str, language: str, unit: str, segmenter: WordSegmenter | None = None) -> int:
    """Words, sentences, paragraphs or non-empty lines of a native text."""
    lines = [line for line in text.splitlines() if line.strip()]
    if unit == "lines":
        return len(lines)
    if unit == "paragraphs":
        return len([p for p in re.split(r"\n\s*\n", text) if p.strip()])
    if unit == "sentences":
        return sum(len(segment.sentences(line, language)) for line in lines)
    try:
        script = languages.get(language).script
    except languages.UnknownLanguage:
        script = "Latn"
    return len((segmenter or WordSegmenter()).words(text, script))


def length_fit(demand: Demand, actual: int) -> float:
    """1.0 when the output meets the demand; the ratio of the two lengths otherwise."""
    if demand.bound == "max" and actual <= demand.n or demand.bound == "min" and actual >= demand.n:
        return 1.0
    low, high = sorted((actual, demand.n))
    if demand.bound == "about" and high <= low * 1.25:
        return 1.0
    return round(low / high, 4) if high else 1.0
