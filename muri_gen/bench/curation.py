"""What best-of-n and pair scoring cost, per pair kept: the demo recipe as it is (n candidates per
document, the curate stage keeping the best) against the same recipe with one candidate and the
post-filter alone (the curate stage only annotating), on the same documents, in one run.

Rows: seconds per kept pair (translation both ways, generation, post-filter and curation), LLM
tokens per kept pair (prompt + completion, as the server counts them), and the curate stage's time
as a share of generation time.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from muri_gen.recipe import load_recipe
from muri_gen.resources import bundled
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir

PAIR_STAGES = ("translate_document", "reverse_instruction", "translate_instruction", "postfilter", "curate")
DEMO = Path("pipelines") / "demo.yaml"


def _run(out: Path, overrides: list[str]) -> dict:
    resolved = load_recipe(DEMO, overrides, input_path=str(bundled("data", "udhr-demo.jsonl")), output_dir=str(out))
    stats = run_recipe(resolved)
    run = RunDir(out)
    records = [*run.kept_records(), *(r.get("record") or {} for r in run.outcome_records("rejected"))]
    tokens = sum((r.get("generation") or {}).get("prompt_tokens", 0) + (r.get("generation") or {}).get("completion_tokens", 0)
                 for r in records)  # every generated record's, kept or not
    return {"stats": stats, "tokens": tokens}


def _seconds(stats: dict, stages=PAIR_STAGES) -> float:
    return sum(stats["by_stage"].get(stage, {}).get("seconds", 0.0) for stage in stages)


def run(full: bool = False) -> list[dict]:
    """The whole demo corpus either way: alignment ranks a pair among its batch's documents, and the
    scorers' fixed costs (dictionaries, models) only fall into proportion at the demo's size."""
    with tempfile.TemporaryDirectory() as tmp:
        ours = _run(Path(tmp) / "best-of-n", [])
        baseline = _run(Path(tmp) / "one", ["stages.reverse_instruction.n=1", "stages.curate.filter=false"])
    n = next(stage.config.n for stage in load_recipe(DEMO).stages if stage.id == "reverse_instruction")
    kept, kept_base = ours["stats"]["kept"], baseline["stats"]["kept"]
    documents = ours["stats"]["by_stage"]["reverse_instruction"]["in"]
    seconds = _seconds(ours["stats"]) / max(kept, 1)
    seconds_base = _seconds(baseline["stats"], PAIR_STAGES[:-1]) / max(kept_base, 1)
    curate = ours["stats"]["by_stage"]["curate"]["seconds"]
    generation = ours["stats"]["by_stage"]["reverse_instruction"]["seconds"]
    note = (f"the demo's {documents} documents; best-of-{n} + curate kept {kept}, "
            f"one candidate + post-filter kept {kept_base}")
    return [
        {"benchmark": "seconds per kept pair (best-of-n + curate vs one candidate + post-filter)",
         "ours": round(seconds, 3), "baseline": round(seconds_base, 3), "unit": "s / kept pair",
         "ratio": round(seconds / seconds_base, 3) if seconds_base else float("nan"),
         "note": note + "; lower is better; fewer pairs are kept, the ratings say how much better they are"},
        {"benchmark": "LLM tokens per kept pair", "ours": round(ours["tokens"] / max(kept, 1), 1),
         "baseline": round(baseline["tokens"] / max(kept_base, 1), 1), "unit": "tokens / kept pair",
         "ratio": round((ours["tokens"] / max(kept, 1)) / (baseline["tokens"] / max(kept_base, 1)), 3)
         if baseline["tokens"] else float("nan"), "note": "prompt + completion tokens the server reported; lower is better"},
        {"benchmark": "curate scoring time / generation time", "ours": round(curate, 2), "baseline": round(generation, 2),
         "unit": "s", "ratio": round(curate / generation, 3) if generation else float("nan"),
         "note": f"the curate stage (embeddings, purity, degeneration, length) vs reverse_instruction, best-of-{n}; "
                 "target <= 0.10"},
    ]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
