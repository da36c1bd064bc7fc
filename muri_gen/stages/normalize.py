"""First stage of every filter chain: Unicode NFC, invisible and control characters, whitespace.

Zero-width joiner/non-joiner stay: Persian, Indic and emoji sequences need them. Lone surrogates
(from broken UTF-16 sources) become U+FFFD instead of crashing later stages. A zero-width space
standing alone between two words of a spaced script was a word separator: it becomes a space.
"""
from __future__ import annotations

import re
import unicodedata

import regex
from pydantic import Field

from muri_gen.text import UNSPACED_SCRIPTS, char_script
from muri_gen.stages.base import FilterStage, StageConfig

# C0/C1 controls except tab and newline, zero-width space, word joiner, BOM, bidi embedding and
# override controls (they reorder text invisibly; LRM/RLM marks stay), soft hyphen, lone surrogates.
# (the standard library's re: a plain character class scans ~4x faster there than in regex)
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
# a zero-width space used as the only separator between words of a spaced script becomes a space
_ZWSP_BETWEEN = regex.compile(r"(?<=\S)\u200b+(?=\S)")
_SURROGATE = regex.compile(r"[\ud800-\udfff]")
_BLANK_LINES = regex.compile(r"\n{3,}")


class NormalizeConfig(StageConfig):
    form: str = Field(default="NFC", pattern="^NFK?C$",
                      description="Unicode normal form: NFC composes; NFKC also folds compatibility characters "
                                  "(full-width letters, ligatures, superscripts)")
    max_chars: int = Field(default=500_000, ge=100,
                           description="longer documents are rejected here, before any costly stage reads them")


def _zwsp_separator(match: regex.Match) -> str:
    """Thai, Khmer, Myanmar, Han... mark word breaks with ZWSP and no space: keep those unspaced."""
    before, after = match.string[match.start() - 1], match.string[match.end()]
    spaced = all(char_script(ch) not in UNSPACED_SCRIPTS for ch in (before, after))
    return " " if spaced else ""


def normalize_text(text: str, form: str = "NFC") -> str:
    text = _SURROGATE.sub("\ufffd", text)
    text = unicodedata.normalize(form, text.replace("\r\n", "\n").replace("\r", "\n"))
    if "\u200b" in text:
        text = _ZWSP_BETWEEN.sub(_zwsp_separator, text)
    text = _INVISIBLE.sub("", text)
    # per line, every run of whitespace (tabs, NBSP, ideographic space) becomes one space, none at the ends
    text = "\n".join(map(" ".join, map(str.split, text.split("\n"))))
    return _BLANK_LINES.sub("\n\n", text).strip()


class Normalize(FilterStage):
    name = "normalize"
    reads = ("text",)
    writes = ("text",)
    Config = NormalizeConfig

    def keep(self, record: dict) -> bool | tuple:
        raw = record.get("text")
        if not isinstance(raw, str):
            return False, "not_text", {"type": type(raw).__name__}
        if len(raw) > self.config.max_chars * 2:  # too long even before cleaning: skip the work
            return False, "too_long", {"chars": len(raw), "max_chars": self.config.max_chars}
        text = normalize_text(raw, self.config.form)
        if not text:
            return False, "empty", {}
        if len(text) > self.config.max_chars:
            return False, "too_long", {"chars": len(text), "max_chars": self.config.max_chars}
        record["text"] = text
        return True
