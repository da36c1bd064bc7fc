"""Gender swaps from word lists kept as data (filters/bias/swaps/<lang>.tsv), with case handling.

Each list line is ``male<TAB>female[<TAB>reading]`` and is used both ways. A word with a ``det``
and a ``pron`` reading (English "her": possessive "his" or object "him"; "his": "her" or "hers")
is resolved by a documented rule on the next word: if the next word is punctuation, the end of the
text, or a closed-class word from ``<lang>-pronoun-context.txt`` ("saw her at", "gave her the",
"was his and"), the pronoun reading wins; otherwise (a noun, adjective or "own") the possessive
one does. Known misses of the rule: a bare noun or verb after an object pronoun ("gave her
flowers" -> "gave his flowers", "made her cry" -> "made his cry").

A word listed with the reading ``agr`` (Portuguese "o"/"a", Catalan "el"/"la") is a determiner or
possessive that agrees with the noun after it: it is swapped only when the next word, across spaces
only, is swapped too ("o meu filho" -> "a minha filha", "o livro" stays). Adjectives after the noun
are not reached this way.

Names are only swapped when the caller passes a name list (same two-column format).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

from muri_gen.resources import bundled

SWAPS_DIR = bundled("data", "filters", "bias", "swaps")
READINGS = ("det", "pron", "agr")
_WORD = regex.compile(r"(?<![\w-])\w[\w-]*")


def swap_languages() -> list[str]:
    """ISO 639-1 codes of the languages with a swap list."""
    return sorted(p.stem for p in SWAPS_DIR.glob("*.tsv"))


def has_swap_list(language: str | None) -> bool:
    return language is not None and (SWAPS_DIR / f"{language}.tsv").exists()


def _read_pairs(path: Path) -> list[tuple[str, str, str]]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) not in (2, 3) or (len(cells) == 3 and cells[2] not in READINGS):
            raise ValueError(f"{path}:{number}: expected 'male<TAB>female[<TAB>det|pron|agr]', got {line!r}")
        if any(" " in cell.strip() for cell in cells[:2]):
            raise ValueError(f"{path}:{number}: entries are single words (hyphens allowed), got {line!r}")
        pairs.append((cells[0].strip(), cells[1].strip(), cells[2] if len(cells) == 3 else ""))
    return pairs


@dataclass(frozen=True)
class Swap:
    start: int
    end: int
    source: str
    target: str
    gender: str  # of the source word: "male" or "female"


class GenderSwapper:
    """Swaps gendered words of one language both ways: ``swap(text) -> (new_text, swaps)``."""

    def __init__(self, language: str, names: Path | None = None):
        path = SWAPS_DIR / f"{language}.tsv"
        if not path.exists():
            raise ValueError(f"no gender swap list for {language!r} (have: {', '.join(swap_languages())})")
        self.language = language
        pairs = _read_pairs(path) + (_read_pairs(names) if names else [])
        # word (lower-cased) -> {reading: target}; "" is the only reading of unambiguous words
        self._targets: dict[str, dict[str, str]] = {}
        self._gender: dict[str, str] = {}
        for male, female, reading in pairs:
            for source, target, gender in ((male, female, "male"), (female, male, "female")):
                self._targets.setdefault(source.lower(), {}).setdefault(reading, target)
                self._gender.setdefault(source.lower(), gender)
        context = SWAPS_DIR / f"{language}-pronoun-context.txt"
        self._pronoun_context = _read_words(context) if context.exists() else frozenset()
        # the next word, past opening quotes and brackets ("her “bones”" is still "her bones")
        self._next_word = regex.compile(r"[\s\p{Pi}\p{Ps}\"']*([\w-]+|\S)?")

    def _reading(self, text: str, end: int) -> str:
        following = self._next_word.match(text, end).group(1)
        if following is None or not following[0].isalnum() or following.lower() in self._pronoun_context:
            return "pron"
        return "det"

    def find(self, text: str) -> list[Swap]:
        swaps: list[Swap | None] = []
        agreeing: list[int] = []  # indexes of words swapped only before a swapped word
        # every word is looked up (faster than one alternation of all list words); hyphens belong to
        # the word, so "father-in-law" is one word and "man-made" is left alone
        for match in _WORD.finditer(text):
            start, end = match.span()
            source = match.group()
            key = source.lower()
            if text.startswith(".", end) and key + "." in self._targets:  # "Mr." before "Mr"
                key, end, source = key + ".", end + 1, source + "."
            options = self._targets.get(key, {})
            if set(options) == {"agr"}:
                agreeing.append(len(swaps))
                target = options["agr"]
            elif options:
                target = options.get("") or options.get(self._reading(text, end)) or next(iter(options.values()))
            else:
                swaps.append(None)
                continue
            swaps.append(Swap(start, end, source, _match_case(source, target), self._gender[key]))
        # right to left, so "o meu filho" swaps "meu" (before "filho") and then "o" (before "meu")
        for index in reversed(agreeing):
            following = swaps[index + 1] if index + 1 < len(swaps) else None
            if following is None or text[swaps[index].end:following.start].strip():
                swaps[index] = None
        return [s for s in swaps if s is not None]

    def swap(self, text: str) -> tuple[str, list[Swap]]:
        swaps = self.find(text)
        pieces, last = [], 0
        for s in swaps:
            pieces += [text[last:s.start], s.target]
            last = s.end
        pieces.append(text[last:])
        return "".join(pieces), swaps


def _match_case(source: str, target: str) -> str:
    if len(source) > 1 and source.isupper():
        return target.upper()
    if source[:1].isupper():
        return target[:1].upper() + target[1:]
    if source.islower():
        return target.lower()
    return target


@lru_cache(maxsize=None)
def _read_words(path: Path) -> frozenset[str]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return frozenset(" ".join(lines).lower().split())


@lru_cache(maxsize=32)
def swapper(language: str, names: str | None = None) -> GenderSwapper:
    return GenderSwapper(language, Path(names) if names else None)
