"""What a finished run decided, for comparing two runs: kept rows, rejects and errors in file
order, and stats.json without its timings (which differ between any two runs)."""
import json
from pathlib import Path

from muri_gen.runner.layout import RunDir


def run_outcome(out: Path | str) -> tuple[list, list, list, dict]:
    run = RunDir(out)
    stats = json.loads(run.stats.read_text())
    for key in ("wall_seconds", "peak_rss_mb"):
        stats.pop(key)
    for counts in stats["by_stage"].values():
        counts.pop("seconds"), counts.pop("records_per_second")
    return list(run.kept_records()), list(run.outcome_records("rejected")), list(run.outcome_records("errored")), stats
