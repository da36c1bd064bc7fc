"""Push OUT/dataset/ to the Hugging Face Hub: few commits, retries with backoff, resume, no clobbering.

The plan compares local files with the repo's tree by content hash (sha256 for LFS files, git blob
sha1 for the rest), so:
- files already on the Hub with the same content are skipped: re-running an interrupted publish
  resumes it (LFS blobs pre-uploaded before the interruption are not sent again either, the Hub
  answers that it has them);
- a repo holding anything else is refused unless ``force`` (which also deletes remote files the
  release no longer has);
- data goes first, in as few commits as the Hub allows, the README (whose configs point at the data)
  last.
Every call to the Hub is retried on 429, 5xx and dropped connections, with exponential backoff that
honours Retry-After. The token comes from HF_TOKEN or the login cache and never reaches a log.
"""
from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx2
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, DatasetCard, HfApi, constants, get_token
from huggingface_hub.errors import RepositoryNotFoundError
from huggingface_hub.utils import get_session, hf_raise_for_status

from muri_gen.export.card import check_card

log = logging.getLogger("muri_gen")
T = TypeVar("T")
REPO_TYPE = "dataset"
KEEP_REMOTE = {".gitattributes"}  # created by the Hub with the repo; never ours to compare or delete
MAX_FILES_PER_COMMIT = 5000


class PublishError(RuntimeError):
    pass


@dataclass
class Retry:
    attempts: int = 6
    base_seconds: float = 2.0
    max_seconds: float = 120.0
    sleep: Callable[[float], None] = time.sleep

    def call(self, what: str, fn: Callable[[], T]) -> T:
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except Exception as exc:  # classified just below, re-raised unless transient
                status = _status(exc)
                if not is_transient(exc) or attempt == self.attempts:
                    raise
                wait = self._wait(attempt, exc)
                # status or exception class only: messages may quote request details
                log.warning("%s: %s, retry %d/%d in %.1fs", what, f"HTTP {status}" if status else type(exc).__name__,
                            attempt, self.attempts - 1, wait)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, exc: Exception) -> float:
        header = getattr(getattr(exc, "response", None), "headers", {}) or {}
        retry_after = header.get("Retry-After")
        if retry_after and retry_after.isdigit():
            return min(self.max_seconds, float(retry_after))
        backoff = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return backoff * random.uniform(0.5, 1.0)  # jitter: parallel publishers do not retry in lockstep


def _status(exc: Exception) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def is_transient(exc: Exception) -> bool:
    """Worth retrying: rate limits, server errors, dropped connections and timeouts."""
    status = _status(exc)
    if status is not None:
        return status == 429 or status >= 500
    return isinstance(exc, (httpx2.TransportError, ConnectionError, TimeoutError))


@dataclass(frozen=True)
class LocalFile:
    path_in_repo: str
    local: Path
    size: int
    sha256: str
    git_sha1: str


def local_files(dataset_dir: Path) -> list[LocalFile]:
    files = []
    for path in sorted(p for p in dataset_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        files.append(LocalFile(
            path_in_repo=path.relative_to(dataset_dir).as_posix(), local=path, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            git_sha1=hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest(),
        ))
    return files


@dataclass
class Plan:
    repo_id: str
    files: list[LocalFile]
    upload: list[LocalFile]
    delete: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    repo_exists: bool = False

    def describe(self) -> str:
        size = sum(f.size for f in self.upload)
        lines = [f"{self.repo_id}: {len(self.upload)} of {len(self.files)} files to upload ({size / 1e6:.1f} MB)"
                 + (f", {len(self.delete)} remote files to delete" if self.delete else "")]
        changes = [f"  + {f.path_in_repo} ({f.size:,} bytes)" for f in self.upload]
        changes += [f"  - {path}" for path in self.delete]
        if len(changes) > 200:
            changes = changes[:200] + [f"  ... and {len(changes) - 200} more"]
        return "\n".join(lines + changes)


def make_plan(repo_id: str, files: list[LocalFile], remote: dict | None) -> Plan:
    """Compare local files with the remote tree (None: the repo does not exist yet)."""
    if remote is None:
        return Plan(repo_id, files, upload=list(files))
    local = {f.path_in_repo: f for f in files}
    conflicts, delete = [], []
    for path, entry in remote.items():
        if path in KEEP_REMOTE:
            continue
        mine = local.get(path)
        if mine is None:
            delete.append(path)
            conflicts.append(f"{path} is in the repo but not in this release")
        elif not _same(mine, entry):
            conflicts.append(f"{path} differs")
    upload = [f for f in files if f.path_in_repo not in remote or not _same(f, remote[f.path_in_repo])]
    return Plan(repo_id, files, upload=upload, delete=delete, conflicts=conflicts, repo_exists=True)


def _same(local: LocalFile, entry) -> bool:
    lfs = getattr(entry, "lfs", None)
    if lfs is not None:
        return lfs.sha256 == local.sha256
    return getattr(entry, "blob_id", None) == local.git_sha1


def resolve_token() -> str:
    token = get_token()
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login` (nothing was uploaded)")
    return token


def check_dataset_folder(dataset_dir: Path) -> DatasetCard:
    readme = dataset_dir / "README.md"
    if not readme.is_file():
        raise PublishError(f"{readme} not found: run the recipe with the hub_dataset sink first")
    card = DatasetCard.load(readme, repo_type=REPO_TYPE)
    problems = check_card(card, dataset_dir)
    if problems:
        raise PublishError(f"{readme} is not a valid dataset card:\n  - " + "\n  - ".join(problems))
    return card


class Publisher:
    def __init__(self, repo_id: str, token: str, endpoint: str | None = None, retry: Retry | None = None,
                 max_files_per_commit: int = MAX_FILES_PER_COMMIT):
        if constants.is_offline_mode():
            raise PublishError("HF_HUB_OFFLINE is set: unset it to publish")
        self.repo_id = repo_id
        self.api = HfApi(endpoint=endpoint, token=token)
        self.retry = retry or Retry()
        self.max_files = max_files_per_commit

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        return self.retry.call(what, fn)

    def remote_tree(self) -> dict | None:
        def listing():
            try:
                return {e.path: e for e in self.api.list_repo_tree(self.repo_id, repo_type=REPO_TYPE, recursive=True)
                        if hasattr(e, "blob_id")}
            except RepositoryNotFoundError:
                return None

        return self._call("list repo files", listing)

    def validate_card(self, card: DatasetCard) -> None:
        """The Hub's metadata validation (the same check a push of the README runs)."""
        def post():
            response = get_session().post(f"{self.api.endpoint}/api/validate-yaml",
                                          json={"repoType": REPO_TYPE, "content": str(card)})
            if response.status_code == 400:
                errors = [e.get("message") for e in response.json().get("errors", [])]
                raise PublishError("the Hub rejected the dataset card metadata:\n  - " + "\n  - ".join(errors))
            hf_raise_for_status(response)

        self._call("validate card", post)

    def publish(self, dataset_dir: Path, private: bool = False, force: bool = False) -> Plan:
        card = check_dataset_folder(dataset_dir)
        self.validate_card(card)
        plan = make_plan(self.repo_id, local_files(dataset_dir), self.remote_tree())
        if plan.conflicts and not force:
            shown = "\n  - ".join(plan.conflicts[:10])
            raise PublishError(f"{self.repo_id} already holds a different dataset ({len(plan.conflicts)} "
                               f"differences):\n  - {shown}\nuse --force to replace it (remote-only files are deleted)")
        if not plan.repo_exists:
            self._call("create repo", lambda: self.api.create_repo(
                self.repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True))
        if not plan.upload and not (force and plan.delete):
            log.info("%s is already up to date: nothing to upload", self.repo_id)
            return plan
        data = [f for f in plan.upload if f.path_in_repo != "README.md"]
        readme = [f for f in plan.upload if f.path_in_repo == "README.md"]
        chunks = [data[i:i + self.max_files] for i in range(0, len(data), self.max_files)]
        if not chunks or len(chunks[-1]) + len(readme) > self.max_files:
            chunks.append([])
        chunks[-1] += readme  # last: the card's configs must never point at files not yet committed
        for number, chunk in enumerate(chunks, start=1):
            deletions = plan.delete if number == len(chunks) and force else []
            self._commit(chunk, deletions, f"muri-gen release ({number}/{len(chunks)})")
        log.info("published %d files to %s in %d commit(s)", len(plan.upload), self.repo_id, len(chunks))
        return plan

    def _commit(self, files: list[LocalFile], deletions: list[str], message: str) -> None:
        additions = [CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=str(f.local)) for f in files]
        # blobs go up first (each retried on its own); a retry after a half-done batch skips what landed
        self._call("upload files", lambda: self.api.preupload_lfs_files(
            self.repo_id, additions, repo_type=REPO_TYPE, free_memory=False))
        operations = [*additions, *(CommitOperationDelete(path_in_repo=p) for p in deletions)]

        def commit() -> None:
            try:
                self.api.create_commit(self.repo_id, operations, commit_message=message, repo_type=REPO_TYPE)
            except Exception:
                # a lost response may hide a commit that landed: retrying it would commit twice
                if self._landed(files, deletions):
                    log.info("%s: the commit landed although its response was lost", message)
                    return
                raise

        self._call(message, commit)

    def _landed(self, files: list[LocalFile], deletions: list[str]) -> bool:
        try:
            remote = self.remote_tree() or {}
        except Exception:  # noqa: BLE001 - cannot tell: treat as not landed and retry the commit
            return False
        return all(f.path_in_repo in remote and _same(f, remote[f.path_in_repo]) for f in files) and not any(
            p in remote for p in deletions)


def publish(dataset_dir: Path, repo_id: str, private: bool = False, force: bool = False,
            endpoint: str | None = None, retry: Retry | None = None,
            max_files_per_commit: int = MAX_FILES_PER_COMMIT) -> Plan:
    token = resolve_token()
    publisher = Publisher(repo_id, token, endpoint, retry, max_files_per_commit)
    try:
        return publisher.publish(dataset_dir, private=private, force=force)
    except PublishError:
        raise
    except Exception as exc:  # HTTP and network failures after the retries ran out
        status = _status(exc)
        if status is None and not is_transient(exc):
            raise
        if status in (401, 403):
            raise PublishError(f"the Hub refused the token for {repo_id} (HTTP {status}): it needs write access "
                               "to the repo (or to its organisation, to create it)") from exc
        reason = f"HTTP {status}" if status else type(exc).__name__
        raise PublishError(f"upload to {repo_id} stopped ({reason}): run the same command again to resume; "
                           "files already on the Hub are not sent again") from exc


def dry_run(dataset_dir: Path, repo_id: str) -> str:
    """Offline: validate the folder and its card, and say what a publish would upload to a new repo."""
    check_dataset_folder(dataset_dir)
    return make_plan(repo_id, local_files(dataset_dir), None).describe()
