"""Token counts that decide segment limits, batch sizes and context budgets.

A backend that knows its tokenizer exposes ``count_tokens(text) -> int`` (sentencepiece or a
Hugging Face tokenizer); otherwise ``estimate_tokens`` stands in, erring on the high side.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import regex

_UNITS = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]|\w+|[^\w\s]")
_CHARS_PER_TOKEN = 4  # a subword vocabulary of ~32k-250k pieces averages 3-5 characters a piece


def estimate_tokens(text: str) -> int:
    """One token per character of scripts without spaces, ~4 characters per token of words."""
    return sum(math.ceil(len(unit) / _CHARS_PER_TOKEN) for unit in _UNITS.findall(text))


class SentencePieceCounter:
    def __init__(self, model_file: str):
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))

    def __call__(self, text: str) -> int:
        return len(self._sp.encode(text)) + 1  # the end-of-sentence token the model adds


def counter_for(translator) -> Callable[[str], int]:
    return translator.count_tokens or estimate_tokens
