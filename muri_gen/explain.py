"""``muri-gen validate --explain NAME``: every option of a stage, sink or backend, with its help."""
from __future__ import annotations

from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from muri_gen.backends import BACKENDS
from muri_gen.registry import resolve
from muri_gen.sinks import SINKS
from muri_gen.stages import STAGES


def matches(name: str) -> list[tuple[str, str, dict[str, str]]]:
    """(what, name, table) for each component called ``name``; a backend may be named ``kind/type``."""
    kind, _, type_ = name.rpartition("/")
    found = [("stage", name, STAGES)] if name in STAGES else []
    found += [("sink", name, SINKS)] if name in SINKS else []
    found += [(f"{k} backend", type_, table) for k, table in BACKENDS.items() if type_ in table and kind in ("", k)]
    return found


def explain(name: str) -> str:
    found = matches(name)
    if not found:
        known = sorted({*STAGES, *SINKS, *(f"{k}/{t}" for k, table in BACKENDS.items() for t in table)})
        raise ValueError(f"no stage, sink or backend named {name!r}; known: {', '.join(known)}")
    return "\n\n".join(describe(what, type_, resolve(table, type_, what).Config) for what, type_, table in found)


def describe(what: str, name: str, config: type[BaseModel]) -> str:
    lines = [f"{what} {name} ({config.__name__}):"]
    for field, info in config.model_fields.items():
        lines.append(f"  {field}: {_type_name(info.annotation)} = {_default(info)}")
        if info.description:
            lines.append(f"      {info.description}")
    if len(lines) == 1:
        lines.append("  (no options)")
    return "\n".join(lines)


def _type_name(annotation) -> str:
    """As a recipe author reads it: ``list[str] | None``, without validators or module paths."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, UnionType):
        return " | ".join(_type_name(arg) for arg in args)
    if origin is Literal:
        return f"Literal[{', '.join(map(repr, args))}]"
    if origin is not None:
        return f"{origin.__name__}[{', '.join(_type_name(arg) for arg in args)}]"
    if annotation is type(None):
        return "None"
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def _default(info) -> str:
    if info.is_required():
        return "(required)"
    return repr(info.default_factory() if info.default_factory is not None else info.default)
