"""Token-based marking: wrap the LLM-written parts in tags a trainer can condition on or drop.

The tags are plain strings (``<synthetic>``...``</synthetic>`` by default); the card lists them so
a trainer can add them to the tokenizer as special tokens and leave them out at inference.
"""
from __future__ import annotations

from pydantic import Field, field_validator

from muri_gen.bias.mitigate.base import Method, MethodConfig, Mitigated, present


class MarkConfig(MethodConfig):
    fields: list[str] = Field(default=["instruction"],
                              description="record fields to wrap in the tags (instruction, instruction_en, text, "
                                          "text_en); the instruction is what the LLM (and the translator) wrote")
    open_tag: str = Field(default="<synthetic>",
                          description="put before each marked text; not empty; add it to the tokenizer as a "
                                      "special token")
    close_tag: str = Field(default="</synthetic>", description="put after each marked text; \"\" for a prefix token only")

    @field_validator("open_tag")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("open_tag must not be empty")
        return value


class MarkSynthetic(Method):
    name = "mark_tokens"
    Config = MarkConfig
    config: MarkConfig

    def mark(self, text: str) -> str:
        return f"{self.config.open_tag}{text}{self.config.close_tag}"

    def apply(self, records: list[dict]) -> Mitigated:
        out, marked = [], 0
        for record in records:
            copy = dict(record)
            for name in self.config.fields:
                if present(record, name):
                    copy[name] = self.mark(record[name])
                    marked += 1
            out.append(copy)
        tokens = [t for t in (self.config.open_tag, self.config.close_tag) if t]
        return Mitigated(out, summary={"fields_marked": marked, "fields": self.config.fields, "special_tokens": tokens})
