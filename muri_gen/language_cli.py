"""``muri-gen languages``: the registry's view of languages, and which of a recipe's backends serve them;
``muri-gen lid-eval``: language-ID accuracy of a backend on UDHR paragraphs, with its confusions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from muri_gen.component import StaticContext
from muri_gen.console import fail, usage_error

ENGLISH = "eng"


def backend_support(resolved, code: str) -> dict[str, list[str]]:
    """The recipe's LID backends that know the language (or its macrolanguage), and its translators
    that translate it into English and back; no translation model is loaded, LID label lists are."""
    from muri_gen import languages

    family = {code, languages.macrolanguage(code), *languages.members(code)}
    support: dict[str, list[str]] = {"lid": [], "translator": []}
    for ref, component in resolved.backends.items():
        if component.kind == "lid" and family & _lid_languages(resolved, ref):
            support["lid"].append(ref)
        elif component.kind == "translator":
            translator = component.cls(component.config, StaticContext(resolved.backends))
            if code == ENGLISH or (translator.supports(code, ENGLISH) and translator.supports(ENGLISH, code)):
                support["translator"].append(ref)
    return support


_LID_LANGUAGES: dict[str, frozenset[str]] = {}


def _lid_languages(resolved, ref: str) -> frozenset[str]:
    if ref not in _LID_LANGUAGES:
        component = resolved.backends[ref]
        _LID_LANGUAGES[ref] = component.cls(component.config).languages()
    return _LID_LANGUAGES[ref]


def languages_command(
    codes: Annotated[Optional[list[str]], typer.Argument(
        help="Languages (ISO 639-1/3, e.g. arz es zho_Hant); default: the recipe's, else NLLB-200's", show_default=False)] = None,
    recipe: Annotated[Optional[Path], typer.Option("--recipe", help="Also show which of this recipe's LID and "
                                                   "translator backends serve each language", exists=True, dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per language")] = False,
) -> None:
    """Languages as the registry knows them: ISO 639-3 code, name, default script, macrolanguage and
    members, NLLB code; with a recipe, which of its backends identify and translate each."""
    from muri_gen import languages
    from muri_gen.recipe import RecipeError, load_recipe

    resolved = None
    if recipe is not None:
        try:
            resolved = load_recipe(recipe)
        except RecipeError as exc:
            fail(str(exc))
    wanted = codes or (resolved and resolved.recipe.languages) or languages.nllb_languages()
    rows = []
    for code in wanted:
        try:
            row = languages.describe(code)
        except languages.UnknownLanguage as exc:
            usage_error(str(exc))
        if resolved is not None:
            row.update(backend_support(resolved, row["code"]))
        rows.append(row)
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False) if as_json else _line(row))


def _line(row: dict) -> str:
    parts = [f"{row['code']}_{row['script']}", row["name"], f"nllb {row['nllb'] or '-'}"]
    if row["macrolanguage"]:
        parts.append(f"in {row['macrolanguage']}")
    if row["members"]:
        parts.append(f"members {' '.join(row['members'])}")
    if "lid" in row:
        parts.append(f"lid {','.join(row['lid']) or '-'}; translators {','.join(row['translator']) or '-'}")
    return " | ".join(parts)


def lid_eval(
    backend: Annotated[str, typer.Option(help="LID backend: fasttext, pycld2, py3langid, langdetect")] = "fasttext",
    model_path: Annotated[Optional[str], typer.Option(help="fastText model file, e.g. GlotLID's model.bin")] = None,
    short: Annotated[Optional[int], typer.Option(help="Cut each paragraph to its first N characters")] = None,
    sibling_judge: Annotated[Optional[str], typer.Option(
        help="LID backend that settles hr/sr/bs, id/ms...; 'none' for the model alone (default: the backend's)")] = None,
) -> None:
    """Accuracy of a LID backend on the UDHR in 71 languages (the language_id stage's decision rule)."""
    from muri_gen.lid_eval import eval_documents, evaluate
    from muri_gen.registry import UnknownName

    options = {"model_path": model_path} if model_path else {}
    if sibling_judge:
        options["sibling_judge"] = None if sibling_judge == "none" else sibling_judge
    try:
        report = evaluate(backend, eval_documents(short_chars=short), **options)
    except UnknownName as exc:  # --backend or --sibling-judge names no LID backend
        usage_error(str(exc))
    typer.echo(json.dumps(report, indent=1))
