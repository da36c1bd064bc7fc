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
import time
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
WAIT_WARNING_SECONDS = 60  # no worker placed for this long: say so (the cluster may be scaling up)
CLOSE_SECONDS = 60  # how long idle workers get to tear their stages down


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

    def close(self) -> None:
        """Tear the stages down (model servers, subprocesses) before the actor is killed."""
        if self.processor is not None:
            self.processor.close()
            self.processor = None


@dataclasses.dataclass
class _Worker:
    actor: object
    node: str | None = None  # known once setup returned


class _ShardQueue:
    """The driver's side of one segment: the shards left, the worker actors, what failed where."""

    def __init__(self, ray, plan: SegmentPlan, options: dict, shards: list[int], bar):
        self.ray, self.plan, self.options, self.bar = ray, plan, options, bar
        self.actor_class = ray.remote(ShardActor).options(**options)
        self.plan_ref = ray.put(plan)
        self.queue = deque(shards)
        self.failures: dict[int, list[tuple[_Worker, str]]] = {}
        self.starting: dict = {}  # setup ref -> worker
        self.running: dict = {}  # run ref -> (worker, shard)
        self.idle: list[_Worker] = []
        self.deaths_in_setup = 0
        self.shards_per_node: Counter = Counter()
        self.requeued = 0
        self.quiet_since = time.monotonic()

    def busy(self) -> bool:
        return bool(self.queue or self.running)

    def step(self) -> None:
        """Size the pool, hand out shards, then settle whatever finished within a second."""
        # at least one: with every worker node gone, a pending actor waits for the next to join
        wanted = min(max(slots_for(self.options, self.ray), 1), len(self.queue) + len(self.running))
        while len(self.starting) + len(self.running) + len(self.idle) < wanted:
            worker = _Worker(self.actor_class.remote(self.plan_ref))
            self.starting[worker.actor.setup.remote()] = worker
        while self.idle and self.queue:
            shard = self.queue.popleft()
            tried = {id(w) for w, _ in self.failures.get(shard, [])}
            worker = next((w for w in self.idle if id(w) not in tried), self.idle[0])  # another worker if one is free
            self.idle.remove(worker)
            self.running[worker.actor.run.remote(shard)] = (worker, shard)
        if not self.queue:  # free what no shard will need (a GPU actor holds its model's memory)
            self._retire(self.idle)
            self.idle.clear()
        ready, _ = self.ray.wait([*self.starting, *self.running], num_returns=1, timeout=1.0)
        if ready:
            self.quiet_since = time.monotonic()
        elif not self.running and time.monotonic() - self.quiet_since > WAIT_WARNING_SECONDS:
            log.warning("segment %d: no Ray worker of %g CPU, %g GPU could start for %d s; waiting for the "
                        "cluster to have room", self.plan.segment, self.options["num_cpus"], self.options["num_gpus"],
                        WAIT_WARNING_SECONDS)
            self.quiet_since = time.monotonic()
        for ref in ready:
            if ref in self.starting:
                self._started(ref, self.starting.pop(ref))
            else:
                self._finished(ref, *self.running.pop(ref))

    def _started(self, ref, worker: _Worker) -> None:
        exceptions = self.ray.exceptions
        try:
            worker.node = self.ray.get(ref)
            self.idle.append(worker)
        except exceptions.RayTaskError as exc:  # a stage's setup raised: the same on every worker
            cause = exc.cause if exc.cause is not None else exc
            raise RunError(f"segment {self.plan.segment}: setting the stages up on a Ray worker failed: "
                           f"{type(cause).__name__}: {cause}") from None
        except exceptions.RayError as exc:
            self.deaths_in_setup += 1
            if self.deaths_in_setup > ATTEMPTS * max(slots_for(self.options, self.ray), 1):
                raise RunError(f"segment {self.plan.segment}: Ray workers keep dying while setting the stages up "
                               f"({type(exc).__name__}); finished shards are kept") from None

    def _finished(self, ref, worker: _Worker, shard: int) -> None:
        exceptions = self.ray.exceptions
        try:
            self.ray.get(ref)
        except exceptions.RayTaskError as exc:
            cause = exc.cause if exc.cause is not None else exc
            self._failed(worker, shard, f"{type(cause).__name__}: {cause}")
            self.idle.append(worker)
        except exceptions.RayError as exc:  # the actor or its node is gone
            self._failed(worker, shard, f"worker lost ({type(exc).__name__})")
        else:
            self.shards_per_node[worker.node] += 1
            self.bar.update()
            self.idle.append(worker)

    def _failed(self, worker: _Worker, shard: int, error: str) -> None:
        tried = self.failures.setdefault(shard, [])
        tried.append((worker, error))
        if len(tried) >= ATTEMPTS:
            log.error("segment %d: shard %d failed on %d workers, its records are errored: %s",
                      self.plan.segment, shard, len(tried), error)
            write_failed_shard(self.plan, shard, f"shard failed on {len(tried)} workers; last: {error}")
            self.bar.update()
        else:
            log.warning("segment %d: shard %d goes back in the queue (%s)", self.plan.segment, shard, error)
            self.requeued += 1
            self.queue.appendleft(shard)

    def _retire(self, workers: list[_Worker]) -> None:
        """Idle workers tear their stages down, then go; one that does not answer in time is killed anyway."""
        if not workers:
            return
        self.ray.wait([w.actor.close.remote() for w in workers], num_returns=len(workers), timeout=CLOSE_SECONDS)
        for worker in workers:
            self.ray.kill(worker.actor)

    def stop(self) -> None:
        """After the segment or on an error: idle workers close, busy and starting ones are killed."""
        self._retire(self.idle)
        for worker in [*self.starting.values(), *(w for w, _ in self.running.values())]:
            self.ray.kill(worker.actor)


def slots_for(options: dict, ray) -> int:
    """How many actors of ``options`` the cluster can hold now (asked each round: nodes come and go)."""
    available = ray.cluster_resources()
    if options["num_gpus"] > 0:
        return int(available.get("GPU", 0) // options["num_gpus"])
    return int(available.get("CPU", 0) // options["num_cpus"]) if options["num_cpus"] else int(available.get("CPU", 1))


class RayExecutor:
    def __init__(self, config: ExecutorConfig):
        self.config = config
        self.shards_per_node: Counter = Counter()  # the last segment's: how the work spread

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

    def run_segment(self, plan: SegmentPlan, shards: list[int], total_records: int) -> None:
        ray = self._connect()
        # workers on other machines start elsewhere: they get the run folder as an absolute path
        plan = dataclasses.replace(plan, run_root=str(Path(plan.run_root).resolve()))
        options = self._actor_options(plan)
        slots = slots_for(options, ray)
        if slots == 0:
            available = ray.cluster_resources()
            raise RunError(f"stages {', '.join(c.id for c in plan.stages)} need {options['num_gpus']:g} GPU(s) and "
                           f"{options['num_cpus']:g} CPU(s) per worker; the Ray cluster has "
                           f"{available.get('GPU', 0):g} GPU(s), {available.get('CPU', 0):g} CPU(s)")
        log.info("segment %d (%s): %d shards (%d records) pulled by up to %d Ray workers of %g CPU, %g GPU",
                 plan.segment, ", ".join(c.id for c in plan.stages), len(shards), total_records,
                 slots, options["num_cpus"], options["num_gpus"])
        bar = tqdm(total=len(shards), desc=f"{'segment ' + str(plan.segment):>20}", unit="shard", dynamic_ncols=True)
        work = _ShardQueue(ray, plan, options, shards, bar)
        try:
            while work.busy():
                work.step()
        finally:
            work.stop()
            bar.close()
        self.shards_per_node = work.shards_per_node
        log.info("segment %d: shards per Ray node %s, %d requeued", plan.segment, dict(work.shards_per_node),
                 work.requeued)
        run_dir = RunDir(plan.run_root)
        missing = [s for s in shards if not run_dir.is_done(plan.segment, s)]
        if missing:
            raise RunError(f"segment {plan.segment}: shards {missing[:5]} have no .done marker after the Ray "
                           f"workers ended: is {plan.run_root} on storage every Ray worker shares?")
