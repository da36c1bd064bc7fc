"""``muri-gen bias ...``: trace any dataset's gender-occupation counts, probe a model."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from muri_gen.console import fail, usage_error

app = typer.Typer(help="Gender-occupation bias: trace counts in any dataset, probe a model, mitigate.", no_args_is_help=True)

OccupationsOpt = Annotated[Optional[Path], typer.Option("--occupations", help="Occupation list replacing filters/bias/occupations.tsv (name, female_pct, sector, forms)")]


def _write(output: Path, report: dict) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


@app.command()
def trace(
    input: Annotated[Path, typer.Option("--input", "-i", help="JSONL (.gz/.zst), Parquet, or a dataset folder")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the JSON report")],
    field: Annotated[str, typer.Option("--field", help="The column holding the text to count")] = "text",
    lang: Annotated[str, typer.Option("--lang", help="Language of that text (en, es, spa, ...)")] = "en",
    lang_field: Annotated[Optional[str], typer.Option(
        "--lang-field", help="Column giving each row's language (a mixed file): one report per language")] = None,
    occupations: OccupationsOpt = None,
    ci_samples: Annotated[int, typer.Option(help="Bootstrap resamples for the 95% intervals (0 = none)")] = 1000,
    seed: int = 0,
) -> None:
    """Count gender-occupation co-occurrence in one text column and write female%, STA per occupation."""
    from muri_gen.api import trace_bias
    from muri_gen.bias.lexicons import LexiconError
    from muri_gen.io.readers import InputError

    try:
        report = trace_bias(input, field=field, language=lang, language_field=lang_field, occupations=occupations,
                            ci_samples=ci_samples, seed=seed)
    except (LexiconError, InputError) as exc:
        fail(str(exc))
    _write(output, report)
    for code, one in (report["languages"].items() if lang_field else [(lang, report)]):
        sta = one["overall_sta"]
        typer.echo(f"{code}: {one['texts']} texts, {one['sentences']} sentences; {one['occupations_with_evidence']} of "
                   f"{one['occupations_total']} occupations with evidence; overall STA "
                   f"{'n/a (no evidence)' if sta is None else f'{sta:.3f}'}")
    if lang_field and report["no_lexicon"]:
        typer.echo(f"no lexicon, not counted: {report['no_lexicon']}")
    typer.echo(f"rows skipped: {report['rows_skipped'] or 'none'} -> {output}")


@app.command()
def probe(
    recipe: Annotated[Path, typer.Argument(help="Recipe whose backends: section defines the model", exists=True,
                                           dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o")],
    backend: Annotated[str, typer.Option("--backend", help="Key of the LLM backend in the recipe")] = "llm",
    kind: Annotated[str, typer.Option("--kind", help="instruct (chat templates) or base (sentence starts)")] = "instruct",
    samples: Annotated[int, typer.Option("--samples", "-n", help="Samples per prompt and decoding setting")] = 50,
    max_tokens: int = 96,
    decoding: Annotated[Optional[list[str]], typer.Option("--decoding", help="t0.7, t1_top_p0.9, t1_top_k40, t1 (default: all four)")] = None,
    occupation: Annotated[Optional[list[str]], typer.Option("--occupation", help="Probe only these (default: all)")] = None,
    dataset_trace: Annotated[Optional[Path], typer.Option("--compare", help="A bias trace JSON to compare with")] = None,
    occupations: OccupationsOpt = None,
) -> None:
    """Zero-shot probes of the recipe's LLM: who does the model think holds each occupation?"""
    import tempfile

    from muri_gen.bias.lexicons import LexiconError, read_occupations, OCCUPATIONS_FILE
    from muri_gen.bias.probes import run_probes
    from muri_gen.recipe import RecipeError, load_recipe
    from muri_gen.runner.context import RunContext
    from muri_gen.runner.layout import RunDir

    try:
        resolved = load_recipe(recipe)
        listed, _ = read_occupations(occupations or OCCUPATIONS_FILE)
    except (RecipeError, LexiconError) as exc:
        fail(str(exc))
    if backend not in resolved.backends or resolved.backends[backend].kind != "llm":
        fail(f"{recipe} has no LLM backend named {backend!r}")
    chosen = [o for o in listed if not occupation or o.name in occupation]
    missing = sorted(set(occupation or []) - {o.name for o in listed})
    if missing:
        fail(f"not in the occupation list: {', '.join(missing)}")
    comparison = json.loads(dataset_trace.read_text()) if dataset_trace else None
    if comparison and "stages" in comparison:  # a run's trace.json: compare with its generated English
        comparison = comparison["stages"]["english_instruction"]["overall"] or {}
    with tempfile.TemporaryDirectory() as scratch:
        context = RunContext(resolved, RunDir(scratch))
        try:
            report = run_probes(context.backend(backend), chosen, kind, samples, max_tokens, resolved.recipe.seed,
                                decoding, comparison)
        except ValueError as exc:  # an unknown --kind or --decoding
            usage_error(str(exc))
        finally:
            context.close()
    _write(output, report)
    sta = report["overall_sta"]
    typer.echo(f"{report['female'] + report['male']} labelled outputs ({report['outputs_dropped']} dropped, "
               f"{report['requests_failed']} failed requests); overall STA "
               f"{'n/a' if sta is None else f'{sta:.3f}'} -> {output}")


from muri_gen.bias.mitigate.cli import mitigate  # noqa: E402  (bias mitigation area)
app.command("mitigate")(mitigate)
