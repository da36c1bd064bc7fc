"""Reverse instructions: the LLM reads the English document and writes the request it answers.

    - {stage: reverse_instruction, llm: llm, n: 4, length_hints: 0.3, batch_size: 256}

One batch of requests goes to the backend at once (the server or vLLM batches them), through
the request cache (a re-run or resumed run replays finished requests). The style (LongForm's
plain instruction, informal chatbot message, search-engine query) and the sampling seed come
from the run seed and the record id, so the same record gets the same request in every run.
With ``n > 1`` the model writes n candidates in one request (the prompt is read once); every
candidate travels on in ``candidates`` (with its finish reason and how much it copies the prompt),
is translated back and checked, and the ``curate`` stage keeps the best. ``instruction_en`` is the
candidate that passes most post-filter checks (then copies least), for recipes without curation.
A length hint ("Respond in 3 sentences.") counts the native document, which is the answer.
A request that failed after the backend's retries errors the record; a resumed run sends it again.
"""
from __future__ import annotations

import re
from functools import cached_property

import yaml
from pydantic import Field

from muri_gen.backends.base import ChatRequest, SamplingParams
from muri_gen.backends.llm.cache import CachedChat, RequestCache
from muri_gen.component import Context
from muri_gen.curation.length import length_of
from muri_gen.curation.ngrams import ngram_overlap
from muri_gen.text import WordSegmenter
from muri_gen.prompts import load_prompt
from muri_gen.record import Errored, Outcome, Rejected, stable_hash
from muri_gen.stages.base import Stage, StageConfig
from muri_gen.stages.postfilter import ChecksConfig, InstructionChecks
from muri_gen.translation.tokens import estimate_tokens

_PREFIX = re.compile(
    r"^\s*(?:(?:sure|certainly|okay|ok)[,!.]?\s*)?(?:here(?:'s| is)[^:\n]{0,60}:\s*)?"
    r"(?:\*\*)?(?:instruction|request|query|search(?: engine)? query|message|chatbot message|question|user)(?:\*\*)?\s*:\s*(?:\*\*)?\s*",
    re.IGNORECASE)
_LEAD_IN = re.compile(r"^\s*(?:sure|certainly|okay|ok)[,!.]?\s*(?:here(?:'s| is)[^:\n]{0,60}:)?\s*$", re.IGNORECASE)
_QUOTES = "\"'`«»“”„*"


def clean_instruction(raw: str) -> str:
    """One instruction from a generation: no lead-in, label, wrapping quotes or later lines."""
    lines = [line for line in raw.strip().splitlines() if line.strip() and not _LEAD_IN.match(line)]
    if not lines:
        return ""
    text = _PREFIX.sub("", lines[0]).strip()
    if not text and len(lines) > 1:  # "Instruction:" alone on its line
        text = lines[1].strip()
    while len(text) > 1 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text.strip(_QUOTES + " ") if text.count('"') == 1 else text


class ReverseInstructionConfig(StageConfig):
    llm: str = Field(default="llm", description="the recipe's backends: key of an LLM backend")
    prompt: str = Field(default="reverse-instruction-v2",
                        description="a file of muri_gen/prompts, or a path to a YAML file")
    system: str | None = Field(default=None, description="replaces the template's system prompt")
    styles: list[str] | None = Field(default=None, description="a subset of the template's styles; default: all")
    examples: dict[str, list[dict]] | None = Field(default=None,
                                                   description="style -> [{document, instruction}] replaces few-shot "
                                                               "examples")
    length_hints: float = Field(default=0.0, ge=0, le=1,
                                description="share of instructions that get \"Respond in N ...\"")
    max_document_tokens: int = Field(default=1024, ge=16,
                                     description="the document is cut to this many (estimated) tokens")
    temperature: float = Field(default=0.7, ge=0,
                               description="sampling temperature; 0 is greedy (n candidates would all be alike)")
    top_p: float = Field(default=0.95, gt=0, le=1,
                         description="nucleus sampling: draw from the likeliest tokens that hold this much "
                                     "probability; 1: off")
    max_tokens: int = Field(default=96, ge=4, description="most tokens the LLM writes per instruction (cut there)")
    n: int = Field(default=1, ge=1,
                   description="candidates per document, in one request; the curate stage keeps the best")
    seed: int | None = Field(default=None, description="default: the recipe's seed")
    batch_size: int | None = Field(default=None, ge=1,
                                   description="requests in flight per call; default: the executor's")
    cache: bool = Field(default=True,
                        description="the LLM request cache in the run's cache folder: a re-run or resumed run sends "
                                    "only requests not yet answered")
    checks: ChecksConfig = Field(default=ChecksConfig(),
                                 description="ranking of candidates (the postfilter stage has its own)")


class ReverseInstruction(Stage):
    name = "reverse_instruction"
    reads = ("text_en",)
    writes = ("instruction_en", "instruction_raw", "candidates", "style", "prompt", "generation")
    Config = ReverseInstructionConfig
    uses_backends = {"llm": "llm"}

    @classmethod
    def check(cls, config: ReverseInstructionConfig, context: Context | None) -> list[str]:
        try:
            template = load_template(config.prompt)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            return [f"reverse_instruction prompt {config.prompt!r}: {exc}"]
        problems = []
        unknown = set(config.styles or []) | set(config.examples or {})
        unknown -= set(template["styles"])
        if unknown:
            problems.append(f"reverse_instruction: unknown style(s) {sorted(unknown)}; the template has "
                            f"{sorted(template['styles'])}")
        component = context.configured_backend(config.llm) if context is not None else None
        limit = component.cls.max_candidates(component.config) if component is not None and component.kind == "llm" else None
        if limit is not None and config.n > limit:
            problems.append(f"reverse_instruction: n={config.n} candidates, but the {component.type} backend "
                            f"{config.llm!r} serves at most {limit} a request (set its parallel to {config.n} or more)")
        return problems

    @cached_property
    def template(self) -> dict:
        return load_template(self.config.prompt)

    @cached_property
    def segmenter(self) -> WordSegmenter:
        return WordSegmenter()

    def setup(self) -> None:
        cfg = self.config
        self.llm = self.context.backend(cfg.llm)
        cache = RequestCache(self.context.cache_dir / "llm_requests") if cfg.cache else None
        self.chat = CachedChat(self.llm, cache)
        self.checks = InstructionChecks(cfg.checks)
        self.seed = self.context.seed if cfg.seed is None else cfg.seed
        self.styles = cfg.styles or list(self.template["styles"])

    def teardown(self) -> None:
        if getattr(self, "chat", None) and self.chat.cache is not None:
            self.chat.cache.close()

    def style_of(self, record: dict) -> str:
        return self.styles[stable_hash(str(self.seed), "style", str(record["id"])) % len(self.styles)]

    def request(self, record: dict, document: str) -> ChatRequest:
        cfg, t = self.config, self.template
        style = self.style_of(record)
        user = t["styles"][style]["user"]
        examples = (cfg.examples or {}).get(style, t["styles"][style].get("examples", []))
        messages = [("system", cfg.system or t["system"])]
        for example in examples:
            messages += [("user", user.format(document=example["document"].strip())), ("assistant", example["instruction"])]
        messages.append(("user", user.format(document=document)))
        sampling = SamplingParams(temperature=cfg.temperature, top_p=cfg.top_p, max_tokens=cfg.max_tokens, n=cfg.n,
                                  seed=stable_hash(str(self.seed), "sample", str(record["id"])) % 2**31)
        return ChatRequest(messages=tuple(messages), sampling=sampling)

    def prompt_text(self, style: str) -> str:
        """What the model was told, minus the document: a candidate that repeats it restates the prompt."""
        cfg, t = self.config, self.template
        examples = (cfg.examples or {}).get(style, t["styles"][style].get("examples", []))
        return "\n".join([cfg.system or t["system"], t["styles"][style]["user"].replace("{document}", ""),
                          *(example["instruction"] for example in examples)])

    def length_hint(self, record: dict) -> str | None:
        """LongForm's "Respond in N sentences/words.", counted in the native document (the answer)."""
        if stable_hash(str(self.seed), "length", str(record["id"])) % 10_000 >= self.config.length_hints * 10_000:
            return None
        text, language = record.get("text") or record["text_en"], record.get("language") or "eng"
        sentences = length_of(text, language, "sentences")
        n, unit = (sentences, "sentences") if sentences > 1 else (length_of(text, language, "words", self.segmenter), "words")
        return self.template["length_hint"].format(n=n, unit=unit)

    def process(self, records: list[dict]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(records)
        pending: list[tuple[int, str, ChatRequest]] = []
        for i, record in enumerate(records):
            text = record.get("text_en")
            if not isinstance(text, str) or not text.strip():
                outcomes[i] = Rejected("no_english_text", {"field": "text_en"})
                continue
            document = truncate(text.strip(), self.config.max_document_tokens)
            pending.append((i, document, self.request(record, document)))
        results = self.chat.chat([request for _, _, request in pending])
        described = self.llm.describe()
        for (i, document, request), result in zip(pending, results):
            record = records[i]
            if result.error:
                outcomes[i] = Errored(f"reverse_instruction: {result.error}")
                continue
            style = self.style_of(record)
            hint = self.length_hint(record)
            candidates = self.candidates(result, document, style, hint)
            best = min(candidates, key=lambda c: (len(c["failed_en"]), c["echo_overlap"]), default=None)
            if best is None or not best["instruction_en"]:
                outcomes[i] = Rejected("empty_generation", {"raw": (result.texts or [""])[0][:200]})
                continue
            s = request.sampling
            outcomes[i] = {
                **record,
                "instruction_en": best["instruction_en"],
                "instruction_raw": best["raw"],
                "candidates": candidates,
                "style": style,
                "prompt": {"name": self.template["name"], "version": str(self.template["version"])},
                "generation": {**described, "temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens,
                               "seed": s.seed, "n": s.n, "finish_reason": best["finish_reason"], "cached": result.cached,
                               "completion_tokens": result.completion_tokens, "prompt_tokens": result.prompt_tokens,
                               "length_hint": hint is not None},
            }
        return outcomes  # type: ignore[return-value]

    def candidates(self, result, document: str, style: str, hint: str | None) -> list[dict]:
        """Every non-empty completion, cleaned, with what the English checks and the prompt say of it."""
        prompt = self.prompt_text(style)
        reasons = result.finish_reasons or [""] * len(result.texts)
        out = []
        for raw, finish_reason in zip(result.texts, reasons):
            cleaned = clean_instruction(raw)
            if not cleaned:
                continue
            failed, scores = self.checks.check(cleaned, document, style)
            out.append({"instruction_en": f"{cleaned} {hint}" if hint else cleaned, "raw": raw,
                        "finish_reason": finish_reason or None, "failed_en": failed,
                        "echo_overlap": scores["echo_overlap"], "prompt_overlap": round(ngram_overlap(cleaned, prompt), 4)})
        return out


def load_template(name: str) -> dict:
    data = load_prompt(name, {"name", "version", "system", "styles", "length_hint"}, "reverse-instruction")
    for style, spec in data["styles"].items():
        if "{document}" not in spec.get("user", ""):
            raise ValueError(f"style {style!r} of template {name!r} has no {{document}} placeholder in 'user'")
    return data


def truncate(text: str, max_tokens: int) -> str:
    """The document's start within the token budget, cut at a sentence end when one is near."""
    if estimate_tokens(text) <= max_tokens:
        return text
    cut = text[: max_tokens * 4]
    while estimate_tokens(cut) > max_tokens:
        cut = cut[: int(len(cut) * 0.9)]
    sentence_end = max(cut.rfind(". "), cut.rfind("\n"))
    return cut[: sentence_end + 1] if sentence_end > len(cut) // 2 else cut
