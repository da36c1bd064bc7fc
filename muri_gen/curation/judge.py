"""An LLM judge: any LLM backend rates (instruction, document) pairs with a rubric prompt kept as
data (muri_gen/prompts/pair-judge-v<N>.yaml), through the request cache like every request.

The reply is parsed for ``alignment: N``, ``instruction: N`` and ``reason: ...``; the signal is the
mean rating scaled to 0-1. A reply without both ratings gives no signal (and says why), so a weak
judge lowers nothing by accident. Temperature 0 and a fixed seed: the same pair gets the same verdict.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from muri_gen import languages
from muri_gen.backends.base import ChatRequest, SamplingParams
from muri_gen.backends.llm.cache import CachedChat
from muri_gen.prompts import load_prompt

_RATING = {name: re.compile(rf"{name}\**\s*[:=]\s*\**\s*([1-5])\b", re.IGNORECASE) for name in ("alignment", "instruction")}
_REASON = re.compile(r"reason\s*[:=]\s*(.+)", re.IGNORECASE)
JUDGE_KEYS = {"name", "version", "system", "user"}


@dataclass
class Verdict:
    value: float | None  # (mean rating - 1) / 4, None when the reply held no ratings
    alignment: int | None = None
    instruction: int | None = None
    reason: str = ""
    error: str | None = None


def parse_verdict(reply: str) -> Verdict:
    ratings = {name: int(m.group(1)) if (m := pattern.search(reply)) else None for name, pattern in _RATING.items()}
    reason = m.group(1).strip()[:300] if (m := _REASON.search(reply)) else ""
    if None in ratings.values():
        return Verdict(None, **ratings, reason=reason, error=f"unparsed reply: {reply.strip()[:120]!r}")
    return Verdict(round((ratings["alignment"] + ratings["instruction"] - 2) / 8, 4), **ratings, reason=reason)


class LLMJudge:
    def __init__(self, chat: CachedChat, prompt: str = "pair-judge-v1", max_document_chars: int = 3000,
                 max_tokens: int = 64):
        self.chat = chat
        self.template = load_prompt(prompt, JUDGE_KEYS, "judge")
        self.max_document_chars = max_document_chars
        self.sampling = SamplingParams(temperature=0.0, top_p=1.0, max_tokens=max_tokens, seed=0)

    @property
    def name(self) -> str:
        return f"{self.template['name']}-v{self.template['version']}"

    def request(self, instruction: str, document: str, language: str) -> ChatRequest:
        try:
            name = languages.get(language).name
        except languages.UnknownLanguage:
            name = language
        user = self.template["user"].format(language=name, instruction=instruction.strip(),
                                            document=document.strip()[: self.max_document_chars])
        return ChatRequest(messages=(("system", self.template["system"]), ("user", user)), sampling=self.sampling)

    def rate(self, pairs: list[tuple[str, str, str]]) -> list[Verdict]:
        """One verdict per (instruction, document, language), in order; a failed request gives no signal."""
        results = self.chat.chat([self.request(*pair) for pair in pairs])
        return [Verdict(None, error=result.error) if result.error else parse_verdict((result.texts or [""])[0])
                for result in results]
