"""What every mitigation method shares: its options, its result, and the fields it may touch.

A method takes the kept records of a run (plain dicts, see muri_gen.record) and returns a new
list: the originals are never changed in place, so the source dataset stays as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from muri_gen.bias.lexicons import file_code
from muri_gen.component import ComponentConfig

# The text fields of a record; the *_en ones are English whatever the record's language.
INSTRUCTION_FIELDS = ("instruction", "instruction_en")
OUTPUT_FIELDS = ("text", "text_en")


class MethodConfig(ComponentConfig):
    """Options of one mitigation method."""


@dataclass
class Mitigated:
    records: list[dict]
    summary: dict[str, Any] = field(default_factory=dict)  # counts for the card
    columns: dict[str, str] = field(default_factory=dict)  # new column -> what it means
    # rows the method took out, each with the reason (a curated subset names what it excluded)
    excluded: list[dict] = field(default_factory=list)
    extra: dict[str, list[dict]] = field(default_factory=dict)  # other outputs: "sft" and "dpo" pairs


class Method:
    name: ClassVar[str]
    Config: ClassVar[type[MethodConfig]] = MethodConfig
    needs_llm: ClassVar[bool] = False

    def __init__(self, config: MethodConfig):
        self.config = config

    def apply(self, records: list[dict]) -> Mitigated:
        raise NotImplementedError


def field_language(record: dict, field_name: str) -> str | None:
    """The file code of a field's text (the swap and lexicon files are named by it: "es", "sh" for
    Croatian), or None."""
    if field_name.endswith("_en"):
        return "en"
    try:
        return file_code(record.get("language") or "")
    except ValueError:
        return None


def present(record: dict, field_name: str) -> bool:
    value = record.get(field_name)
    return isinstance(value, str) and bool(value.strip())
