"""The runner owns what stages never see: sharding, resume, the lock, barriers, accounting, sinks.

A run is: split the input into shards (segment 0), then one segment per group of stages, a new
group starting at each barrier stage (dedup, sampling) whose ``fit`` sees every record first,
then the sinks. Each shard of each segment ends with a .done marker, so re-running the same
command skips finished shards; LLM and translation requests are cached, so a half-done shard
replays its finished requests.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import resource
import shutil
import time
from collections import Counter
from pathlib import Path

from muri_gen.console import log_to_file
from muri_gen.recipe import ResolvedRecipe
from muri_gen.io.manifest import input_manifest, manifest_changes
from muri_gen.io.memory import MemoryInput
from muri_gen.io.readers import read_records, require_input
from muri_gen.runner.context import RunContext
from muri_gen.runner.layout import LinkInOutput, RunDir, open_output, read_jsonl, write_atomic
from muri_gen.runner.shards import SegmentPlan, ShardStats, language_of, write_shard

log = logging.getLogger("muri_gen")


class RunError(RuntimeError):
    """A problem with the run as a whole (locked folder, changed recipe, unwritable output)."""


class RunLock:
    """An exclusive lock on the output folder: a second run on it refuses instead of corrupting it."""

    def __init__(self, run_dir: RunDir):
        self.path = run_dir.lock
        self.fd: int | None = None

    def __enter__(self):
        self.fd = open_output(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(self.path).read_text().strip() or "another process"
            os.close(self.fd)
            raise RunError(f"{self.path.parent} is in use by another run (pid {holder}); wait for it or use another --output") from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def segments_of(resolved: ResolvedRecipe) -> list[list]:
    """Stage groups: a barrier stage starts a new group (it must see all records before it runs)."""
    groups: list[list] = []
    for component in resolved.stages:
        if not groups or component.cls.barrier:
            groups.append([])
        groups[-1].append(component)
    return groups


def split_input(resolved: ResolvedRecipe, run_dir: RunDir, memory: MemoryInput | None = None) -> int:
    """Segment 0: cut the input into shards of shard_size records; bad records are accounted here.

    ``memory``: the input's rows when the Python API holds them (see muri_gen.io.memory)."""
    marker = run_dir.split_marker
    if marker.exists():
        log.info("input already split into %s shards, reusing them", marker.read_text())
        return int(marker.read_text())
    run_dir.segment_dir(0).mkdir(parents=True, exist_ok=True)
    config = resolved.recipe.input
    source = config.subdataset_name or Path(config.path).name.split(".")[0]
    size = resolved.recipe.executor.shard_size
    shard, buffer = 0, []

    def flush() -> None:
        nonlocal shard, buffer
        if not run_dir.is_done(0, shard):
            kept = [item.record for item in buffer if item.outcome is None]
            stats = ShardStats(input=len(buffer), kept=len(kept))
            rejected, errored = [], []
            for item in buffer:
                if item.outcome is None:
                    continue
                row = {"id": item.record["id"], "stage": "read", "language": "und", "record": item.record}
                if hasattr(item.outcome, "reason"):
                    rejected.append({**row, "reason": item.outcome.reason, "detail": item.outcome.detail})
                    stats.by_reason[f"read:{item.outcome.reason}"] += 1
                else:
                    errored.append({**row, "error": item.outcome.error})
                    stats.by_reason["read:error"] += 1
            stats.rejected, stats.errored = len(rejected), len(errored)
            for outcome, rows in (("rejected", rejected), ("errored", errored)):
                if rows:
                    stats.by_language["und"][outcome] += len(rows)
            for record in kept:
                stats.by_language[language_of(record)]["kept"] += 1
            write_shard(run_dir, 0, shard, kept, rejected, errored, stats)
        shard, buffer = shard + 1, []

    for item in read_records(config, memory):
        if item.outcome is None:
            item.record["source_dataset"] = source
        buffer.append(item)
        if len(buffer) == size:
            flush()
    if buffer or shard == 0:
        flush()
    write_atomic(marker, str(shard).encode())
    log.info("input split into %d shards of up to %d records", shard, size)
    return shard


def fit_barrier(component, resolved: ResolvedRecipe, run_dir: RunDir, segment: int, shards: int) -> None:
    state_dir = run_dir.state_dir(component.id)
    marker = state_dir / "_FIT_DONE"
    if marker.exists():
        log.info("stage %s already fitted, reusing its state", component.id)
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    context = RunContext(resolved, run_dir)
    stage = component.cls(component.config, context, component.id)

    def all_records():
        for shard in range(shards):
            yield from read_jsonl(run_dir.shard_path(segment - 1, shard))

    try:
        if component.cls.sketched:
            stage.fit_sketches(sketches(stage, run_dir, segment, shards), state_dir)
        else:
            stage.fit(all_records(), state_dir)
    finally:
        context.close()
    write_atomic(marker, b"")
    shutil.rmtree(state_dir / "sketches", ignore_errors=True)


def sketches(stage, run_dir: RunDir, segment: int, shards: int) -> list[Path]:
    """Every shard's sketch for a sketched barrier stage, in shard order. The workers of the segment
    before it wrote them; a missing one is made here (the stage reads the input split, the shard was
    written by an older version, or a retry of errored records removed the stage's state)."""
    paths, made_here = [], 0
    for shard in range(shards):
        path = run_dir.sketch_path(stage.id, shard)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            stage.sketch(list(read_jsonl(run_dir.shard_path(segment - 1, shard))), path)
            made_here += 1
        paths.append(path)
    log.info("stage %s: %d of %d shard sketches made by the workers before it, %d at the fit",
             stage.id, shards - made_here, shards, made_here)
    return paths


def merge_stats(run_dir: RunDir, segments: int, shards: int, seconds: dict) -> dict:
    """stats.json: the whole funnel. input == kept + rejected + errored, per language too."""
    total = {"input": 0, "kept": 0, "rejected": 0, "errored": 0}
    by_reason: Counter = Counter()
    by_language: dict[str, Counter] = {}
    by_stage: dict[str, Counter] = {}
    for segment in range(segments + 1):
        for shard in range(shards):
            stats = json.loads(run_dir.shard_stats(segment, shard).read_text())
            if segment == 0:
                total["input"] += stats["input"]
            if segment == segments:
                total["kept"] += stats["kept"]
            total["rejected"] += stats["rejected"]
            total["errored"] += stats["errored"]
            by_reason.update(stats["by_reason"])
            for lang, counts in stats["by_language"].items():
                lang_total = by_language.setdefault(lang, Counter())
                lang_total.update({k: v for k, v in counts.items() if k != "kept" or segment == segments})
            for stage_id, counts in stats["stages"].items():
                by_stage.setdefault(stage_id, Counter()).update(counts)
    for lang in list(by_language):
        counts = by_language[lang]
        counts["input"] = counts["kept"] + counts["rejected"] + counts["errored"]
        if not counts["input"]:  # only seen as a declared language that LID renamed
            del by_language[lang]
    result = {
        **total,
        "by_reason": dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
        "by_language": {k: dict(v) for k, v in sorted(by_language.items())},
        "by_stage": {k: {**dict(v), "seconds": round(v["seconds"], 3),
                         "records_per_second": round(v["in"] / v["seconds"], 2) if v["seconds"] else None}
                     for k, v in by_stage.items()},
        "wall_seconds": seconds,
        # this process and the model servers it started (children), in MiB
        "peak_rss_mb": {
            "runner": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "children": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        },
    }
    if result["input"] != result["kept"] + result["rejected"] + result["errored"]:
        raise RunError(f"accounting does not add up: {total}")
    return result


def prepare_output(resolved: ResolvedRecipe, run_dir: RunDir) -> None:
    """Refuse to mix two recipes' or two inputs' rows in one folder; save the resolved recipe.

    A folder whose input was never completely split (a mistyped --input, a corrupt file) holds
    nothing processed yet: the corrected command starts it afresh instead of being refused.
    """
    fingerprint_file = run_dir.work / "fingerprint"
    previous = _read_fingerprint(fingerprint_file)
    current = {"recipe": resolved.fingerprint(),
               "input": input_manifest(resolved.recipe.input, previous.get("input"))}
    changes = []
    if previous and previous["recipe"] != current["recipe"]:
        changes.append("the recipe changed (input path, stages, backends, seed or shard size)")
    if previous.get("input"):
        changes += [f"input: {change}" for change in manifest_changes(previous["input"], current["input"])]
    if changes and run_dir.split_marker.exists():
        raise RunError(
            f"{run_dir.root} holds a run of a different recipe or input (" + "; ".join(changes) + "); resume needs "
            "the same recipe and input: restore them, or use another --output (or delete the folder to start over)")
    if changes:
        log.info("%s: nothing was processed yet, starting afresh (%s)", run_dir.root, "; ".join(changes))
        run_dir.discard_unfinished_split()
    write_atomic(fingerprint_file, json.dumps(current, indent=1).encode())
    write_atomic(run_dir.recipe, resolved.to_yaml().encode())


def _read_fingerprint(path: Path) -> dict:
    """{} for a new folder; {"recipe": ..., "input": ...}; a folder of an older version holds the recipe's only."""
    if not path.exists():
        return {}
    text = path.read_text()
    return json.loads(text) if text.startswith("{") else {"recipe": text.strip()}


def reopen_errored(resolved: ResolvedRecipe, run_dir: RunDir, shards: int) -> int:
    """Mark shards that errored records (and what was computed from them) as not done.

    A re-run then processes them again: the request and translation caches replay everything
    that succeeded, so only the failed requests are sent. A barrier after a reopened shard must
    see its new rows, so its fit and every shard after it are redone too (from the caches).
    """
    groups = segments_of(resolved)
    reopened = 0
    for segment in range(1, len(groups) + 1):
        for shard in range(shards):
            errored = run_dir.outcome_path("errored", segment, shard)
            if not (run_dir.is_done(segment, shard) and errored.exists() and errored.stat().st_size):
                continue
            reopened += 1
            for later in range(segment, len(groups) + 1):
                first = groups[later - 1][0]
                if later > segment and first.cls.barrier:
                    shutil.rmtree(run_dir.state_dir(first.id), ignore_errors=True)
                    for rest in range(later, len(groups) + 1):
                        for other in range(shards):
                            run_dir.marker(rest, other).unlink(missing_ok=True)
                    break
                run_dir.marker(later, shard).unlink(missing_ok=True)
    if reopened:
        log.info("retrying %d shard(s) that had errored records", reopened)
    return reopened


def make_executor(resolved: ResolvedRecipe):
    if resolved.recipe.executor.kind == "ray":
        from muri_gen.runner.ray import RayExecutor

        return RayExecutor(resolved.recipe.executor)
    from muri_gen.runner.local import LocalExecutor

    return LocalExecutor()


def run_recipe(resolved: ResolvedRecipe, retry_errored: bool = False, memory: MemoryInput | None = None) -> dict:
    """Run (or resume) a recipe to the end; returns stats.json's content.

    With ``retry_errored``, shards that ended with errored records are processed again. ``memory``
    holds the input's rows when the Python API has them (input.format: memory).
    """
    if resolved.recipe.output.dir is None:
        raise RunError("no output folder: set output.dir in the recipe, or give --output (Recipe.run(output=...))")
    require_input(resolved.recipe.input)  # before the run folder is made
    run_dir = RunDir(resolved.recipe.output.dir)
    try:
        run_dir.create()
    except LinkInOutput:
        raise
    except OSError as exc:
        raise RunError(f"cannot create the output folder {run_dir.root}: {exc.strerror}") from None
    with RunLock(run_dir), log_to_file(run_dir.log):
        prepare_output(resolved, run_dir)
        seconds: dict[str, float] = {}
        started = time.perf_counter()
        shards = split_input(resolved, run_dir, memory)
        seconds["split"] = round(time.perf_counter() - started, 3)
        if retry_errored:
            reopen_errored(resolved, run_dir, shards)
        executor = make_executor(resolved)
        groups = segments_of(resolved)
        for segment, group in enumerate(groups, start=1):
            started = time.perf_counter()
            if group[0].cls.barrier:
                fit_barrier(group[0], resolved, run_dir, segment, shards)
            run_dir.segment_dir(segment).mkdir(parents=True, exist_ok=True)
            pending = [s for s in range(shards) if not run_dir.is_done(segment, s)]
            done = shards - len(pending)
            if done:
                log.info("segment %d (%s): %d of %d shards already done, skipping them",
                         segment, ", ".join(c.id for c in group), done, shards)
            if pending:
                total = sum(
                    json.loads(run_dir.shard_stats(segment - 1, s).read_text())["kept"] for s in pending
                )
                following = groups[segment][0] if segment < len(groups) else None
                sketch = following if following is not None and following.cls.sketched else None
                executor.run_segment(SegmentPlan(segment, group, resolved, str(run_dir.root), sketch), pending, total)
            seconds[f"segment_{segment}"] = round(time.perf_counter() - started, 3)
        stats = merge_stats(run_dir, len(groups), shards, seconds)
        write_atomic(run_dir.stats, json.dumps(stats, indent=2, ensure_ascii=False).encode())
        run_sinks(resolved, run_dir, memory)
        return stats


def run_sinks(resolved: ResolvedRecipe, run_dir: RunDir, memory: MemoryInput | None = None) -> None:
    context = RunContext(resolved, run_dir, memory)
    try:
        for component in resolved.sinks:
            log.info("writing %s", component.id)
            component.cls(component.config, context).write(run_dir)
    finally:
        context.close()
