"""Counterfactual data augmentation: gender-swapped copies of instruction/output pairs.

``target: all`` (classic CDA) copies every pair that has gendered words. ``target: parity`` or
``reference`` copies only pairs whose copy moves the gender-occupation counts of the measured field
toward that target: rows are visited in a seeded order and a copy is kept when it lowers the summed
distance |female share - target| of the occupations it mentions.

The copy keeps the original's split key (``counterfactual_of``) so an original and its copy never
land in different splits. A copy needs every field it touches swapped in that field's language: a
record whose language has no swap list gets no copy, and the summary counts it by language.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import Field

from muri_gen.bias.mitigate.base import INSTRUCTION_FIELDS, OUTPUT_FIELDS, Method, MethodConfig, Mitigated
from muri_gen.bias.mitigate.base import field_language, present
from muri_gen.bias.mitigate.measure import RowCounts, target_female_share
from muri_gen.bias.mitigate.swap import has_swap_list, swapper
from muri_gen.record import stable_hash


class AugmentConfig(MethodConfig):
    fields: Literal["instruction", "both"] = Field(
        default="instruction", description="swap the instruction only (instruction, instruction_en), or the output "
                                           "too (text, text_en)")
    names: Path | None = Field(default=None,
                               description="a male<TAB>female name list, swapped both ways; names are left alone "
                                           "without one")
    target: Literal["all", "parity", "reference"] = Field(
        default="all", description="all: copy every pair with gendered words (classic CDA); parity or reference: "
                                   "only copies that move each occupation's female share toward 50% or toward "
                                   "its reference share (filters/bias/occupations.tsv)")
    measure_field: str = Field(default="instruction_en",
                               description="the field whose counts a targeted augmentation moves (unused with "
                                           "target all)")
    seed: int = Field(default=0, description="the order a targeted augmentation visits rows in, which decides "
                                             "which copies are kept (unused with target all)")


class CounterfactualAugmentation(Method):
    name = "augment"
    Config = AugmentConfig
    config: AugmentConfig

    def _fields(self) -> tuple[str, ...]:
        return INSTRUCTION_FIELDS + (OUTPUT_FIELDS if self.config.fields == "both" else ())

    def counterfactual(self, record: dict) -> dict | str:
        """The swapped copy, or the reason there is none ("no_gendered_words", "no_swap_list:xx")."""
        copy, swapped = dict(record), 0
        for name in self._fields():
            if not present(record, name):
                continue
            language = field_language(record, name)
            if not has_swap_list(language):
                return f"no_swap_list:{language or record.get('language')}"
            copy[name], swaps = swapper(language, str(self.config.names) if self.config.names else None).swap(record[name])
            swapped += len(swaps)
        if not swapped:
            return "no_gendered_words"
        copy.update(id=f"{record['id']}~cf", counterfactual_of=str(record["id"]), swapped_words=swapped)
        return copy

    def apply(self, records: list[dict]) -> Mitigated:
        out = [dict(r, counterfactual_of=None, swapped_words=0) for r in records]
        reasons: Counter[str] = Counter()
        copies = self._all(records, reasons) if self.config.target == "all" else self._targeted(records, reasons)
        out += copies
        return Mitigated(
            out,
            summary={"rows_in": len(records), "rows_added": len(copies), "rows_out": len(out),
                     "not_copied": dict(reasons), "fields": list(self._fields()), "target": self.config.target},
            columns={"counterfactual_of": "id of the row this gender-swapped copy was made from (null for originals)",
                     "swapped_words": "number of gendered words swapped in this copy"},
        )

    def _all(self, records: list[dict], reasons: Counter) -> list[dict]:
        copies = []
        for record in records:
            copy = self.counterfactual(record)
            if isinstance(copy, str):
                reasons[copy] += 1
            else:
                copies.append(copy)
        return copies

    def _targeted(self, records: list[dict], reasons: Counter) -> list[dict]:
        field = self.config.measure_field
        counts = RowCounts.of(records, field)
        totals = counts.totals()
        targets = {cell: target_female_share(o, self.config.target) for cell, o in counts.occupations.items()}

        def distance(cells, extra=None) -> float:
            total = 0.0
            for cell in cells:
                female, male = totals[cell]
                if extra and cell in extra:
                    female, male = female + extra[cell][0], male + extra[cell][1]
                if targets.get(cell) is not None and female + male:
                    total += abs(female / (female + male) - targets[cell])
            return total

        order = sorted((i for i, cells in enumerate(counts.cells) if cells),
                       key=lambda i: stable_hash(str(self.config.seed), str(records[i]["id"])))
        copies = []
        for index in order:
            # a swap turns the row's female windows into male ones and back: a cheap first guess
            guess = {cell: (male, female) for cell, (female, male) in counts.cells[index].items()}
            if distance(guess, guess) >= distance(guess):
                reasons["does_not_move_toward_target"] += 1
                continue
            copy = self.counterfactual(records[index])
            if isinstance(copy, str):
                reasons[copy] += 1
                continue
            added = RowCounts.of([copy], field).cells[0]  # the copy as really counted
            touched = set(added) | set(guess)
            for cell in added:
                totals.setdefault(cell, [0.0, 0.0])
            if distance(touched, added) >= distance(touched):
                reasons["does_not_move_toward_target"] += 1
                continue
            for cell, (female, male) in added.items():
                totals[cell][0] += female
                totals[cell][1] += male
            copies.append(copy)
        return copies
