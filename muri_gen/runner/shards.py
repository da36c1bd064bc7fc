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

from muri_gen.component import Component
from muri_gen.recipe import ResolvedRecipe
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
    sketch: Component | None = None  # the next segment's barrier stage, when it is sketched: sketch each shard written


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


class ShardProcessor:
    """A segment's stages, set up once in this process, processing one shard at a time.

    The local executor uses one for all shards; each Ray worker actor holds one (its models stay
    loaded while it pulls shard after shard).
    """

    def __init__(self, plan: SegmentPlan, advance: Advance):
        self.plan = plan
        self.advance = advance
        self.run_dir = RunDir(plan.run_root)
        self.context = RunContext(plan.resolved, self.run_dir)
        self.stages = [(c.id, c.cls(c.config, self.context, c.id)) for c in plan.stages]
        sketch = plan.sketch
        self.sketcher = sketch.cls(sketch.config, self.context, sketch.id) if sketch else None  # needs no setup
        try:
            for _, stage in self.stages:
                stage.setup()
        except BaseException:
            self.close()
            raise

    def run(self, shard: int) -> None:
        """Process one shard unless a worker before us finished it (its .done marker exists)."""
        if self.run_dir.is_done(self.plan.segment, shard):
            return
        records = list(read_jsonl(self.run_dir.shard_path(self.plan.segment - 1, shard)))
        kept, rejected, errored, stats = process_records(
            self.stages, records, self.plan.resolved.recipe.executor.batch_size, self.advance)
        if self.sketcher is not None:  # before the shard's .done marker: a finished shard has its sketch
            path = self.run_dir.sketch_path(self.sketcher.id, shard)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.sketcher.sketch(kept, path)
        write_shard(self.run_dir, self.plan.segment, shard, kept, rejected, errored, stats)

    def close(self) -> None:
        for _, stage in self.stages:
            stage.teardown()
        self.context.close()


def run_shards(plan: SegmentPlan, shards: list[int], advance: Advance) -> None:
    """Set the segment's stages up once, process each unfinished shard, tear everything down."""
    processor = ShardProcessor(plan, advance)
    try:
        for shard in shards:
            processor.run(shard)
    finally:
        processor.close()


def write_failed_shard(plan: SegmentPlan, shard: int, error: str) -> None:
    """A shard that failed on every worker it was given to: its records become errored records.

    The segment's first stage is named as the one that errored (the shard never got through the
    group); ``--retry-errored`` processes the shard again like any shard with errored records.
    """
    run_dir = RunDir(plan.run_root)
    stage_id = plan.stages[0].id
    if plan.sketch is not None:  # a worker may have sketched the records it then failed on
        run_dir.sketch_path(plan.sketch.id, shard).unlink(missing_ok=True)
    records = list(read_jsonl(run_dir.shard_path(plan.segment - 1, shard)))
    errored = [{"id": r["id"], "stage": stage_id, "error": error, "language": language_of(r), "record": r}
               for r in records]
    stats = ShardStats(input=len(records), errored=len(records))
    stats.by_reason[f"{stage_id}:error"] = len(records)
    for row in errored:
        stats.by_language[row["language"]]["errored"] += 1
    stats.stage(stage_id).update({"in": len(records), "kept": 0, "rejected": 0, "errored": len(records)})
    write_shard(run_dir, plan.segment, shard, [], [], errored, stats)
