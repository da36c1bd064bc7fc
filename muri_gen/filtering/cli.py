"""``muri-gen lid-eval``: language-ID accuracy of a backend on UDHR paragraphs, with its confusions."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from muri_gen.console import usage_error


def lid_eval(
    backend: Annotated[str, typer.Option(help="LID backend: fasttext, pycld2, py3langid, langdetect")] = "fasttext",
    model_path: Annotated[Optional[str], typer.Option(help="fastText model file, e.g. GlotLID's model.bin")] = None,
    short: Annotated[Optional[int], typer.Option(help="Cut each paragraph to its first N characters")] = None,
    sibling_judge: Annotated[Optional[str], typer.Option(
        help="LID backend that settles hr/sr/bs, id/ms...; 'none' for the model alone (default: the backend's)")] = None,
) -> None:
    """Accuracy of a LID backend on the UDHR in 71 languages (the language_id stage's decision rule)."""
    from muri_gen.filtering.lid_eval import eval_documents, evaluate
    from muri_gen.registry import UnknownName

    options = {"model_path": model_path} if model_path else {}
    if sibling_judge:
        options["sibling_judge"] = None if sibling_judge == "none" else sibling_judge
    try:
        report = evaluate(backend, eval_documents(short_chars=short), **options)
    except UnknownName as exc:  # --backend or --sibling-judge names no LID backend
        usage_error(str(exc))
    typer.echo(json.dumps(report, indent=1))
