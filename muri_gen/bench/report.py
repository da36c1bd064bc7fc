"""Report benchmark: report.html (one streaming pass, charts, indicators) against the I/O floor.

The baseline is what any report must at least do: read every kept, rejected and errored row of
the run once. The ratio says how much of the report's time is the reading itself.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from muri_gen.bench.measure import throughput_row
from muri_gen.corpora import declarations, documents
from muri_gen.record import Rejected
from muri_gen.runner import merge_stats
from muri_gen.runner.layout import RunDir, write_atomic
from muri_gen.runner.shards import ShardStats, write_shard

STYLES = ("instruction", "chatbot", "search_query")


def build_run(root: Path, rows: int, shard_size: int = 2000) -> RunDir:
    """A run folder shaped like a MURI run: UDHR documents in six languages, one row in ten rejected."""
    docs = [d for decl in declarations(["spa", "cat", "glg", "epo", "hrv", "por_PT"]) for d in documents(decl)]
    run = RunDir(root)
    run.create()
    for segment in (0, 1):
        run.segment_dir(segment).mkdir(parents=True, exist_ok=True)
    shards = (rows + shard_size - 1) // shard_size
    for shard in range(shards):
        records = []
        for i in range(shard * shard_size, min(rows, (shard + 1) * shard_size)):
            doc = docs[i % len(docs)]
            first = doc["text"].split(".")[0][:200]
            records.append({**doc, "id": f"{doc['id']}-{i}", "script": "Latn", "lid_score": 0.5 + (i % 50) / 100,
                            "text_en": doc["text"], "instruction_en": f"What does this say about {first[:40]}?",
                            "instruction": f"¿Qué dice sobre {first[:60]}? ({i % 97})", "style": STYLES[i % 3],
                            "postfilter": {"instruction_language": doc["language"]}})
        write_shard(run, 0, shard, records, [], [], ShardStats(input=len(records), kept=len(records)))
        kept, rejected, stats = [], [], ShardStats(input=len(records))
        for i, record in enumerate(records):
            if i % 10 == 0:
                rejected.append({"id": record["id"], "stage": "postfilter", "reason": Rejected("echo").reason,
                                 "detail": {}, "language": record["language"], "record": record})
                stats.by_reason["postfilter:echo"] += 1
                stats.by_language[record["language"]]["rejected"] += 1
            else:
                kept.append(record)
                stats.by_language[record["language"]]["kept"] += 1
        stats.kept, stats.rejected = len(kept), len(rejected)
        stats.stage("postfilter").update({"in": len(records), "kept": len(kept), "rejected": len(rejected), "seconds": 1.0})
        write_shard(run, 1, shard, kept, rejected, [], stats)
    write_atomic(run.work / "input" / "_SPLIT_DONE", str(shards).encode())
    write_atomic(run.stats, json.dumps(merge_stats(run, 1, shards, {"segment_1": 1.0})).encode())
    return run


def run(full: bool = False, repeat: int = 5) -> list[dict]:
    from muri_gen.report.html import write_report

    rows = 200_000 if full else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_run(Path(tmp) / "run", rows)
        count = sum(1 for _ in folder.kept_records()) + sum(1 for _ in folder.outcome_records("rejected"))
        row = throughput_row(
            f"report.html from a {rows:,}-row run", count, lambda: write_report(folder),
            lambda: sum(1 for _ in folder.kept_records()) + sum(1 for _ in folder.outcome_records("rejected")),
            repeat, "rows/CPU s", "baseline: reading every row once (the I/O floor)", clock=time.process_time)
        size = (folder.root / "report.html").stat().st_size
    return [{**row, "note": f"{row['note']}; report.html {size / 1e6:.2f} MB, 6 languages"}]
