"""A translator that picks another translator per language: e.g. Bergamot for Portuguese,
Apertium for the rest, NLLB for everything else on a GPU machine.

    mt: {kind: translator, type: router, routes: [{languages: [por], translator: bergamot},
                                                  {translator: apertium}]}

A route matches a pair when its ``languages`` (omitted: any) hold the pair's non-English side
and its translator supports the pair; the first match wins. Routed backends are other entries
of the recipe's ``backends`` section, reached through the run context (shared, started once).
"""
from __future__ import annotations

from pydantic import Field

from muri_gen import languages
from muri_gen.languages import LanguageCode
from muri_gen.backends.base import BackendConfig, Translator
from muri_gen.component import ComponentConfig


class Route(ComponentConfig):
    translator: str = Field(description="a key of the recipe's backends section")
    languages: list[LanguageCode] | None = Field(default=None, description="ISO 639-3; None = every language")


class RouterConfig(BackendConfig):
    routes: list[Route] = Field(min_length=1,
                                description="tried in order: the first whose languages hold the pair's non-English "
                                            "side and whose translator supports the pair translates it")


class RouterTranslator(Translator):
    name = "router"
    Config = RouterConfig

    def __init__(self, config: RouterConfig, context=None):
        super().__init__(config, context)
        self._unstarted: dict[str, Translator] = {}

    def problems(self) -> list[str]:
        """Routes naming a backend the recipe lacks, or one that is not a translator."""
        return [
            f"route {i} names {r.translator!r}, which is not a translator in 'backends'"
            for i, r in enumerate(self.config.routes)
            if getattr(self.context.configured_backend(r.translator), "kind", None) != "translator"
        ]

    def _static(self, ref: str) -> Translator:
        """The routed backend's class with its config, not started: enough for supports()."""
        if ref not in self._unstarted:
            component = self.context.configured_backend(ref)
            self._unstarted[ref] = component.cls(component.config, self.context)
        return self._unstarted[ref]

    def _match(self, src: str, tgt: str) -> str | None:
        side = languages.get(src if tgt == "eng" else tgt).code  # "zho_Hant" takes the zho route
        for route in self.config.routes:
            if route.languages is not None and side not in route.languages:
                continue
            if self.context.configured_backend(route.translator) and self._static(route.translator).supports(src, tgt):
                return route.translator
        return None

    @property
    def summary(self) -> str:
        """For error messages: "router: bergamot for por, apertium for any language"."""
        return "router: " + ", ".join(
            f"{r.translator} for {'/'.join(r.languages) if r.languages else 'any language'}" for r in self.config.routes
        )

    def supports(self, src: str, tgt: str) -> bool:
        return self._match(src, tgt) is not None

    def route(self, src: str, tgt: str) -> Translator:
        """The started backend that translates this pair (the document layer calls it directly)."""
        ref = self._match(src, tgt)
        if ref is None:
            raise ValueError(f"no route of this router translates {src}->{tgt}")
        backend = self.context.backend(ref)
        return backend.route(src, tgt)  # a router or a pivot passes the pair on

    def describe(self) -> dict:
        return {"backend": self.name, "routes": [r.model_dump() for r in self.config.routes]}

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        return self.route(src, tgt).translate_batch(texts, src, tgt)
