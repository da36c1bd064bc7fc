"""Deduplication across the whole run: exact (normalised-text hash) and near (MinHash LSH).

A sketched barrier stage: the costly part of the fit (words, exact hashes, MinHash signatures, line
hashes) is a ``sketch`` of each shard, made by the workers of the segment before as they write the
shard, in parallel; ``fit_sketches`` then reads the sketches in shard order, so the first occurrence
wins and the same input always drops the same records, whichever worker sketched which shard. Its
working state (one row per kept document: exact hash, LSH band keys, MinHash signature) lives in an
SQLite file in the state folder, not in memory, so memory stays flat however large the corpus (a
sketch holds one shard); only the dropped ids (with the id they duplicate) are kept for ``process``.

It also counts, per kept document, its distinct lines: a line that many documents share is a
header, footer or navigation template of the source (``repeated_line_min_docs``), and
``process`` removes it from every document.
"""
from __future__ import annotations

import io
import json
import logging
import sqlite3
from collections import Counter, defaultdict
from itertools import chain
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator

from muri_gen.text import UNSPACED_SCRIPTS, dominant_script, word_runs
from muri_gen.record import Outcome, Rejected, stable_hash
from muri_gen.runner.layout import write_atomic
from muri_gen.stages.base import Stage, StageConfig

log = logging.getLogger("muri_gen")
_CHUNK = 2000  # records the in-order pass decides together (one SQLite probe for their keys)
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
    return stable_hash(" ".join(words)) >> 1  # SQLite integers are signed 64-bit


def line_key(line: str) -> int:
    return stable_hash(" ".join(line.casefold().split())) >> 1


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer on uint64 arrays: a bijection that spreads every input bit."""
    with np.errstate(over="ignore"):  # multiplication modulo 2^64
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


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
    return (mix64(values) >> np.uint64(32)).astype(np.uint32)


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


class KeyBitmap:
    """Which keys an index may hold, a bit per key's low bits (keys are mixed: their low bits are
    uniform): a clear bit means "not indexed" without asking SQLite; a set bit may be another key's.
    Its size is fixed, so memory stays flat; past tens of millions of keys most bits are set and most
    keys are asked again, at no loss of exactness."""

    def __init__(self, bits: int = 1 << 27):  # 16 MB
        self.mask = np.int64(bits - 1)
        self.bytes = np.zeros(bits // 8, dtype=np.uint8)

    def _where(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low = keys & self.mask
        return low >> 3, (np.uint8(1) << (low & 7).astype(np.uint8))

    def add(self, keys: np.ndarray) -> None:
        cells, bits = self._where(keys)
        np.bitwise_or.at(self.bytes, cells, bits)

    def may_hold(self, keys: np.ndarray) -> np.ndarray:
        cells, bits = self._where(keys)
        return (self.bytes[cells] & bits) != 0


class DuplicateIndex:
    """First-occurrence-wins duplicate finder over an SQLite file (bounded memory, any corpus size).

    Records come a chunk at a time: one query fetches what earlier chunks indexed under the chunk's
    keys (band keys only where a bitmap of the indexed ones says they may be there), the chunk is
    decided in order in memory (a record also meets the new ones before it), and its new rows are
    written at once."""

    def __init__(self, path: Path, config: DedupConfig):
        self.config = config
        self.rows = config.num_perm // config.bands
        path.unlink(missing_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16384;"
            "CREATE TABLE exact (key INTEGER PRIMARY KEY, id TEXT);"
            "CREATE TABLE docs (ordinal INTEGER PRIMARY KEY, id TEXT, signature BLOB);"
            "CREATE TABLE bands (key INTEGER, ordinal INTEGER, PRIMARY KEY (key, ordinal)) WITHOUT ROWID;"
            "CREATE TABLE lines (key INTEGER PRIMARY KEY, docs INTEGER);"
            "CREATE TEMP TABLE probe (key INTEGER PRIMARY KEY);"
        )
        self.ordinal = 0
        self.indexed_bands = KeyBitmap()
        self.language_seeds: dict[str, int] = {}
        self.chunk_docs: dict[int, tuple[str, np.ndarray]] = {}

    def band_keys(self, signatures: np.ndarray, languages: list[str]) -> np.ndarray:
        """(documents, bands) keys of 63 bits: a band's rows mixed with its number and the document's
        language, so bands of different numbers or languages meet only by a 2^-63 chance."""
        bands = self.config.bands
        seeds = np.array([self.language_seeds.setdefault(lang, stable_hash(lang)) for lang in languages],
                         dtype=np.uint64)
        keys = seeds[:, None] ^ mix64(np.arange(1, bands + 1, dtype=np.uint64))[None, :]
        rows = signatures.reshape(len(signatures), bands, self.rows).astype(np.uint64)
        for row in range(self.rows):
            keys = mix64(keys ^ rows[:, :, row])
        return (keys >> np.uint64(1)).astype(np.int64)  # SQLite integers are signed 64-bit

    def _probe(self, keys: np.ndarray, query: str) -> list[tuple]:
        self.db.execute("DELETE FROM probe")
        # sorted and distinct: the probe's B-tree is filled by appends
        self.db.executemany("INSERT INTO probe VALUES (?)", zip(np.unique(keys).tolist()))
        return self.db.execute(query).fetchall()

    def check_chunk(self, ids: list[str], keys: list[int] | None, signatures: np.ndarray | None,
                    languages: list[str]) -> list[dict | None]:
        """Per record, None when it is new (and now indexed), else why it is a duplicate."""
        exact: dict[int, str] = {}
        if keys is not None:
            exact = dict(self._probe(np.array(keys, dtype=np.int64),
                                     "SELECT e.key, e.id FROM probe JOIN exact e USING (key)"))
        band_keys = None
        buckets: dict[int, list[int]] = defaultdict(list)  # band key -> ordinals of indexed documents, rising
        self.chunk_docs: dict[int, tuple[str, np.ndarray]] = {}  # this chunk's documents, and those it meets
        if signatures is not None:
            band_array = self.band_keys(signatures, languages)
            band_keys = band_array.tolist()
            # a record repeating an indexed text exactly is decided without its bands; of the others',
            # SQLite is asked only for keys the bitmap may hold
            undecided = (np.ones(len(ids), dtype=bool) if keys is None else
                         np.fromiter((key not in exact for key in keys), dtype=bool, count=len(keys)))
            asked = band_array[undecided]
            for key, ordinal in self._probe(asked[self.indexed_bands.may_hold(asked)],
                                            "SELECT b.key, b.ordinal FROM probe JOIN bands b USING (key) ORDER BY b.ordinal"):
                buckets[key].append(ordinal)
            # every indexed document a record of the chunk may be compared with, read in one query
            query = "SELECT d.ordinal, d.id, d.signature FROM probe JOIN docs d ON d.ordinal = probe.key"
            met = np.fromiter(chain.from_iterable(buckets.values()), dtype=np.int64)
            for ordinal, other_id, blob in self._probe(met, query):
                self.chunk_docs[ordinal] = (other_id, np.frombuffer(blob, dtype=signatures.dtype))
        results: list[dict | None] = []
        new_exact, new_docs, new_bands = [], [], []
        for i, record_id in enumerate(ids):
            key = keys[i] if keys is not None else None
            if key is not None and key in exact:
                results.append({"duplicate_of": exact[key], "kind": "exact"})
                continue
            if band_keys is not None:
                found = self.near(signatures[i], [buckets[k] for k in band_keys[i] if k in buckets])
                if found:
                    results.append(found)
                    continue
            if key is not None:
                exact[key] = record_id
                new_exact.append((key, record_id))
            if band_keys is not None:
                for band_key in band_keys[i]:
                    buckets[band_key].append(self.ordinal)
                    new_bands.append((band_key, self.ordinal))
                self.chunk_docs[self.ordinal] = (record_id, signatures[i])
                new_docs.append((self.ordinal, record_id, signatures[i].tobytes()))
            self.ordinal += 1
            results.append(None)
        self.db.executemany("INSERT INTO exact VALUES (?, ?)", new_exact)
        self.db.executemany("INSERT INTO docs VALUES (?, ?, ?)", new_docs)
        self.db.executemany("INSERT INTO bands VALUES (?, ?)", new_bands)
        if new_bands:
            self.indexed_bands.add(np.array([key for key, _ in new_bands], dtype=np.int64))
        return results

    def near(self, signature: np.ndarray, buckets: list[list[int]]) -> dict | None:
        """The earliest indexed document sharing a band whose signature agrees enough, if any."""
        for ordinal in sorted(set(chain.from_iterable(buckets))):
            other_id, other = self.chunk_docs[ordinal]
            similarity = np.count_nonzero(other == signature) / len(signature)
            if similarity >= self.config.threshold:
                return {"duplicate_of": other_id, "kind": "near", "similarity": round(similarity, 3)}
        return None

    def count_lines(self, documents: list[np.ndarray]) -> None:
        """Count, per distinct line, the documents it is in (each document's distinct line keys)."""
        counts = Counter(chain.from_iterable(keys.tolist() for keys in documents))
        self.db.executemany("INSERT INTO lines VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET docs = docs + excluded.docs",
                            counts.items())

    def repeated_lines(self, min_docs: int) -> list[int]:
        return [k for (k,) in self.db.execute("SELECT key FROM lines WHERE docs >= ? ORDER BY key", (min_docs,))]

    def close(self) -> None:
        self.db.close()


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
        """The in-order pass over every shard's sketch: the first occurrence wins."""
        config = self.config
        index = DuplicateIndex(state_dir / "index.sqlite", config)
        shared_ids = 0
        with open(state_dir / DUPLICATES_FILE, "w", encoding="utf-8") as out:
            for path in sketches:
                with np.load(path) as sketch:
                    ids, languages = sketch["ids"].tolist(), sketch["languages"].tolist()
                    keys = sketch["exact"].tolist() if config.exact else None
                    signatures = sketch["signatures"] if config.near else None
                    if config.repeated_line_min_docs:
                        line_keys = np.split(sketch["line_keys"], np.cumsum(sketch["line_counts"])[:-1])
                for start in range(0, len(ids), _CHUNK):
                    stop = start + _CHUNK
                    found = index.check_chunk(ids[start:stop], keys[start:stop] if keys is not None else None,
                                              signatures[start:stop] if signatures is not None else None,
                                              languages[start:stop])
                    kept = []
                    for i, duplicate in enumerate(found, start):
                        if duplicate and duplicate["duplicate_of"] == ids[i]:
                            # an input that repeats its own ids: process() tells records apart by id only
                            shared_ids += 1
                        elif duplicate:
                            out.write(json.dumps({"id": ids[i], **duplicate}, ensure_ascii=False) + "\n")
                            continue
                        kept.append(i)
                    if config.repeated_line_min_docs:
                        index.count_lines([line_keys[i] for i in kept])
                    index.db.commit()
        repeated = index.repeated_lines(config.repeated_line_min_docs) if config.repeated_line_min_docs else []
        (state_dir / REPEATED_LINES_FILE).write_text(json.dumps(repeated))
        index.close()
        (state_dir / "index.sqlite").unlink()
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
