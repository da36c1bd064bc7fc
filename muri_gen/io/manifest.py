"""What a run read, so a resumed run can tell that its input changed underneath it.

Per local input file: its size, modification time and the SHA-256 of its bytes; for a Hub dataset:
its name and the commit it resolves to. A file whose size and modification time are both
unchanged is not hashed again (the quick check rsync and make rely on).
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from muri_gen.io.memory import MEMORY_FORMAT
from muri_gen.io.readers import input_files
from muri_gen.recipe import InputConfig

log = logging.getLogger("muri_gen")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _hub_revision(config: InputConfig) -> str | None:
    """The commit the dataset's revision points at now; None when the Hub cannot be asked (offline)."""
    try:
        from huggingface_hub import HfApi

        return HfApi().dataset_info(config.path, revision=config.revision, timeout=10).sha
    except Exception as exc:  # noqa: BLE001 - offline or unknown: the run still reads what load_dataset finds
        log.warning("cannot resolve the revision of %s (%s): a change of the dataset cannot be detected on resume",
                    config.path, type(exc).__name__)
        return None


def input_manifest(config: InputConfig, previous: dict | None = None) -> dict:
    """The manifest of what ``config`` reads; ``previous`` (the last run's) spares re-hashing unchanged files."""
    if config.format == MEMORY_FORMAT:  # rows the Python API holds: their path is the fingerprint of their content
        return {"rows": config.path}
    if config.format == "hf_hub":
        return {"dataset": config.path, "config": config.hf_config, "split": config.split,
                "revision": _hub_revision(config)}
    known = (previous or {}).get("files", {})
    files = {}
    for file in input_files(config):
        stat = file.path.stat()
        entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        old = known.get(file.name)
        same = old and {k: old.get(k) for k in entry} == entry
        files[file.name] = {**entry, "sha256": old["sha256"] if same else _sha256(file.path)}
    return {"files": files}


def manifest_changes(old: dict, new: dict) -> list[str]:
    """What differs between two manifests, one phrase per file (empty: the same input)."""
    if "dataset" in old or "dataset" in new:
        if old.get("revision") and new.get("revision") and old["revision"] != new["revision"]:
            return [f"{new.get('dataset')} moved from revision {old['revision'][:12]} to {new['revision'][:12]}"]
        return [] if old.get("dataset") == new.get("dataset") else [f"dataset {old.get('dataset')} -> {new.get('dataset')}"]
    before, after = old.get("files", {}), new.get("files", {})
    changes = [f"{name} added" for name in sorted(set(after) - set(before))]
    changes += [f"{name} removed" for name in sorted(set(before) - set(after))]
    for name in sorted(set(before) & set(after)):
        a, b = before[name], after[name]
        if a["size"] != b["size"]:
            changes.append(f"{name} changed ({a['size']} -> {b['size']} bytes)")
        elif a["sha256"] != b["sha256"]:
            changes.append(f"{name} changed (same size, different bytes)")
    return changes
