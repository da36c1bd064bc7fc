"""``muri-gen validate --explain NAME``: every option of a stage, sink, backend or bias-mitigation method
(an item of ``bias_mitigate``'s ``methods``, a ``bias mitigate --method``), or of the recipe's own sections
(``--explain recipe``), with its help."""
from __future__ import annotations

from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from muri_gen.backends import BACKENDS
from muri_gen.bias.mitigate import METHODS
from muri_gen.recipe import Recipe
from muri_gen.registry import resolve
from muri_gen.sinks import SINKS
from muri_gen.stages import STAGES


def matches(name: str) -> list[tuple[str, str, dict[str, str]]]:
    """(what, name, table) for each component called ``name``; a backend may be named ``kind/type``."""
    kind, _, type_ = name.rpartition("/")
    found = [("stage", name, STAGES)] if name in STAGES else []
    found += [("sink", name, SINKS)] if name in SINKS else []
    found += [("mitigation method", name, METHODS)] if name in METHODS else []
    found += [(f"{k} backend", type_, table) for k, table in BACKENDS.items() if type_ in table and kind in ("", k)]
    return found


def explain(name: str) -> str:
    if name == "recipe":
        return describe("recipe file", Recipe)
    found = matches(name)
    if not found:
        known = sorted({*STAGES, *SINKS, *METHODS, *(f"{k}/{t}" for k, table in BACKENDS.items() for t in table)})
        raise ValueError(f"no stage, sink, backend or mitigation method named {name!r}; "
                         f"known: recipe, {', '.join(known)}")
    return "\n\n".join(describe(f"{what} {type_}", resolve(table, type_, what).Config) for what, type_, table in found)


def describe(title: str, config: type[BaseModel]) -> str:
    lines = [f"{title} ({config.__name__}):", *_options(config, "")]
    if len(lines) == 1:
        lines.append("  (no options)")
    return "\n".join(lines)


def _options(config: type[BaseModel], path: str) -> list[str]:
    """Each field of ``config``, then the fields of the options inside it by their dotted path
    (``resources.cpus``, ``routes[].translator``, ``languages.<key>.min_score``)."""
    lines = []
    for field, info in config.model_fields.items():
        lines.append(f"  {path}{field}: {_type_name(info.annotation)} = {_default(info)}")
        if info.description:
            lines.append(f"      {info.description}")
        for inner_path, model in _inner_models(info.annotation, f"{path}{field}"):
            lines += _options(model, f"{inner_path}.")
    return lines


def _inner_models(annotation, path: str):
    """(path, model) for each option model a field holds, itself or in a list or dict."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield path, annotation
        return
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (list, tuple, set, frozenset):
        inner = [(f"{path}[]", arg) for arg in args]
    elif origin is dict:
        inner = [(f"{path}.<key>", args[1])] if len(args) == 2 else []
    else:  # Optional, Union, Annotated
        inner = [(path, arg) for arg in args]
    for inner_path, arg in inner:
        yield from _inner_models(arg, inner_path)


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
