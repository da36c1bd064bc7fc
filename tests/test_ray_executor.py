"""The Ray executor on a local Ray cluster (ray.init(num_cpus=2)): the same rows as the local executor,
resume through the same markers, a shard that kills every worker it is given to written as errored
records, and a clear refusal when a stage needs GPUs the cluster lacks.

One module and one cluster (module fixture): Ray takes ~10-20 s to start here.
"""
import json
import shutil
import textwrap

import pytest

import tests.toy_stages  # noqa: F401 - registers test stages (workers import them by module path)
from muri_gen.recipe import load_recipe
from muri_gen.runner import RunError, run_recipe, segments_of
from muri_gen.runner.layout import RunDir
from muri_gen.runner.ray import RayExecutor
from muri_gen.runner.shards import SegmentPlan
from tests.run_outcome import run_outcome

pytestmark = pytest.mark.slow

STAGES_YAML = """\
  - {stage: normalize}
  - {stage: language_id, backend: lid}
  - {stage: quality}
  - {stage: test_error_every, every: 9}
  - {stage: dedup}
  - {stage: sample, per_language: 20}
  - {stage: test_slow_upper}
"""


@pytest.fixture(scope="module")
def ray_cluster():
    import ray

    ray.init(num_cpus=2, include_dashboard=False)
    yield ray
    ray.shutdown()


def write_recipe(tmp_path, corpus, kind, out, stages=STAGES_YAML):
    path = tmp_path / f"{out}.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: ray-equivalence
        seed: 7
        input: {{path: {corpus}, language_field: language}}
        output: {{dir: {tmp_path / out}}}
        executor: {{kind: {kind}, shard_size: 16, batch_size: 8}}
        backends:
          lid: {{kind: lid, type: fasttext}}
        stages:
        """) + stages)
    return path


def test_ray_gives_the_local_rows_and_resumes(ray_cluster, tmp_path, write_jsonl, udhr_rows):
    copies = [{**row, "id": f"copy-{row['id']}"} for row in udhr_rows[:12]]  # for dedup to find
    corpus = write_jsonl(udhr_rows + copies)
    local_stats = run_recipe(load_recipe(write_recipe(tmp_path, corpus, "local", "local")))
    run_recipe(load_recipe(write_recipe(tmp_path, corpus, "ray", "ray")))
    assert local_stats["input"] == len(udhr_rows) + 12 and local_stats["kept"] > 50
    assert local_stats["by_reason"]["dedup:duplicate"] >= 5 and local_stats["by_reason"]["test_error_every:error"] > 0
    local, ray_run = run_outcome(tmp_path / "local"), run_outcome(tmp_path / "ray")
    assert ray_run[0] == local[0]  # kept rows, row for row, in order
    assert ray_run[1:] == local[1:]
    assert all(r["upper"] == r["text"].upper() for r in ray_run[0])
    # dedup's fit read shard sketches the Ray workers of the segment before it made, in parallel
    shards = RunDir(tmp_path / "ray").shard_count()
    assert (f"dedup: {shards} of {shards} shard sketches made by the workers before it, 0 at the fit"
            in RunDir(tmp_path / "ray").log.read_text())

    # resume: forget some finished shards of the last two segments; Ray redoes only those
    run = RunDir(tmp_path / "ray")
    last = len(segments_of(load_recipe(write_recipe(tmp_path, corpus, "ray", "ray"))))
    kept_stamps = {}
    for segment in (last - 1, last):
        for shard in range(run.shard_count()):
            if shard % 3 == 0:
                run.marker(segment, shard).unlink()
            else:
                kept_stamps[(segment, shard)] = run.marker(segment, shard).stat().st_mtime_ns
    run.stats.unlink()
    run_recipe(load_recipe(write_recipe(tmp_path, corpus, "ray", "ray")))
    assert run_outcome(tmp_path / "ray") == local
    assert all(run.marker(*key).stat().st_mtime_ns == stamp for key, stamp in kept_stamps.items())

    # a run started locally and resumed on Ray (the executor is not part of the recipe's fingerprint)
    shutil.copytree(tmp_path / "local", tmp_path / "mixed")
    mixed = RunDir(tmp_path / "mixed")
    for shard in range(mixed.shard_count()):
        mixed.marker(last, shard).unlink()
    mixed.stats.unlink()
    run_recipe(load_recipe(write_recipe(tmp_path, corpus, "ray", "mixed")))
    assert run_outcome(tmp_path / "mixed") == local


def test_a_shard_that_kills_every_worker_becomes_errored_records(ray_cluster, tmp_path, write_jsonl, udhr_rows):
    rows = udhr_rows[:48]  # three shards of 16; the poison record is in the second
    poison = rows[20]["text"][:60]
    assert sum(poison in r["text"] for r in rows) == 1
    resolved = load_recipe(write_recipe(tmp_path, write_jsonl(rows), "ray", "crash",
                                        stages=f"  - {{stage: normalize}}\n  - {{stage: test_crash_worker, substring: {json.dumps(poison)}}}\n"))
    stats = run_recipe(resolved)
    run = RunDir(tmp_path / "crash")
    errored = list(run.outcome_records("errored"))
    assert stats["input"] == 48 == stats["kept"] + stats["rejected"] + stats["errored"]
    assert stats["errored"] == 16 and {r["id"] for r in errored} == {r["id"] for r in rows[16:32]}
    assert all(r["stage"] == "normalize" and r["error"].startswith("shard failed on 3 workers; last: worker lost")
               for r in errored)
    assert [r["id"] for r in run.kept_records()] == [r["id"] for r in rows[:16] + rows[32:]]


def test_gpu_stage_on_a_cpu_cluster_is_refused_clearly(ray_cluster, tmp_path, write_jsonl, udhr_rows):
    resolved = load_recipe(write_recipe(tmp_path, write_jsonl(udhr_rows[:4]), "ray", "gpu",
                                        stages="  - {stage: normalize}\n  - {stage: pii, resources: {gpus: 1}}\n"))
    plan = SegmentPlan(1, segments_of(resolved)[0], resolved, str(tmp_path / "gpu"))
    with pytest.raises(RunError, match="need 1 GPU"):
        RayExecutor(resolved.recipe.executor).run_segment(plan, [0], 4)
