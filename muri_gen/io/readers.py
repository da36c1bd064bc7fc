"""Readers stream records from JSONL (plain, .gz, .zst), Parquet, text folders and HF datasets.

``input.path`` is a local path, a Hub dataset id (format hf_hub) or an fsspec URL (``s3://``,
``gs://``, ``hf://datasets/...``, ``https://``, ``memory://``) to a file or folder, read like a
local one. A URL's credentials come from the environment, read by the filesystem library itself
(AWS_*, GOOGLE_APPLICATION_CREDENTIALS, HF_TOKEN): the recipe, and so the run folder, never holds them.

They never load a corpus into memory and never drop a record silently: a line that cannot be
parsed comes out as an ``Errored`` item, a record without usable text as a ``Rejected`` one,
each with the position it came from.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import zstandard

from muri_gen.io.encoding import encoding_hint, guess_encoding
from muri_gen.io.memory import MemoryInput
from muri_gen.record import Errored, Rejected, generated_id
from muri_gen.recipe import InputConfig


class InputError(ValueError):
    """The input as a whole is unusable (missing path, unknown format): stop before any work."""


@dataclass
class ReadItem:
    record: dict  # always has "id"; "text" only when outcome is None
    outcome: Rejected | Errored | None = None


@dataclass(frozen=True)
class InputFile:
    """One file the input reads: ``name`` (its path under the input folder) prefixes its records' positions."""

    path: Path | str  # a str is a URL
    name: str
    format: str  # jsonl, parquet, text_folder (one document per .txt file) or hf_disk (part of a saved dataset)


_COMPRESSED = ("", ".gz", ".zst")
SUFFIXES = {
    "jsonl": tuple(base + c for base in (".jsonl", ".json", ".ndjson") for c in _COMPRESSED),
    "parquet": (".parquet",),
    "text_folder": (".txt",),
}
READABLE = "JSON Lines (.jsonl, .json, .ndjson, optionally .gz or .zst), Parquet (.parquet) and text (.txt)"


def _is_documentation(name: str) -> bool:
    """Files that sit beside data in a dataset folder and are not records (hidden files, README, LICENSE)."""
    return name.startswith(".") or name.lower().endswith(".md") or name.upper().startswith(("README", "LICENSE"))


def format_of_name(name: str) -> str | None:
    lower = name.lower()
    return next((fmt for fmt, suffixes in SUFFIXES.items() if lower.endswith(suffixes)), None)


def detect_format(path: Path) -> str:
    """A single file's format from its name; a folder is a saved HF dataset or a folder of such files."""
    if path.is_dir():
        if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
            return "hf_disk"
        return "folder"
    return _file_format(path)


def _file_format(path: Path | str) -> str:
    fmt = format_of_name(_name(path))
    if fmt is None:
        raise InputError(f"{path}: cannot tell the format from its name; muri-gen reads {READABLE} files, "
                         "folders of them and saved Hugging Face datasets (input.format: auto, jsonl, parquet, "
                         "text_folder, hf_disk or hf_hub)")
    return fmt


def _name(path: Path | str) -> str:
    return path.name if isinstance(path, Path) else path.rstrip("/").rsplit("/", 1)[-1]


def input_files(config: InputConfig) -> list[InputFile]:
    """Every file the input reads, in a stable order: a folder is read whole, every format, recursively.

    A folder holding a file muri-gen cannot read is refused (it would be skipped silently otherwise).
    """
    if config.is_url:
        return _url_files(config)
    path = Path(config.path).expanduser()
    if not path.exists():
        raise InputError(f"input path does not exist: {path}")
    fmt = detect_format(path) if config.format == "auto" else config.format
    if fmt == "hf_disk":
        return [InputFile(p, str(p.relative_to(path)), "hf_disk") for p in sorted(path.rglob("*")) if p.is_file()]
    if path.is_file():
        return [InputFile(path, path.name, fmt)]
    return _folder_files(path, fmt, [(p, str(p.relative_to(path))) for p in path.rglob("*") if p.is_file()])


def _url_files(config: InputConfig) -> list[InputFile]:
    """A URL's file, or every file under a URL prefix (a folder), by the same rules as a local folder."""
    import fsspec.core

    try:
        fs, root = fsspec.core.url_to_fs(config.path)
        found, is_file = fs.exists(root), fs.isfile(root)
    except ImportError as exc:  # s3fs, gcsfs... are the user's to install
        raise InputError(f"{config.path}: {exc}") from None
    except OSError as exc:  # unreachable, or access refused
        raise InputError(f"{config.path}: cannot read it: {_cause(exc)}") from None
    if not found:
        raise InputError(f"input URL does not exist: {config.path}")
    if config.format == "hf_disk":
        raise InputError(f"{config.path}: a saved Hugging Face dataset (hf_disk) is read from a local folder only")
    if is_file:
        return [InputFile(config.path, _name(config.path), _file_format(config.path)
                          if config.format == "auto" else config.format)]
    prefix = root.rstrip("/") + "/"
    return _folder_files(config.path, "folder" if config.format == "auto" else config.format,
                         [(fs.unstrip_protocol(p), p.removeprefix(prefix)) for p in fs.find(root) if p.startswith(prefix)])


def _folder_files(folder: Path | str, fmt: str, found: list[tuple[Path | str, str]]) -> list[InputFile]:
    """The (path, name under the folder) pairs ``found`` as InputFiles in name order (folder by folder, as
    local paths sort); refused if any is not of ``fmt``."""
    files, unreadable = [], []
    for path, name in sorted(found, key=lambda pair: pair[1].split("/")):
        if _is_documentation(_name(path)):
            continue
        fmt_found = format_of_name(name)
        if fmt_found is None or fmt not in ("folder", fmt_found):
            unreadable.append(name)
        else:
            files.append(InputFile(path, name, fmt_found))
    if unreadable:
        what = f"files that are not {fmt}" if fmt != "folder" else f"files it cannot read (it reads {READABLE})"
        raise InputError(f"{folder}: the folder holds {len(unreadable)} {what}: {', '.join(unreadable[:5])}"
                         f"{' ...' if len(unreadable) > 5 else ''}; move them out or name the files to read")
    if not files:
        raise InputError(f"{folder}: no input files in this folder (it reads {READABLE})")
    return files


def require_input(config: InputConfig) -> None:
    if config.path is None:
        raise InputError("no input: set input.path in the recipe, or give --input (Recipe.run(input=...))")


def read_records(config: InputConfig, memory: MemoryInput | None = None) -> Iterator[ReadItem]:
    """Every input record once, in a stable order (so shards are the same on every re-run).

    ``memory``: the input's rows when the Python API holds them (input.format: memory), read like a file's lines."""
    require_input(config)
    if memory is not None:
        items = (_from_mapping(row, f"row:{number}", config) for number, row in enumerate(memory.rows(), start=1))
    elif config.format == "memory":
        raise InputError(f"{config.path} was held in memory by the Python API, which must hand it over again "
                         "(Recipe.run(input=...)) unless the run's input is already split into shards")
    elif config.format == "hf_hub":
        items = _named_errors(config.path, _read_hf_hub(config))
    else:
        items = _read_files(config)
    for count, item in enumerate(items, start=1):
        yield item
        if config.limit is not None and count >= config.limit:
            return


def _read_files(config: InputConfig) -> Iterator[ReadItem]:
    files = input_files(config)
    if files and files[0].format == "hf_disk":
        yield from _named_errors(config.path, _read_hf_disk(Path(config.path).expanduser(), config))
        return
    for file in files:
        yield from _named_errors(file.path, _READERS[file.format](file, config))


def _named_errors(source, items: Iterator[ReadItem]) -> Iterator[ReadItem]:
    """``items``, but a corrupt, truncated or unreachable source stops the run naming it and the cause."""
    try:
        yield from items
    except InputError:
        raise
    except (OSError, EOFError, ValueError, zstandard.ZstdError) as exc:
        raise InputError(f"{source}: cannot read it: {_cause(exc)}") from None


def _cause(exc: Exception) -> str:
    if isinstance(exc, EOFError):
        return f"it ends early, truncated? ({exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{exc}" or type(exc).__name__


@contextlib.contextmanager
def _open_binary(path: Path | str) -> Iterator:
    """A local file's or a URL's (str) bytes, streamed, decompressed by the name's suffix."""
    if isinstance(path, str):
        import fsspec

        opened = fsspec.open(path, "rb")
    else:
        opened = open(path, "rb")
    with opened as raw:
        name = _name(path).lower()
        if name.endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
                yield unpacked
        elif name.endswith(".zst"):
            with _ZstdFile(raw) as unpacked:
                yield unpacked
        else:
            yield raw


class _ZstdFile(io.RawIOBase):
    """A .zst file's decompressed bytes, frame after frame. Unlike zstandard's stream_reader, a file cut
    short raises EOFError (as gzip does) instead of ending quietly, records lost. ``raw`` stays open."""

    def __init__(self, raw):
        self._file = raw
        self._frame = zstandard.ZstdDecompressor().decompressobj()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = self._file.read(8192)  # small: what one chunk decompresses to stays bounded
            if not chunk:
                if not self._frame.eof:
                    raise EOFError("the zstd stream ends inside a frame")
                return 0
            while chunk:
                if self._frame.eof:  # the next frame of a multi-frame file
                    self._frame = zstandard.ZstdDecompressor().decompressobj()
                self._pending += self._frame.decompress(chunk)
                chunk = self._frame.unused_data if self._frame.eof else b""
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size


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


def _lines(raw, limit: int) -> Iterator[tuple[int, bytes | int]]:
    """(number, line) for each line; (number, size) instead for a line over ``limit`` bytes, never held whole."""
    number = 0
    while True:
        line = raw.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) <= limit:
            yield number, line
            continue
        size = len(line)
        while line and not line.endswith(b"\n"):  # skip the rest of the oversized line in bounded pieces
            line = raw.readline(1 << 20)
            size += len(line)
        yield number, size


def _read_jsonl(file: InputFile, config: InputConfig) -> Iterator[ReadItem]:
    with _open_binary(file.path) as raw:
        reader = io.BufferedReader(raw)
        head = reader.peek(4096)[:4096]
        if guess_encoding(head):
            raise InputError(f"{file.path}: not UTF-8{encoding_hint(head)}")
        if file.name.lower().endswith((".json", ".json.gz", ".json.zst")) and _is_one_document(head):
            document = reader.read(config.max_record_bytes + 1)
            if len(document) > config.max_record_bytes:
                yield ReadItem({"id": f"{file.name}:1"}, Errored(
                    "a JSON document over input.max_record_bytes; write it as JSON Lines (one record a line)"))
                return
            try:
                rows = json.loads(document.decode("utf-8").lstrip("\ufeff"))
            except (ValueError, RecursionError):
                rows = None  # not one document after all: JSON Lines whose first line is broken
            if rows is not None:
                for number, row in enumerate(rows if isinstance(rows, list) else [rows], start=1):
                    yield _from_mapping(row, f"{file.name}:{number}", config)
                return
    with _open_binary(file.path) as raw:
        for number, line in _lines(io.BufferedReader(raw), config.max_record_bytes):
            position = f"{file.name}:{number}"
            if isinstance(line, int):
                yield ReadItem({"id": position}, Errored(f"line is {line} bytes, over input.max_record_bytes"))
                continue
            if not line.strip():
                continue  # blank separator lines are not records
            yield _parse_line(line, number, position, config)


def _parse_line(line: bytes, number: int, position: str, config: InputConfig) -> ReadItem:
    try:
        row = json.loads(line.decode("utf-8").lstrip("\ufeff"))
    except UnicodeDecodeError as exc:
        return ReadItem({"id": position}, Errored(f"invalid UTF-8 at byte {exc.start} of line {number}"))
    except json.JSONDecodeError as exc:
        return ReadItem({"id": position}, Errored(f"invalid JSON on line {number} at column {exc.colno}: {exc.msg}"))
    except RecursionError:
        return ReadItem({"id": position}, Errored(f"JSON on line {number} is nested too deeply"))
    return _from_mapping(row, position, config)


def _is_one_document(head: bytes) -> bool:
    """A .json file holding one pretty-printed document (an array of records, or one record), not JSON Lines."""
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].strip()
    if first.startswith(b"["):
        return True
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return first.startswith(b"{")
    return False


def _read_parquet(file: InputFile, config: InputConfig) -> Iterator[ReadItem]:
    import pyarrow.parquet as pq

    number = 0
    with _open_binary(file.path) as raw:
        for batch in pq.ParquetFile(raw).iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                number += 1
                yield _from_mapping(row, f"{file.name}:{number}", config)


def _read_text_file(file: InputFile, config: InputConfig) -> Iterator[ReadItem]:
    """One document per .txt file; its id is its path under the input folder."""
    position = file.name
    with _open_binary(file.path) as fh:
        raw = fh.read(config.max_record_bytes + 1)
    if len(raw) > config.max_record_bytes:
        yield ReadItem({"id": position}, Errored(f"file is over {config.max_record_bytes} bytes "
                                                 "(input.max_record_bytes)"))
        return
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        yield ReadItem({"id": position}, Errored(f"invalid UTF-8 at byte {exc.start}{encoding_hint(raw[:4096])}"))
        return
    yield _from_mapping({"id": position, "text": text}, position, config.model_copy(
        update={"id_field": "id", "text_field": "text"}))


_READERS = {"jsonl": _read_jsonl, "parquet": _read_parquet, "text_folder": _read_text_file}


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

    stream = datasets.load_dataset(config.path, config.hf_config, split=config.split, revision=config.revision,
                                  streaming=True)
    for number, row in enumerate(stream, start=1):
        yield _from_mapping(row, f"{config.split}:{number}", config)
