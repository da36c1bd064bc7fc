"""Deduplication across the whole run: exact (normalised-text hash) and near (MinHash LSH).

A barrier stage: ``fit`` reads every record in shard order, so the first occurrence wins and the
same input always drops the same records. Its working state (one row per kept document: exact
hash, LSH band keys, MinHash signature) lives in an SQLite file in the state folder, not in
memory, so memory stays flat however large the corpus; only the dropped ids (with the id they
duplicate) are kept for ``process``.

It also counts, per kept document, its distinct lines: a line that many documents share is a
header, footer or navigation template of the source (``repeated_line_min_docs``), and
``process`` removes it from every document.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import regex
from datasketch import MinHash
from pydantic import Field, model_validator

from muri_gen.filtering.text import UNSPACED_SCRIPTS, dominant_script
from muri_gen.record import Outcome, Rejected, stable_hash
from muri_gen.stages.base import Stage, StageConfig

log = logging.getLogger("muri_gen")
_TOKENS = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_CHUNK = 2000  # records hashed together (MinHash.bulk shares the permutations)
DUPLICATES_FILE = "duplicates.jsonl"
REPEATED_LINES_FILE = "repeated_lines.json"


class DedupConfig(StageConfig):
    exact: bool = True
    near: bool = True
    threshold: float = Field(default=0.8, gt=0, le=1)  # estimated Jaccard similarity of shingle sets
    num_perm: int = Field(default=64, ge=16, le=512)
    bands: int = Field(default=16, ge=1)  # LSH bands; num_perm must divide into them
    shingle: int = Field(default=5, ge=1)  # tokens per shingle (words; characters in Chinese, Japanese, Thai)
    # a line found in at least this many kept documents is a template line (header, footer, navigation)
    # and is removed from every document; None keeps all lines
    repeated_line_min_docs: int | None = Field(default=50, ge=2)

    @model_validator(mode="after")
    def _bands_divide(self):
        if self.num_perm % self.bands:
            raise ValueError(f"num_perm ({self.num_perm}) must be a multiple of bands ({self.bands})")
        return self


def tokens(text: str, script: str) -> list[str]:
    """Case- and punctuation-insensitive tokens: words, or letters in scripts without spaces."""
    words = _TOKENS.findall(text.casefold())
    return list("".join(words)) if script in UNSPACED_SCRIPTS else words


def exact_key(words: list[str]) -> int:
    return stable_hash(" ".join(words)) >> 1  # SQLite integers are signed 64-bit


def line_key(line: str) -> int:
    return stable_hash(" ".join(line.casefold().split())) >> 1


def shingles(words: list[str], n: int) -> list[bytes]:
    if len(words) <= n:
        return [" ".join(words).encode("utf-8", "surrogatepass")]
    return [" ".join(words[i : i + n]).encode("utf-8", "surrogatepass") for i in range(len(words) - n + 1)]


class DuplicateIndex:
    """First-occurrence-wins duplicate finder over an SQLite file (bounded memory, any corpus size)."""

    def __init__(self, path: Path, config: DedupConfig):
        self.config = config
        self.rows = config.num_perm // config.bands
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16384;"
            "CREATE TABLE exact (key INTEGER PRIMARY KEY, id TEXT);"
            "CREATE TABLE docs (ordinal INTEGER PRIMARY KEY, id TEXT, signature BLOB);"
            "CREATE TABLE bands (key INTEGER, ordinal INTEGER);"
            "CREATE INDEX bands_key ON bands(key);"
            "CREATE TABLE lines (key INTEGER PRIMARY KEY, docs INTEGER);"
        )
        self.ordinal = 0

    def band_keys(self, signature: np.ndarray, language: str) -> list[int]:
        rows = self.rows
        # the language and the band number are part of the key: no collisions across languages or bands
        return [stable_hash(language, str(b), signature[b * rows : (b + 1) * rows].tobytes().hex()) >> 1
                for b in range(self.config.bands)]

    def check_and_add(self, record_id: str, key: int | None, signature: np.ndarray | None,
                      language: str) -> dict | None:
        """None when the record is new (and now indexed), else why it is a duplicate."""
        if key is not None:
            found = self.db.execute("SELECT id FROM exact WHERE key = ?", (key,)).fetchone()
            if found:
                return {"duplicate_of": found[0], "kind": "exact"}
        keys: list[int] = []
        if signature is not None:
            keys = self.band_keys(signature, language)
            marks = ",".join("?" * len(keys))
            candidates = self.db.execute(
                f"SELECT DISTINCT d.ordinal, d.id, d.signature FROM bands b JOIN docs d USING (ordinal) "
                f"WHERE b.key IN ({marks}) ORDER BY d.ordinal", keys).fetchall()
            for _, other_id, blob in candidates:
                similarity = float(np.mean(np.frombuffer(blob, dtype=signature.dtype) == signature))
                if similarity >= self.config.threshold:
                    return {"duplicate_of": other_id, "kind": "near", "similarity": round(similarity, 3)}
        if key is not None:
            self.db.execute("INSERT INTO exact VALUES (?, ?)", (key, record_id))
        if signature is not None:
            self.db.execute("INSERT INTO docs VALUES (?, ?, ?)", (self.ordinal, record_id, signature.tobytes()))
            self.db.executemany("INSERT INTO bands VALUES (?, ?)", [(k, self.ordinal) for k in keys])
        self.ordinal += 1
        return None

    def count_lines(self, text: str) -> None:
        keys = {line_key(line) for line in text.split("\n") if line.strip()}
        self.db.executemany("INSERT INTO lines VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET docs = docs + 1",
                            [(k,) for k in keys])

    def repeated_lines(self, min_docs: int) -> list[int]:
        return [k for (k,) in self.db.execute("SELECT key FROM lines WHERE docs >= ? ORDER BY key", (min_docs,))]

    def close(self) -> None:
        self.db.close()


def chunks(records: Iterable[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


class Deduplicate(Stage):
    name = "dedup"
    reads = ("text",)
    writes = ("text",)  # template lines removed
    Config = DedupConfig
    barrier = True

    def fit(self, records: Iterable[dict], state_dir: Path) -> None:
        config = self.config
        index = DuplicateIndex(state_dir / "index.sqlite", config)
        shared_ids = 0
        with open(state_dir / DUPLICATES_FILE, "w", encoding="utf-8") as out:
            for chunk in chunks(records, _CHUNK):
                words = [tokens(r["text"], r.get("script") or dominant_script(r["text"])[0]) for r in chunk]
                signatures = [None] * len(chunk)
                if config.near:
                    minhashes = MinHash.bulk([shingles(w, config.shingle) for w in words],
                                             num_perm=config.num_perm, hashfunc=zlib.crc32)
                    signatures = [m.hashvalues for m in minhashes]
                for record, record_words, signature in zip(chunk, words, signatures):
                    key = exact_key(record_words) if config.exact else None
                    found = index.check_and_add(record["id"], key, signature, record.get("language") or "und")
                    if found and found["duplicate_of"] == record["id"]:
                        # an input that repeats its own ids: process() tells records apart by id only
                        shared_ids += 1
                    elif found:
                        out.write(json.dumps({"id": record["id"], **found}, ensure_ascii=False) + "\n")
                        continue
                    if config.repeated_line_min_docs:
                        index.count_lines(record["text"])
                index.db.commit()
        repeated = index.repeated_lines(config.repeated_line_min_docs) if config.repeated_line_min_docs else []
        (state_dir / REPEATED_LINES_FILE).write_text(json.dumps(repeated))
        index.close()
        (state_dir / "index.sqlite").unlink()
        if shared_ids:
            log.warning("dedup: %d duplicates share their record id with the original and were kept; "
                        "give records unique ids (input.id_field) to drop them", shared_ids)

    def setup(self) -> None:
        state = self.context.run_dir.state_dir(self.id)
        self.duplicates: dict[str, dict] = {}
        with open(state / DUPLICATES_FILE, encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                self.duplicates[row.pop("id")] = row
        self.repeated = set(json.loads((state / REPEATED_LINES_FILE).read_text()))

    def process(self, records: list[dict]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for record in records:
            if record["id"] in self.duplicates:
                outcomes.append(Rejected("duplicate", self.duplicates[record["id"]]))
                continue
            if self.repeated:
                lines = record["text"].split("\n")
                kept = [line for line in lines if not line.strip() or line_key(line) not in self.repeated]
                if len(kept) < len(lines):
                    record["text"] = "\n".join(kept).strip()
                    if not record["text"]:
                        outcomes.append(Rejected("only_repeated_lines", {"lines": len(lines)}))
                        continue
            outcomes.append(record)
        return outcomes
