"""``muri-gen bias mitigate OUTPUT_DIR --method ...``: a mitigated dataset version beside the original."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from muri_gen.console import fail, usage_error

MethodOpt = Annotated[list[str], typer.Option(
    "--method", "-m",
    help="augment, reweight, resample, mark_tokens, mask_spans, curate, rewrite; repeat to chain (applied in order)")]
ParamOpt = Annotated[Optional[list[str]], typer.Option(
    "--param", "-p", help="METHOD.KEY=VALUE (value read as YAML), e.g. augment.target=reference reweight.max_weight=5; "
    "a method's keys: muri-gen validate --explain METHOD")]


def parse_params(methods: list[str], assignments: list[str]) -> dict[str, dict]:
    from muri_gen.yaml_lines import safe_load

    params: dict[str, dict] = {m: {} for m in methods}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        method, dot, option = key.partition(".")
        if not sep or not dot or not option:
            raise ValueError(f"--param {assignment!r}: expected METHOD.KEY=VALUE")
        if method not in params:
            raise ValueError(f"--param {assignment!r}: {method!r} is not one of the --method values ({', '.join(methods)})")
        params[method][option] = safe_load(value, '--param')
    return params


def mitigate(
    output_dir: Annotated[Path, typer.Argument(help="A finished run's output folder (the version is written inside it)")],
    method: MethodOpt,
    param: ParamOpt = None,
    measure_field: Annotated[str, typer.Option(help="Record field whose gender-occupation STA is measured")] = "instruction_en",
    records: Annotated[Optional[Path], typer.Option(
        help="Read rows from this file instead of the run's kept records: a run's records (JSONL) or the published "
        "dataset's rows (input, output, ... as JSONL, Parquet, or a folder downloaded from the Hub)", exists=True)] = None,
    name: Annotated[Optional[str], typer.Option(help="Version name: OUTPUT_DIR/dataset-mitigated-NAME (default: the methods)")] = None,
    llm: Annotated[str, typer.Option(help="Backend ref of the recipe's LLM (for --method rewrite)")] = "llm",
    recipe: Annotated[Optional[Path], typer.Option(help="Recipe whose backends to use (default: OUTPUT_DIR/recipe.yaml)")] = None,
) -> None:
    """Write a bias-mitigated version of a run's dataset beside the original, with STA before and after."""
    from muri_gen.api import mitigate_bias
    from muri_gen.bias.mitigate.pipeline import check_methods
    from muri_gen.registry import UnknownName

    try:
        params = check_methods(method, parse_params(method, param or []))
    except (ValueError, UnknownName) as exc:  # pydantic's ValidationError is a ValueError
        usage_error(str(exc))
    try:
        result = mitigate_bias(records or output_dir, method, params=params, measure_field=measure_field,
                               output=output_dir, name=name, recipe=recipe, llm=llm)
    except (ValueError, FileNotFoundError) as exc:  # EmptyVersion and RecipeError are ValueErrors
        fail(str(exc))
    exported = json.loads((result.path / "mitigation.json").read_text())["rows"]
    before = {k: v["overall_sta"] for k, v in result.before["languages"].items()}
    after = {k: v["overall_sta"] for k, v in result.after["languages"].items()}
    typer.echo(f"{result.before['rows']} rows -> {len(result.records)} rows, "
               f"{exported['out']} exported; overall STA {json.dumps(before)} -> {json.dumps(after)}; written to {result.path}")
