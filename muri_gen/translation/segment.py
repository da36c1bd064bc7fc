"""Sentence segmentation that keeps a document's layout, and splitting of over-long sentences.

A document becomes a ``Layout``: its lines (paragraph structure, kept verbatim as the newline
runs between them) each holding sentences. Translators only ever see sentences, never more than
their input limit: a longer sentence is cut at clause punctuation, then at spaces, then at word
boundaries (ICU, for scripts written without spaces), and never truncated.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import regex
from sentencex import segment as sentencex_segment

from muri_gen import languages
from muri_gen.text import UNSPACED_SCRIPTS, icu_pieces, word_breaker

TokenCounter = Callable[[str], int]

_LINE_BREAKS = re.compile(r"(\n\s*)")
# A clause ends after these marks (Latin, CJK, Arabic, Devanagari, Ethiopic and other scripts).
_CLAUSE_END = regex.compile(r"(?<=[,;:\u060C\u061B\u3001\uFF0C\uFF1B\uFF1A\u2014\u2013\u0964\u1363\u1364\u104A])\s*")
_SPACES = regex.compile(r"(?<=\S)\s+")


@dataclass
class Layout:
    """A document cut into translatable segments and the separators that put it back together."""

    lines: list[list[str]] = field(default_factory=list)  # segments per line; [] for a blank line
    breaks: list[str] = field(default_factory=list)  # the newline run after each line but the last
    split_sentences: int = 0  # sentences longer than the limit that were cut into pieces

    @property
    def segments(self) -> list[str]:
        return [s for line in self.lines for s in line]

    def rebuild(self, translations: list[str], target_script: str) -> str:
        """The document with each segment replaced, line breaks and blank lines exactly as before."""
        joiner = "" if target_script in UNSPACED_SCRIPTS else " "  # no space between sentences
        it = iter(translations)
        out: list[str] = []
        for index, line in enumerate(self.lines):
            out.append(joiner.join(next(it) for _ in line))
            if index < len(self.breaks):
                out.append(self.breaks[index])
        return "".join(out)

    def truncated(self, keep: int) -> Layout:
        """The first ``keep`` segments only (for a context budget), with their line structure."""
        lines, breaks, left = [], [], keep
        for index, line in enumerate(self.lines):
            if left <= 0:
                break
            lines.append(line[:left])
            left -= len(line)
            if index < len(self.breaks) and left > 0:
                breaks.append(self.breaks[index])
        return Layout(lines, breaks[: max(len(lines) - 1, 0)], self.split_sentences)


def sentences(text: str, language: str) -> list[str]:
    """Sentences of one line of text, stripped (sentencex knows ~250 languages' punctuation)."""
    return [s.strip() for s in sentencex_segment(_sentencex_code(language), text) if s.strip()]


@lru_cache(maxsize=1024)
def _sentencex_code(language: str) -> str:
    try:
        lang = languages.get(language)
    except languages.UnknownLanguage:
        return "en"
    return lang.alpha2 or lang.code


def layout(text: str, language: str, max_tokens: int | None = None, count: TokenCounter | None = None) -> Layout:
    parts = _LINE_BREAKS.split(text.strip())
    result = Layout()
    for index, part in enumerate(parts):
        if index % 2:
            result.breaks.append(part if part.count("\n") > 1 else "\n")
            continue
        line: list[str] = []
        for sentence in sentences(part, language):
            pieces = split_long(sentence, max_tokens, count) if max_tokens and count else [sentence]
            result.split_sentences += len(pieces) > 1
            line.extend(pieces)
        result.lines.append(line)
    return result


def split_long(sentence: str, max_tokens: int, count: TokenCounter) -> list[str]:
    """Cut a sentence into pieces of at most ``max_tokens``: at clauses, then at spaces, then at
    word boundaries (ICU) for text without spaces; only a single word over the limit stays whole."""
    if count(sentence) <= max_tokens:
        return [sentence]
    for splitter in (_clauses, _words, _icu_words):
        units = splitter(sentence)
        if len(units) > 1:
            return [piece for packed in _pack(units, max_tokens, count) for piece in split_long(packed, max_tokens, count)]
    return [sentence]


def _pack(units: list[str], max_tokens: int, count: TokenCounter) -> list[str]:
    """Greedily join consecutive units (which keep their own trailing spaces) up to the limit."""
    packed: list[str] = []
    current = ""
    for unit in units:
        if current and count(current + unit) > max_tokens:
            packed.append(current.strip())
            current = ""
        current += unit
    if current.strip():
        packed.append(current.strip())
    return packed


def _clauses(sentence: str) -> list[str]:
    return _split_keep(_CLAUSE_END, sentence)


def _words(sentence: str) -> list[str]:
    return _split_keep(_SPACES, sentence)


def _split_keep(pattern: regex.Pattern, sentence: str) -> list[str]:
    """Split after each match, keeping the matched separator at the end of the previous unit."""
    units, start = [], 0
    for match in pattern.finditer(sentence):
        if match.end() > start and match.end() < len(sentence):
            units.append(sentence[start : match.end()])
            start = match.end()
    units.append(sentence[start:])
    return [u for u in units if u]


def _icu_words(sentence: str) -> list[str]:
    return icu_pieces(word_breaker(), sentence)
