"""Script detection and word segmentation that work for every script.

Scripts come from Unicode character names (looked up once per code point), so any script Unicode knows
is recognised without a table of ranges. Words come from ICU's word break iterator for scripts
written without spaces (Han, Japanese, Thai, Lao, Khmer, Myanmar, Tibetan) and from a
whitespace/punctuation split elsewhere, which is much faster and what ICU does there anyway.
"""
from __future__ import annotations

import string
import unicodedata
from collections import Counter
from functools import lru_cache

import numpy as np
import regex

# First word of a Unicode character name -> ISO 15924 code, for names that are not the same.
_NAME_TO_SCRIPT = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "ARABIC": "Arab", "DEVANAGARI": "Deva", "CJK": "Hani",
    "HIRAGANA": "Jpan", "KATAKANA": "Jpan", "HANGUL": "Hang", "GREEK": "Grek", "HEBREW": "Hebr",
    "THAI": "Thai", "LAO": "Laoo", "KHMER": "Khmr", "MYANMAR": "Mymr", "TIBETAN": "Tibt",
    "GEORGIAN": "Geor", "ARMENIAN": "Armn", "BENGALI": "Beng", "GURMUKHI": "Guru", "GUJARATI": "Gujr",
    "ORIYA": "Orya", "TAMIL": "Taml", "TELUGU": "Telu", "KANNADA": "Knda", "MALAYALAM": "Mlym",
    "SINHALA": "Sinh", "ETHIOPIC": "Ethi", "THAANA": "Thaa", "SYRIAC": "Syrc", "CHEROKEE": "Cher",
    "CANADIAN": "Cans", "MONGOLIAN": "Mong", "TIFINAGH": "Tfng", "NKO": "Nkoo", "VAI": "Vaii",
    "YI": "Yiii", "JAVANESE": "Java", "BALINESE": "Bali", "SUNDANESE": "Sund", "BOPOMOFO": "Bopo",
    "COPTIC": "Copt", "RUNIC": "Runr", "OGHAM": "Ogam", "SAMARITAN": "Samr", "ADLAM": "Adlm",
}
# Scripts written without spaces between words: ICU segments them.
UNSPACED_SCRIPTS = frozenset({"Hani", "Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
_SAMPLE_CHARS = 1000  # the dominant script shows in the first thousand characters (what LID reads too)
_SPLIT_WORDS = regex.compile(r"[\p{L}\p{M}\p{N}_'’\-]+", regex.V1)
_ASCII_LETTERS = string.ascii_letters.encode("ascii")
_WORDLIKE = regex.compile(r"[\p{L}\p{M}\p{N}]")


@lru_cache(maxsize=65536)
def char_script(char: str) -> str | None:
    """ISO 15924 script of a letter, None for digits, punctuation, symbols and spaces."""
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if not name:
        return None
    first = name.split(" ", 1)[0]
    if first == "KANGXI" or name.startswith("IDEOGRAPHIC"):
        return "Hani"
    return _NAME_TO_SCRIPT.get(first, first.title()[:4])


class _ScriptTable:
    """Code point -> script id, filled in as characters are first seen: counting a sample's scripts is
    then one array lookup and one bincount (~4x faster than a Counter of characters)."""

    UNSEEN = 255

    def __init__(self) -> None:
        self.ids = np.full(0x110000, self.UNSEEN, dtype=np.uint8)
        self.names: list[str | None] = [None]  # id 0: not a letter
        self.by_name: dict[str | None, int] = {None: 0}

    def counts(self, sample: str) -> Counter:
        points = np.frombuffer(sample.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        ids = self.ids[points]
        unseen = ids == self.UNSEEN
        if unseen.any():
            for point in np.unique(points[unseen]).tolist():
                self.ids[point] = self._id(char_script(chr(point)))
            ids = self.ids[points]
        per_id = np.bincount(ids, minlength=len(self.names))
        return Counter({self.names[i]: int(per_id[i]) for i in np.flatnonzero(per_id[1:]) + 1})

    def _id(self, script: str | None) -> int:
        if script not in self.by_name:
            if len(self.names) >= self.UNSEEN:  # Unicode has ~170 scripts
                raise RuntimeError("more scripts than the table can number")
            self.by_name[script] = len(self.names)
            self.names.append(script)
        return self.by_name[script]


_SCRIPTS = _ScriptTable()


def script_counts(text: str) -> Counter:
    """Letters per script in the first thousand characters."""
    sample = text[:_SAMPLE_CHARS]
    if sample.isascii():  # the common case, decided in C: ASCII letters are all Latin
        encoded = sample.encode("ascii")
        letters = len(encoded) - len(encoded.translate(None, _ASCII_LETTERS))
        return Counter({"Latn": letters} if letters else {})
    return _SCRIPTS.counts(sample)


def dominant_script(text: str) -> tuple[str, float]:
    """("Latn", share of letters) or ("Zyyy", 0.0) when the text has no letters at all.

    Japanese mixes kana and Han, Korean Hangul and Han: both count as their own script.
    """
    counts = script_counts(text)
    letters = sum(counts.values())
    if not letters:
        return "Zyyy", 0.0
    if counts.get("Jpan") and counts.get("Hani"):
        counts["Jpan"] += counts.pop("Hani")
    if counts.get("Hang") and counts.get("Hani"):
        counts["Hang"] += counts.pop("Hani")
    script, n = counts.most_common(1)[0]
    return script, n / letters


class WordSegmenter:
    """Words of a text in any script; one instance per worker (ICU iterators are not thread-safe)."""

    def __init__(self) -> None:
        self._icu = None

    def words(self, text: str, script: str) -> list[str]:
        if script not in UNSPACED_SCRIPTS:
            return _SPLIT_WORDS.findall(text)
        return self._icu_words(text)

    def _icu_words(self, text: str) -> list[str]:
        if self._icu is None:
            import icu  # PyICU: dictionary-based segmentation for Chinese, Japanese, Thai, Khmer...

            self._icu = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
        self._icu.setText(text)
        words, start = [], 0
        # ICU boundaries are UTF-16 offsets: convert through the UTF-16 encoding of the text
        encoded = text.encode("utf-16-le", "surrogatepass")
        for end in self._icu:
            piece = encoded[start * 2 : end * 2].decode("utf-16-le", "surrogatepass")
            if _WORDLIKE.search(piece):
                words.append(piece)
            start = end
        return words
