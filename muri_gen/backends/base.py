"""The backend kinds. A recipe names a backend; its pydantic Config validates its options.

Backends are shared by the stages of one worker through the run's context, started lazily by the
first stage that asks for them (``setup``) and stopped at the end of the run (``teardown``).
Optional abilities (a router's ``route``, a tokenizer's ``count_tokens``, ranked LID) are declared
here with defaults, so callers never ask ``hasattr``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from muri_gen.component import ComponentConfig, Context

if TYPE_CHECKING:
    import numpy as np


class BackendConfig(ComponentConfig):
    """Options of one backend type; the recipe's ``kind`` and ``type`` keys are not part of it."""


class Backend:
    kind: ClassVar[str]
    name: ClassVar[str]
    Config: ClassVar[type[BackendConfig]] = BackendConfig

    def __init__(self, config: BackendConfig, context: Context | None = None):
        # the context lets composite backends (router, LLM-as-translator) reach others
        self.config = config
        self.context = context

    def setup(self) -> None:
        """Load weights, start servers. Must be idempotent."""

    def teardown(self) -> None:
        """Stop what setup() started. Must be idempotent."""

    def describe(self) -> dict:
        """Provenance written into every row this backend touched (no secrets)."""
        return {"backend": self.name}

    @classmethod
    def gpus(cls, config: BackendConfig) -> float:
        """GPUs a worker needs to run this backend, from its config alone (Ray places tasks by it)."""
        device = getattr(config, "device", "cpu")
        return 1 if isinstance(device, str) and device.startswith("cuda") else 0


@dataclass(frozen=True)
class LanguagePrediction:
    language: str  # ISO 639-3, e.g. "spa" (see muri_gen.languages)
    script: str  # ISO 15924, e.g. "Latn"
    score: float
    label: str  # the backend's own label, e.g. "__label__es"


class LanguageIdentifier(Backend):
    kind = "lid"

    def identify(self, texts: list[str]) -> list[LanguagePrediction]:
        raise NotImplementedError

    def identify_ranked(self, texts: list[str]) -> list[list[LanguagePrediction]]:
        """Top-k predictions per text, best first; a backend without ranks gives its top-1 only."""
        return [[prediction] for prediction in self.identify(texts)]


class Translator(Backend):
    """Translates segments (sentences) that already fit ``max_input_tokens``.

    Segmentation, length-sorted batching and caching live in muri_gen.translation, not here.
    """

    kind = "translator"
    max_input_tokens: int | None = None
    # the model's own token count of a text (sentencepiece, a Hugging Face tokenizer); None: estimated
    count_tokens: Callable[[str], int] | None = None

    def supports(self, src: str, tgt: str) -> bool:
        """Static capability check on ISO 639-3 codes; must not load models."""
        raise NotImplementedError

    def problems(self) -> list[str]:
        """Recipe-time problems of the configuration (e.g. a route naming a missing backend); loads no model."""
        return []

    @property
    def summary(self) -> str:
        """How error messages name this translator (a router lists its routes)."""
        return self.name

    def route(self, src: str, tgt: str) -> Translator:
        """The started translator that does this pair: itself, unless it delegates (router, pivot)."""
        return self

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        raise NotImplementedError


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.7
    top_p: float = 1.0
    top_k: int = -1
    max_tokens: int = 128
    n: int = 1
    seed: int | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[tuple[str, str], ...]  # ((role, content), ...): hashable for the request cache
    sampling: SamplingParams = SamplingParams()


@dataclass
class ChatResult:
    texts: list[str] = field(default_factory=list)  # n completions
    error: str | None = None  # set when the request failed after retries
    # per completion: "stop" (ended by itself), "length" (cut at max_tokens); empty when unknown
    finish_reasons: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


OnResult = Callable[[int, "ChatResult"], None]


class LLM(Backend):
    kind = "llm"

    @classmethod
    def max_candidates(cls, config: BackendConfig) -> int | None:
        """The most completions (``n``) one request may ask for with this configuration; None: no limit."""
        return None

    def chat(self, requests: list[ChatRequest], on_result: OnResult | None = None) -> list[ChatResult]:
        """One result per request, in order; a failed request is a ChatResult with ``error``.

        ``on_result(i, result)`` is called as request ``i`` finishes, in the order they finish, so
        that a caller can save finished requests before the whole batch is back (a run killed
        mid-batch then resends only the unfinished ones)."""
        raise NotImplementedError


class Embedder(Backend):
    """Sentence embeddings for matching an instruction to its document, across languages.

    ``embed`` returns one L2-normalised row per text, so a dot product is the cosine. Instructions
    are embedded as queries and documents as passages (e5-style models prefix them differently).
    """

    kind = "embedder"
    LANGUAGES: ClassVar[frozenset[str]] = frozenset()  # ISO 639-1 (or 639-3) codes the model was trained on

    def covers(self, language: str) -> bool:
        """Whether the model was trained on this language, or on its macrolanguage (loads no model)."""
        from muri_gen import languages

        return bool(set(languages.family_codes(language)) & self.LANGUAGES)

    def embed(self, texts: list[str], role: Literal["query", "passage"]) -> np.ndarray:
        raise NotImplementedError
