"""Run one stage group over one shard: outcomes, isolation of failing records, per-shard stats.

Executors (local, Ray) call ``run_shards``; everything here is the same whichever runs it, which
is what makes their outputs identical row for row.
"""
from __future__ import annotations

import json
import logging
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from muri_gen.recipe import Component, ResolvedRecipe
from muri_gen.redact import redact
from muri_gen.record import Errored, Outcome, Rejected
from muri_gen.runner.context import RunContext
from muri_gen.runner.layout import RunDir, jsonl_bytes, read_jsonl, write_atomic

log = logging.getLogger("muri_gen")


@dataclass
class SegmentPlan:
    """Everything a worker needs to process shards of one segment; picklable for Ray."""

    segment: int  # reads segment-1's shards, writes segment's
    stages: list[Component]
    resolved: ResolvedRecipe
    run_root: str


@dataclass
class ShardStats:
    input: int = 0
    kept: int = 0
    rejected: int = 0
    errored: int = 0
    by_reason: Counter = field(default_factory=Counter)
    by_language: dict = field(default_factory=lambda: defaultdict(Counter))
    stages: dict = field(default_factory=dict)

    def stage(self, stage_id: str) -> Counter:
        return self.stages.setdefault(stage_id, Counter())

    def to_json(self) -> dict:
        return {
            "input": self.input, "kept": self.kept, "rejected": self.rejected, "errored": self.errored,
            "by_reason": dict(self.by_reason),
            "by_language": {lang: dict(c) for lang, c in self.by_language.items()},
            "stages": {k: dict(v) for k, v in self.stages.items()},
        }


def language_of(record: dict) -> str:
    return record.get("language") or record.get("declared_language") or "und"


def apply_isolated(stage, records: list[dict]) -> list[Outcome]:
    """stage.process, but a crash only errors the record that caused it (found by bisection)."""
    try:
        outcomes = stage.process(records)
    except Exception as exc:  # noqa: BLE001 - any stage bug must not sink the shard
        if len(records) == 1:
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return [Errored(last)]
        middle = len(records) // 2
        return apply_isolated(stage, records[:middle]) + apply_isolated(stage, records[middle:])
    if len(outcomes) != len(records):
        raise RuntimeError(f"stage {stage.name} returned {len(outcomes)} outcomes for {len(records)} records")
    return outcomes


Advance = Callable[[str, int, int], None]  # (stage id, records processed, records passed on)


def process_records(
    stages: list[tuple[str, object]], records: list[dict], batch_size: int, advance: Advance
) -> tuple[list[dict], list[dict], list[dict], ShardStats]:
    """Push records through the stages, stage by stage, in batches. Returns kept, rejected, errored."""
    stats = ShardStats(input=len(records))
    rejected: list[dict] = []
    errored: list[dict] = []
    for stage_id, stage in stages:
        counts = stats.stage(stage_id)
        size = getattr(stage.config, "batch_size", None) or batch_size
        survivors: list[dict] = []
        started = time.perf_counter()
        for start in range(0, len(records), size):
            batch = records[start : start + size]
            before = len(survivors)
            for record, outcome in zip(batch, apply_isolated(stage, batch)):
                if isinstance(outcome, dict):
                    survivors.append(outcome)
                elif isinstance(outcome, Rejected):
                    rejected.append({"id": record["id"], "stage": stage_id, "reason": outcome.reason,
                                     "detail": outcome.detail, "language": language_of(record), "record": record})
                    stats.by_reason[f"{stage_id}:{outcome.reason}"] += 1
                else:
                    errored.append({"id": record["id"], "stage": stage_id, "error": outcome.error,
                                    "language": language_of(record), "record": record})
                    stats.by_reason[f"{stage_id}:error"] += 1
            advance(stage_id, len(batch), len(survivors) - before)
        counts.update({"in": len(records), "kept": len(survivors)})
        counts["seconds"] = round(time.perf_counter() - started, 4)
        records = survivors
    stats.kept, stats.rejected, stats.errored = len(records), len(rejected), len(errored)
    for row, outcome in [(r, "kept") for r in records] + [(r, "rejected") for r in rejected] + [
        (r, "errored") for r in errored
    ]:
        stats.by_language[row["language"] if outcome != "kept" else language_of(row)][outcome] += 1
    for stage_id, _ in stages:
        stage_counts = stats.stage(stage_id)
        stage_counts["rejected"] = sum(1 for r in rejected if r["stage"] == stage_id)
        stage_counts["errored"] = sum(1 for r in errored if r["stage"] == stage_id)
    return records, rejected, errored, stats


def write_shard(run_dir: RunDir, segment: int, shard: int, kept, rejected, errored, stats: ShardStats) -> None:
    """Outcome files first, the .done marker last: a shard without its marker is simply redone."""
    write_atomic(run_dir.outcome_path("rejected", segment, shard), jsonl_bytes(rejected))
    # an error can quote a server's answer, and a server may echo the key it was sent
    write_atomic(run_dir.outcome_path("errored", segment, shard), jsonl_bytes(redact(errored)))
    write_atomic(run_dir.shard_path(segment, shard), jsonl_bytes(kept))
    write_atomic(run_dir.shard_stats(segment, shard), json.dumps(stats.to_json()).encode())
    write_atomic(run_dir.marker(segment, shard), b"")


def run_shards(plan: SegmentPlan, shards: list[int], advance: Advance) -> None:
    """Set the segment's stages up once, process each unfinished shard, tear everything down."""
    run_dir = RunDir(plan.run_root)
    context = RunContext(plan.resolved, run_dir)
    stages = [(c.id, c.cls(c.config, context, c.id)) for c in plan.stages]
    try:
        for _, stage in stages:
            stage.setup()
        for shard in shards:
            if run_dir.is_done(plan.segment, shard):
                continue
            records = list(read_jsonl(run_dir.shard_path(plan.segment - 1, shard)))
            write_shard(run_dir, plan.segment, shard, *process_records(
                stages, records, plan.resolved.recipe.executor.batch_size, advance))
    finally:
        for _, stage in stages:
            stage.teardown()
        context.close()
