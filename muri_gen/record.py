"""A record is a plain dict that travels through the stages; its outcome is kept, rejected or errored.

Plain dicts (not classes) because records cross process boundaries (Ray), are written as JSONL
between segments, and every stage adds its own fields. Required keys: ``id`` and ``text``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Rejected:
    """A record a stage decided not to keep. ``reason`` becomes a key of ``stats.json['by_reason']``."""

    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Errored:
    """A record a stage could not process (exception text, failed request after retries)."""

    error: str


Outcome = Union[dict, Rejected, Errored]


def generated_id(position: str, text: str) -> str:
    """Id of a record that comes without one, from where it stands and what it says: the same input
    always gets the same ids, and two copies of a text get two ids, so dedup can drop one of them."""
    joined = f"{position}\x1f{text}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(joined, digest_size=12).hexdigest()


def stable_hash(*parts: str) -> int:
    """A 64-bit hash that is the same on every machine and run (Python's hash() is salted)."""
    joined = "\x1f".join(parts).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(joined, digest_size=8).digest(), "big")
