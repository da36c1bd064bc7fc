"""Sinks consume a finished run (kept rows, rejects, stats) and write what users read or publish.

They run after every shard of every segment is done, in recipe order, and are safe to re-run:
each rewrites its own output from the run folder.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from muri_gen.registry import resolve
from muri_gen.stages.base import StageConfig

if TYPE_CHECKING:
    from muri_gen.runner.context import RunContext
    from muri_gen.runner.layout import RunDir

SINKS: dict[str, str] = {
    "hub_dataset": "muri_gen.export.hub_folder:HubDatasetSink",
    "bias_trace": "muri_gen.bias.trace_sink:BiasTraceSink",
    "bias_mitigate": "muri_gen.bias.mitigate.sink:BiasMitigateSink",
    "report": "muri_gen.report.html:ReportSink",
    "filtered_records": "muri_gen.filtering.sink:FilteredRecordsSink",
    "pair_scores": "muri_gen.curation.sink:PairScoresSink",
}


class Sink:
    name: ClassVar[str]
    Config: ClassVar[type[StageConfig]] = StageConfig
    uses_backends: ClassVar[dict[str, str]] = {}

    def __init__(self, config: StageConfig, context: RunContext):
        self.config = config
        self.context = context

    @classmethod
    def check(cls, config: StageConfig, recipe) -> list[str]:
        return []

    def write(self, run: RunDir) -> None:
        raise NotImplementedError


def get_sink(name: str) -> type[Sink]:
    return resolve(SINKS, name, "sink")
