"""Translation through a pivot language, where the direct pair is poor or missing.

    mt_pt: {kind: translator, type: pivot, via: por, translators: [apertium, bergamot]}

Catalan -> English becomes Catalan -> Portuguese (Apertium, rule-based and reliable between close
Romance languages) -> English (Bergamot, neural), and English -> Catalan the reverse; for each leg
the first listed translator that supports it is used. On the UDHR this gives fluent English where
Apertium's direct cat/glg/spa <-> eng pairs write calques ("has law to the life"), and fluent
instructions back. Legs are other entries of the recipe's ``backends`` (shared, started once).
"""
from __future__ import annotations

from pydantic import Field

from muri_gen import languages
from muri_gen.languages import LanguageCode
from muri_gen.backends.base import BackendConfig, Translator
from muri_gen.translation.tokens import counter_for


class PivotConfig(BackendConfig):
    via: LanguageCode = Field(description="ISO 639-3 code of the pivot language")
    translators: list[str] = Field(min_length=1, description="keys of the recipe's backends, tried in order per leg")


class PivotTranslator(Translator):
    name = "pivot"
    Config = PivotConfig

    def __init__(self, config: PivotConfig, context=None):
        super().__init__(config, context)
        self._unstarted: dict[str, Translator] = {}

    def problems(self) -> list[str]:
        return [f"translators names {ref!r}, which is not a translator in 'backends'" for ref in self.config.translators
                if getattr(self.context.configured_backend(ref), "kind", None) != "translator"]

    def _static(self, ref: str) -> Translator:
        if ref not in self._unstarted:
            component = self.context.configured_backend(ref)
            self._unstarted[ref] = component.cls(component.config, self.context)
        return self._unstarted[ref]

    def _leg(self, src: str, tgt: str) -> str | None:
        return next((ref for ref in self.config.translators
                     if self.context.configured_backend(ref) and self._static(ref).supports(src, tgt)), None)

    def _legs(self, src: str, tgt: str) -> tuple[str, str] | None:
        via = self.config.via
        if via in (languages.get(src).code, languages.get(tgt).code):
            return None
        first, second = self._leg(src, via), self._leg(via, tgt)
        return (first, second) if first and second else None

    @property
    def summary(self) -> str:
        return f"pivot via {self.config.via}: {', '.join(self.config.translators)}"

    def supports(self, src: str, tgt: str) -> bool:
        return self._legs(src, tgt) is not None

    def route(self, src: str, tgt: str) -> Translator:
        """The two started legs as one translator for this pair (the document layer calls it)."""
        legs = self._legs(src, tgt)
        if legs is None:
            raise ValueError(f"no pivot through {self.config.via} translates {src}->{tgt}")
        first, second = (self._started(ref, a, b) for ref, (a, b) in zip(legs, ((src, self.config.via), (self.config.via, tgt))))
        return PivotPair(first, second, self.config.via)

    def _started(self, ref: str, src: str, tgt: str) -> Translator:
        backend = self.context.backend(ref)
        return backend.route(src, tgt)

    def describe(self) -> dict:
        return {"backend": self.name, "via": self.config.via, "translators": self.config.translators}

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        return self.route(src, tgt).translate_batch(texts, src, tgt)


class PivotPair(Translator):
    """src -> via with ``first``, then via -> tgt with ``second``; segments fit both legs' limits."""

    name = "pivot"

    def __init__(self, first: Translator, second: Translator, via: str):
        super().__init__(None)
        self.first, self.second, self.via = first, second, via
        limited = [leg for leg in (first, second) if leg.max_input_tokens]
        strictest = min(limited, key=lambda leg: leg.max_input_tokens, default=None)
        self.max_input_tokens = strictest.max_input_tokens if strictest else None
        self.count_tokens = counter_for(strictest or first)

    def supports(self, src: str, tgt: str) -> bool:
        return self.first.supports(src, self.via) and self.second.supports(self.via, tgt)

    def describe(self) -> dict:
        return {"backend": self.name, "via": self.via, "legs": [self.first.describe(), self.second.describe()]}

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        return self.second.translate_batch(self.first.translate_batch(texts, src, self.via), self.via, tgt)
