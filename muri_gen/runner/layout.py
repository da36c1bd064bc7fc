"""The output folder of a run: where every file lives, and atomic writes with completion markers.

    OUT/recipe.yaml             the resolved recipe (no secrets: backends read keys from the env)
    OUT/run.log                 muri-gen's log lines of every run and resume of this folder
    OUT/stats.json              the funnel: input == kept + rejected + errored
    OUT/rejected/*.jsonl        every rejected record with its stage and reason
    OUT/errored/*.jsonl         every errored record with its stage and error
    OUT/work/input/             the input cut into shards (segment 0)
    OUT/work/seg-N/             each segment's kept records per shard, per-shard stats, .done markers
    OUT/work/state/             barrier stages' fitted state (and the shards' sketches, until the fit)
    OUT/cache/                  request and translation caches, a file per writing process (replayed on resume)
    sinks write beside these: dataset/, bias/, report.html
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

SHARD_NAME = "shard-{:05d}"
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")  # \Z: "$" would allow a final newline


def safe_part(name: str) -> str:
    """Guard every name that becomes part of a path (stage ids, language codes): no traversal."""
    if not _SAFE_PART.match(name) or ".." in name:
        raise ValueError(f"{name!r} cannot be used in a file name")
    return name


class LinkInOutput(OSError):
    """A symbolic link where muri-gen writes: followed, it would overwrite a file outside the output folder."""

    def __init__(self, path: Path | str):
        super().__init__(errno.ELOOP, "a symbolic link; muri-gen never writes through links in an output folder: "
                                      "remove it", str(path))


def open_output(path: Path | str, flags: int, mode: int = 0o644) -> int:
    """os.open for every file muri-gen writes: a symbolic link at ``path`` is refused, never followed."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LinkInOutput(path) from None
        raise


def refuse_links(root: Path) -> None:
    """Refuse an output folder holding a symbolic link (libraries that write into it would follow it)."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            if os.path.islink(os.path.join(folder, name)):
                raise LinkInOutput(os.path.join(folder, name))


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(open_output(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # a full disk must not also keep half-written files
            tmp.unlink()
        raise


def jsonl_bytes(rows: Iterable[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n" for r in rows)


def read_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8", errors="surrogatepass") as fh:
        for line in fh:
            yield json.loads(line)


class RunDir:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.work = self.root / "work"
        self.cache = self.root / "cache"
        self.rejected = self.root / "rejected"
        self.errored = self.root / "errored"
        self.recipe = self.root / "recipe.yaml"
        self.stats = self.root / "stats.json"
        self.lock = self.root / "run.lock"
        self.log = self.root / "run.log"

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        refuse_links(self.root)
        for folder in (self.work, self.cache, self.rejected, self.errored):
            folder.mkdir(exist_ok=True)

    # segment 0 is the input split; segment k >= 1 holds what stage group k kept
    def segment_dir(self, segment: int) -> Path:
        return self.work / ("input" if segment == 0 else f"seg-{segment}")

    def shard_path(self, segment: int, shard: int) -> Path:
        return self.segment_dir(segment) / f"{SHARD_NAME.format(shard)}.jsonl"

    def marker(self, segment: int, shard: int) -> Path:
        return self.segment_dir(segment) / f"{SHARD_NAME.format(shard)}.done"

    def shard_stats(self, segment: int, shard: int) -> Path:
        return self.segment_dir(segment) / f"{SHARD_NAME.format(shard)}.stats.json"

    def outcome_path(self, kind: str, segment: int, shard: int) -> Path:
        folder = self.rejected if kind == "rejected" else self.errored
        return folder / f"seg-{segment}-{SHARD_NAME.format(shard)}.jsonl"

    def state_dir(self, stage_id: str) -> Path:
        return self.work / "state" / safe_part(stage_id)

    def sketch_path(self, stage_id: str, shard: int) -> Path:
        """A sketched barrier stage's sketch of one shard of its input (see Stage.sketched)."""
        return self.state_dir(stage_id) / "sketches" / f"{SHARD_NAME.format(shard)}.npz"

    def is_done(self, segment: int, shard: int) -> bool:
        return self.marker(segment, shard).exists()

    @property
    def split_marker(self) -> Path:
        return self.segment_dir(0) / "_SPLIT_DONE"

    def discard_unfinished_split(self) -> None:
        """Forget a split that never finished (its input was wrong): nothing was processed from it yet."""
        shutil.rmtree(self.segment_dir(0), ignore_errors=True)
        for kind in ("rejected", "errored"):
            for path in (self.rejected if kind == "rejected" else self.errored).glob("seg-0-*.jsonl"):
                path.unlink()

    def shard_count(self) -> int:
        split_marker = self.split_marker
        if not split_marker.exists():
            raise FileNotFoundError(f"{self.root}: the input has not been split into shards yet")
        return int(split_marker.read_text())

    def last_segment(self) -> int:
        segments = [int(p.name.split("-")[1]) for p in self.work.glob("seg-*")]
        return max(segments, default=0)

    def kept_records(self) -> Iterator[dict]:
        """The run's final rows, in shard order (what sinks export)."""
        segment = self.last_segment()
        for shard in range(self.shard_count()):
            path = self.shard_path(segment, shard)
            if path.exists():
                yield from read_jsonl(path)

    def outcome_records(self, kind: str) -> Iterator[dict]:
        folder = self.rejected if kind == "rejected" else self.errored
        for path in sorted(folder.glob("*.jsonl")):
            yield from read_jsonl(path)

    def read_stats(self) -> dict:
        return json.loads(self.stats.read_text())
