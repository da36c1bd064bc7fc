"""The Ray executor on a real multi-node cluster on this machine: ``ray start`` runs a head (no
CPUs, so no work) and two worker nodes, each with its own --temp-dir and a custom resource that
names it; the run folder is the shared disk. Node "b" has one CPU and runs test_slow_upper four
times slower (MURI_TEST_SLOWDOWN), node "a" has two CPUs.

Every Ray process the fixture starts lives in the session of its ``ray start --block``; teardown
kills those sessions, even when a test failed, and never touches Ray processes of other runs.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

import tests.toy_stages  # noqa: F401 - registers test stages (the nodes import them from this checkout)
from muri_gen.recipe import load_recipe
from muri_gen.runner import prepare_output, run_recipe, segments_of, split_input
from muri_gen.runner.layout import RunDir
from muri_gen.runner.ray import RayExecutor
from muri_gen.runner.shards import SegmentPlan, run_shards
from tests.run_outcome import run_outcome

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
RAY = str(Path(sys.executable).with_name("ray"))
NODES = {"a": {"cpus": 2, "env": {}}, "b": {"cpus": 1, "env": {"MURI_TEST_SLOWDOWN": "4"}}}
STARTUP_SECONDS = 300  # a loaded 2-core machine takes minutes to start three Ray nodes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCluster:
    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="muri-ray-", dir="/tmp"))  # short: Ray's socket paths have a limit
        self.env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0",
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        self.sessions: dict[str, subprocess.Popen] = {}
        self.address = f"127.0.0.1:{free_port()}"

    def _start(self, name: str, args: list[str], env: dict | None = None) -> None:
        log = open(self.base / f"{name}.log", "w")
        self.sessions[name] = subprocess.Popen(
            [RAY, "start", "--block", f"--temp-dir={self.base / name}", "--disable-usage-stats",
             "--object-store-memory=100000000", *args],
            cwd=REPO, env={**self.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_head(self) -> None:
        port = self.address.split(":")[1]
        self._start("head", ["--head", f"--port={port}", "--num-cpus=0", "--include-dashboard=false",
                             f"--ray-client-server-port={free_port()}", f"--dashboard-port={free_port()}",
                             # a lost node is noticed after ~2 s instead of the default ~30 s
                             '--system-config={"health_check_period_ms":500,"health_check_failure_threshold":4}'])

    def start_node(self, name: str) -> None:
        spec = NODES[name]
        self._start(name, [f"--address={self.address}", f"--num-cpus={spec['cpus']}",
                           f"--resources={json.dumps({'node_' + name: 1})}"], spec["env"])

    def node_ids(self) -> dict[str, str]:
        import ray

        return {name: node["NodeID"] for node in ray.nodes() if node["Alive"]
                for name in NODES if f"node_{name}" in node["Resources"]}

    def wait_for(self, names) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while set(names) - set(self.node_ids()):
            assert time.monotonic() < deadline, f"Ray nodes {names} did not come up; logs in {self.base}"
            time.sleep(1)

    def ensure_nodes(self) -> None:
        """Both worker nodes up (a test before may have killed one)."""
        missing = [name for name in NODES if name not in self.node_ids()]
        for name in missing:
            self.kill(name)
            self.start_node(name)
        self.wait_for(NODES)

    def pids(self, name: str) -> dict[int, str]:
        """{pid: program name} of every process in the node's session."""
        session = self.sessions[name].pid
        found = {}
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and os.getsid(int(entry)) == session:
                    found[int(entry)] = Path(f"/proc/{entry}/comm").read_text().strip()
            except OSError:  # ended meanwhile
                continue
        return found

    def kill_raylet(self, name: str) -> None:
        for pid, program in self.pids(name).items():
            if program == "raylet":
                os.kill(pid, signal.SIGKILL)

    def kill(self, name: str) -> None:
        if name in self.sessions:
            for pid in self.pids(name):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.sessions.pop(name).wait(timeout=60)

    def stop(self) -> None:
        for name in list(self.sessions):
            self.kill(name)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    import ray

    nodes = LocalCluster()
    auth = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"  # the driver (this process) must match the nodes
    try:
        nodes.start_head()
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                ray.init(address=nodes.address, logging_level="ERROR")
                break
            except Exception:  # noqa: BLE001 - the head is still starting
                assert time.monotonic() < deadline, f"the Ray head did not start; logs in {nodes.base}"
                time.sleep(2)
        for name in NODES:
            nodes.start_node(name)
        nodes.wait_for(NODES)
        yield nodes
    finally:
        ray.shutdown()
        nodes.stop()
        if auth is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = auth


def write_recipe(tmp_path, corpus, kind, out, stages, shard_size=16, languages=None):
    path = tmp_path / f"{out}.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: ray-cluster
        seed: 7
        {'languages: ' + json.dumps(languages) if languages else ''}
        input: {{path: {corpus}, language_field: language}}
        output: {{dir: {tmp_path / out}}}
        executor: {{kind: {kind}, shard_size: {shard_size}, batch_size: 8}}
        backends:
          lid: {{kind: lid, type: fasttext}}
          apertium: {{kind: translator, type: apertium}}
        stages:
        """) + textwrap.indent(textwrap.dedent(stages), "  "))
    return load_recipe(path)


FILTERS = """\
- {stage: normalize}
- {stage: language_id, backend: lid}
- {stage: quality}
- {stage: test_error_every, every: 9}
- {stage: test_slow_upper}
"""


def test_the_cluster_gives_the_local_rows_and_its_caches_replay_locally(cluster, tmp_path, write_jsonl, udhr_rows):
    cluster.ensure_nodes()
    corpus = write_jsonl(udhr_rows)
    local = outcome_of_run(write_recipe(tmp_path, corpus, "local", "local", FILTERS))
    on_cluster = outcome_of_run(write_recipe(tmp_path, corpus, "ray", "ray", FILTERS))
    assert on_cluster == local and local[3]["kept"] > 50 and local[3]["errored"] > 0

    # translations by several workers, then a local run from their cache files: nothing is translated again
    spanish = write_jsonl([r for r in udhr_rows if r["language"] == "spa"], "spa.jsonl")
    translate = "- {stage: translate, translator: apertium, language_field: declared_language}\n"
    cluster_stats = run_recipe(write_recipe(tmp_path, spanish, "ray", "mt-ray", translate, shard_size=2,
                                            languages=["spa"]))
    files = sorted((tmp_path / "mt-ray" / "cache" / "translations").glob("*.sqlite"))
    shutil.copytree(tmp_path / "mt-ray" / "cache", tmp_path / "mt-local" / "cache")
    local_stats = run_recipe(write_recipe(tmp_path, spanish, "local", "mt-local", translate, shard_size=2,
                                          languages=["spa"]))
    replayed = list(RunDir(tmp_path / "mt-local").kept_records())
    assert cluster_stats["kept"] == local_stats["kept"] == len(replayed) > 20
    assert all(r["translation_en"]["segments_cached"] == r["translation_en"]["segments"] > 0 for r in replayed)
    assert [r["text_en"] for r in replayed] == [r["text_en"] for r in RunDir(tmp_path / "mt-ray").kept_records()]
    print(f"\ntranslation cache files written on the cluster: {len(files)}")


def outcome_of_run(resolved):
    run_recipe(resolved)
    return run_outcome(resolved.recipe.output.dir)


def test_a_slowed_node_does_fewer_shards_than_a_static_split_gives_it(cluster, tmp_path, write_jsonl, udhr_rows):
    cluster.ensure_nodes()
    corpus = write_jsonl(udhr_rows[:144])  # 18 shards of 8
    slow = "- {stage: test_slow_upper, seconds_per_record: 0.1}\n"

    def prepared(out):
        resolved = write_recipe(tmp_path, corpus, "ray", out, slow, shard_size=8)
        run_dir = RunDir(resolved.recipe.output.dir)
        run_dir.create()
        prepare_output(resolved, run_dir)
        shards = split_input(resolved, run_dir)
        run_dir.segment_dir(1).mkdir(parents=True, exist_ok=True)
        return SegmentPlan(1, segments_of(resolved)[0], resolved, str(run_dir.root)), list(range(shards)), resolved

    plan, shards, resolved = prepared("dynamic")
    executor = RayExecutor(resolved.recipe.executor)
    started = time.perf_counter()
    executor.run_segment(plan, shards, 144)
    dynamic_seconds = time.perf_counter() - started

    # the old way: one group per worker slot, dealt out once (two on node a, one on node b)
    import ray

    plan, shards, _ = prepared("static")
    group = ray.remote(num_cpus=1)(lambda plan, group: run_shards(plan, group, lambda *a: None))
    started = time.perf_counter()
    ray.get([group.remote(plan, shards[i::3]) for i in range(3)])
    static_seconds = time.perf_counter() - started

    nodes = cluster.node_ids()
    done_by = {name: executor.shards_per_node[node] for name, node in nodes.items()}
    print(f"\n{len(shards)} shards; dynamic pool: {dynamic_seconds:.1f} s, shards per node {done_by}; "
          f"static groups: {static_seconds:.1f} s, node b given {len(shards[2::3])}")
    assert sum(done_by.values()) == len(shards)
    # node b does a quarter of node a's per-slot pace: pulling work it ends with fewer shards than a
    # static third, and no fewer than none (it did work: the pool used it)
    assert done_by["b"] < len(shards) // 3 and done_by["a"] > 2 * len(shards) // 3


def test_a_node_lost_mid_segment_costs_its_shard_not_the_run(cluster, tmp_path, write_jsonl, udhr_rows, caplog):
    cluster.ensure_nodes()
    corpus = write_jsonl(udhr_rows)
    gate = tmp_path / "gate"
    # each worker passes one shard (16 records), then holds at the gate on its second
    stages = f"- {{stage: test_gate, gate: {gate}, pass_records: 16}}\n" + FILTERS
    gate.touch()
    local = outcome_of_run(write_recipe(tmp_path, corpus, "local", "local", stages))
    gate.unlink()
    resolved = write_recipe(tmp_path, corpus, "ray", "ray", stages)
    run = RunDir(tmp_path / "ray")
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(stats=run_recipe(resolved)), daemon=True)
    runner.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    # three workers (two on a, one on b) each finished a shard and hold their next one
    while len(list(run.segment_dir(1).glob("*.done"))) < 3:
        assert time.monotonic() < deadline and runner.is_alive(), "the workers never reached the gate"
        time.sleep(0.5)
    time.sleep(3)  # the driver hands each its next shard
    cluster.kill_raylet("b")
    while "b" in cluster.node_ids():  # the head declares the node dead, and with it node b's worker
        assert time.monotonic() < deadline, "the head never noticed the lost node"
        time.sleep(0.5)
    # a worker process can outlive its raylet for a moment: gone with the node before the gate opens,
    # or it would finish its shard and report it straight to the driver
    cluster.kill("b")
    gate.touch()
    runner.join(timeout=STARTUP_SECONDS)
    assert not runner.is_alive() and "stats" in result
    stats = result["stats"]
    requeued = [r.getMessage() for r in caplog.records if "goes back in the queue" in r.getMessage()]
    print(f"\nlost node: {len(requeued)} shard(s) requeued; input {stats['input']} = kept {stats['kept']} "
          f"+ rejected {stats['rejected']} + errored {stats['errored']}")
    assert requeued and all("worker lost" in message for message in requeued)
    assert stats["input"] == stats["kept"] + stats["rejected"] + stats["errored"] == len(udhr_rows)
    assert run_outcome(tmp_path / "ray") == local


def test_a_node_that_joins_mid_segment_gets_work(cluster, tmp_path, write_jsonl, udhr_rows):
    cluster.ensure_nodes()
    cluster.kill("b")
    deadline = time.monotonic() + STARTUP_SECONDS
    while "b" in cluster.node_ids():  # the head notices the loss within seconds
        assert time.monotonic() < deadline
        time.sleep(0.5)
    gate = tmp_path / "gate"
    # every worker passes one shard (8 records), then holds at the gate
    resolved = write_recipe(tmp_path, write_jsonl(udhr_rows[:96]), "ray", "join",
                            f"- {{stage: test_gate, gate: {gate}, pass_records: 8}}\n- {{stage: normalize}}\n",
                            shard_size=8)
    run_dir = RunDir(resolved.recipe.output.dir)
    run_dir.create()
    prepare_output(resolved, run_dir)
    shards = list(range(split_input(resolved, run_dir)))
    run_dir.segment_dir(1).mkdir(parents=True, exist_ok=True)
    executor = RayExecutor(resolved.recipe.executor)
    plan = SegmentPlan(1, segments_of(resolved)[0], resolved, str(run_dir.root))
    runner = threading.Thread(target=executor.run_segment, args=(plan, shards, 96), daemon=True)
    runner.start()
    while len(list(run_dir.segment_dir(1).glob("*.done"))) < 2:  # node a's two workers hold at the gate
        assert time.monotonic() < deadline and runner.is_alive(), "node a's workers never reached the gate"
        time.sleep(0.5)
    cluster.start_node("b")
    while len(list(run_dir.segment_dir(1).glob("*.done"))) < 3:  # the pool grew onto b, which did a shard
        assert time.monotonic() < deadline and runner.is_alive(), "the joining node got no work"
        time.sleep(0.5)
    gate.touch()
    runner.join(timeout=STARTUP_SECONDS)
    assert not runner.is_alive()
    done_by = {name: executor.shards_per_node[node] for name, node in cluster.node_ids().items()}
    print(f"\njoined mid-segment: shards per node {done_by}")
    assert done_by["b"] >= 1 and sum(done_by.values()) == len(shards) == 12
    assert [r["id"] for r in run_dir.kept_records()] == [r["id"] for r in udhr_rows[:96]]
