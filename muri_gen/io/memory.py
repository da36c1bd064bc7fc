"""Input held in memory: a ``datasets.Dataset`` or ``IterableDataset``, a pandas DataFrame, a list of dicts.

The Python API hands such an input to the runner (``read_records(config, memory)``), which reads its
rows exactly like a file's lines, so the accounting is the same. A run folder is resumable only with the
same input, so where a file has its path, rows in memory have a fingerprint of their content:
``memory:<sha256 of every row>`` stands in input.path, and a changed row changes the recipe's
fingerprint (the run then refuses an existing folder of the old rows, as for a changed file).
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from functools import cached_property

MEMORY_FORMAT = "memory"
_DATAFRAME_CHUNK = 1024  # rows converted at once: a DataFrame is never copied whole into dicts


def is_in_memory(data: object) -> bool:
    """Rows in memory rather than a path (str or os.PathLike) naming a file, folder or Hub dataset."""
    return not isinstance(data, (str, os.PathLike))


class MemoryInput:
    """Rows of a Dataset, IterableDataset, DataFrame or list of dicts, each as a dict, in their order."""

    def __init__(self, data: object):
        if not (_is_dataframe(data) or isinstance(data, (list, tuple)) or _is_hf_dataset(data)):
            raise TypeError(f"cannot read input of type {type(data).__name__}: give a path, a datasets.Dataset or "
                            "IterableDataset, a pandas DataFrame or a list of dicts")
        self.data = data

    def rows(self) -> Iterator[dict]:
        if _is_dataframe(self.data):
            for start in range(0, len(self.data), _DATAFRAME_CHUNK):
                chunk = self.data.iloc[start:start + _DATAFRAME_CHUNK]
                # pandas marks a missing value NaN, NA or NaT; a reader sees None, as in a JSON null
                yield from chunk.astype(object).where(chunk.notna(), None).to_dict("records")
        else:
            yield from self.data  # a Dataset and an IterableDataset yield dicts; a list holds them

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of every row, canonical JSON (sorted keys), in order: the same rows, the same fingerprint."""
        digest = hashlib.sha256()
        for row in self.rows():
            digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8",
                                                                                                  "surrogatepass"))
            digest.update(b"\n")
        return digest.hexdigest()

    @property
    def path(self) -> str:
        return f"{MEMORY_FORMAT}:{self.fingerprint[:16]}"


def _is_hf_dataset(data: object) -> bool:
    import datasets

    return isinstance(data, (datasets.Dataset, datasets.IterableDataset))


def _is_dataframe(data: object) -> bool:
    # by its class, so that pandas (a dependency of datasets) is never imported here
    return any(cls.__module__.startswith("pandas") and cls.__name__ == "DataFrame" for cls in type(data).__mro__)
