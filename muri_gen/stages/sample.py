"""Per-language caps (MURI kept about 15k documents per language), reproducible from the seed.

A barrier stage. Each record gets a priority ``stable_hash(seed, id)``; a language keeps its
``per_language`` lowest priorities. ``fit`` only keeps a bounded heap per language and writes
the priority cut-off, so the state is tiny and the choice does not depend on shard order,
executor or resume.
"""
from __future__ import annotations

import heapq
import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import Field, field_validator

from muri_gen import languages
from muri_gen.record import Outcome, Rejected, stable_hash
from muri_gen.runner.shards import language_of
from muri_gen.stages.base import Stage, StageConfig

CUTOFFS_FILE = "cutoffs.json"


class SampleConfig(StageConfig):
    per_language: int = Field(default=15000, ge=1,
                              description="documents kept per language (drawn from the seed; MURI kept about 15k)")
    per_language_overrides: dict[str, int] = Field(default={}, description="e.g. {spa: 50000}")

    @field_validator("per_language_overrides")
    @classmethod
    def _codes(cls, value: dict[str, int]) -> dict[str, int]:
        return {languages.get(code).code: cap for code, cap in value.items()}


class SampleCap(Stage):
    name = "sample"
    reads = ("text",)
    Config = SampleConfig
    barrier = True

    def priority(self, record: dict) -> tuple[int, str]:
        return stable_hash(str(self.context.seed), record["id"]), record["id"]

    def cap(self, language: str) -> int:
        return self.config.per_language_overrides.get(language, self.config.per_language)

    def fit(self, records: Iterable[dict], state_dir: Path) -> None:
        heaps: dict[str, list] = {}  # language -> max-heap (negated) of the cap lowest priorities
        counts: dict[str, int] = {}
        for record in records:
            language = language_of(record)
            counts[language] = counts.get(language, 0) + 1
            heap = heaps.setdefault(language, [])
            hashed, record_id = self.priority(record)
            item = (-hashed, _Reversed(record_id))
            if len(heap) < self.cap(language):
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
        cutoffs = {
            language: {"priority": -heap[0][0], "id": heap[0][1].value, "available": counts[language],
                       "cap": self.cap(language)}
            for language, heap in heaps.items() if counts[language] > self.cap(language)
        }
        (state_dir / CUTOFFS_FILE).write_text(json.dumps(cutoffs, indent=1, ensure_ascii=False))

    def setup(self) -> None:
        path = self.context.state_dir(self.id) / CUTOFFS_FILE
        self.cutoffs = json.loads(path.read_text(encoding="utf-8"))

    def process(self, records: list[dict]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for record in records:
            cutoff = self.cutoffs.get(language_of(record))
            if cutoff and self.priority(record) > (cutoff["priority"], cutoff["id"]):
                outcomes.append(Rejected("sampled_out", {"cap": cutoff["cap"], "available": cutoff["available"]}))
            else:
                outcomes.append(record)
        return outcomes


class _Reversed:
    """Orders ids backwards, so a max-heap over (-hash, id) breaks hash ties like (hash, id) ascending."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __lt__(self, other: "_Reversed") -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value
