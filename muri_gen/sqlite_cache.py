"""The SQLite plumbing the request and translation caches share: a folder of files, one per writer.

Why not one shared database: the run folder of a cluster run lives on network storage, and
SQLite's WAL mode needs shared memory on one host (several nodes writing one WAL database over
NFS corrupt it), while a rollback journal serialises every writer behind one file lock. So each
process writes only its own file (``<host>-<pid>.sqlite``, rollback journal) and reads every
file in the folder, so a resumed run on any node replays what any worker finished.
Files are consulted in name order and the first hit wins, so every reader resolves a key the
same way. A lookup costs one indexed query per file: against a model call it is noise.
"""
from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

_BOUND_VARIABLES = 500  # stay under SQLite's limit on parameters per statement


class CacheFolder:
    def __init__(self, folder: Path, table: str, columns: str):
        """``columns``: the table's columns after ``key TEXT PRIMARY KEY``."""
        self.folder = folder
        self.table = table
        self.columns = columns
        self.own_path = folder / f"{socket.gethostname()}-{os.getpid()}.sqlite"
        self._own: sqlite3.Connection | None = None
        self._readers: dict[Path, sqlite3.Connection] = {}

    def _writer(self) -> sqlite3.Connection:
        if self._own is None:  # created on the first write: a process that only replays leaves no file
            self.folder.mkdir(parents=True, exist_ok=True)
            self._own = sqlite3.connect(self.own_path, timeout=60, check_same_thread=False)
            self._own.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (key TEXT PRIMARY KEY, {self.columns})")
            self._own.commit()
        return self._own

    def _files(self) -> Iterator[sqlite3.Connection]:
        """Every file in the folder, listed anew each time: workers started since then add theirs."""
        for path in sorted(self.folder.glob("*.sqlite")):
            if path == self.own_path:
                yield self._writer()
                continue
            if path not in self._readers:
                # not read-only: a writer killed mid-batch leaves a hot journal, and only a
                # connection that may write can roll it back to the last committed batch
                self._readers[path] = sqlite3.connect(path, timeout=60, check_same_thread=False)
            yield self._readers[path]

    def select(self, value: str, keys: list[str]) -> dict[str, str]:
        """{key: value} for the keys any file holds, each key looked up until found."""
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(keys))
        for db in self._files():
            if not wanted:
                break
            for start in range(0, len(wanted), _BOUND_VARIABLES):
                chunk = wanted[start : start + _BOUND_VARIABLES]
                placeholders = ",".join("?" * len(chunk))
                try:
                    rows = db.execute(f"SELECT key, {value} FROM {self.table} WHERE key IN ({placeholders})", chunk)
                    found.update((key, result) for key, result in rows if key not in found)
                except sqlite3.OperationalError:  # another worker's file still being created: next time
                    break
            wanted = [k for k in wanted if k not in found]
        return found

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        db = self._writer()
        with db:
            db.executemany(f"INSERT OR REPLACE INTO {self.table} VALUES ({','.join('?' * len(rows[0]))})", rows)

    def __len__(self) -> int:
        """Distinct keys over all files."""
        return len({key for db in self._files() for (key,) in db.execute(f"SELECT key FROM {self.table}")})

    def close(self) -> None:
        for db in [*self._readers.values(), *([self._own] if self._own else [])]:
            db.close()
        self._readers.clear()
        self._own = None
