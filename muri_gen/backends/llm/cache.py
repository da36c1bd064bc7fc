"""The LLM request cache: a request is paid for once per (backend, model, messages, sampling).

A folder of SQLite files in the run's cache folder (one per writing process, all read: see
``sqlite_cache``), keyed by a hash of the full request payload, so a re-run or a resumed run on
any node replays finished requests and sends only the missing ones. Only successful results are
stored: a failed request is sent again next time (that is how a resumed run completes it).
Finished requests are stored while their batch still runs, so a killed run loses only the last few.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

from muri_gen.backends.base import LLM, ChatRequest, ChatResult
from muri_gen.sqlite_cache import CacheFolder


def request_key(model: dict, request: ChatRequest) -> str:
    """A hash of everything that changes the answer: the backend's model identity and the request."""
    payload = {"model": model, "messages": request.messages, "sampling": dataclasses.asdict(request.sampling)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


class RequestCache:
    def __init__(self, folder: Path):
        self._files = CacheFolder(folder, "requests", "result TEXT NOT NULL")

    def get_many(self, keys: list[str]) -> dict[str, ChatResult]:
        return {key: ChatResult(**{**json.loads(blob), "cached": True})
                for key, blob in self._files.select("result", keys).items()}

    def put_many(self, rows: list[tuple[str, ChatResult]]) -> None:
        blobs = [(key, json.dumps({**dataclasses.asdict(result), "cached": False}, ensure_ascii=False))
                 for key, result in rows if result.error is None]
        self._files.insert(blobs)

    def __len__(self) -> int:
        return len(self._files)

    def close(self) -> None:
        self._files.close()


class CachedChat:
    """An LLM backend behind the cache: ``chat`` sends only the requests the cache lacks."""

    def __init__(self, llm: LLM, cache: RequestCache | None):
        self.llm = llm
        self.cache = cache
        self.model = {k: v for k, v in llm.describe().items() if k in ("backend", "model", "revision", "chat_template")}
        self.sent = 0  # requests handed to the backend (a replayed run sends none)

    def chat(self, requests: list[ChatRequest]) -> list[ChatResult]:
        if self.cache is None:
            self.sent += len(requests)
            return self.llm.chat(requests)
        keys = [request_key(self.model, r) for r in requests]
        found = self.cache.get_many(keys)
        missing = list(dict.fromkeys(k for k in keys if k not in found))  # identical requests: sent once
        if missing:
            index = {k: i for i, k in enumerate(keys)}
            saver = _Saver(self.cache, missing)
            results = self.llm.chat([requests[index[k]] for k in missing], on_result=saver.finished)
            saver.flush()
            self.sent += len(missing)
            found.update(zip(missing, results))
        return [found[k] for k in keys]


class _Saver:
    """Stores finished requests while the batch is still running, every SAVE_EVERY results or
    SAVE_SECONDS: a run killed mid-batch (512 requests to a GPU server are minutes) loses at most
    those, not the batch."""

    SAVE_EVERY = 16
    SAVE_SECONDS = 10.0

    def __init__(self, cache: RequestCache, keys: list[str]):
        self.cache, self.keys = cache, keys
        self.pending: list[tuple[str, ChatResult]] = []
        self.saved_at = time.monotonic()

    def finished(self, i: int, result: ChatResult) -> None:
        self.pending.append((self.keys[i], result))
        if len(self.pending) >= self.SAVE_EVERY or time.monotonic() - self.saved_at >= self.SAVE_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.cache.put_many(self.pending)
        self.pending, self.saved_at = [], time.monotonic()
