"""Readers stream records from JSONL (plain, .gz, .zst), Parquet, text folders and HF datasets.

They never load a corpus into memory and never drop a record silently: a line that cannot be
parsed comes out as an ``Errored`` item, a record without usable text as a ``Rejected`` one,
each with the position it came from.
"""
from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from muri_gen.record import Errored, Rejected, generated_id
from muri_gen.recipe import InputConfig


class InputError(ValueError):
    """The input as a whole is unusable (missing path, unknown format): stop before any work."""


@dataclass
class ReadItem:
    record: dict  # always has "id"; "text" only when outcome is None
    outcome: Rejected | Errored | None = None


def detect_format(path: Path) -> str:
    if path.is_dir():
        if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
            return "hf_disk"
        if any(path.glob("*.jsonl*")):
            return "jsonl"
        if any(path.rglob("*.parquet")):  # a Hub dataset folder keeps them in data/<config>/
            return "parquet"
        return "text_folder"
    name = path.name.lower()
    if name.endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst", ".ndjson")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    raise InputError(f"{path}: cannot tell the format from the name; set input.format in the recipe")


def read_records(config: InputConfig) -> Iterator[ReadItem]:
    """Every input record once, in a stable order (so shards are the same on every re-run)."""
    if config.format == "hf_hub":
        items = _read_hf_hub(config)
    else:
        path = Path(config.path).expanduser()
        if not path.exists():
            raise InputError(f"input path does not exist: {path}")
        fmt = detect_format(path) if config.format == "auto" else config.format
        reader = {"jsonl": _read_jsonl, "parquet": _read_parquet, "text_folder": _read_text_folder,
                  "hf_disk": _read_hf_disk}[fmt]
        items = reader(path, config)
    for count, item in enumerate(items, start=1):
        yield item
        if config.limit is not None and count >= config.limit:
            return


def _files(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes))
    if not files:
        raise InputError(f"{path}: no {'/'.join(suffixes)} files in this folder")
    return files


def _open_binary(path: Path):
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    return open(path, "rb")


def _from_mapping(row, position: str, config: InputConfig) -> ReadItem:
    """Turn one parsed row into a record, or a rejection that says what was wrong with it."""
    if not isinstance(row, dict):
        return ReadItem({"id": position}, Rejected("not_an_object", {"type": type(row).__name__}))
    raw_id = row.get(config.id_field) if config.id_field else None
    text = row.get(config.text_field)
    if raw_id is not None and not isinstance(raw_id, (str, int)):
        raw_id = None
    if text is None:
        return ReadItem({"id": str(raw_id or position)}, Rejected("missing_text", {"field": config.text_field}))
    if not isinstance(text, str):
        return ReadItem({"id": str(raw_id or position)}, Rejected("text_not_a_string", {"type": type(text).__name__}))
    if not text.strip():
        return ReadItem({"id": str(raw_id or position)}, Rejected("empty_text"))
    record = {
        "id": str(raw_id) if raw_id is not None else generated_id(position, text),
        "text": text,
        "source_id": str(raw_id) if raw_id is not None else position,
    }
    declared = row.get(config.language_field) if config.language_field else None
    record["declared_language"] = declared if isinstance(declared, str) else None
    for field, column in config.fields.items():
        record[field] = row.get(column)
    return ReadItem(record)


def _read_jsonl(path: Path, config: InputConfig) -> Iterator[ReadItem]:
    for file in _files(path, (".jsonl", ".json", ".ndjson", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst")):
        with _open_binary(file) as raw:
            for number, line in enumerate(io.BufferedReader(raw), start=1):
                position = f"{file.name}:{number}"
                if len(line) > config.max_record_bytes:
                    yield ReadItem({"id": position}, Errored(f"line is {len(line)} bytes, over input.max_record_bytes"))
                    continue
                if not line.strip():
                    continue  # blank separator lines are not records
                try:
                    row = json.loads(line.decode("utf-8").lstrip("\ufeff"))
                except UnicodeDecodeError as exc:
                    yield ReadItem({"id": position}, Errored(f"invalid UTF-8 at byte {exc.start} of line {number}"))
                    continue
                except json.JSONDecodeError as exc:
                    yield ReadItem({"id": position}, Errored(f"invalid JSON on line {number}: {exc.msg}"))
                    continue
                except RecursionError:
                    yield ReadItem({"id": position}, Errored(f"JSON on line {number} is nested too deeply"))
                    continue
                yield _from_mapping(row, position, config)


def _read_parquet(path: Path, config: InputConfig) -> Iterator[ReadItem]:
    import pyarrow.parquet as pq

    for file in _files(path, (".parquet",)):
        number = 0
        for batch in pq.ParquetFile(file).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                number += 1
                yield _from_mapping(row, f"{file.name}:{number}", config)


def _read_text_folder(path: Path, config: InputConfig) -> Iterator[ReadItem]:
    if not path.is_dir():
        raise InputError(f"{path}: format text_folder needs a folder of .txt files")
    for file in _files(path, (".txt",)):
        position = str(file.relative_to(path))
        size = file.stat().st_size
        if size > config.max_record_bytes:
            yield ReadItem({"id": position}, Errored(f"file is {size} bytes, over input.max_record_bytes"))
            continue
        try:
            text = file.read_bytes().decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            yield ReadItem({"id": position}, Errored(f"invalid UTF-8 at byte {exc.start}"))
            continue
        yield _from_mapping({"id": position, "text": text}, position, config.model_copy(
            update={"id_field": "id", "text_field": "text"}))


def _read_hf_disk(path: Path, config: InputConfig) -> Iterator[ReadItem]:
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        if config.split not in loaded:
            raise InputError(f"{path}: no split {config.split!r}; it has {list(loaded)}")
        loaded = loaded[config.split]
    for number, row in enumerate(loaded, start=1):
        yield _from_mapping(row, f"{config.split}:{number}", config)


def _read_hf_hub(config: InputConfig) -> Iterator[ReadItem]:
    """A Hub dataset, streamed (never downloaded whole). Needs network; not reachable in CI."""
    import datasets

    stream = datasets.load_dataset(config.path, config.hf_config, split=config.split, streaming=True)
    for number, row in enumerate(stream, start=1):
        yield _from_mapping(row, f"{config.split}:{number}", config)
