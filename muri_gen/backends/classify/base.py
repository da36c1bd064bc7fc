"""The classifier backend kind: the probability that a text is unsafe (toxic, profane, hateful).

A classifier answers only for the languages it was trained on; ``supports`` says which without
loading a model, and the content_screen stage screens every other language by word lists alone.
"""
from __future__ import annotations

from pydantic import Field

from muri_gen import languages
from muri_gen.backends.base import Backend, BackendConfig


class ClassifierConfig(BackendConfig):
    batch_size: int = Field(default=32, ge=1, description="texts per model call")


def supported(code: str, listed: list[str] | None) -> bool:
    """Whether an ISO 639-3 code, its macrolanguage or one of its members is listed (None = any)."""
    if listed is None:
        return True
    family = (code, languages.macrolanguage(code), *languages.members(code))
    return any(c in listed for c in family)


class ContentClassifier(Backend):
    kind = "classifier"

    def supports(self, language: str) -> bool:
        """Static capability check on an ISO 639-3 code; must not load models."""
        raise NotImplementedError

    def score(self, texts: list[str]) -> list[float]:
        """P(unsafe) in [0, 1] for each text, in order."""
        raise NotImplementedError
