"""Export benchmark: the hub_dataset sink's streaming Parquet writer against the straightforward way
(all rows in memory, one ``datasets.Dataset.from_list(...).to_parquet`` per language and split).

Rows are real UDHR articles in six languages (repeated with distinct ids to reach the size) with
hand-made instruction fields. Both write the same rows (checked); ratio = our rows/s over the
baseline's. The note gives the peak Python heap of each (tracemalloc, measured in a second pass).
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

from muri_gen.bench.measure import throughput_row
from muri_gen.corpora import DEMO_SOURCES, declarations, documents
from muri_gen.export.hub_folder import HubDatasetConfig, write_dataset_folder
from muri_gen.export.schema import FEATURES, SplitFractions, missing_pair_reason, to_row
from muri_gen.runner.layout import RunDir


EXPORT_SECONDS = 6.0  # of each side a round: a call writes the quick run's 20,000 rows in 0.7-1.6 s


def _fake_run(root: Path, rows: int) -> RunDir:
    docs = [d for declaration in declarations(list(DEMO_SOURCES)) for d in documents(declaration)]
    run = RunDir(root)
    run.create()
    (run.work / "input").mkdir(parents=True)
    run.segment_dir(1).mkdir(parents=True)
    shard_size, shards = 1000, 0
    for start in range(0, rows, shard_size):
        with open(run.shard_path(1, shards), "w", encoding="utf-8") as fh:
            for i in range(start, min(rows, start + shard_size)):
                doc = docs[i % len(docs)]
                record = {**doc, "id": f"{doc['id']}-{i}", "script": "Latn",
                          "instruction": "¿Qué establece este artículo?", "instruction_en": "What does this article state?",
                          "text_en": doc["text"], "style": "instruction", "source_dataset": "udhr",
                          "generation": {"model": "SmolLM2-135M-Instruct"}, "postfilter": {"echo": 0.1}}
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        shards += 1
    (run.work / "input" / "_SPLIT_DONE").write_text(str(shards))
    return run


def _ours(run: RunDir, target: Path) -> int:
    return write_dataset_folder(run, HubDatasetConfig(), target)["rows"]


def _baseline(run: RunDir, target: Path) -> int:
    from datasets import Dataset, disable_progress_bars

    disable_progress_bars()

    fractions = SplitFractions()
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in run.kept_records():
        if missing_pair_reason(record) is None:
            split = fractions.of(record["id"])
            groups[record["language"], split].append(to_row(record, "bench", split))
    for (lang, split), rows in groups.items():
        (target / lang).mkdir(parents=True, exist_ok=True)
        Dataset.from_list(rows, features=FEATURES).to_parquet(str(target / lang / f"{split}.parquet"))
    return sum(len(rows) for rows in groups.values())


def _peak_mb(fn, run: RunDir, folder: Path) -> float:
    tracemalloc.start()
    fn(run, folder)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def _fresh(fn, run: RunDir, folder: Path):
    """fn writing into an empty folder each call (the writers refuse or mix with an old one)."""
    def call():
        shutil.rmtree(folder, ignore_errors=True)
        return fn(run, folder)
    return call


def run(full: bool = False, repeat: int = 5) -> list[dict]:
    import pyarrow

    rows = 200_000 if full else 20_000
    threads = pyarrow.cpu_count(), pyarrow.io_thread_count()
    # one thread each: with Arrow's thread pools (and 2 s a side) the ratio moved 1.85 -> 2.08 between two
    # runs; the CPU seconds of threads that wait for each other vary with the machine's load
    pyarrow.set_cpu_count(1)
    pyarrow.set_io_thread_count(1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            fake = _fake_run(tmp_path / "run", rows)
            ours_rows, base_rows = _ours(fake, tmp_path / "ours"), _baseline(fake, tmp_path / "base")
            if ours_rows != base_rows:
                raise RuntimeError(f"the two writers disagree: {ours_rows} vs {base_rows} rows")
            row = throughput_row(f"export: {rows} pairs to Parquet configs", ours_rows,
                                 _fresh(_ours, fake, tmp_path / "ours"), _fresh(_baseline, fake, tmp_path / "base"),
                                 repeat, "rows/CPU s", "baseline: all rows in memory, one Dataset.to_parquet per "
                                 "config; Arrow on one thread", clock=time.process_time, min_seconds=EXPORT_SECONDS)
            ours_mb = _peak_mb(_ours, fake, tmp_path / "ours2")
            base_mb = _peak_mb(_baseline, fake, tmp_path / "base2")
    finally:
        pyarrow.set_cpu_count(threads[0])
        pyarrow.set_io_thread_count(threads[1])
    return [{**row, "note": f"{row['note']}; peak Python heap {ours_mb:.0f} MiB (streaming) vs {base_mb:.0f} MiB "
                            "(all rows in memory)"}]
