"""What a kept pair costs: the demo recipe as it is (n candidates per document, the curate stage
keeping the best) against the same recipe with one candidate and the post-filter alone (the curate
stage only annotating), on the same documents, in one run.

Rows, per pair kept after the post-filter and selection: CPU seconds of the whole run (the embedded
LLM server's threads too), prompt tokens and completion tokens (of every generated record, kept or
not: the server's count of the prompt, read once for a request's n candidates, and of every
candidate's completion); and, with ``--full``, the curate stage's time as a share of generation
time. The quick run takes every fourth demo document (all six languages); ``--full`` the whole demo
corpus (alignment ranks a pair among its batch's documents, and the scorers' fixed costs only fall
into proportion at that size).

Both sides run so that they write the same completions every time: llama.cpp decodes other tokens
when a batch holds other requests, so the server takes one request at a time (a request's n
candidates still decode together, in n slots), on one thread (its threads spin while they wait for
each other, and those CPU seconds grow with the machine's load). Then the kept pairs and token
counts repeat exactly between runs and only the CPU seconds move (two runs: 6 and 30 pairs kept,
2,541 and 632 completion tokens, both times; CPU seconds -7% and -8%). One request at a time costs
the one-candidate side more than a server batching several requests would: its decoding is not
batched, the best-of-n side's is.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from muri_gen.recipe import load_recipe
from muri_gen.resources import bundled
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir

DEMO = Path("pipelines") / "demo.yaml"
QUICK_EVERY = 4  # the quick run's share of the demo documents
REPEATABLE = ["backends.llm.threads=1", "backends.llm.max_concurrency=1"]


def _corpus(folder: Path, every: int) -> Path:
    source = bundled("data", "udhr-demo.jsonl")
    if every == 1:
        return source
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    subset = folder / "udhr-demo-subset.jsonl"
    subset.write_text("".join(lines[::every]), encoding="utf-8")
    return subset


def _run(corpus: Path, out: Path, overrides: list[str]) -> dict:
    resolved = load_recipe(DEMO, overrides, input_path=str(corpus), output_dir=str(out))
    cpu = sum(os.times()[:4])  # this process (the embedded LLM server's threads too) and its children
    stats = run_recipe(resolved)
    cpu = sum(os.times()[:4]) - cpu
    run = RunDir(out)
    records = [*run.kept_records(), *(r.get("record") or {} for r in run.outcome_records("rejected"))]
    usage = [r.get("generation") or {} for r in records]  # every generated record's, kept or not
    return {"stats": stats, "cpu_seconds": cpu, "prompt_tokens": sum(u.get("prompt_tokens", 0) for u in usage),
            "completion_tokens": sum(u.get("completion_tokens", 0) for u in usage)}


def _per_pair(name: str, ours: float, ours_kept: int, baseline: float, baseline_kept: int, unit: str, note: str) -> dict:
    mine, theirs = ours / max(ours_kept, 1), baseline / max(baseline_kept, 1)
    return {"benchmark": name, "ours": mine, "baseline": theirs, "unit": unit,
            "ratio": mine / theirs if theirs else float("nan"), "note": note}


def run(full: bool = False, repeat: int = 5) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = _corpus(Path(tmp), 1 if full else QUICK_EVERY)
        ours = _run(corpus, Path(tmp) / "best-of-n", REPEATABLE)
        baseline = _run(corpus, Path(tmp) / "one", [*REPEATABLE, "stages.reverse_instruction.n=1",
                                                     "stages.curate.filter=false"])
    n = next(stage.config.n for stage in load_recipe(DEMO).stages if stage.id == "reverse_instruction")
    kept, kept_base = ours["stats"]["kept"], baseline["stats"]["kept"]
    documents = ours["stats"]["by_stage"]["reverse_instruction"]["in"]
    curate = ours["stats"]["by_stage"]["curate"]["seconds"]
    generation = ours["stats"]["by_stage"]["reverse_instruction"]["seconds"]
    note = (f"{documents} demo documents; best-of-{n} + curate kept {kept}, one candidate + post-filter kept {kept_base}; "
            "lower is better; one run each, the server taking one request at a time")
    rows = [
        _per_pair("CPU seconds per kept pair (best-of-n + curate vs one candidate + post-filter)",
                  ours["cpu_seconds"], kept, baseline["cpu_seconds"], kept_base, "CPU s / kept pair",
                  note + "; the whole run (filters, translation, the LLM server's threads, post-filter, curation)"),
        _per_pair("prompt tokens per kept pair", ours["prompt_tokens"], kept, baseline["prompt_tokens"], kept_base,
                  "tokens / kept pair", f"as the server counts them; one request with n: {n} reads the prompt once"),
        _per_pair("completion tokens per kept pair", ours["completion_tokens"], kept, baseline["completion_tokens"],
                  kept_base, "tokens / kept pair", f"every candidate's, {n} a request on our side"),
    ]
    if full:  # on the quick run's quarter of the demo, loading the two embedders is most of the curate stage's time
        rows.append({"benchmark": "curate scoring time / generation time", "ours": curate, "baseline": generation,
                     "unit": "s", "ratio": curate / generation if generation else float("nan"),
                     "note": f"the curate stage (embeddings, purity, degeneration, length) vs reverse_instruction, "
                             f"best-of-{n}; target <= 0.10"})
    return rows


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
