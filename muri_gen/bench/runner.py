"""Runner benchmark: what sharding, resume markers and accounting cost, and memory at two corpus sizes.

The recipe is cheap on purpose (normalize + quality, no model) so the runner's own cost shows.
Corpora are UDHR documents (see ``bench.filtering.build_corpus``). Each measurement runs in a fresh
single-threaded process so its peak RSS is its own. Rows:
- ``runner overhead``: records/s through ``run_recipe`` (shards written, read back, stats, markers)
  against calling the same stages' ``process`` on the records held in memory, in batches (the two run
  as a duet, see ``bench.measure.duet``);
- ``runner peak RSS``: at the large corpus over the small one (flat = the runner streams shards);
- ``runner vs all in memory``: peak RSS of the runner against the in-memory loop at the large size;
- ``--full`` adds the Ray executor on a local 2-CPU cluster against the local executor (Ray's start-up
  included: on one machine Ray only pays off for stages that are slow per record).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from statistics import median

from muri_gen.assets import cache_root
from muri_gen.bench.filtering import REPO, SIDE_ENV, build_corpus
from muri_gen.bench.measure import duet, per_cpu_second, ratio_row

STAGES = ["{stage: normalize}", "{stage: quality}"]

MEASURE = textwrap.dedent("""\
    import json, os, resource, shutil, sys, time
    mode, recipe_path = sys.argv[1], sys.argv[2]
    from muri_gen.recipe import load_recipe
    resolved = load_recipe(recipe_path)
    shutil.rmtree(resolved.recipe.output.dir, ignore_errors=True)  # a run folder left by the last run would be resumed
    started, cpu = time.perf_counter(), sum(os.times()[:4])  # CPU seconds of this process and its children
    if mode == "direct":
        from muri_gen.io.readers import read_records
        from muri_gen.runner.context import RunContext
        from muri_gen.runner.layout import RunDir
        records = [item.record for item in read_records(resolved.recipe.input) if item.outcome is None]
        context = RunContext(resolved, RunDir(resolved.recipe.output.dir))
        stages = [c.cls(c.config, context, c.id) for c in resolved.stages]
        for stage in stages:
            stage.setup()
            size = resolved.recipe.executor.batch_size
            records = [o for i in range(0, len(records), size)
                       for o in stage.process(records[i:i + size]) if isinstance(o, dict)]
        kept = len(records)
    else:
        from muri_gen.runner import run_recipe
        kept = run_recipe(resolved)["kept"]
    print(json.dumps({"seconds": time.perf_counter() - started, "kept": kept, "cpu_seconds": sum(os.times()[:4]) - cpu,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """)


def command(mode: str, corpus: Path, out: Path, executor: str = "local") -> list[str]:
    """The process that measures ``mode`` (runner or direct) over the corpus, the recipe written to out."""
    out.mkdir(parents=True, exist_ok=True)
    recipe = out / "recipe.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: bench-runner
        input: {{path: {corpus}}}
        output: {{dir: {out / 'run'}}}
        executor: {{kind: {executor}, shard_size: 1000, batch_size: 256, ray_num_cpus: 2}}
        stages:
        """) + "".join(f"  - {s}\n" for s in STAGES))
    return [sys.executable, "-c", MEASURE, mode, str(recipe)]


def measure(mode: str, corpus: Path, out: Path, executor: str = "local") -> dict:
    done = subprocess.run(command(mode, corpus, out, executor), capture_output=True, text=True,
                          env={**os.environ, **SIDE_ENV}, cwd=REPO, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"runner benchmark ({mode}) failed: {done.stderr[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# (large, small) documents. Quick: 10k documents, ~7 CPU seconds a side, each round twice (a duet, cores swapped).
SIZES = {"quick": (10_000, 500), "full": (100_000, 10_000)}


def run(full: bool = False, repeat: int = 5) -> list[dict]:
    large, small = SIZES["full" if full else "quick"]
    folder = cache_root() / "bench" / "runner"
    folder.mkdir(parents=True, exist_ok=True)
    corpora = {n: build_corpus(n, cache_root() / "bench" / "filtering" / f"udhr-docs-{n}.jsonl") for n in (small, large)}
    try:
        return measure_all(large, small, corpora, folder, full, repeat)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure_all(large: int, small: int, corpora: dict[int, Path], folder: Path, full: bool, repeat: int) -> list[dict]:
    runner_small = measure("runner", corpora[small], folder / "small")
    runs = duet({mode: command(mode, corpora[large], folder / mode) for mode in ("runner", "direct")}, repeat,
                env={**os.environ, **SIDE_ENV}, cwd=REPO)
    kept = {mode: {run["kept"] for round_runs in results for run in round_runs} for mode, results in runs.items()}
    if len(kept["runner"] | kept["direct"]) != 1:
        raise RuntimeError(f"runner kept {kept['runner']} rows, direct calls {kept['direct']}")
    rate = {mode: [per_cpu_second(large, round_runs) for round_runs in results] for mode, results in runs.items()}
    rss = {mode: median(run["peak_rss_mb"] for round_runs in results for run in round_runs) for mode, results in runs.items()}
    rows = [
        ratio_row("runner overhead: normalize+quality (runner vs direct process calls)", rate["runner"], rate["direct"],
                  "docs/CPU s", f"{large} UDHR docs, 1000-doc shards, one core", rounds="duet"),
        {"benchmark": f"runner peak RSS at {large} vs {small} docs",
         "ours": round(rss["runner"], 1), "baseline": round(runner_small["peak_rss_mb"], 1),
         "unit": "MiB", "ratio": round(rss["runner"] / runner_small["peak_rss_mb"], 3),
         "note": "lower is better; ~1 = memory flat in corpus size"},
        {"benchmark": f"runner vs all records in memory, peak RSS at {large} docs",
         "ours": round(rss["runner"], 1), "baseline": round(rss["direct"], 1),
         "unit": "MiB", "ratio": round(rss["runner"] / rss["direct"], 3),
         "note": "lower is better"},
    ]
    if full:
        ray_large = measure("runner", corpora[large], folder / "ray", executor="ray")
        if {ray_large["kept"]} != kept["runner"]:
            raise RuntimeError(f"Ray kept {ray_large['kept']} rows, local {kept['runner']}")
        ours = large / ray_large["seconds"]
        base = median(rate["runner"])
        rows.append({"benchmark": "Ray executor (local cluster, 2 CPUs) vs local executor",
                     "ours": round(ours, 1), "baseline": round(base, 1), "unit": "docs/s",
                     "ratio": round(ours / base, 3), "note": f"{large} docs, Ray start-up included"})
    return rows
