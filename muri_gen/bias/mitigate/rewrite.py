"""Debiased rewrite pairs, SR-LLM style (arXiv 2404.01399): biased instruction -> neutral rewrite.

The LLM rewrites every English instruction that ties a gender to an occupation (a sentence window
with an occupation and a gender word, as the tracing engine counts it), with the prompt kept as data
in muri_gen/prompts/debias-v<N>.yaml. A rewrite is accepted when it is not empty, differs from the
input, has no gendered word left (by the swap list) and keeps the content: at least ``min_overlap``
of the input's other words (small models tend to answer the text instead of rewriting it).
Otherwise the summary counts the reason.
Accepted pairs become SFT chat rows ("Debias this text ..." -> neutral) and DPO rows (chosen =
neutral, rejected = biased) in the export's fine-tuning shapes, and the dataset version carries
the rewrite in ``instruction_en_debiased``.
"""
from __future__ import annotations

from collections import Counter

import regex
from pydantic import Field

from muri_gen.backends.base import LLM, ChatRequest, SamplingParams
from muri_gen.bias.mitigate.base import Method, MethodConfig, Mitigated
from muri_gen.bias.mitigate.measure import RowCounts
from muri_gen.bias.mitigate.swap import swapper
from muri_gen.export.finetune import chat_example, dpo_example
from muri_gen.prompts import load_prompt

WORD = regex.compile(r"\w+")
DEBIAS_KEYS = {"name", "version", "system", "user", "sft_instruction"}


def debias_pairs(prompt: dict, biased: str, neutral: str) -> tuple[dict, dict]:
    """(SFT chat row, DPO row) for one accepted rewrite, in the export's fine-tuning shapes."""
    instruction = prompt["sft_instruction"].format(text=biased)
    sft = chat_example({"input": instruction, "output": neutral, "language": "eng"}, prompt["system"])
    return sft, dpo_example(instruction, neutral, biased, "eng")


class RewriteConfig(MethodConfig):
    prompt: str = Field(default="debias-v1",
                        description="the debias prompt: a name in muri_gen/prompts (debias-v<N>) or a .yaml path")
    field: str = Field(default="instruction_en",
                       description="the English field rewritten where an occupation meets a gender word (English: "
                                   "what the LLM wrote, and what the swap list can check); the rewrite goes to "
                                   "instruction_en_debiased")
    max_tokens: int = Field(default=160, ge=8,
                            description="most tokens the LLM writes per rewrite; raise it if long rewrites come "
                                        "back cut")
    temperature: float = Field(default=0.0, ge=0, description="LLM sampling temperature; 0: greedy, the same rewrite "
                                                              "every time")
    seed: int = Field(default=0, description="LLM sampling seed (matters when temperature > 0)")
    batch_size: int = Field(default=16, ge=1,
                            description="instructions per LLM call; lower it if the LLM runs out of memory")
    min_overlap: float = Field(default=0.6, ge=0, le=1,
                               description="share (0-1) of the input's non-gendered words a rewrite must keep; "
                                           "below it the rewrite is not accepted (content_changed)")


class DebiasRewrite(Method):
    name = "rewrite"
    Config = RewriteConfig
    config: RewriteConfig
    needs_llm = True

    def __init__(self, config: RewriteConfig, llm: LLM):
        super().__init__(config)
        self.llm = llm
        self.prompt = load_prompt(config.prompt, DEBIAS_KEYS, "debias")

    def request(self, text: str) -> ChatRequest:
        messages = [("system", self.prompt["system"])]
        for example in self.prompt.get("examples") or []:
            messages += [("user", self.prompt["user"].format(text=example["biased"])), ("assistant", example["neutral"])]
        messages.append(("user", self.prompt["user"].format(text=text)))
        sampling = SamplingParams(temperature=self.config.temperature, max_tokens=self.config.max_tokens,
                                  seed=self.config.seed)
        return ChatRequest(messages=tuple(messages), sampling=sampling)

    def verdict(self, biased: str, rewrite: str) -> str | None:
        """None if the rewrite is usable, else why not."""
        if not rewrite.strip():
            return "empty_rewrite"
        if rewrite.strip() == biased.strip():
            return "unchanged"
        english = swapper("en")
        if english.find(rewrite):
            return "still_gendered"
        gendered = {s.source.lower() for s in english.find(biased)}
        words = {w for w in WORD.findall(biased.lower()) if w not in gendered}
        if words and len(words & set(WORD.findall(rewrite.lower()))) / len(words) < self.config.min_overlap:
            return "content_changed"
        return None

    def apply(self, records: list[dict]) -> Mitigated:
        cells = RowCounts.of(records, self.config.field).cells
        chosen = [i for i, c in enumerate(cells) if c]  # rows where an occupation meets a gender word
        reasons: Counter[str] = Counter()
        rewrites: dict[int, str] = {}
        sft, dpo = [], []
        for start in range(0, len(chosen), self.config.batch_size):
            batch = chosen[start:start + self.config.batch_size]
            results = self.llm.chat([self.request(records[i][self.config.field]) for i in batch])
            for index, result in zip(batch, results):
                if result.error or not result.texts:
                    reasons["llm_error"] += 1
                    continue
                biased, neutral = records[index][self.config.field], result.texts[0].strip()
                why = self.verdict(biased, neutral)
                if why:
                    reasons[why] += 1
                    continue
                rewrites[index] = neutral
                sft_row, dpo_row = debias_pairs(self.prompt, biased, neutral)
                sft.append(sft_row | {"id": str(records[index]["id"])})
                dpo.append(dpo_row | {"id": str(records[index]["id"])})
        out = [dict(r, instruction_en_debiased=rewrites.get(i)) for i, r in enumerate(records)]
        return Mitigated(
            out,
            summary={"rows_with_gendered_occupations": len(chosen), "rewritten": len(rewrites),
                     "not_rewritten": dict(reasons), "prompt": f"{self.prompt['name']}@{self.prompt['version']}",
                     "llm": self.llm.describe()},
            columns={"instruction_en_debiased": "the English instruction rewritten without gender bias by the LLM "
                                                "(null when the row needed none or the rewrite was not accepted)"},
            extra={"sft": sft, "dpo": dpo},
        )
