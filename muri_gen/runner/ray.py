"""The Ray executor: a segment's shards run on a Ray cluster, through the same ``run_shards`` as locally.

Why Ray tasks over shard files, not Ray Data: the runner's unit of work and of resume is the shard
(its kept/rejected/errored files and its .done marker, written atomically on storage every worker
shares). A Ray task per group of shards calls ``run_shards`` exactly as the local executor does, so
the rows, the per-shard stats and the markers are the same bytes whichever executor wrote them,
and a re-run (or a task Ray retries after a worker died) skips finished shards. Ray Data would
re-partition records into its own blocks, hide the per-record outcomes inside its operators and
need a second resume mechanism. Each task sets the segment's stages up once and keeps their
models loaded for all of its shards, which is what an actor would buy; with one task per worker
slot the models load once per slot and segment.

Placement: a task asks for the largest ``cpus``, ``gpus`` and ``memory_gb`` any stage of the
segment declares (the stages of one segment run one after another in the same process), so a
segment holding an LLM stage with ``gpus: 1`` runs only on GPU workers and never more tasks than
there are GPUs. The run folder must be on storage all workers share (one machine: the same disk;
a cluster: NFS or similar).
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from tqdm.auto import tqdm

from muri_gen.optional import require
from muri_gen.recipe import ExecutorConfig
from muri_gen.runner import RunError
from muri_gen.runner.layout import RunDir
from muri_gen.runner.shards import SegmentPlan, run_shards
from muri_gen.stages.base import stage_resources

log = logging.getLogger("muri_gen")


def _run_group(plan: SegmentPlan, shards: list[int]) -> int:
    run_shards(plan, shards, lambda stage_id, done, passed: None)
    return len(shards)


class RayExecutor:
    def __init__(self, config: ExecutorConfig):
        self.config = config

    def _connect(self):
        ray = require("ray", "the Ray executor")
        if not ray.is_initialized():
            quiet = {"logging_level": logging.getLogger().getEffectiveLevel()}  # Ray's INFO lines only with --verbose
            if self.config.ray_address:
                ray.init(address=self.config.ray_address, **quiet)
            else:
                # a local cluster; its workers start in this directory, so they import the same code
                ray.init(num_cpus=self.config.ray_num_cpus, include_dashboard=False, **quiet)
        return ray

    def _task_options(self, plan: SegmentPlan, ray) -> tuple[dict, int]:
        """Resources of one task and how many such tasks the cluster can run at once."""
        needs = [stage_resources(c.cls, c.config, plan.resolved.backends) for c in plan.stages]
        cpus = max(r.cpus for r in needs)
        gpus = max(r.gpus for r in needs)
        memory_gb = max(r.memory_gb for r in needs)
        available = ray.cluster_resources()
        if gpus > 0:
            if available.get("GPU", 0) < gpus:
                raise RunError(f"stages {', '.join(c.id for c in plan.stages)} need {gpus:g} GPU(s) per worker "
                               f"and the Ray cluster has {available.get('GPU', 0):g}")
            slots = int(available["GPU"] // gpus)
        else:
            slots = int(available.get("CPU", 1) // cpus) if cpus else int(available.get("CPU", 1))
        options = {"num_cpus": cpus, "num_gpus": gpus, "max_retries": 2, "retry_exceptions": False}
        if memory_gb:
            options["memory"] = int(memory_gb * 1024**3)
        return options, max(slots, 1)

    def run_segment(self, plan: SegmentPlan, shards: list[int], total_records: int) -> None:
        ray = self._connect()
        # workers on other machines start elsewhere: they get the run folder as an absolute path
        plan = dataclasses.replace(plan, run_root=str(Path(plan.run_root).resolve()))
        options, slots = self._task_options(plan, ray)
        # interleaved groups: neighbouring shards (often the same source and language) spread out
        groups = [shards[i::slots] for i in range(min(slots, len(shards)))]
        log.info("segment %d (%s): %d shards (%d records) in %d Ray tasks of %g CPU, %g GPU",
                 plan.segment, ", ".join(c.id for c in plan.stages), len(shards), total_records,
                 len(groups), options["num_cpus"], options["num_gpus"])
        task = ray.remote(_run_group).options(**options)
        pending = [task.remote(plan, group) for group in groups]
        run_dir = RunDir(plan.run_root)
        bar = tqdm(total=len(shards), desc=f"{'segment ' + str(plan.segment):>20}", unit="shard", dynamic_ncols=True)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=len(pending), timeout=1.0)
                for ref in done:
                    try:
                        ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        cause = exc.cause if exc.cause is not None else exc
                        raise RunError(f"segment {plan.segment} failed on a Ray worker: "
                                       f"{type(cause).__name__}: {cause}") from None
                    except ray.exceptions.RayError as exc:
                        raise RunError(f"segment {plan.segment}: Ray lost a worker ({exc}); "
                                       "finished shards are kept, re-run the command to resume") from None
                bar.n = sum(1 for s in shards if run_dir.is_done(plan.segment, s))
                bar.refresh()
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        finally:
            bar.close()
        missing = [s for s in shards if not run_dir.is_done(plan.segment, s)]
        if missing:
            raise RunError(f"segment {plan.segment}: shards {missing[:5]} have no .done marker after the Ray "
                           f"tasks ended: is {plan.run_root} on storage every Ray worker shares?")
