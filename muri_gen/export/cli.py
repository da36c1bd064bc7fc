"""`muri-gen publish` and `muri-gen export-finetune` (registered in muri_gen/cli.py)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from muri_gen.console import fail, usage_error

_SAFE_VERSION = re.compile(r"[A-Za-z0-9._-]+")  # a folder name under OUT, never a path
OutputDirArg = Annotated[Path, typer.Argument(help="A finished run's output folder (holds dataset/)", show_default=False,
                                              exists=True, file_okay=False)]


def _dataset_dir(output_dir: Path, version: str | None = None) -> Path:
    """OUT/dataset, or OUT/dataset-mitigated-<version> written by `muri-gen bias mitigate`."""
    if version is not None and (not _SAFE_VERSION.fullmatch(version) or version in (".", "..")):
        usage_error(f"--version {version!r}: letters, digits, '-', '_' and '.' only")
    folder = output_dir / ("dataset" if version is None else f"dataset-mitigated-{version}")
    if not folder.is_dir():
        hint = "run `muri-gen bias mitigate` first" if version else "run the recipe with the hub_dataset sink first"
        versions = sorted(p.name.removeprefix("dataset-mitigated-") for p in output_dir.glob("dataset-mitigated-*"))
        fail(f"{folder} not found: {hint}" + (f" (versions here: {', '.join(versions)})" if versions else ""))
    return folder


def _check_repo_id(repo_id: str) -> None:
    """The Hub's own rule for a repo id, checked before anything else (a dry run included)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        usage_error(f"--repo-id {repo_id!r}: {str(exc).split(': ', 1)[0]} (e.g. my-org/my-dataset)")


def publish_command(
    output_dir: OutputDirArg,
    repo_id: Annotated[str, typer.Option("--repo-id", help="ORG/NAME of the dataset repo on the Hub")],
    private: Annotated[bool, typer.Option("--private", help="Create the repo private")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate the card and list what would be uploaded; no network")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a repo that holds a different dataset")] = False,
    version: Annotated[Optional[str], typer.Option(
        "--version", help="Publish OUT/dataset-mitigated-VERSION (from `muri-gen bias mitigate`) instead")] = None,
) -> None:
    """Upload OUT/dataset/ (or a mitigated version) to the Hugging Face Hub (token from HF_TOKEN or
    `hf auth login`); resumable."""
    from muri_gen.export.card import CardError, refresh_card
    from muri_gen.export.publish import PublishError, dry_run as plan_only, publish

    _check_repo_id(repo_id)
    dataset = _dataset_dir(output_dir, version)
    try:
        # a mitigated version's card was written with its before/after measurements: keep it
        if version is None and refresh_card(output_dir, repo_id) is not None:
            typer.echo(f"dataset card re-rendered from the run folder ({dataset / 'README.md'})")
        if dry_run:
            typer.echo("dataset card: OK (local checks; the Hub validates it again on publish)")
            typer.echo(plan_only(dataset, repo_id))
            return
        plan = publish(dataset, repo_id, private=private, force=force)
    except (PublishError, CardError) as exc:
        fail(str(exc))
    typer.echo(f"published {len(plan.upload)} of {len(plan.files)} files to https://huggingface.co/datasets/{repo_id}")


def export_finetune_command(
    output_dir: OutputDirArg,
    format: Annotated[str, typer.Option("--format", help="seq2seq (mT5), chat (TRL SFT) or dpo (TRL DPO)")],
    language: Annotated[Optional[list[str]], typer.Option("--language", help="Only these configs (repeatable)")] = None,
    task_prefix: Annotated[str, typer.Option(help="Text put before every instruction (e.g. for mT5)")] = "",
    system: Annotated[Optional[str], typer.Option(help="A system message for chat examples")] = None,
    rejected_column: Annotated[str, typer.Option(help="dpo: the column holding the rejected answer")] = "document_en",
    tokenizer: Annotated[Optional[str], typer.Option(help="Count tokens with this tokenizer (path or Hub id)")] = None,
) -> None:
    """Write fine-tuning files (OUT/finetune/<format>/<split>.jsonl + stats.json) from OUT/dataset/."""
    from muri_gen.export.finetune import FORMATS, FinetuneExportError, export_finetune

    if format not in FORMATS:
        usage_error(f"--format {format!r}: choose one of {', '.join(FORMATS)}")
    try:
        stats = export_finetune(_dataset_dir(output_dir), output_dir / "finetune", format, language,
                                task_prefix, system, rejected_column, tokenizer)
    except FinetuneExportError as exc:
        fail(str(exc))
    for split, info in stats["splits"].items():
        tokens = "; ".join(f"{side} tokens p50 {t['p50']} p95 {t['p95']} max {t['max']}"
                           for side, t in info.get("tokens", {}).items())
        typer.echo(f"{format}/{split}: {info['rows']} rows" + (f" ({tokens})" if tokens else ""))
    typer.echo(f"written to {output_dir / 'finetune' / format}")
