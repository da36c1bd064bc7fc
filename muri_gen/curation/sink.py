"""The ``pair_scores`` sink: OUT/scores.jsonl, one line per input row, in input order.

    {"id": ..., "keep": true, "score": 0.81, "signals": {...}, "reasons": []}

A row the curate stage scored carries its score, signals and reasons; a row that another stage
rejected or that errored says so in ``reasons`` (``read:empty_text``, ``error: ...``). The input is
read again (through the run context) shard by shard, each shard as many consecutive input rows as
the runner's split put in it, so memory stays at one shard's outcomes whatever the dataset's size.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict, deque
from collections.abc import Iterable
from itertools import islice

from muri_gen.io.readers import ReadItem
from muri_gen.runner.layout import RunDir, jsonl_bytes, read_jsonl
from muri_gen.sinks import Sink

SCORES_FILE = "scores.jsonl"


def score_line(record_id: str, outcome: dict) -> dict:
    curation = outcome.get("curation") if isinstance(outcome.get("curation"), dict) else None
    if curation is None and isinstance(outcome.get("detail"), dict):
        curation = outcome["detail"].get("curation")
    line = {"id": record_id, "keep": False, "score": None, "signals": None, "reasons": []}
    if curation:
        line.update(score=curation.get("score"), signals=curation.get("signals"), reasons=list(curation.get("reasons") or []))
    if "error" in outcome:
        line["reasons"] = [f"error: {outcome['stage']}: {outcome['error']}"]
    elif "reason" in outcome:
        line["reasons"] = line["reasons"] or [f"{outcome['stage']}:{outcome['reason']}"]
    else:
        line["keep"] = bool(curation["keep"]) if curation else True
    return line


def shard_outcomes(run: RunDir, shard: int, segments: int) -> dict[str, deque]:
    """Every outcome of one shard by record id (a FIFO: an input may repeat an id)."""
    by_id: dict[str, deque] = defaultdict(deque)
    rows = []
    for segment in range(segments + 1):
        for kind in ("rejected", "errored"):
            path = run.outcome_path(kind, segment, shard)
            if path.exists():
                rows.extend(read_jsonl(path))
    kept = run.shard_path(segments, shard)
    if kept.exists():
        rows.extend(read_jsonl(kept))
    for row in rows:
        by_id[str(row["id"])].append(row)
    return by_id


def write_scores(run: RunDir, input_items: Iterable[ReadItem]) -> int:
    """OUT/scores.jsonl from a finished run and its input read again, written shard by shard; returns its
    line count (= input rows)."""
    segments = run.last_segment()
    items = iter(input_items)
    target = run.root / SCORES_FILE
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    written = 0
    try:
        with open(tmp, "wb") as fh:
            for shard in range(run.shard_count()):
                outcomes = shard_outcomes(run, shard, segments)
                lines = []
                shard_rows = json.loads(run.shard_stats(0, shard).read_text())["input"]
                for item in islice(items, shard_rows):
                    record_id = str(item.record["id"])
                    queue = outcomes.get(record_id)
                    if not queue:
                        raise RuntimeError(f"input row {record_id!r} has no outcome in {run.root}: "
                                           "the input changed after the run")
                    lines.append(score_line(record_id, queue.popleft()))
                fh.write(jsonl_bytes(lines))
                written += len(lines)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return written


class PairScoresSink(Sink):
    name = "pair_scores"

    def write(self, run: RunDir) -> None:
        write_scores(run, self.context.input_records())
