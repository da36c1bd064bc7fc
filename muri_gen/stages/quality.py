"""Length and quality rules that work for every script (Gopher quality + repetition, C4 lines).

Words come from ICU segmentation for unspaced scripts, so word counts, mean word length and
n-gram repetition mean the same in Chinese or Thai as in Spanish. Thresholds are data
(``filters/quality/default.yaml``) resolved per script and language. Every statistic lands in
``record["quality"]`` whether or not a rule fires, so users can tune thresholds on kept rows;
the first failing rule is the rejection reason.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from itertools import compress

import regex
from pydantic import Field

from muri_gen.resources import load_filter_yaml
from muri_gen.text import WordSegmenter, dominant_script
from muri_gen.stages.base import FilterStage, StageConfig

# Sentence-final punctuation of every script (Unicode's own classes), then closing quotes/brackets.
_TERMINAL = regex.compile(r"[\p{Sentence_Terminal}\p{Terminal_Punctuation}…][\p{Pf}\p{Pe}\"']*$")
_BULLET = regex.compile(r"^\s*([-*•·‣◦▪►–—>]|\d{1,3}[.)])\s")
_ELLIPSIS = regex.compile(r"(\.\.\.|…)\s*$")
_PUNCT_OR_SYMBOL = regex.compile(r"[\p{P}\p{S}]")
_DIGIT = regex.compile(r"\p{Nd}")
_LETTERLESS_LINE = regex.compile(r"(?m)^[^\p{L}\n]*$")  # on words one per line: a word without a letter
# Unicode White_Space, as regex's \s (re's \s adds the separators U+001C-U+001F); re finds it ~2x faster
_SPACE = re.compile(r"[^\S\x1c-\x1f]")
_LOREM = regex.compile(r"lorem ipsum", regex.IGNORECASE)


class QualityConfig(StageConfig):
    thresholds: str = Field(default="default.yaml", description="in filters/quality/ or a path")
    boilerplate: str | None = Field(default="boilerplate.yaml",
                                    description="line patterns; None = no boilerplate handling")
    remove_boilerplate_lines: bool = Field(default=True,
                                           description="drop matching lines from the text before the other rules")
    rules_off: list[str] = Field(default_factory=list,
                                 description="rule names to skip, e.g. [min_terminal_punct_lines_frac]")
    repetition_min_words: int = Field(default=50, ge=0,
                                      description="n-gram repetition says little about a few sentences of (repetitive)"
                                                  " legal or religious text")


def ngram_repetition(words: list[str]) -> dict[str, float]:
    """Gopher repetition: share of word characters in the most common 2-4-gram, and in repeated 5-10-grams."""
    lengths = list(map(len, words))
    total = sum(lengths) or 1
    stats: dict[str, float] = {}
    for n in (2, 3, 4):
        grams = Counter(zip(*(words[i:] for i in range(n))))
        gram, count = grams.most_common(1)[0] if grams else ((), 0)
        stats[f"top_{n}gram_frac"] = round(sum(map(len, gram)) * count / total, 4) if count > 1 else 0.0
    for n, repeats in zip(range(5, 11), repeated_ngram_starts(words, 5, 10)):
        covered = bytearray(len(words))
        for start in repeats:
            covered[start : start + n] = b"\x01" * n
        stats[f"dup_{n}gram_frac"] = round(sum(compress(lengths, covered)) / total, 4)
        if not stats[f"dup_{n}gram_frac"]:  # no repeated n-gram: no longer one repeats either
            stats.update({f"dup_{m}gram_frac": 0.0 for m in range(n + 1, 11)})
            break
    return stats


def repeated_ngram_starts(words: list[str], low: int, high: int) -> Iterator[list[int]]:
    """For n = low..high, the start of every n-gram that occurred earlier in ``words``.

    An (n+1)-gram can only repeat where its first n words do, so after the first length only the
    positions whose n-gram occurs more than once are looked at again: equal n-grams are named by
    their first position, and split by the word that follows.
    """
    positions = range(len(words) - low + 1)
    keys = list(zip(*(words[i:] for i in range(low))))
    for n in range(low, high + 1):
        first = dict(zip(reversed(keys), reversed(positions)))  # each n-gram's earliest position
        classes = list(map(first.__getitem__, keys))
        repeats = [p for p, c in zip(positions, classes) if p != c]
        yield repeats
        if n == high or not repeats:
            return
        shared = {c for p, c in zip(positions, classes) if p != c}  # n-grams that occur more than once
        kept = [(p, c) for p, c in zip(positions, classes) if c in shared and p + n < len(words)]
        positions = [p for p, _ in kept]
        keys = [(c, words[p + n]) for p, c in kept]


def duplicate_fractions(parts: list[str], name: str) -> dict[str, float]:
    """Share of lines (paragraphs) that repeat an earlier one, by count and by characters."""
    seen: set = set()
    dup, dup_chars = 0, 0
    for part in parts:
        if part in seen:
            dup += 1
            dup_chars += len(part)
        seen.add(part)
    chars = sum(len(p) for p in parts) or 1
    return {f"dup_{name}_frac": round(dup / max(len(parts), 1), 4), f"dup_{name}_char_frac": round(dup_chars / chars, 4)}


class QualityFilter(FilterStage):
    name = "quality"
    reads = ("text",)
    writes = ("text", "quality")
    Config = QualityConfig

    def setup(self) -> None:
        data = load_filter_yaml(self.config.thresholds, "quality")
        self.defaults: dict = data.get("defaults", {})
        self.by_script: dict = data.get("scripts", {}) or {}
        self.by_language: dict = data.get("languages", {}) or {}
        self._resolved: dict[tuple, dict] = {}
        self.boilerplate = self.boilerplate_inside = None
        self.max_boilerplate_line = 0
        if self.config.boilerplate:
            spec = load_filter_yaml(self.config.boilerplate, "quality")
            # ".*X.*" patterns are searched for X (no backtracking over the line); the rest match whole lines
            inside = [p[2:-2] for p in spec["patterns"] if p.startswith(".*") and p.endswith(".*")]
            whole = [p for p in spec["patterns"] if not (p.startswith(".*") and p.endswith(".*"))]
            self.boilerplate = regex.compile("|".join(f"(?:{p})" for p in whole), regex.IGNORECASE)
            self.boilerplate_inside = regex.compile("|".join(f"(?:{p})" for p in inside), regex.IGNORECASE)
            self.max_boilerplate_line = spec.get("max_line_chars", 120)
        self.segmenter = WordSegmenter()

    def thresholds_for(self, script: str, language: str) -> dict:
        key = (script, language)
        if key not in self._resolved:
            merged = {**self.defaults, **self.by_script.get(script, {}), **self.by_language.get(language, {})}
            self._resolved[key] = {k: v for k, v in merged.items() if k not in self.config.rules_off and v is not None}
        return self._resolved[key]

    def is_boilerplate(self, line: str) -> bool:
        return bool(self.boilerplate and len(line) <= self.max_boilerplate_line
                    and (self.boilerplate.fullmatch(line) or self.boilerplate_inside.search(line)))

    def statistics(self, text: str, script: str) -> dict:
        lines = [line for line in text.split("\n") if line.strip()]
        words = self.segmenter.words(text, script)
        n_words = len(words)
        visible = len(text) - len(_SPACE.findall(text)) or 1
        stats = {
            "chars": len(text),
            "words": n_words,
            "mean_word_length": round(sum(map(len, words)) / n_words, 3) if n_words else 0.0,
            "symbol_word_ratio": round((text.count("#") + text.count("...") + text.count("…")) / max(n_words, 1), 4),
            # one regex pass over the words, one per line, instead of one search per word
            "alpha_words_frac": round((n_words - len(_LETTERLESS_LINE.findall("\n".join(words)))) / n_words, 4)
            if n_words else 0.0,
            "digit_frac": round(len(_DIGIT.findall(text)) / visible, 4),
            "punct_frac": round(len(_PUNCT_OR_SYMBOL.findall(text)) / visible, 4),
            "lines": len(lines),
            "bullet_lines_frac": round(sum(1 for l in lines if _BULLET.match(l)) / max(len(lines), 1), 4),
            "ellipsis_lines_frac": round(sum(1 for l in lines if _ELLIPSIS.search(l)) / max(len(lines), 1), 4),
            "terminal_punct_lines_frac": round(sum(1 for l in lines if _TERMINAL.search(l)) / max(len(lines), 1), 4),
            "lorem_ipsum": len(_LOREM.findall(text)),
            **duplicate_fractions(lines, "line"),
            **duplicate_fractions([p for p in text.split("\n\n") if p.strip()], "para"),
        }
        if n_words >= self.config.repetition_min_words:  # the rules that read them skip shorter documents
            stats.update(ngram_repetition([w.lower() for w in words]))
        return stats

    def keep(self, record: dict) -> bool | tuple:
        text = record["text"]
        script = record.get("script") or dominant_script(text)[0]
        removed = 0
        if self.boilerplate is not None:
            lines = text.split("\n")
            kept = [line for line in lines if not self.is_boilerplate(line.strip())]
            removed = len(lines) - len(kept)
            content_lines = sum(1 for line in lines if line.strip()) or 1
            if removed:
                text = "\n".join(kept).strip()
                record["text"] = text
        stats = self.statistics(text, script)
        stats["boilerplate_lines_frac"] = round(removed / content_lines, 4) if self.boilerplate is not None else 0.0
        record["quality"] = stats
        limits = self.thresholds_for(script, record.get("language") or "und")
        return self.verdict(stats, limits, self.config.repetition_min_words)

    @staticmethod
    def verdict(stats: dict, limits: dict, repetition_min_words: int = 0) -> bool | tuple:
        """The first rule the statistics break, as (False, rule, {value, threshold}); True if none."""
        for rule, limit in limits.items():
            if rule == "mean_word_length":
                low, high = limit
                value = stats["mean_word_length"]
                if not low <= value <= high:
                    return False, "mean_word_length", {"value": value, "range": [low, high]}
            elif rule in ("max_top_ngram_frac", "max_dup_ngram_frac"):
                if stats["words"] < repetition_min_words:
                    continue
                kind = "top" if rule == "max_top_ngram_frac" else "dup"
                for n, threshold in limit.items():
                    value = stats[f"{kind}_{n}gram_frac"]
                    if value > threshold:
                        return False, f"{kind}_{n}gram_frac", {"value": value, "max": threshold}
            else:
                bound, stat = rule.split("_", 1)
                value = stats[stat]
                if bound == "min" and value < limit:
                    return False, f"too_few_{stat}" if stat in ("words", "chars") else stat, {"value": value, "min": limit}
                if bound == "max" and value > limit:
                    return False, f"too_many_{stat}" if stat in ("words", "chars") else stat, {"value": value, "max": limit}
        return True
