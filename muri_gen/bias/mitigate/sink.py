"""The ``bias_mitigate`` sink: a recipe writes a mitigated dataset version after the run.

    sinks:
      - {sink: hub_dataset}
      - {sink: bias_mitigate, methods: [{method: augment, target: reference}, {method: reweight}]}
      - {sink: bias_mitigate, id: rewrite, llm: llm, methods: [{method: rewrite}]}

Each item of ``methods`` names a method and its options (checked when the recipe is validated).
The version goes to OUT/dataset-mitigated-<name>/ beside OUT/dataset/, which is never touched.
"""
from __future__ import annotations

import logging

from pydantic import Field, ValidationError, field_validator

from muri_gen.bias.mitigate import get_method
from muri_gen.bias.mitigate.pipeline import build, mitigate
from muri_gen.bias.mitigate.version import EmptyVersion, require_pairs, version_name, write_version
from muri_gen.component import Context
from muri_gen.registry import UnknownName
from muri_gen.runner.layout import RunDir
from muri_gen.sinks import Sink, SinkConfig

log = logging.getLogger("muri_gen")


class BiasMitigateConfig(SinkConfig):
    methods: list[dict] = Field(description="applied in order, each {method: NAME, ...its options}; NAME: augment, "
                                            "reweight, resample, mark_tokens, mask_spans, curate or rewrite; "
                                            "options: --explain NAME")
    measure_field: str = Field(default="instruction_en",
                               description="the English field gender-occupation bias is measured in, before and "
                                           "after each method")
    name: str | None = Field(default=None, description="default: the method names joined by \"-\"")
    llm: str | None = Field(default=None, description="backend ref of an LLM, for the rewrite method")

    @field_validator("methods")
    @classmethod
    def _named(cls, methods: list[dict]) -> list[dict]:
        if not methods or any(not isinstance(m.get("method"), str) for m in methods):
            raise ValueError("give at least one method, each as {method: NAME, ...options}")
        return methods


def _split(spec: dict) -> tuple[str, dict]:
    options = dict(spec)
    return options.pop("method"), options


class BiasMitigateSink(Sink):
    name = "bias_mitigate"
    Config = BiasMitigateConfig
    uses_backends = {"llm": "llm"}

    @classmethod
    def check(cls, config: BiasMitigateConfig, context: Context | None) -> list[str]:
        problems = []
        for index, spec in enumerate(config.methods):
            name, options = _split(spec)
            try:
                method = get_method(name)
                method.Config(**options)
            except (UnknownName, ValidationError) as exc:
                problems.append(f"methods.{index}: {exc}")
                continue
            if method.needs_llm and config.llm is None:
                problems.append(f"methods.{index}: {name} needs an LLM: set llm: <backend ref>")
        return problems

    def write(self, run: RunDir) -> None:
        records = list(run.kept_records())
        name = self.config.name or version_name([spec["method"] for spec in self.config.methods])
        try:
            require_pairs(records, "the run's kept records")  # e.g. a filter-only run: nothing to mitigate
            llm = self.context.backend(self.config.llm) if self.config.llm else None
            methods = [build(*_split(spec), llm=llm) for spec in self.config.methods]
            outcome = mitigate(records, methods, self.config.measure_field)
            target = write_version(run.root, outcome, name, self.config.measure_field)
        except EmptyVersion as exc:
            log.warning("bias_mitigate: no version %s written: %s", name, exc)
            return
        before = {k: v["overall_sta"] for k, v in outcome.before["languages"].items()}
        after = {k: v["overall_sta"] for k, v in outcome.after["languages"].items()}
        log.info("bias_mitigate: %d -> %d rows, overall STA %s -> %s: %s",
                 outcome.before["rows"], len(outcome.records), before, after, target)
