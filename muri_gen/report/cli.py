"""Commands of the report area: `muri-gen inspect` and `muri-gen eval export|import`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from muri_gen.console import fail, usage_error
from muri_gen.curation.score import DEFAULT_CALIBRATION

OutputDir = Annotated[Path, typer.Argument(help="A run's output folder", show_default=False, exists=True, file_okay=False)]

eval_app = typer.Typer(help="Human evaluation sheets (MURI's three criteria, 1-5): export, then import the filled sheets.",
                       no_args_is_help=True)


def _run_dir(output_dir: Path):
    from muri_gen.runner.layout import RunDir

    run = RunDir(output_dir)
    if not run.split_marker.exists():
        fail(f"{output_dir} is not a muri-gen run folder (or the run has not started)")
    return run


def inspect(
    output_dir: OutputDir,
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help="Only this language (ISO 639-3, e.g. spa)")] = None,
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="How many to show")] = 5,
    rejected: Annotated[Optional[str], typer.Option(
        "--rejected", "-r", help="Show rejects instead of pairs: a reason (echo), stage:reason, stage: , 'error' or 'all'")] = None,
) -> None:
    """Print kept pairs (or rejected records, with stage and reason) of a run, readable in a terminal."""
    from muri_gen.languages import UnknownLanguage, code3
    from muri_gen.report.inspect import inspect_run

    try:
        code = code3(lang) if lang else None
    except UnknownLanguage as exc:
        usage_error(str(exc))
    inspect_run(_run_dir(output_dir), code, n, rejected)


@eval_app.command("export")
def eval_export(
    output_dir: OutputDir,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the sheets (one CSV + HTML form per language)")],
    per_lang: Annotated[int, typer.Option("--per-lang", min=1, help="Pairs per language (MURI rated 30)")] = 30,
    lang: Annotated[Optional[list[str]], typer.Option("--lang", "-l", help="Only these languages (repeatable)")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random choice of pairs")] = 0,
    candidates: Annotated[bool, typer.Option(
        "--candidates", help="Every candidate instruction that passed the post-filter as a pair of its own "
        "(a sample for `eval calibrate` that spans good and bad instructions)")] = False,
) -> None:
    """Write rating sheets: a random sample of kept pairs per language."""
    from muri_gen.languages import UnknownLanguage, code3
    from muri_gen.report.evaluation import EvalError, export_sheets

    try:
        codes = [code3(x) for x in lang or []] or None
    except UnknownLanguage as exc:
        usage_error(str(exc))
    try:
        written = export_sheets(_run_dir(output_dir), output, per_lang, codes, seed, candidates)
    except EvalError as exc:
        fail(str(exc))
    typer.echo(f"wrote {len(written) // 2} sheet(s) to {output}: give each rater the .html form (works offline) or the .csv; "
               f"then run `muri-gen eval import {output_dir} FILLED.csv ...`")


@eval_app.command("import")
def eval_import(
    output_dir: OutputDir,
    sheets: Annotated[list[Path], typer.Argument(help="Filled CSV sheets, or folders of them", show_default=False,
                                                 exists=True)],
) -> None:
    """Read filled sheets; print and save mean scores with 95% confidence intervals (OUT/eval/scores.json)."""
    from muri_gen.report.evaluation import CRITERIA, SCORES_FILE, EvalError, import_sheets, scores_table

    try:
        scores = import_sheets(_run_dir(output_dir), sheets)
    except EvalError as exc:
        fail(str(exc))
    header = ["lang", "pairs", *CRITERIA]
    rows = [header] + [[str(c) if c is not None else "-" for c in row] for row in scores_table(scores)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    typer.echo(f"saved {output_dir / SCORES_FILE}; re-run the recipe on {output_dir} (finished shards are skipped) "
               "to put the scores into report.html and the dataset card")


@eval_app.command("rescore")
def eval_rescore(
    pairs: Annotated[Path, typer.Argument(help="Rated pairs saved with `eval calibrate --save-pairs`", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The rated pairs with fresh signals (JSONL)")],
    recipe: Annotated[Optional[Path], typer.Option(help="A curate recipe (default: the bundled pipelines/curate.yaml)")] = None,
) -> None:
    """Score rated pairs again with today's curate stage (a new signal, a new embedder): the ratings
    stay, the signals are recomputed, and `eval calibrate --with-pairs` can fit them."""
    import tempfile

    from muri_gen.api import rescore_rated
    from muri_gen.report.evaluation import EvalError, read_rated_pairs

    try:
        rated = read_rated_pairs(pairs)
        with tempfile.TemporaryDirectory(prefix="muri-rescore-") as workdir:
            rescored = rescore_rated(rated, workdir, recipe=recipe)
    except (EvalError, ValueError, OSError) as exc:
        fail(str(exc))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rescored), encoding="utf-8")
    typer.echo(f"rescored {len(rescored)} rated pairs; wrote {output}")


@eval_app.command("calibrate")
def eval_calibrate(
    output: Annotated[Path, typer.Option("--output", "-o", help="The calibration file to write (YAML)")],
    output_dir: Annotated[Optional[Path], typer.Argument(
        help="A run's output folder (none: fit --with-pairs alone)", show_default=False, exists=True,
        file_okay=False)] = None,
    sheets: Annotated[Optional[list[Path]], typer.Argument(
        help="Filled CSV sheets of this run, or folders of them", show_default=False)] = None,
    name: Annotated[Optional[str], typer.Option(help="The calibration's name (default: the file's stem)")] = None,
    base: Annotated[str, typer.Option(help="Calibration whose floors are kept")] = DEFAULT_CALIBRATION,
    save_pairs: Annotated[Optional[Path], typer.Option(
        "--save-pairs", help="Also write the rated pairs (texts, signals, ratings) as JSONL: "
        "a test set, and what the calibration can be fitted again from")] = None,
    with_pairs: Annotated[Optional[list[Path]], typer.Option(
        "--with-pairs", help="Rated pairs saved earlier with --save-pairs (another run, another prompt), "
        "fitted together with this run's")] = None,
) -> None:
    """Fit the curate stage's weights and thresholds to rated pairs; print how well the score agrees
    with the ratings. Use the file in a recipe: {stage: curate, calibration: FILE}."""
    import yaml

    from muri_gen.report.evaluation import EvalError, calibrate, merge_rated, rated_pairs, read_rated_pairs

    if output_dir is None and not with_pairs:
        usage_error("give a run folder and its rated sheets, or rated pairs with --with-pairs")
    if output_dir is not None and not sheets:
        usage_error(f"give the rated sheets of {output_dir}")
    try:
        rated, count = rated_pairs(_run_dir(output_dir), sheets) if output_dir is not None else ([], 0)
        earlier: list[dict] = []
        for path in with_pairs or []:
            pairs = read_rated_pairs(path)
            count += len({(r.get("sample"), r["language"]) for r in pairs})  # a sheet per run and language
            earlier += pairs
        rated, repeated = merge_rated(earlier, rated)
        if repeated:
            typer.echo(f"{repeated} pairs of {output_dir} were rated before (same language, document and instruction): "
                       "the earlier rating is kept")
        calibration = calibrate(rated, base, name or output.stem, count)
    except (EvalError, ValueError, OSError) as exc:
        fail(str(exc))
    if save_pairs:
        save_pairs.parent.mkdir(parents=True, exist_ok=True)
        save_pairs.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rated), encoding="utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(yaml.safe_dump(calibration.model_dump(mode="json"), sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    fitted = calibration.fitted
    cross = fitted["cross_validated"]
    at = fitted["at_min_score"]
    typer.echo(f"{fitted['rated_pairs']} rated pairs ({', '.join(f'{k} {v}' for k, v in fitted['languages'].items())}); "
               f"good ({fitted['good']}) {fitted['good_share']:.0%}, publishable {fitted['publishable_share']:.0%}")
    typer.echo("weights: " + ", ".join(f"{k} {v:.2f}" for k, v in calibration.weights.items())
               + f"; min_score {calibration.min_score:.3f}"
               + "".join(f"; {lang} {t.min_score:.3f}" for lang, t in calibration.languages.items()))
    typer.echo(f"rank correlation with the ratings: {fitted['spearman']} in-sample, {cross['spearman']} cross-validated")
    for label, figures in (("in-sample", at), ("cross-validated", cross)):
        typer.echo(f"kept at min_score ({label}): {figures['kept']} ({figures['kept_share']:.0%}), "
                   f"precision {figures['precision_good']:.2f}, recall {figures['recall_good']:.2f}, "
                   f"mean alignment {figures['kept_mean_alignment']}, instruction {figures['kept_mean_instruction']}")
    typer.echo(f"wrote {output}")
