"""The ``filtered_records`` sink: what a filter-only run kept, and why the rest was dropped.

Writes ``OUT/filtered/records.parquet`` (or .jsonl): id, language (ISO 639-3, or ``spa_Latn``
with ``language_with_script``), script, lid_score, lid_label, the quality, screen and PII
statistics as columns, and optionally the text; and ``OUT/filtered/funnel.json``: rejections
by stage, reason and language, so users can tune thresholds before paying for generation.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq

from pydantic import Field

from muri_gen.runner.layout import RunDir, jsonl_bytes, write_atomic
from muri_gen.sinks import Sink, SinkConfig

_STAT_COLUMNS = ("quality", "screen", "pii")


class FilteredRecordsConfig(SinkConfig):
    format: Literal["parquet", "jsonl"] = Field(default="parquet", description="of OUT/filtered/records")
    include_text: bool = Field(default=True, description="False: statistics only, without the documents' text")
    language_with_script: bool = Field(default=False, description="\"spa_Latn\" instead of \"spa\"")


def flat_row(record: dict, config: FilteredRecordsConfig) -> dict:
    language = record.get("language") or "und"
    row = {
        "id": record["id"],
        "language": f"{language}_{record.get('script', 'Zyyy')}" if config.language_with_script else language,
        "script": record.get("script"),
        "lid_score": record.get("lid_score"),
        "lid_label": record.get("lid_label"),
    }
    for column in _STAT_COLUMNS:
        for key, value in (record.get(column) or {}).items():
            row[f"{column}_{key}"] = value if not isinstance(value, (dict, list)) else json.dumps(value)
    if config.include_text:
        row["text"] = record["text"]
    return row


class FilteredRecordsSink(Sink):
    name = "filtered_records"
    Config = FilteredRecordsConfig

    def write(self, run: RunDir) -> None:
        folder = run.root / "filtered"
        folder.mkdir(exist_ok=True)
        rows = [flat_row(record, self.config) for record in run.kept_records()]
        if self.config.format == "parquet":
            # rows differ in their statistics (PII kinds found...): a missing key is a null
            columns = list(dict.fromkeys(key for row in rows for key in row)) or ["id"]
            table = pa.table({c: [row.get(c) for row in rows] for c in columns})
            tmp = folder / ".records.parquet.tmp"
            pq.write_table(table, tmp)
            tmp.replace(folder / "records.parquet")
        else:
            write_atomic(folder / "records.jsonl", jsonl_bytes(rows))
        funnel: dict[str, dict] = defaultdict(lambda: defaultdict(Counter))
        for row in run.outcome_records("rejected"):
            funnel[row["stage"]][row["reason"]][row.get("language") or "und"] += 1
        kept = Counter(row["language"] for row in rows)
        report = {
            "kept_by_language": dict(sorted(kept.items())),
            "rejected": {stage: {reason: dict(sorted(langs.items())) for reason, langs in reasons.items()}
                         for stage, reasons in funnel.items()},
        }
        write_atomic(folder / "funnel.json", json.dumps(report, indent=2, ensure_ascii=False).encode())
