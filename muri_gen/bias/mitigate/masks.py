"""Mask-based: where the gendered words are in the synthetic text, so a trainer can keep them out of the loss.

``gender_spans`` lists character spans per field (start/end into that field's text). Given a
Hugging Face tokenizer, ``label_masks`` holds, per field ({field, mask}), one 0/1 per token of
``tokenizer(text, add_special_tokens=False)``: 0 for a token that overlaps a gendered word.
"""
from __future__ import annotations

from pydantic import Field

from muri_gen.backends.hub import load_tokenizer
from muri_gen.bias.mitigate.base import INSTRUCTION_FIELDS, Method, MethodConfig, Mitigated, field_language, present
from muri_gen.bias.mitigate.swap import has_swap_list, swapper


class MaskConfig(MethodConfig):
    fields: list[str] = Field(default=list(INSTRUCTION_FIELDS),
                              description="record fields whose gendered words get spans; a field in a language "
                                          "without a swap list (filters/bias/swaps/) gets none")
    tokenizer: str | None = Field(default=None,
                                  description="a HF tokenizer name or local folder: adds label_masks, one 0/1 per "
                                              "token (0 = part of a gendered word); None: character spans only")


class GenderedSpans(Method):
    name = "mask_spans"
    Config = MaskConfig
    config: MaskConfig

    def __init__(self, config: MaskConfig):
        super().__init__(config)
        self._tokenizer = load_tokenizer(config.tokenizer, "mask_spans tokenizer") if config.tokenizer else None

    def spans(self, record: dict) -> tuple[list[dict], list[str]]:
        spans, unsupported = [], []
        for name in self.config.fields:
            if not present(record, name):
                continue
            language = field_language(record, name)
            if not has_swap_list(language):
                unsupported.append(name)
                continue
            spans += [{"field": name, "start": s.start, "end": s.end, "term": s.source, "gender": s.gender}
                      for s in swapper(language).find(record[name])]
        return spans, unsupported

    def label_mask(self, text: str, spans: list[dict]) -> list[int]:
        encoding = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [0 if any(start < s["end"] and s["start"] < end for s in spans) else 1
                for start, end in encoding["offset_mapping"]]

    def apply(self, records: list[dict]) -> Mitigated:
        out, total, rows_with, unsupported = [], 0, 0, 0
        for record in records:
            spans, missing = self.spans(record)
            copy = dict(record, gender_spans=spans)
            if self._tokenizer is not None:
                copy["label_masks"] = [
                    {"field": name, "mask": self.label_mask(record[name], [s for s in spans if s["field"] == name])}
                    for name in self.config.fields if present(record, name)
                ]
            out.append(copy)
            total += len(spans)
            rows_with += bool(spans)
            unsupported += bool(missing)
        columns = {"gender_spans": "character spans (field, start, end, term, gender) of gendered words in synthetic text"}
        if self._tokenizer is not None:
            columns["label_masks"] = f"per field, 1/0 per token of {self.config.tokenizer} (0 = leave out of the loss)"
        return Mitigated(out, summary={"spans": total, "rows_with_spans": rows_with,
                                       "rows_without_a_word_list": unsupported, "fields": self.config.fields,
                                       "tokenizer": self.config.tokenizer}, columns=columns)
