"""The translation cache: a sentence is translated once per (backend, model, source, target).

A folder of SQLite files in the run's cache folder (one per writing process, all read), so reruns,
resumed shards and repeated boilerplate across documents cost nothing, on any node.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from muri_gen.sqlite_cache import CacheFolder


def cache_key(backend: str, model: str, src: str, tgt: str, text: str) -> str:
    joined = "\x1f".join((backend, model, src, tgt, text)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()


class TranslationCache:
    def __init__(self, folder: Path):
        self._files = CacheFolder(folder, "translations",
                                  "backend TEXT, model TEXT, src TEXT, tgt TEXT, translation TEXT NOT NULL")

    def get_many(self, keys: list[str]) -> dict[str, str]:
        return self._files.select("translation", keys)

    def put_many(self, rows: list[tuple[str, str, str, str, str, str]]) -> None:
        """Rows of (key, backend, model, src, tgt, translation)."""
        self._files.insert(rows)

    def __len__(self) -> int:
        return len(self._files)

    def close(self) -> None:
        self._files.close()
