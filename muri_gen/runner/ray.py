"""The Ray executor: a pool of worker actors pulls a segment's shards from a queue until none is left.

Why actors over shard files, not Ray Data: the runner's unit of work and of resume is the shard
(its kept/rejected/errored files and its .done marker, written atomically on storage every worker
shares). Each actor holds a ``ShardProcessor``, the same one the local executor runs, so the rows,
the per-shard stats and the markers are the same whichever executor wrote them, and a re-run
skips finished shards. Ray Data would re-partition records into its own blocks, hide the
per-record outcomes inside its operators and need a second resume mechanism.

Why a queue, not groups dealt out once: a slow or busy node then does fewer shards instead of
holding back a fixed share while the others sit idle, and a node that joins mid-run gets work
(the pool grows to what the cluster can place whenever the driver looks, about once a second).

Failures: a shard is the unit of retry. When an actor dies (its node lost, killed by the OOM
killer), its in-flight shard goes back to the front of the queue and a new actor takes the dead
one's place if the cluster still has room; a stage that raises out of a shard (bisection in
``process_records`` already turns a record's crash into an errored record) counts as a failure
too. A shard that failed on ``ATTEMPTS`` workers is written as errored records carrying the last
error, so the run ends with every record accounted for and ``--retry-errored`` can take it up.

Placement: an actor asks for the largest ``cpus``, ``gpus`` and ``memory_gb`` any stage of the
segment declares (the stages of one segment run one after another in the same process), so a
segment holding an LLM stage with ``gpus: 1`` runs only on GPU workers, one actor (one loaded
model) per GPU. The run folder must be on storage all workers share (one machine: the same disk;
a cluster: NFS or similar).
"""
from __future__ import annotations

import dataclasses
import logging
from collections import Counter, deque
from pathlib import Path

from tqdm.auto import tqdm

from muri_gen.optional import require
from muri_gen.recipe import ExecutorConfig
from muri_gen.runner import RunError
from muri_gen.runner.layout import RunDir
from muri_gen.runner.shards import SegmentPlan, ShardProcessor, write_failed_shard
from muri_gen.stages.base import stage_resources

log = logging.getLogger("muri_gen")

ATTEMPTS = 3  # workers a shard may fail on before its records are written as errored


class ShardActor:
    """One Ray worker: sets the segment's stages up once, then processes the shards it is handed."""

    def __init__(self, plan: SegmentPlan):
        self.plan = plan
        self.processor: ShardProcessor | None = None

    def setup(self) -> str:
        """Load the stages' models; returns the node this actor runs on (for the per-node tally)."""
        import ray

        self.processor = ShardProcessor(self.plan, lambda stage_id, done, passed: None)
        return ray.get_runtime_context().get_node_id()

    def run(self, shard: int) -> int:
        self.processor.run(shard)
        return shard


@dataclasses.dataclass
class _Worker:
    actor: object
    node: str | None = None  # known once setup returned


class RayExecutor:
    def __init__(self, config: ExecutorConfig):
        self.config = config
        self.shards_per_node: Counter = Counter()  # the last segment's: how the work spread
        self.requeued = 0  # the last segment's shards handed to another worker after a failure

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

    def _actor_options(self, plan: SegmentPlan) -> dict:
        needs = [stage_resources(c.cls, c.config, plan.resolved.backends) for c in plan.stages]
        options = {"num_cpus": max(r.cpus for r in needs), "num_gpus": max(r.gpus for r in needs),
                   # the executor replaces dead actors and requeues their shards itself
                   "max_restarts": 0, "max_task_retries": 0, "scheduling_strategy": "SPREAD"}
        memory_gb = max(r.memory_gb for r in needs)
        if memory_gb:
            options["memory"] = int(memory_gb * 1024**3)
        return options

    @staticmethod
    def _slots(options: dict, plan: SegmentPlan, ray) -> int:
        """How many actors the cluster can hold now (asked again each round: nodes come and go)."""
        available = ray.cluster_resources()
        gpus, cpus = options["num_gpus"], options["num_cpus"]
        if gpus > 0:
            if available.get("GPU", 0) < gpus:
                raise RunError(f"stages {', '.join(c.id for c in plan.stages)} need {gpus:g} GPU(s) per worker "
                               f"and the Ray cluster has {available.get('GPU', 0):g}")
            return int(available["GPU"] // gpus)
        return max(int(available.get("CPU", 1) // cpus) if cpus else int(available.get("CPU", 1)), 1)

    def run_segment(self, plan: SegmentPlan, shards: list[int], total_records: int) -> None:
        ray = self._connect()
        # workers on other machines start elsewhere: they get the run folder as an absolute path
        plan = dataclasses.replace(plan, run_root=str(Path(plan.run_root).resolve()))
        options = self._actor_options(plan)
        slots = self._slots(options, plan, ray)
        log.info("segment %d (%s): %d shards (%d records) pulled by up to %d Ray workers of %g CPU, %g GPU",
                 plan.segment, ", ".join(c.id for c in plan.stages), len(shards), total_records,
                 slots, options["num_cpus"], options["num_gpus"])
        actor_class = ray.remote(ShardActor).options(**options)
        plan_ref = ray.put(plan)
        queue = deque(shards)
        failures: dict[int, list[tuple[_Worker, str]]] = {}
        starting: dict = {}  # setup ref -> worker
        running: dict = {}  # run ref -> (worker, shard)
        idle: list[_Worker] = []
        deaths_in_setup = 0
        self.shards_per_node, self.requeued = Counter(), 0
        bar = tqdm(total=len(shards), desc=f"{'segment ' + str(plan.segment):>20}", unit="shard", dynamic_ncols=True)

        def fail(worker: _Worker, shard: int, error: str) -> None:
            tried = failures.setdefault(shard, [])
            tried.append((worker, error))
            if len(tried) >= ATTEMPTS:
                log.error("segment %d: shard %d failed on %d workers, its records are errored: %s",
                          plan.segment, shard, len(tried), error)
                write_failed_shard(plan, shard, f"shard failed on {len(tried)} workers; last: {error}")
                bar.update()
            else:
                log.warning("segment %d: shard %d goes back in the queue (%s)", plan.segment, shard, error)
                self.requeued += 1
                queue.appendleft(shard)

        try:
            while queue or running:
                wanted = min(self._slots(options, plan, ray), len(queue) + len(running))
                while len(starting) + len(running) + len(idle) < wanted:
                    worker = _Worker(actor_class.remote(plan_ref))
                    starting[worker.actor.setup.remote()] = worker
                while idle and queue:
                    shard = queue.popleft()
                    tried = {id(w) for w, _ in failures.get(shard, [])}
                    worker = next((w for w in idle if id(w) not in tried), idle[0])  # another worker if one is free
                    idle.remove(worker)
                    running[worker.actor.run.remote(shard)] = (worker, shard)
                if not queue:  # free what no shard will need (a GPU actor holds its model's memory)
                    for worker in idle:
                        ray.kill(worker.actor)
                    idle.clear()
                ready, _ = ray.wait([*starting, *running], num_returns=1, timeout=1.0)
                for ref in ready:
                    if ref in starting:
                        worker = starting.pop(ref)
                        try:
                            worker.node = ray.get(ref)
                            idle.append(worker)
                        except ray.exceptions.RayTaskError as exc:
                            cause = exc.cause if exc.cause is not None else exc
                            raise RunError(f"segment {plan.segment}: setting the stages up on a Ray worker failed: "
                                           f"{type(cause).__name__}: {cause}") from None
                        except ray.exceptions.RayError as exc:
                            deaths_in_setup += 1
                            if deaths_in_setup > ATTEMPTS * max(slots, 1):
                                raise RunError(f"segment {plan.segment}: Ray workers keep dying while setting the "
                                               f"stages up ({type(exc).__name__}); finished shards are kept") from None
                        continue
                    worker, shard = running.pop(ref)
                    try:
                        ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        cause = exc.cause if exc.cause is not None else exc
                        fail(worker, shard, f"{type(cause).__name__}: {cause}")
                        idle.append(worker)
                    except ray.exceptions.RayError as exc:  # the actor or its node is gone
                        fail(worker, shard, f"worker lost ({type(exc).__name__})")
                    else:
                        self.shards_per_node[worker.node] += 1
                        bar.update()
                        idle.append(worker)
        finally:
            for worker in [*starting.values(), *idle, *(w for w, _ in running.values())]:
                ray.kill(worker.actor)
            bar.close()
        log.info("segment %d: shards per Ray node %s, %d requeued", plan.segment,
                 dict(self.shards_per_node), self.requeued)
        run_dir = RunDir(plan.run_root)
        missing = [s for s in shards if not run_dir.is_done(plan.segment, s)]
        if missing:
            raise RunError(f"segment {plan.segment}: shards {missing[:5]} have no .done marker after the Ray "
                           f"workers ended: is {plan.run_root} on storage every Ray worker shares?")
