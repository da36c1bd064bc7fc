"""``muri-gen translate``: check a translator by hand on a file or standard input."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from muri_gen.console import fail, usage_error

# The embedded defaults, tried in this order when no backend is named.
EMBEDDED = ("bergamot", "apertium")


def translate(
    src: Annotated[str, typer.Option("--src", help="Source language (ISO 639-1/3, e.g. spa or es)")],
    tgt: Annotated[str, typer.Option("--tgt", help="Target language, e.g. eng")],
    file: Annotated[Optional[Path], typer.Argument(help="Text file (default: standard input)", show_default=False,
                                                   exists=True, dir_okay=False)] = None,
    backend: Annotated[Optional[str], typer.Option("--backend", help="Translator type: apertium, bergamot, transformers, ctranslate2")] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", "-o", help="Backend option key=value, e.g. -o model=facebook/nllb-200-distilled-600M")] = None,
) -> None:
    """Translate a file or standard input to standard output, keeping line and paragraph breaks."""
    from pydantic import ValidationError

    from muri_gen import languages
    from muri_gen.backends import get_backend
    from muri_gen.io.encoding import decode_utf8
    from muri_gen.registry import UnknownName
    from muri_gen.translation.documents import DocumentTranslator
    from muri_gen.yaml_lines import safe_load

    try:
        source, target = languages.code3(src), languages.code3(tgt)
    except languages.UnknownLanguage as exc:
        usage_error(str(exc))
    options = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep:
            usage_error(f"--option {item!r}: expected key=value")
        options[key.strip()] = safe_load(value, '--option')
    candidates = [backend] if backend else list(EMBEDDED)
    chosen = None
    for name in candidates:
        if name in ("router", "llm"):
            usage_error(f"the {name} translator uses other backends of a recipe: run a recipe, or name a standalone "
                 "translator (apertium, bergamot, transformers, ctranslate2)")
        try:
            cls = get_backend("translator", name)
            instance = cls(cls.Config.model_validate(options))
        except ValidationError as exc:
            usage_error(f"translator {name!r}: " + "; ".join(
                f"-o {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        except UnknownName as exc:
            usage_error(f"translator {name!r}: {exc}")
        if instance.supports(source, target):
            chosen = instance
            break
    if chosen is None:
        fail(f"{' and '.join(candidates)} cannot translate {languages.get(source).name} ({source}) -> "
             f"{languages.get(target).name} ({target})")
    text = decode_utf8(file.read_bytes() if file else sys.stdin.buffer.read(), str(file or "standard input"))
    if not text.strip():
        fail("nothing to translate: the input is empty")
    chosen.setup()
    try:
        result = DocumentTranslator(chosen).translate([text], source, target)[0]
    finally:
        chosen.teardown()
    if result.text is None:
        fail(f"translation failed: {result.error}")
    typer.echo(result.text)
