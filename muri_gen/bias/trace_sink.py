"""The bias_trace sink: OUT/bias/trace.json (per stage, per language and overall, amplification,
bias ratio) and OUT/bias/<lang>.png per language for the report.

By default it also traces everything the generator wrote (rows the post-filter and curate rejected,
and every candidate instruction): a dataset keeps a small, chosen share of what was generated, and
what that choice does to the bias is part of the finding; the counting costs little beside generation.
"""
from __future__ import annotations

import json
import logging
from itertools import chain
from typing import ClassVar

from pydantic import Field

from muri_gen.bias.lexicons import OCCUPATIONS_FILE, LexiconError, read_occupations
from muri_gen.bias.plots import plot_language
from muri_gen.bias.trace import trace_rows, trace_run
from muri_gen.component import Context
from muri_gen.runner.layout import RunDir, safe_part, write_atomic
from muri_gen.sinks import Sink, SinkConfig

log = logging.getLogger("muri_gen")


class BiasTraceConfig(SinkConfig):
    occupations: str | None = Field(default=None,
                                    description="a larger or different occupation list (filters/bias/occupations.tsv "
                                                "format)")
    ci_samples: int = Field(default=1000, ge=0, description="bootstrap resamples; 0 = no confidence intervals")
    ratio_steps: int = Field(default=10, ge=1,
                             description="points of the bias-ratio curve past 0: synthetic shares 0, 1/steps ... 1")
    plots: bool = Field(default=True, description="one PNG per language in OUT/bias/; False: trace.json only")
    generated: bool = Field(default=True,
                            description="also trace every generated candidate, kept or not (trace.json 'generated', "
                                        "'discarded', 'selection'); False: the kept rows only")


class BiasTraceSink(Sink):
    name = "bias_trace"
    Config: ClassVar[type[SinkConfig]] = BiasTraceConfig

    @classmethod
    def check(cls, config: BiasTraceConfig, context: Context | None) -> list[str]:
        if config.occupations is None:
            return []
        try:
            read_occupations(config.occupations)
        except LexiconError as exc:
            return [str(exc)]
        return []

    def write(self, run: RunDir) -> None:
        config: BiasTraceConfig = self.config
        options = (config.occupations, config.ci_samples, self.context.seed, config.ratio_steps)
        if config.generated:
            outcomes = chain(run.outcome_records("rejected"), run.outcome_records("errored"))
            trace = trace_run(run.kept_records(), outcomes, *options)
        else:
            trace = trace_rows(run.kept_records(), *options)
        out = run.root / "bias"
        out.mkdir(parents=True, exist_ok=True)
        trace["plots"] = self._plots(trace, out) if config.plots else {}
        write_atomic(out / "trace.json", json.dumps(trace, indent=2, ensure_ascii=False).encode())
        generated = f" ({trace['generated']['rows']} generated)" if "generated" in trace else ""
        log.info("bias trace: %d kept rows%s, %d plots -> %s", trace["rows"], generated, len(trace["plots"]), out)

    def _plots(self, trace: dict, out) -> dict[str, str]:
        """One plot per language over the kept rows and, when traced, one over everything generated
        (``<language>-generated``): the kept rows alone are too few to show most occupations."""
        occupations, _ = read_occupations(self.config.occupations or OCCUPATIONS_FILE)
        reference = {o.name: o.female_pct for o in occupations}
        plots = {}
        scopes = [("", "kept pairs", trace)] + ([("-generated", "all generated", trace["generated"])]
                                                if "generated" in trace else [])
        for suffix, scope, traced in scopes:
            for language in traced["rows_per_language"]:
                name = f"{safe_part(language)}{suffix}.png"
                title = f"Gender-occupation trace, {language}, {scope} ({traced['rows_per_language'][language]} rows)"
                plot_language(out / name, title, _series(traced["stages"], language), reference)
                plots[f"{language}{suffix}"] = f"bias/{name}"
        return plots


def _series(stages: dict, language: str) -> dict[str, dict | None]:
    """The stages to draw for a language: native text where a lexicon exists, English always."""
    series = {"English document": stages["english_document"]["languages"].get(language),
              "English instruction (generated)": stages["english_instruction"]["languages"].get(language)}
    native = stages["native_document"]["languages"].get(language, {})
    if "occupations" in native and language != "eng":
        series["native document"] = native
        series["native instruction (back-translated)"] = stages["native_instruction"]["languages"].get(language)
    return series
