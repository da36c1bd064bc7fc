"""What a run read, so a resumed run can tell that its input changed underneath it.

Per local input file: its size, modification time and the SHA-256 of its bytes; per file behind a
URL: its size and the version marks its store keeps (ETag, checksum, generation, modification
time); for a Hub dataset: its name and the commit it resolves to. A local file whose size and
modification time are both unchanged is not hashed again (the quick check rsync and make rely on).
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from muri_gen.io.memory import MEMORY_FORMAT
from muri_gen.io.readers import InputFile, input_files
from muri_gen.recipe import InputConfig

log = logging.getLogger("muri_gen")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# what fsspec's info() reports, across s3fs, gcsfs, huggingface_hub, http and the memory/local filesystems,
# that changes when a file's bytes change
_VERSION_MARKS = ("ETag", "etag", "VersionId", "generation", "md5Hash", "crc32c", "checksum", "blob_id",
                  "LastModified", "updated", "mtime", "created")


def _url_entry(file: InputFile) -> dict:
    """A URL file's size and version marks, from its metadata only. Not its SHA-256: hashing would download
    every file once more before the run streams it (and again on each resume); the store's ETag or
    checksum already changes with the bytes."""
    import fsspec.core

    fs, path = fsspec.core.url_to_fs(file.path)
    info = fs.info(path)
    marks = {mark: str(info[mark]) for mark in _VERSION_MARKS if info.get(mark)}
    if not marks:
        log.warning("%s reports no ETag, checksum or modification time: a change that keeps its size cannot be "
                    "detected on resume", file.path)
    return {"size": info.get("size"), **marks}


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
        files[file.name] = _url_entry(file) if isinstance(file.path, str) else _local_entry(file, known.get(file.name))
    return {"files": files}


def _local_entry(file: InputFile, old: dict | None) -> dict:
    stat = file.path.stat()
    entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    same = old and {k: old.get(k) for k in entry} == entry
    return {**entry, "sha256": old["sha256"] if same else _sha256(file.path)}


def _version(entry: dict):
    """What tells two versions of a file's bytes apart: its SHA-256, or a URL file's version marks."""
    return entry.get("sha256") or {k: v for k, v in entry.items() if k != "size"}


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
        elif _version(a) != _version(b):
            changes.append(f"{name} changed (same size, different {'bytes' if 'sha256' in a else 'version'})")
    return changes
