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
    "--param", "-p", help="METHOD.KEY=VALUE (value read as YAML), e.g. augment.target=reference reweight.max_weight=5")]


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


def _records(output_dir: Path, records_path: Path | None) -> list[dict]:
    """The run's kept records, or the rows of ``records_path``: a run's records (JSONL) or the published
    dataset's rows (JSONL, a Parquet file, or a folder of them as downloaded from the Hub)."""
    import pyarrow.parquet as pq

    from muri_gen.export.schema import from_row, is_exported_row
    from muri_gen.runner.layout import RunDir, read_jsonl

    if records_path is None:
        return list(RunDir(output_dir).kept_records())
    if records_path.is_dir():
        rows = [row for path in sorted(records_path.rglob("*.parquet")) for row in pq.read_table(path).to_pylist()]
    elif records_path.suffix == ".parquet":
        rows = pq.read_table(records_path).to_pylist()
    else:
        rows = list(read_jsonl(records_path))
    return [from_row(row) if is_exported_row(row) else row for row in rows]


def _run_context(output_dir: Path, recipe_path: Path | None, ref: str):
    """The LLM backend ``ref`` of the run's recipe (or another recipe), started as a run would."""
    from muri_gen.recipe import load_recipe
    from muri_gen.runner.context import RunContext
    from muri_gen.runner.layout import RunDir

    resolved = load_recipe(recipe_path or output_dir / "recipe.yaml", [], None, str(output_dir))
    if ref not in resolved.backends:
        raise ValueError(f"the recipe has no backend {ref!r} (has: {', '.join(resolved.backends) or 'none'})")
    return RunContext(resolved, RunDir(output_dir))


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
    from muri_gen.bias.mitigate import get_method
    from muri_gen.bias.mitigate.pipeline import build
    from muri_gen.bias.mitigate.pipeline import mitigate as run_methods
    from muri_gen.bias.mitigate.version import require_pairs, version_name, write_version
    from muri_gen.registry import UnknownName

    try:
        params = parse_params(method, param or [])
        for m in method:  # every method and option is checked before any work starts
            get_method(m).Config(**params[m])
    except (ValueError, UnknownName) as exc:  # pydantic's ValidationError is a ValueError
        usage_error(str(exc))
    context = None
    try:
        rows = _records(output_dir, records)
        require_pairs(rows, str(records or output_dir))
        if "rewrite" in method:
            context = _run_context(output_dir, recipe, llm)
        built = [build(m, params[m], llm=context.backend(llm) if context and m == "rewrite" else None) for m in method]
        outcome = run_methods(rows, built, measure_field)
        target = write_version(output_dir, outcome, name or version_name(method), measure_field)
    except (ValueError, FileNotFoundError) as exc:  # EmptyVersion and RecipeError are ValueErrors
        fail(str(exc))
    finally:
        if context is not None:
            context.close()
    exported = json.loads((target / "mitigation.json").read_text())["rows"]
    before = {k: v["overall_sta"] for k, v in outcome.before["languages"].items()}
    after = {k: v["overall_sta"] for k, v in outcome.after["languages"].items()}
    typer.echo(f"{len(rows)} rows -> {len(outcome.records)} rows, {exported['out']} exported; overall STA "
               f"{json.dumps(before)} -> {json.dumps(after)}; written to {target}")
