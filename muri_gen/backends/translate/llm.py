"""An instruction LLM as translator, through the same LLM backends as reverse instructions
(xllamacpp, vLLM offline, any OpenAI-compatible server): one chat request per sentence, with
the prompt kept as data in muri_gen/prompts/translate-v<N>.yaml.

    mt: {kind: translator, type: llm, llm: llm, languages: [spa, fra, deu]}
"""
from __future__ import annotations

import re
from functools import cached_property

from pydantic import Field

from muri_gen import languages
from muri_gen.languages import LanguageCode
from muri_gen.backends.base import LLM, BackendConfig, ChatRequest, SamplingParams, Translator
from muri_gen.prompts import load_prompt
from muri_gen.translation.tokens import estimate_tokens

_LABEL = re.compile(r"^\s*(translation|traducción|tradução)\s*:\s*", re.IGNORECASE)


class LLMTranslatorConfig(BackendConfig):
    llm: str = Field(description="the recipe's backends: key of an LLM backend")
    prompt: str = Field(default="translate-v1", description="a file of muri_gen/prompts, or a path to a YAML file")
    languages: list[LanguageCode] | None = Field(default=None,
                                                 description="the languages the model writes well; None: trust it with"
                                                             " any")
    max_input_tokens: int = Field(default=400, ge=8,
                                  description="(estimated) tokens per request; longer sentences are cut into pieces")
    max_tokens: int = Field(default=512, ge=8, description="per sentence; also capped at 3x the input + 32")
    temperature: float = Field(default=0.0, ge=0, description="sampling temperature; 0: greedy, the same every time")
    seed: int = Field(default=0, description="sampling seed sent with every request (matters above temperature 0)")


class LLMTranslator(Translator):
    name = "llm"
    Config = LLMTranslatorConfig

    def __init__(self, config: LLMTranslatorConfig, context=None):
        super().__init__(config, context)
        self.max_input_tokens = config.max_input_tokens

    @cached_property
    def template(self) -> dict:
        return load_prompt(self.config.prompt, {"name", "version", "system", "user"}, "translation")

    def supports(self, src: str, tgt: str) -> bool:
        allowed = self.config.languages
        return allowed is None or all(code == "eng" or code in allowed for code in (src, tgt))

    def describe(self) -> dict:
        return {"backend": self.name, "llm": self.llm.describe() if self.context else self.config.llm,
                "prompt": f"{self.template['name']}-v{self.template['version']}"}

    @property
    def llm(self) -> LLM:
        return self.context.backend(self.config.llm)

    def request(self, text: str, src: str, tgt: str) -> ChatRequest:
        t = self.template
        names = {"source": languages.get(src).written_name, "target": languages.get(tgt).written_name}
        messages = [("system", t["system"].format(**names))]
        for example in t.get("examples", []):
            messages += [("user", t["user"].format(source=example["source"], target=example["target"], text=example["text"])),
                         ("assistant", example["translation"])]
        messages.append(("user", t["user"].format(**names, text=text)))
        budget = min(self.config.max_tokens, 3 * estimate_tokens(text) + 32)
        sampling = SamplingParams(temperature=self.config.temperature, max_tokens=budget, seed=self.config.seed)
        return ChatRequest(messages=tuple(messages), sampling=sampling)

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        results = self.llm.chat([self.request(t, src, tgt) for t in texts])
        failed = [r.error for r in results if r.error]
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(texts)} LLM requests failed: {failed[0]}")
        return [_clean(source, r.texts[0] if r.texts else "") for source, r in zip(texts, results)]


_QUOTES = "\"'«»“”„"


def _clean(source: str, output: str) -> str:
    """The translation alone: no "Translation:" label, no wrapping quotes the source lacked."""
    text = _LABEL.sub("", output.strip())
    if len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES and source[:1] not in _QUOTES:
        text = text[1:-1].strip()
    return text
