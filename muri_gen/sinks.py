"""Sinks consume a finished run (kept rows, rejects, stats) and write what users read or publish.

They run after every shard of every segment is done, in recipe order, and are safe to re-run:
each rewrites its own output from the run folder.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from muri_gen.component import ComponentConfig, Context
from muri_gen.registry import resolve

if TYPE_CHECKING:
    from muri_gen.runner.layout import RunDir

SINKS: dict[str, str] = {
    "hub_dataset": "muri_gen.export.hub_folder:HubDatasetSink",
    "bias_trace": "muri_gen.bias.trace_sink:BiasTraceSink",
    "bias_mitigate": "muri_gen.bias.mitigate.sink:BiasMitigateSink",
    "report": "muri_gen.report.html:ReportSink",
    "filtered_records": "muri_gen.export.filtered:FilteredRecordsSink",
    "pair_scores": "muri_gen.curation.sink:PairScoresSink",
}


class SinkConfig(ComponentConfig):
    """Base of every sink's recipe options."""


class Sink:
    name: ClassVar[str]
    Config: ClassVar[type[SinkConfig]] = SinkConfig
    uses_backends: ClassVar[dict[str, str]] = {}

    def __init__(self, config: SinkConfig, context: Context):
        self.config = config
        self.context = context

    @classmethod
    def check(cls, config: SinkConfig, context: Context | None) -> list[str]:
        """Recipe-time checks beyond the config schema, as Stage.check."""
        return []

    def write(self, run: RunDir) -> None:
        raise NotImplementedError


def get_sink(name: str) -> type[Sink]:
    return resolve(SINKS, name, "sink")
