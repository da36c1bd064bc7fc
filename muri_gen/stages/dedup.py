"""Deduplication across the whole run: exact (normalised-text hash) and near (MinHash LSH).

A sketched barrier stage: the costly part of the fit (words, exact hashes, MinHash signatures, line
hashes) is a ``sketch`` of each shard, made by the workers of the segment before as they write the
shard, in parallel; ``fit_sketches`` then reads the sketches in shard order, so the first occurrence
wins and the same input always drops the same records, whichever worker sketched which shard. The
fit (``dedup_fit``) keeps its working state in arrays on disk, not in memory, so memory stays flat
however large the corpus, and runs its costly pass one LSH band per task, in parallel processes on a
large corpus; only the dropped ids (with the id they duplicate) are kept for ``process``.

It also counts, per kept document, its distinct lines: a line that many documents share is a
header, footer or navigation template of the source (``repeated_line_min_docs``), and
``process`` removes it from every document.
"""
from __future__ import annotations

import io
import json
import logging
import shutil
from itertools import chain
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator

from muri_gen.text import UNSPACED_SCRIPTS, dominant_script, word_runs
from muri_gen.record import Outcome, Rejected, stable_hash
from muri_gen.runner.layout import write_atomic
from muri_gen.stages import dedup_fit
from muri_gen.stages.base import Stage, StageConfig

log = logging.getLogger("muri_gen")
DUPLICATES_FILE = "duplicates.jsonl"
REPEATED_LINES_FILE = "repeated_lines.json"


class DedupConfig(StageConfig):
    exact: bool = Field(default=True,
                        description="drop a document whose words (case and punctuation ignored) repeat an earlier one")
    near: bool = Field(default=True,
                       description="drop a near-duplicate of an earlier document (MinHash LSH at threshold)")
    threshold: float = Field(default=0.8, gt=0, le=1, description="estimated Jaccard similarity of shingle sets")
    num_perm: int = Field(default=64, ge=16, le=512,
                          description="MinHash permutations: more estimate the similarity more exactly, at more CPU "
                                      "and state per document")
    bands: int = Field(default=16, ge=1, description="LSH bands; num_perm must be a multiple of bands")
    shingle: int = Field(default=5, ge=1,
                         description="tokens per shingle (words; characters in Chinese, Japanese, Thai)")
    fit_processes: int | None = Field(default=None, ge=1,
                                      description="processes the fit's per-band pass runs in; None: one per core "
                                                  "from 200,000 records on, else this process")
    repeated_line_min_docs: int | None = Field(default=50, ge=2,
                                               description="a line found in at least this many kept documents is a "
                                                           "template line (header, footer, navigation) and is removed "
                                                           "from every document; None keeps all lines")

    @model_validator(mode="after")
    def _bands_divide(self):
        if self.num_perm % self.bands:
            raise ValueError(f"num_perm ({self.num_perm}) must be a multiple of bands ({self.bands})")
        return self


def tokens(text: str, script: str) -> list[str]:
    """Case- and punctuation-insensitive tokens: words, or letters in scripts without spaces."""
    words = word_runs(text.casefold())
    return list("".join(words)) if script in UNSPACED_SCRIPTS else words


def exact_key(words: list[str]) -> int:
    return stable_hash(" ".join(words)) >> 1  # non-negative in int64: -1 marks "no key" in the fit


def line_key(line: str) -> int:
    return stable_hash(" ".join(line.casefold().split())) >> 1


_PRIME = 0x100000001B3  # FNV's 64-bit prime: odd, so it has an inverse modulo 2^64
_CHUNK_BYTES = 1 << 18  # text hashed in one numpy pass: ~50 bytes of arrays per byte of text (12 MB)


def shingle_hashes(documents: list[list[str]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit hash of every n-word shingle (its words joined by one space, in UTF-8) of every
    document, without a Python call per shingle: a polynomial hash modulo 2^64 (the sum over its
    bytes of (byte + 1) * PRIME^(bytes after it in the shingle)), read off prefix sums of the whole
    text as a difference, then mixed (``mix64``), its high 32 bits kept. A document of n words or
    fewer is one shingle (an empty one too). Returns every document's hashes in order, and how many
    each has."""
    lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
    counts = np.maximum(lengths - n + 1, 1)
    texts = [" ".join(words).encode("utf-8", "surrogatepass") for words in documents]
    parts, first, size = [], 0, 0
    for i, text in enumerate(texts):
        size += len(text) + 1
        if size >= _CHUNK_BYTES or i == len(texts) - 1:
            parts.append(_chunk_shingle_hashes(texts[first : i + 1], lengths[first : i + 1], counts[first : i + 1], n))
            first, size = i + 1, 0
    return (np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)), counts


def _chunk_shingle_hashes(texts: list[bytes], lengths: np.ndarray, counts: np.ndarray, n: int) -> np.ndarray:
    data = np.frombuffer(b"\n".join(texts), dtype=np.uint8)
    with np.errstate(over="ignore"):  # the arithmetic is modulo 2^64
        powers = np.cumprod(np.full(len(data) + 1, _PRIME, dtype=np.uint64))  # PRIME^(j+1)
        inverse_powers = np.cumprod(np.full(len(data), pow(_PRIME, -1, 1 << 64), dtype=np.uint64))
        prefix = np.concatenate((np.zeros(1, dtype=np.uint64),
                                 np.cumsum((data.astype(np.uint64) + np.uint64(1)) * inverse_powers)))
    # words are split by spaces, documents by newlines (tokens hold neither); an empty document is one
    # empty piece, so document d owns max(len, 1) pieces
    separators = np.flatnonzero((data == 0x20) | (data == 0x0A))
    piece_starts = np.concatenate(([0], separators + 1))
    piece_ends = np.concatenate((separators, [len(data)]))
    pieces = np.maximum(lengths, 1)
    shingle = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)  # index within its document
    first = np.repeat(np.cumsum(pieces) - pieces, counts) + shingle
    last = first + np.repeat(np.minimum(pieces, n), counts) - 1
    start, end = piece_starts[first], piece_ends[last]
    with np.errstate(over="ignore"):
        # the sum over the shingle's bytes j of (byte + 1) * PRIME^(end - 1 - j)
        values = (prefix[end] - prefix[start]) * powers[end - 1]
    return (dedup_fit.mix64(values) >> np.uint64(32)).astype(np.uint32)


class Signatures:
    """MinHash signatures of many documents at once, the same values as datasketch's ``MinHash``
    (2.x's default scheme: the hashes mixed once, then one affine permutation each, in uint32, drawn
    as it draws them from seed 1) with every document's shingles permuted in one numpy pass per
    permutation. datasketch itself is not imported: it pulls in scipy (half a second per process)."""

    def __init__(self, num_perm: int, seed: int = 1):
        draw = np.random.RandomState(seed)
        self.a = draw.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)  # odd: a bijection
        self.b = draw.randint(0, 1 << 32, num_perm, dtype=np.uint32)

    @staticmethod
    def mix(hashes: np.ndarray) -> np.ndarray:
        """MurmurHash3's 32-bit finalizer, as datasketch applies it before permuting."""
        hashes = hashes ^ (hashes >> np.uint32(16))
        hashes = hashes * np.uint32(0x85EBCA6B)
        hashes = hashes ^ (hashes >> np.uint32(13))
        hashes = hashes * np.uint32(0xC2B2AE35)
        return hashes ^ (hashes >> np.uint32(16))

    def of(self, hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """One row per document, one column per permutation, from ``shingle_hashes``' flat hashes and
        counts (every document has at least one)."""
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        mixed = self.mix(hashes.astype(np.uint32))
        signatures = np.empty((len(counts), len(self.a)), dtype=np.uint32)
        with np.errstate(over="ignore"):  # the wrap-around is the modulo 2^32 of the permutation
            for column, (a, b) in enumerate(zip(self.a, self.b)):
                signatures[:, column] = np.minimum.reduceat(mixed * a + b, starts)
        return signatures


class Deduplicate(Stage):
    name = "dedup"
    reads = ("text",)
    writes = ("text",)  # template lines removed
    Config = DedupConfig
    barrier = True
    sketched = True

    def sketch(self, records: list[dict], path: Path) -> None:
        """What the fit needs of one shard, in record order: ids, languages, exact keys, MinHash
        signatures and each document's distinct line keys (flat, with a count per document)."""
        config = self.config
        words = [tokens(r["text"], r.get("script") or dominant_script(r["text"])[0]) for r in records]
        arrays = {"ids": np.array([r["id"] for r in records], dtype=str),
                  "languages": np.array([r.get("language") or "und" for r in records], dtype=str)}
        if config.repeated_line_min_docs:
            lines = [{line_key(line) for line in r["text"].split("\n") if line.strip()} for r in records]
            arrays["line_counts"] = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
            arrays["line_keys"] = np.fromiter(chain.from_iterable(lines), dtype=np.int64)
        if config.exact:
            arrays["exact"] = np.fromiter(map(exact_key, words), dtype=np.int64, count=len(words))
        if config.near:
            arrays["signatures"] = (Signatures(config.num_perm).of(*shingle_hashes(words, config.shingle))
                                    if records else np.empty((0, config.num_perm), dtype=np.uint32))
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_atomic(path, buffer.getvalue())

    def fit_sketches(self, sketches: list[Path], state_dir: Path) -> None:
        """Every record decided in shard order, the first occurrence winning (``dedup_fit``)."""
        config = self.config
        plan, target, agree = dedup_fit.fit(sketches, state_dir / "fit", config.fit_processes, num_perm=config.num_perm,
                                            bands=config.bands, threshold=config.threshold, exact=config.exact,
                                            near=config.near)
        with open(state_dir / DUPLICATES_FILE, "w", encoding="utf-8") as out:
            stays, shared_ids = dedup_fit.write_duplicates(plan, target, agree, out)
        repeated = (dedup_fit.repeated_lines(plan, sketches, stays, config.repeated_line_min_docs)
                    if config.repeated_line_min_docs else [])
        del target, agree, stays  # memory maps of files in the work folder
        shutil.rmtree(state_dir / "fit")
        write_atomic(state_dir / REPEATED_LINES_FILE, json.dumps(repeated).encode())
        if shared_ids:
            log.warning("dedup: %d duplicates share their record id with the original and were kept; "
                        "give records unique ids (input.id_field) to drop them", shared_ids)

    def setup(self) -> None:
        state = self.context.state_dir(self.id)
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
