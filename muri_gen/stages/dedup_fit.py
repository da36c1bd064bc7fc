"""The dedup fit: which records repeat an earlier one, over every shard's sketch in shard order, for
any corpus size, its costly pass partitioned by LSH band and run in parallel processes.

The rule is greedy and first-occurrence-wins: in record order, a record is dropped when a kept
record has the same words (exact) or shares an LSH band with it and agrees on at least
``threshold`` of its MinHash rows (near; the earliest such kept record is named). A dropped record
is never compared with later ones, so a chain a ~ b ~ c with a !~ c keeps a and c.

Three passes; each holds a bounded slice of the corpus in memory, the rest lives in arrays on disk
(memory-mapped, in a work folder removed at the end):

1. ``_gather``: every record's signature, exact key and language, in order; ``_exact_copies``: the
   records that repeat an earlier record's words. Only the first of a text's copies in a language
   takes part in the near pass (its copies have its signature, so they share its fate).
2. ``band_pairs``, one task per band (in parallel processes on a large corpus): the band's keys are
   spilled to partitions by key and sorted into buckets. In a bucket of up to ``SMALL_BUCKET``
   records every later member is compared with every earlier one and the pairs that agree enough
   are kept; a larger bucket (a stretch of text many documents share) is listed, and the resolution
   compares a record only with its kept members, as the rule does.
3. ``_resolve``, in record order, by blocks of records: a record with no earlier pair, no copy and
   no large bucket is kept without a look; the others take their earliest kept neighbour.
"""
from __future__ import annotations

import json
import logging
import math
import mmap
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from muri_gen.record import stable_hash

log = logging.getLogger("muri_gen")
PARTITION_ROWS = 1 << 22  # keys sorted in memory at once (64 MB with their record numbers)
# records the resolution decides together, reading their near pairs whole: a record has at most
# SMALL_BUCKET - 1 earlier neighbours a band, the same ones in most bands (24 bytes each, counted once)
BLOCK = 1 << 19
SMALL_BUCKET = 32  # members of a bucket whose pairs are all compared in the band pass
_PAIR_CHUNK = 1 << 18  # pairs compared in one numpy step
_READ_ROWS = 1 << 16  # signature rows read from disk at once


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer on uint64 arrays: a bijection that spreads every input bit."""
    with np.errstate(over="ignore"):  # multiplication modulo 2^64
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


@dataclass(frozen=True)
class FitPlan:
    """What every pass needs to know, small enough to send to a worker process."""
    work: str  # the work folder
    records: int
    num_perm: int
    bands: int
    threshold: float
    exact: bool
    near: bool
    partition_rows: int = PARTITION_ROWS
    block: int = BLOCK
    small_bucket: int = SMALL_BUCKET

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def partitions(self) -> int:
        return max(1, math.ceil(self.records / self.partition_rows))

    @property
    def blocks(self) -> int:
        return max(1, math.ceil(self.records / self.block))

    def min_agree(self) -> int:
        """Rows two signatures must share to count as near: the least k with k / num_perm >= threshold."""
        return next(k for k in range(self.num_perm + 1) if k / self.num_perm >= self.threshold)

    def array(self, name: str) -> np.ndarray:
        return np.load(Path(self.work) / f"{name}.npy", mmap_mode="r")


class _Spill:
    """Rows of int64 columns appended to one file per part (a key's partition, a record's block),
    so a part can later be read whole without the rest. A file is opened only while rows are added
    to it: a large corpus has hundreds of blocks, more than a process may hold open."""

    def __init__(self, folder: Path, name: str, parts: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.paths = [folder / f"{name}-{part}.bin" for part in range(parts)]

    def add(self, part: np.ndarray, *columns: np.ndarray) -> None:
        rows = np.stack(columns, axis=1).astype(np.int64)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(len(self.paths) + 1))
        for index in np.flatnonzero(np.diff(bounds)).tolist():
            with open(self.paths[index], "ab") as file:
                rows[order[bounds[index]:bounds[index + 1]]].tofile(file)

    @staticmethod
    def read(path: Path, columns: int) -> np.ndarray:
        if not path.exists():
            return np.empty((0, columns), dtype=np.int64)
        return np.fromfile(path, dtype=np.int64).reshape(-1, columns)


def fit(sketches: list[Path], work: Path, processes: int | None = None, **settings) -> tuple[FitPlan, np.ndarray, np.ndarray]:
    """Decide every record of the sketches (``settings``: FitPlan's fields but ``work`` and
    ``records``). Returns the plan and, per record in order, the record it repeats (-1: kept) and how
    many MinHash rows they share (-1: an exact copy)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    plan = _gather(sketches, work, **settings)
    if plan.exact:
        _exact_copies(plan)
    if plan.near and plan.records:
        _band_pass(plan, processes or default_processes(plan.records))
    target, agree = _resolve(plan)
    return plan, target, agree


def _band_pass(plan: FitPlan, processes: int) -> None:
    """``band_pairs`` for every band: here, or in child processes (``python -m`` this module, so a
    caller's unguarded script is never imported again, as multiprocessing's spawn would)."""
    if processes <= 1:
        for band in range(plan.bands):
            band_pairs(plan, band)
        return
    log.info("dedup: the band pass of %d records in %d processes", plan.records, processes)
    work = Path(plan.work)
    (work / "plan.json").write_text(json.dumps(asdict(plan)))
    children = []
    for first in range(min(processes, plan.bands)):
        with open(work / f"band-process-{first}.log", "wb") as log_file:  # a file: a full pipe would block it
            children.append(subprocess.Popen([sys.executable, "-m", __name__, plan.work,
                                              *map(str, range(first, plan.bands, processes))], stderr=log_file))
    failures = []
    for first, child in enumerate(children):
        if child.wait():
            error = (work / f"band-process-{first}.log").read_text(errors="replace")[-2000:]
            failures.append(f"exit code {child.returncode}: {error}")
    if failures:
        raise RuntimeError(f"dedup: {len(failures)} of {len(children)} band processes failed; the first: {failures[0]}")


def default_processes(records: int) -> int:
    """One per core the process may use, once the corpus is large enough to repay starting them."""
    if records < 200_000:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _gather(sketches: list[Path], work: Path, **settings) -> FitPlan:
    sizes = []
    for path in sketches:
        with np.load(path) as sketch:
            sizes.append(len(sketch["ids"]))
    plan = FitPlan(work=str(work), records=sum(sizes), **settings)
    open_array = np.lib.format.open_memmap
    seeds = open_array(work / "seeds.npy", "w+", np.uint64, (plan.records,))
    signatures = (open_array(work / "signatures.npy", "w+", np.uint32, (plan.records, plan.num_perm))
                  if plan.near else None)
    keys = open_array(work / "exact.npy", "w+", np.int64, (plan.records,)) if plan.exact else None
    id_ends = open_array(work / "id_ends.npy", "w+", np.int64, (plan.records,))
    language_seeds: dict[str, int] = {}
    start, id_bytes = 0, 0
    with open(work / "ids.bin", "wb") as ids_file:
        for path, size in zip(sketches, sizes):
            with np.load(path) as sketch:
                stop = start + size
                # a band key mixes in the document's language: documents of two languages never meet
                languages, which = np.unique(sketch["languages"], return_inverse=True)
                seeds[start:stop] = np.array([language_seeds.setdefault(lang, stable_hash(lang))
                                              for lang in languages.tolist()], dtype=np.uint64)[which]
                if signatures is not None:
                    signatures[start:stop] = sketch["signatures"]
                if keys is not None:
                    keys[start:stop] = sketch["exact"]
                encoded = [record_id.encode("utf-8", "surrogatepass") for record_id in sketch["ids"].tolist()]
                ids_file.write(b"".join(encoded))
                id_ends[start:stop] = id_bytes + np.cumsum([len(e) for e in encoded], dtype=np.int64)
                id_bytes += sum(map(len, encoded))
                start = stop
    for array in (seeds, signatures, keys, id_ends):
        if array is not None:
            array.flush()
    return plan


class _Ids:
    """Record ids by number: UTF-8 in ``ids.bin``, each one's end offset in ``id_ends.npy``."""

    def __init__(self, work: Path):
        self.ends = np.load(work / "id_ends.npy", mmap_mode="r")
        with open(work / "ids.bin", "rb") as file:
            self.blob = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(file.fileno()).st_size else b""

    def many(self, ordinals: np.ndarray) -> list[str]:
        ends = self.ends[ordinals].tolist()
        starts = np.where(ordinals > 0, self.ends[np.maximum(ordinals - 1, 0)], 0).tolist()
        return [self.blob[start:end].decode("utf-8", "surrogatepass") for start, end in zip(starts, ends)]


def _grouped(plan: FitPlan, name: str, keys_of_rows):
    """Every partition of (key, record) pairs, sorted by key then record: ``keys_of_rows(start, stop)``
    gives the keys of records start..stop, -1 for a record that takes no part."""
    folder = Path(plan.work) / name
    spill = _Spill(folder, "keys", plan.partitions)
    for start in range(0, plan.records, _READ_ROWS):
        stop = min(start + _READ_ROWS, plan.records)
        keys = keys_of_rows(start, stop)
        ordinals = np.arange(start, stop, dtype=np.int64)
        taking_part = keys >= 0
        keys, ordinals = keys[taking_part], ordinals[taking_part]
        spill.add(keys % plan.partitions, keys, ordinals)
    for path in spill.paths:
        pairs = _Spill.read(path, 2)
        path.unlink(missing_ok=True)
        order = np.argsort(pairs[:, 0], kind="stable")  # records were appended in order: they stay so
        yield pairs[order, 0], pairs[order, 1]
    folder.rmdir()


def _buckets(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and size of every run of equal keys in a sorted array."""
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.empty(0, int)
    return starts, np.diff(np.concatenate((starts, [len(keys)])))


def _members(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions of every member of the given buckets, bucket after bucket."""
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(starts, sizes) + offsets


def _first_of_groups(plan: FitPlan, name: str, keys_of_rows) -> None:
    """Per record, the first record with its key (itself when it is the first): ``name``.npy."""
    first = np.lib.format.open_memmap(Path(plan.work) / f"{name}.npy", "w+", np.int64, (plan.records,))
    for start in range(0, plan.records, _READ_ROWS):
        first[start:start + _READ_ROWS] = np.arange(start, min(start + _READ_ROWS, plan.records))
    for sorted_keys, ordinals in _grouped(plan, f"{name}-parts", keys_of_rows):
        starts, sizes = _buckets(sorted_keys)
        starts, sizes = starts[sizes > 1], sizes[sizes > 1]
        first[ordinals[_members(starts, sizes)]] = np.repeat(ordinals[starts], sizes)
    first.flush()


def _exact_copies(plan: FitPlan) -> None:
    """Per record, the first record with its words (``same_words``) and the first with its words and
    language (``same_text``). A text's copies share its signature, so only the first of each
    language takes part in the near pass; exact matches cross languages, as the rule says."""
    keys, seeds = plan.array("exact"), plan.array("seeds")
    _first_of_groups(plan, "same_words", lambda a, b: keys[a:b])
    _first_of_groups(plan, "same_text", lambda a, b: (mix64(keys[a:b].astype(np.uint64) ^ seeds[a:b])
                                                       >> np.uint64(1)).astype(np.int64))


def band_keys(plan: FitPlan, band: int, signatures: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """63-bit keys of one band of signatures: its rows mixed with the band's number and the
    documents' language, so bands of different numbers or languages meet only by a 2^-63 chance."""
    keys = seeds ^ mix64(np.array([band + 1], dtype=np.uint64))
    for row in range(band * plan.rows, (band + 1) * plan.rows):
        keys = mix64(keys ^ signatures[:, row].astype(np.uint64))
    return (keys >> np.uint64(1)).astype(np.int64)


def band_pairs(plan: FitPlan, band: int) -> None:
    """One band's near pairs (later record, earlier record, rows agreeing) in small buckets, and its
    large buckets' members (record, key), spilled by the later record's block."""
    signatures, seeds = plan.array("signatures"), plan.array("seeds")
    same_text = plan.array("same_text") if plan.exact else None
    folder = Path(plan.work) / "pairs"
    pairs = _Spill(folder, f"band-{band}-pairs", plan.blocks)
    large = _Spill(folder, f"band-{band}-large", plan.blocks)
    min_agree = plan.min_agree()

    def keys_of_rows(start: int, stop: int) -> np.ndarray:
        keys = band_keys(plan, band, signatures[start:stop], seeds[start:stop])
        if same_text is not None:  # a later copy shares the fate of the first, which takes part
            keys[same_text[start:stop] != np.arange(start, stop)] = -1
        return keys

    for keys, ordinals in _grouped(plan, f"band-{band}-parts", keys_of_rows):
        starts, sizes = _buckets(keys)
        big = sizes > plan.small_bucket
        members = _members(starts[big], sizes[big])
        large.add(ordinals[members] // plan.block, ordinals[members], keys[members])
        for size in range(2, plan.small_bucket + 1):
            of_size = starts[sizes == size]
            if not len(of_size):
                continue
            earlier, later = np.triu_indices(size, 1)
            step = max(1, _PAIR_CHUNK // len(earlier))
            for chunk in range(0, len(of_size), step):
                members = ordinals[of_size[chunk:chunk + step, None] + np.arange(size)]
                i, j = members[:, earlier].ravel(), members[:, later].ravel()
                agree = np.count_nonzero(signatures[i] == signatures[j], axis=1)
                near = agree >= min_agree
                pairs.add(j[near] // plan.block, j[near], i[near], agree[near])


def _resolve(plan: FitPlan) -> tuple[np.ndarray, np.ndarray]:
    """The greedy rule in record order (see the module's docstring)."""
    work = Path(plan.work)
    target = np.lib.format.open_memmap(work / "target.npy", "w+", np.int64, (plan.records,))
    agree = np.lib.format.open_memmap(work / "agree.npy", "w+", np.int16, (plan.records,))
    target[:] = -1
    kept = np.ones(plan.records, dtype=bool)  # a byte a record: 100 MB for 100 million
    same_words = plan.array("same_words") if plan.exact else None
    same_text = plan.array("same_text") if plan.exact else None
    holder: dict[int, int] = {}  # a text's first record, dropped -> its kept copy in another language
    signatures = plan.array("signatures") if plan.near else None
    min_agree = plan.min_agree()
    large_kept: dict[int, list[int]] = defaultdict(list)  # a large bucket's kept members, in order

    def read(kind: str, block: int, columns: int) -> np.ndarray:
        """The block's rows of every band, each once (a pair two documents share in several bands
        is found in each), sorted."""
        rows = np.empty((0, columns), dtype=np.int64)
        for band in range(plan.bands if plan.near else 0):
            found = _Spill.read(work / "pairs" / f"band-{band}-{kind}-{block}.bin", columns)
            if len(found):
                rows = np.concatenate((rows, found))
                rows = rows[np.lexsort(rows.T[::-1])]  # by the first column, then the next
                rows = rows[np.concatenate(([True], (rows[1:] != rows[:-1]).any(axis=1)))]
        return rows

    for block in range(plan.blocks):
        first, last = block * plan.block, min((block + 1) * plan.block, plan.records)
        pairs, large = read("pairs", block, 3), read("large", block, 2)
        copies = (np.flatnonzero(same_words[first:last] != np.arange(first, last)) + first
                  if same_words is not None else np.empty(0, np.int64))
        looked_at = np.union1d(np.union1d(pairs[:, 0], large[:, 0]), copies)
        pair_bounds = np.searchsorted(pairs[:, 0], np.stack((looked_at, looked_at + 1)))
        large_bounds = np.searchsorted(large[:, 0], np.stack((looked_at, looked_at + 1)))
        for index, record in enumerate(looked_at.tolist()):
            words = int(same_words[record]) if same_words is not None else record
            if words != record:
                original = words if kept[words] else holder.get(words)
                if original is not None:
                    target[record], agree[record] = original, -1
                    kept[record] = False
                    continue
                text = int(same_text[record])
                if text != record:  # its first copy in this language was a near duplicate: so is this one
                    target[record], agree[record] = target[text], agree[text]
                    kept[record] = False
                    continue
            found, found_agree = -1, 0
            neighbours = pairs[pair_bounds[0, index]:pair_bounds[1, index]]
            if len(neighbours):
                alive = kept[neighbours[:, 1]]
                if alive.any():
                    found, found_agree = (int(v) for v in neighbours[alive.argmax(), 1:])
            buckets = large[large_bounds[0, index]:large_bounds[1, index], 1].tolist()
            for key in buckets:
                for other in large_kept[key]:
                    if 0 <= found <= other:
                        break
                    shared = int(np.count_nonzero(signatures[other] == signatures[record]))
                    if shared >= min_agree:
                        found, found_agree = other, shared
                        break
            if found >= 0:
                target[record], agree[record] = found, found_agree
                kept[record] = False
                continue
            for key in buckets:
                large_kept[key].append(record)
            if words != record:  # the words' first record was dropped; this one, of another language, is kept
                holder[words] = record
    target.flush()
    agree.flush()
    return target, agree


def write_duplicates(plan: FitPlan, target: np.ndarray, agree: np.ndarray, out) -> tuple[np.ndarray, int]:
    """The dropped records as JSON lines, in order. Returns per record whether it stays (kept, or a
    duplicate that shares its original's id: the stage tells records apart by id only), and how many
    such duplicates there are."""
    shared_ids = 0
    ids = _Ids(Path(plan.work))
    stays = np.lib.format.open_memmap(Path(plan.work) / "stays.npy", "w+", bool, (plan.records,))
    for start in range(0, plan.records, _READ_ROWS):
        stays[start:start + _READ_ROWS] = target[start:start + _READ_ROWS] < 0
        records = np.flatnonzero(~stays[start:start + _READ_ROWS]) + start
        originals = np.asarray(target[records])
        for record, name, original_name, rows_shared in zip(records.tolist(), ids.many(records), ids.many(originals),
                                                             agree[records].tolist()):
            if name == original_name:
                stays[record] = True
                shared_ids += 1
                continue
            row = {"id": name, "duplicate_of": original_name}
            if rows_shared < 0:
                row["kind"] = "exact"
            else:
                row.update(kind="near", similarity=round(rows_shared / plan.num_perm, 3))
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return stays, shared_ids


def repeated_lines(plan: FitPlan, sketches: list[Path], stays: np.ndarray, min_docs: int) -> list[int]:
    """Line keys found in at least ``min_docs`` of the records that stay, sorted."""
    folder = Path(plan.work) / "lines"
    total = 0
    for path in sketches:
        with np.load(path) as sketch:
            total += int(sketch["line_counts"].sum())  # the counts, not the keys: a small array to read
    spill = _Spill(folder, "lines", max(1, math.ceil(total / plan.partition_rows)))
    start = 0
    for path in sketches:
        with np.load(path) as sketch:
            counts, keys = sketch["line_counts"], sketch["line_keys"]
        owner_stays = np.repeat(stays[start:start + len(counts)], counts)
        keys = keys[owner_stays]
        spill.add(keys % len(spill.paths), keys)
        start += len(counts)
    repeated = []
    for path in spill.paths:
        keys, documents = np.unique(_Spill.read(path, 1)[:, 0], return_counts=True)
        repeated.append(keys[documents >= min_docs])
    return sorted(np.concatenate(repeated).tolist())


if __name__ == "__main__":  # a child of _band_pass: the work folder, then its bands
    work_folder, *band_numbers = sys.argv[1:]
    child_plan = FitPlan(**json.loads((Path(work_folder) / "plan.json").read_text()))
    for band_number in band_numbers:
        band_pairs(child_plan, int(band_number))
