"""Script detection and word segmentation that work for every script.

Scripts are Unicode's Script property as ICU reports it (ISO 15924 codes), looked up once per code
point, so every script Unicode knows is recognised without a table of our own. Words come from ICU's
word break iterator for scripts written without spaces (Han, Japanese, Thai, Lao, Khmer, Myanmar,
Tibetan) and from a whitespace/punctuation split elsewhere, which is much faster and what ICU does
there anyway.
"""
from __future__ import annotations

import string
from collections import Counter
from functools import lru_cache

import numpy as np
import regex

# Scripts written without spaces between words: ICU segments them.
UNSPACED_SCRIPTS = frozenset({"Hani", "Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
# Han characters: of either Chinese standard (Hani when the characters do not tell which).
HAN = frozenset({"Hani", "Hans", "Hant"})
# ICU's values for characters shared by scripts (digits, punctuation, combining marks) and unassigned ones.
_NO_SCRIPT = frozenset({"Zyyy", "Zinh", "Zzzz"})
_SAMPLE_CHARS = 1000  # the dominant script shows in the first thousand characters (what LID reads too)
_SPLIT_WORDS = regex.compile(r"[\p{L}\p{M}\p{N}_'’\-]+", regex.V1)
_ASCII_LETTERS = string.ascii_letters.encode("ascii")
WORD_CHAR = r"[\p{L}\p{M}\p{N}]"  # a letter, mark or digit of any script
_WORDLIKE = regex.compile(WORD_CHAR)
_WORD_RUNS = regex.compile(WORD_CHAR + "+")


def word_runs(text: str) -> list[str]:
    """The text's maximal runs of letters, marks and digits: its words with punctuation ignored (what
    dedup compares and what the content screen looks terms up in)."""
    return _WORD_RUNS.findall(text)


@lru_cache(maxsize=65536)
def char_script(char: str) -> str | None:
    """ISO 15924 script of a letter; None for digits, punctuation, symbols, spaces and the letters
    Unicode counts as Common or Inherited (shared by several scripts)."""
    if not char.isalpha():
        return None
    import icu  # PyICU: Unicode's Script property

    script = icu.Script.getScript(ord(char)).getShortName()
    return None if script in _NO_SCRIPT else script


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
    """The script most of a text's letters are written in, and their share: ("Latn", 0.98), or ("Zyyy",
    0.0) when the text has no letters. The one script detector: LID's script check, the quality rules,
    the record's ``script`` and the translator's code all read it.

    Japanese counts kana with the Han characters it mixes in as Jpan, Korean its hanja as Hang;
    Chinese is Hans or Hant when its characters tell the standard, Hani when all are shared.
    """
    counts = script_counts(text)
    letters = sum(counts.values())
    if not letters:
        return "Zyyy", 0.0
    for writing, parts in (("Jpan", ("Hira", "Kana")), ("Hang", ("Hang",))):
        if any(counts.get(part) for part in parts):
            counts[writing] = sum(counts.pop(part, 0) for part in (*parts, "Hani"))
            break
    script, n = counts.most_common(1)[0]
    if script == "Hani":
        script = han_standard(text) or script
    return script, n / letters


def han_standard(text: str) -> str | None:
    """"Hant" or "Hans" when the text's characters say so; None when every character is shared."""
    import hanzidentifier

    verdict = hanzidentifier.identify(text[:2000])
    return {hanzidentifier.TRADITIONAL: "Hant", hanzidentifier.SIMPLIFIED: "Hans"}.get(verdict)


def script_matches(detected: str, expected: str) -> bool:
    """Whether text detected in one script is written in ``expected``: Han characters both Chinese
    standards share fit either."""
    return detected == expected or (detected == "Hani" and expected in HAN)


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
            self._icu = word_breaker()
        return [piece for piece in icu_pieces(self._icu, text) if _WORDLIKE.search(piece)]


def word_breaker():
    """ICU's word break iterator: dictionary-based segmentation for Chinese, Japanese, Thai, Khmer..."""
    import icu

    return icu.BreakIterator.createWordInstance(icu.Locale.getRoot())


def icu_pieces(breaker, text: str) -> list[str]:
    """The text cut at every boundary an ICU break iterator finds (words, spaces, punctuation), in order.

    ICU counts boundaries in UTF-16 code units, so they are not Python string indices once a character
    beyond the Basic Multilingual Plane (an emoji, a rare Han character) comes before them.
    """
    breaker.setText(text)
    ends = list(breaker)
    encoded = text.encode("utf-16-le", "surrogatepass")
    if len(encoded) == 2 * len(text):  # every character in the Basic Multilingual Plane: code units are indices
        pieces = [text[start:end] for start, end in zip([0, *ends], ends)]
    else:
        pieces = [encoded[start * 2 : end * 2].decode("utf-16-le", "surrogatepass") for start, end in zip([0, *ends], ends)]
    return [piece for piece in pieces if piece]
