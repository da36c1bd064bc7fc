"""kill -9 at random points of a run, ten times in a row, then resume: the same dataset as a run
that was never interrupted, with no duplicate and no missing row.

The recipe is the filter chain (real fastText LID on UDHR text) with the dedup barrier and a
per-record stage slow enough for kills to land inside every phase: the input split, a segment's
shards, a barrier's fit, the sinks' turn. Kill points are drawn in units of progress (completion
markers, spread over the whole run, plus a random few milliseconds so some land mid-write). A gate
sink after the real sinks holds every killed attempt until the test opens it for the final resume,
so no attempt can finish before its kill however the machine is loaded. The seed is printed in the
failure message to replay a failing sequence (MURI_KILL_SEED=...).
"""
import fnmatch
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from muri_gen.cli import ERRORED_EXIT
from tests.run_outcome import run_outcome

ROOT = Path(__file__).resolve().parents[1]
DRIVER = "import sys, tests.toy_stages; from muri_gen.cli import main; sys.argv[1:] = ['run', *sys.argv[1:]]; main()"
STAGES = """\
  - {stage: normalize}
  - {stage: language_id, backend: lid}
  - {stage: quality}
  - {stage: test_error_every, every: 11}
  - {stage: dedup}
  - {stage: test_slow_upper, seconds_per_record: 0.01}
  - {stage: sample, per_language: 25}
"""


def write_recipe(tmp_path, corpus, out):
    """The recipe, with its gate sink at OUT.gate (closed)."""
    path = tmp_path / f"{out}.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: kill
        seed: 3
        input: {{path: {corpus}, language_field: language}}
        output: {{dir: {tmp_path / out}}}
        executor: {{shard_size: 10, batch_size: 5}}
        backends:
          lid: {{kind: lid, type: fasttext}}
        sinks: [{{sink: filtered_records, format: jsonl}}, {{sink: test_gate, gate: {tmp_path / out}.gate}}]
        stages:
        """) + STAGES)
    return path


def progress(out: Path) -> int:
    """Done markers under the run's work folder. ``os.walk`` skips a folder the running job removes
    while it is read (``Path.rglob`` raises FileNotFoundError then)."""
    return sum(1 for _, _, files in os.walk(out / "work") for name in files
               if name.endswith(".done") or fnmatch.fnmatch(name, "_*_DONE"))


def start(*args) -> subprocess.Popen:
    """``muri-gen run ARGS`` in a new process; its stderr goes to a file (a pipe nobody reads could fill)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    proc.log = log
    return proc


def tail(proc: subprocess.Popen) -> str:
    proc.log.seek(0)
    return proc.log.read().decode(errors="replace")[-2000:]


def kill_and_resume(args: list, out: Path, gate: Path, targets: list[int] | None, rng: random.Random, seed: int,
                    seconds: float | tuple[float, float] = 0.05, exit_code: int = 0) -> list[int]:
    """Ten times in a row: start the run, wait until ``progress`` reaches the attempt's target (no
    targets: do not wait) and a random delay (up to ``seconds``, or within a (low, high) range), then
    kill -9 it. Then open the run's gate sink and let it finish. Returns the progress at each kill."""
    points = []
    for attempt, target in enumerate(targets or [0] * 10):
        proc = start(*args)
        deadline = time.time() + 600
        while progress(out) < target and proc.poll() is None:
            assert time.time() < deadline, f"seed {seed}: no progress in attempt {attempt}"
            time.sleep(0.005)
        time.sleep(rng.uniform(*seconds) if isinstance(seconds, tuple) else rng.uniform(0, seconds))
        # the closed gate holds the run before its end: a process that exited has failed
        assert proc.poll() is None, f"seed {seed}: attempt {attempt + 1} exited with {proc.returncode}: {tail(proc)}"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        points.append(progress(out))
    gate.touch()
    resumed = start(*args)
    assert resumed.wait(timeout=1800) == exit_code, f"seed {seed}, kills at {points}: {tail(resumed)}"
    return points


def kill_seed() -> tuple[random.Random, int]:
    seed = int(os.environ.get("MURI_KILL_SEED", time.time_ns() % 1_000_000))
    return random.Random(seed), seed


@pytest.mark.slow
def test_ten_kills_in_a_row_then_resume_gives_the_uninterrupted_dataset(tmp_path, write_jsonl, udhr_rows):
    rng, seed = kill_seed()
    copies = [{**row, "id": f"copy-{row['id']}"} for row in udhr_rows[::9]]  # for dedup to drop
    corpus = write_jsonl(udhr_rows + copies)
    clean_recipe = write_recipe(tmp_path, corpus, "clean")
    (tmp_path / "clean.gate").touch()
    clean = start(clean_recipe)
    assert clean.wait(timeout=600) == ERRORED_EXIT, tail(clean)  # test_error_every errors records on purpose
    markers = progress(tmp_path / "clean")  # every shard of every segment, the split and the fits

    out = tmp_path / "killed"
    targets = sorted(rng.sample(range(1, markers + 1), 10))  # the last ones land in the sinks' turn
    kills = kill_and_resume([write_recipe(tmp_path, corpus, "killed")], out, tmp_path / "killed.gate", targets,
                            rng, seed, exit_code=ERRORED_EXIT)
    kept, rejected, errored, stats = run_outcome(out)
    assert (kept, rejected, errored, stats) == run_outcome(tmp_path / "clean"), f"seed {seed}, kills at progress {kills}"
    assert (out / "filtered" / "records.jsonl").read_bytes() == (tmp_path / "clean" / "filtered" / "records.jsonl").read_bytes()
    ids = [r["id"] for r in kept + rejected + errored]
    assert len(ids) == len(set(ids)), f"seed {seed}: duplicate rows"
    assert set(ids) == {r["id"] for r in udhr_rows + copies}, f"seed {seed}: missing rows"
    assert stats["input"] == len(udhr_rows + copies) == stats["kept"] + stats["rejected"] + stats["errored"]


# A request killed in flight is generated again after the resume, and must come out as in the clean
# run: one llama.cpp slot (with several, a request's sampled tokens depend on which requests share
# its batch), one candidate a request (n candidates take n slots), and llama.cpp's prompt cache off
# (on, a request reuses the prefix the slot's last request left, and its tokens depend on that
# history: a restarted server's first request came out otherwise in 2 of ~10 runs). Curate annotates
# rather than rejects: twelve documents in shards of two are too few to rank alignment on.
DEMO_SMALL = ["--set", "input.limit=12", "--set", "executor.shard_size=2", "--set", "stages.reverse_instruction.n=1",
              "--set", "stages.reverse_instruction.max_tokens=32", "--set", "stages.curate.filter=false",
              "--set", "backends.llm.parallel=1", "--set", "backends.llm.max_concurrency=1",
              "--set", "backends.llm.prompt_cache=false"]
CACHE_FLAGS = {"cached", "segments_cached"}  # provenance that says a result was replayed from a cache


def without_cache_flags(value):
    if isinstance(value, dict):
        return {k: without_cache_flags(v) for k, v in value.items() if k not in CACHE_FLAGS}
    if isinstance(value, (list, tuple)):
        return [without_cache_flags(v) for v in value]
    return value


# ~8 min alone and several times that on a loaded 2-core machine: the waits inside bound a hang
@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_demo_recipe_killed_ten_times_then_resumed_gives_the_uninterrupted_dataset(tmp_path):
    """The demo pipeline (LID, filters, Apertium/Bergamot, SmolLM2 on xllamacpp, post-filter, sinks) on
    its first 12 documents: kills land inside translation and LLM batches too; the request and
    translation caches replay what was finished, so rows equal the clean run's but for the flags
    saying so."""
    rng, seed = kill_seed()
    demo = ROOT / "pipelines" / "demo.yaml"
    started = time.time()
    clean = start(demo, "-o", tmp_path / "clean", *DEMO_SMALL)
    while not (tmp_path / "clean" / "work" / "input" / "_SPLIT_DONE").exists():
        assert clean.poll() is None, tail(clean)
        time.sleep(0.01)
    startup = time.time() - started
    assert clean.wait(timeout=1800) == 0, tail(clean)
    work = time.time() - started - startup
    out = tmp_path / "killed"
    sinks = yaml.safe_load(demo.read_text())["sinks"] + [{"sink": "test_gate", "gate": str(tmp_path / "killed.gate")}]
    # few, long shards: kill points are drawn in time (inside LLM and translation batches), each
    # after start-up plus at most a tenth of the work, so that the ten spread over the run
    kills = kill_and_resume([demo, "-o", out, *DEMO_SMALL, "--set", f"sinks={json.dumps(sinks)}"], out,
                            tmp_path / "killed.gate", None, rng, seed, seconds=(startup * 0.5, startup + work / 10))
    kept, rejected, errored, stats = without_cache_flags(run_outcome(out))
    assert [kept, rejected, errored, stats] == without_cache_flags(run_outcome(tmp_path / "clean")), \
        f"seed {seed}, kills at progress {kills}"
    ids = [r["id"] for r in kept + rejected + errored]
    assert len(ids) == len(set(ids)) and stats["input"] == 12 == len(ids), f"seed {seed}: duplicate or missing rows"
    assert kept and all(r["instruction"] and r["text_en"] and r["curation"]["signals"] for r in kept)
