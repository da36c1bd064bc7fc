"""Chain mitigation methods over a run's records and measure STA before and after each step."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from muri_gen.bias.mitigate import get_method
from muri_gen.bias.mitigate.base import Method
from muri_gen.bias.mitigate.measure import RowCounts, headline


@dataclass
class Outcome:
    records: list[dict]
    steps: list[dict] = field(default_factory=list)  # method, params, summary, STA after the step
    columns: dict[str, str] = field(default_factory=dict)
    excluded: list[dict] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, list[dict]] = field(default_factory=dict)  # e.g. sft / dpo pairs of the rewrite


def build(name: str, params: dict, llm=None) -> Method:
    """A method from its name and options (validated by its pydantic Config: unknown keys are errors)."""
    cls = get_method(name)
    config = cls.Config(**params)
    if cls.needs_llm:
        if llm is None:
            raise ValueError(f"method {name!r} needs an LLM backend")
        return cls(config, llm=llm)
    return cls(config)


def check_methods(methods: list[str], params: Mapping[str, Mapping]) -> dict[str, dict]:
    """Every method's options, checked before any work starts: UnknownName for an unknown method,
    ValueError (pydantic's ValidationError) for an unknown option or options of a method not chosen."""
    unknown = sorted(set(params) - set(methods))
    if unknown:
        raise ValueError(f"options for {', '.join(unknown)}, which is not among the methods ({', '.join(methods)})")
    checked = {m: dict(params.get(m) or {}) for m in methods}
    for method in methods:
        get_method(method).Config(**checked[method])
    return checked


def measure(records: list[dict], field_name: str) -> dict:
    weights = [float(r.get("weight", 1.0)) for r in records] if any("weight" in r for r in records) else None
    return RowCounts.of(records, field_name).report(weights)


def mitigate(records: list[dict], methods: list[Method], measure_field: str = "instruction_en") -> Outcome:
    outcome = Outcome(records, before=measure(records, measure_field))
    outcome.after = outcome.before
    for method in methods:
        result = method.apply(outcome.records)
        outcome.records = result.records
        outcome.columns.update(result.columns)
        outcome.excluded += result.excluded
        for key, rows in result.extra.items():
            outcome.extra.setdefault(key, []).extend(rows)
        outcome.after = measure(outcome.records, measure_field)
        outcome.steps.append({
            "method": method.name,
            "params": method.config.model_dump(mode="json"),
            "summary": result.summary,
            "overall_sta_after": headline(outcome.after),
        })
    return outcome
