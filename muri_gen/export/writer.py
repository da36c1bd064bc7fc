"""The one dataset writer: rows into ``data/<language>/<split>-NNNNN.parquet``, in a folder built beside
its target and swapped in whole, so a re-run never leaves a half-written dataset.

Used by the hub_dataset sink (OUT/dataset/) and by mitigated versions (OUT/dataset-mitigated-*/).
"""
from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from muri_gen.export.schema import FEATURES, SPLITS


@contextmanager
def built_beside(target: Path) -> Iterator[Path]:
    """An empty folder beside ``target`` to build in; it replaces ``target`` when the block succeeds."""
    building = target.parent / f".{target.name}.building"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    yield building
    old = target.parent / f".{target.name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)


class PartWriter:
    """Rows of one (language, split) into numbered Parquet files of at most max_rows each."""

    # a row group is written when either is reached: big enough to scan well, small enough that
    # hundreds of open (language, split) writers stay within memory
    ROW_GROUP_ROWS = 2048
    ROW_GROUP_CHARS = 8_000_000

    def __init__(self, folder: Path, split: str, max_rows: int, schema: pa.Schema):
        self.folder, self.split, self.max_rows, self.schema = folder, split, max_rows, schema
        self.buffer: list[dict] = []
        self.buffered_chars = 0
        self.files: list[Path] = []
        self.rows_in_file = 0
        self.writer: pq.ParquetWriter | None = None

    def add(self, row: dict) -> None:
        self.buffer.append(row)
        self.buffered_chars += len(row["input"]) + len(row["output"]) + len(row["document_en"] or "")
        if (len(self.buffer) >= self.ROW_GROUP_ROWS or self.buffered_chars >= self.ROW_GROUP_CHARS
                or self.rows_in_file + len(self.buffer) >= self.max_rows):
            self._flush()

    def _flush(self) -> None:
        self.buffered_chars = 0
        while self.buffer:
            if self.writer is None:
                path = self.folder / f"{self.split}-{len(self.files):05d}.parquet"
                self.folder.mkdir(parents=True, exist_ok=True)
                self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
                self.files.append(path)
            room = self.max_rows - self.rows_in_file
            chunk, self.buffer = self.buffer[:room], self.buffer[room:]
            self.writer.write_table(pa.Table.from_pylist(chunk, schema=self.schema))
            self.rows_in_file += len(chunk)
            if self.rows_in_file >= self.max_rows:
                self.writer.close()
                self.writer, self.rows_in_file = None, 0

    def close(self) -> None:
        self._flush()
        if self.writer is not None:
            self.writer.close()


class DatasetWriter:
    """Exported rows (``export.schema.to_row``) into one language config per ISO 639-3 code under
    ``root``/data, one PartWriter per (language, split): rows stream, memory stays flat."""

    def __init__(self, root: Path, max_rows_per_file: int, features: Features = FEATURES):
        self.root, self.max_rows, self.schema = root, max_rows_per_file, features.arrow_schema
        self.parts: dict[tuple[str, str], PartWriter] = {}
        self.counts: dict[str, Counter] = defaultdict(Counter)

    def add(self, row: dict) -> None:
        key = (row["language"], row["split"])
        if key not in self.parts:
            self.parts[key] = PartWriter(self.root / "data" / key[0], key[1], self.max_rows, self.schema)
        self.parts[key].add(row)
        self.counts[key[0]][key[1]] += 1

    def close(self) -> None:
        for part in self.parts.values():
            part.close()

    @property
    def rows(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    def splits(self, language: str) -> dict[str, int]:
        return {s: self.counts[language][s] for s in SPLITS if self.counts[language][s]}

    def files(self, language: str) -> dict[str, list[Path]]:
        return {s: self.parts[language, s].files for s in self.splits(language)}

    def sizes(self, language: str) -> dict[str, dict]:
        return {s: parquet_sizes(files) for s, files in self.files(language).items()}

    def configs(self) -> dict[str, dict]:
        """What the card's metadata is made from: {code: {"splits": {split: rows}, "bytes": {split: sizes}}}."""
        return {lang: {"splits": self.splits(lang), "bytes": self.sizes(lang)} for lang in sorted(self.counts)}


def parquet_sizes(files: list[Path]) -> dict:
    """Uncompressed (what `num_bytes` means to datasets) and on-disk sizes of a split's files."""
    metadata = [pq.ParquetFile(path).metadata for path in files]
    return {"num_bytes": sum(m.row_group(i).total_byte_size for m in metadata for i in range(m.num_row_groups)),
            "file_bytes": sum(path.stat().st_size for path in files)}
