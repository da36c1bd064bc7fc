"""Recipes: YAML -> validated pydantic models, with --set overrides, before any work starts.

Every error names the key path and its line in the YAML file, and all errors are reported at
once. Stage, sink and backend options are validated by the Config model of the class the recipe
names, so adding a stage never means editing this file.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from muri_gen import languages
from muri_gen.backends import get_backend
from muri_gen.component import Component, ComponentConfig, StaticContext
from muri_gen.io.encoding import NotUTF8, decode_utf8
from muri_gen.redact import redact
from muri_gen.registry import UnknownName
from muri_gen.sinks import get_sink
from muri_gen.stages import get_stage
from muri_gen.yaml_lines import YAMLRefused, line_of, load_with_lines, safe_load

# Columns every reader produces; stages declare what they read and write on top of these.
READER_COLUMNS = ("id", "text", "source_dataset", "source_id", "declared_language")


class RecipeError(ValueError):
    def __init__(self, source: str, problems: list[str]):
        self.source = source  # the recipe file, or "--set" for a malformed override
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s) in the recipe:\n  - " + "\n  - ".join(problems))


class InputConfig(ComponentConfig):
    path: str | None = Field(default=None, description="None: given at run time (--input, or Recipe.run(input=...))")
    format: Literal["auto", "jsonl", "parquet", "text_folder", "hf_disk", "hf_hub", "memory"] = Field(
        default="auto", description="\"memory\": rows handed over by the Python API; path is then "
                                    "\"memory:<content fingerprint>\"")
    text_field: str = Field(default="text", description="the column holding the document's text")
    id_field: str | None = Field(default="id",
                                 description="the column holding a record's id; None, or a row without one: an id "
                                             "made from the row's position and text")
    language_field: str | None = Field(default=None, description="a column saying which language the corpus claims")
    fields: dict[str, str] = Field(default={},
                                   description="more columns onto the record, record field -> input column: e.g. a "
                                               "dataset of pairs for the curate stage: {instruction: input, language: "
                                               "language, instruction_en: instruction_en}")
    hf_config: str | None = Field(default=None, description="hf_hub: the dataset's configuration (subset) name")
    split: str = Field(default="train", description="hf_disk and hf_hub: the split to read")
    revision: str | None = Field(default=None,
                                 description="hf_hub: a branch, tag or commit; a commit makes re-runs read the same "
                                             "rows")
    limit: int | None = Field(default=None, ge=1,
                              description="read only the first N input rows (a trial run); None: all of them")
    dataset_name: str | None = Field(default=None, description="MURI-IT ``dataset_name``; defaults to the recipe name")
    subdataset_name: str | None = Field(default=None,
                                        description="MURI-IT ``subdataset_name``; defaults to the input's stem")
    max_record_bytes: int = Field(default=32 * 1024 * 1024, ge=1024,
                                  description="bytes: a longer line, JSON document or text file is an errored "
                                              "record, not read into memory")

    @property
    def is_url(self) -> bool:
        """An fsspec URL (s3://, gs://, hf://, https://, memory://), not a local path."""
        return self.path is not None and "://" in self.path

    @field_validator("path")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        # the run folder keeps the recipe redacted, and a redacted URL could not be read again on resume:
        # a URL's keys belong in the environment, where the filesystem library reads them
        if value is not None and "://" in value and redact(value) != value:
            raise ValueError("the URL carries credentials (user:password@, user@ or a token); give them through the "
                             "environment (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, HF_TOKEN) instead")
        return value

    @field_validator("fields")
    @classmethod
    def _not_reader_columns(cls, value: dict[str, str]) -> dict[str, str]:
        taken = sorted(set(value) & set(READER_COLUMNS))
        if taken:
            raise ValueError(f"{taken} are set by the reader itself (use text_field, id_field, language_field)")
        return value


class OutputConfig(ComponentConfig):
    dir: str | None = Field(default=None, description="None: given at run time (--output, or Recipe.run(output=...))")

    @field_validator("dir")
    @classmethod
    def _names_a_folder(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():  # "" would write the run into the current folder
            raise ValueError("is empty: name the folder the run writes to")
        return value


class ExecutorConfig(ComponentConfig):
    kind: Literal["local", "ray"] = Field(default="local",
                                          description="local: this process, shards in order; ray: shards as tasks "
                                                      "on a Ray cluster")
    shard_size: int = Field(default=500, ge=1,
                            description="records per shard, the unit of resume and crash isolation; changing it on a "
                                        "started output folder is refused")
    batch_size: int = Field(default=64, ge=1,
                            description="records a stage gets per call, unless the stage sets its own batch_size")
    ray_address: str | None = Field(default=None, description="None: start a local Ray cluster")
    ray_num_cpus: int | None = Field(default=None, description="only for the local cluster Ray starts itself")


class Recipe(ComponentConfig):
    name: str = Field(description="names the run in the report and the dataset card; the default dataset_name")
    description: str = Field(default="", description="free text for people; changing it does not block a resume")
    seed: int = Field(default=0, description="of the run's random choices (sampling, generation); a stage's own seed, where it has one, wins")
    languages: list[str] | None = Field(default=None,
                                        description="ISO 639-3 codes the run targets; None = whatever LID finds")
    input: InputConfig = Field(default=InputConfig(), description="what the run reads")
    output: OutputConfig = Field(default=OutputConfig(), description="where the run writes")
    executor: ExecutorConfig = Field(default=ExecutorConfig(), description="how shards are run")
    backends: dict[str, dict[str, Any]] = Field(
        default={}, description="models and services by the name stages refer to: {NAME: {kind: KIND, type: TYPE, "
                                "...its options}}; options: --explain KIND/TYPE")
    stages: list[dict[str, Any]] = Field(description="run in order, each {stage: TYPE, id: ID (default: TYPE), "
                                                     "...its options}; options: --explain TYPE")
    sinks: list[dict[str, Any]] = Field(default=[], description="what is made of the finished run, each {sink: TYPE, "
                                                                 "...its options}; options: --explain TYPE")

    @field_validator("languages")
    @classmethod
    def _iso639_3(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else languages.target_codes(value)


@dataclass
class ResolvedRecipe:
    recipe: Recipe
    backends: dict[str, Component]
    stages: list[Component]
    sinks: list[Component]
    source: str

    def to_yaml(self) -> str:
        """The recipe as saved in OUT/recipe.yaml: credentials in URLs, headers and launch_env masked."""
        return yaml.safe_dump(redact(self.recipe.model_dump(mode="json")), sort_keys=False, allow_unicode=True)

    def fingerprint(self) -> str:
        """What decides the rows: changing it on an existing output folder is refused (resume safety)."""
        data = self.recipe.model_dump(mode="json", exclude={"description", "sinks", "output", "executor"})
        data["shard_size"] = self.recipe.executor.shard_size
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def parse_overrides(assignments: Iterable[str]) -> dict[str, Any]:
    """``--set`` options, ``a.b.c=value`` (value parsed as YAML), as {dotted key: value}."""
    overrides: dict[str, Any] = {}
    for assignment in assignments:
        if "=" not in assignment:
            raise RecipeError("--set", [f"{assignment!r}: expected path.to.key=value"])
        dotted, _, raw = assignment.partition("=")
        try:
            overrides[dotted.strip()] = safe_load(raw, '--set') if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise RecipeError("--set", [f"{assignment!r}: the value is not plain YAML ({exc.problem})"]) from None
    return overrides


def apply_override(data: dict, dotted: str, value: Any) -> tuple:
    """Set ``a.b.c`` to ``value``. List items match by index, ``id`` or ``stage``. Returns the key's path."""
    keys = dotted.split(".")
    node: Any = data
    path: list = []
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            index = _list_index(node, key, dotted)
            path.append(index)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            path.append(key)
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            raise RecipeError("--set", [f"{dotted}: {'.'.join(keys[:i])} is a value, not a section"])
    return tuple(path)


def _list_index(items: list, key: str, dotted: str) -> int:
    if key.lstrip("-").isdigit():
        index = int(key)
        if -len(items) <= index < len(items):
            return index % len(items)
    for index, item in enumerate(items):
        if isinstance(item, dict) and key in (item.get("id"), item.get("stage"), item.get("sink")):
            return index
    raise RecipeError("--set", [f"{dotted}: no list item {key!r}"])


def read_recipe(path: str | Path) -> tuple[dict, dict[tuple, int]]:
    """A recipe file's mapping and the line of each key (for error messages); RecipeError if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(str(path), [f"recipe file not found: {path}"])
    try:
        text = decode_utf8(path.read_bytes(), str(path))
    except NotUTF8 as exc:
        raise RecipeError(str(path), [str(exc).removeprefix(f"{path}: ")]) from None
    try:
        data, lines = load_with_lines(text, str(path))
    except YAMLRefused as exc:
        raise RecipeError(str(path), [str(exc).removeprefix(f"{path}: ")]) from None
    except yaml.YAMLError as exc:
        raise RecipeError(str(path), [f"not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise RecipeError(str(path), ["the recipe must be a mapping of sections (name, input, stages, ...)"])
    return data, lines


def apply_overrides(data: dict, lines: dict[tuple, int], overrides: Mapping[str, Any]) -> None:
    for dotted, value in overrides.items():
        lines[apply_override(data, dotted, value)] = 0  # line 0 = "from --set"


def load_recipe(
    path: str | Path,
    overrides: Iterable[str] = (),
    input_path: str | None = None,
    output_dir: str | None = None,
) -> ResolvedRecipe:
    data, lines = read_recipe(path)
    apply_overrides(data, lines, parse_overrides(overrides))
    if input_path is not None:
        data.setdefault("input", {})["path"] = input_path
    if output_dir is not None:
        data.setdefault("output", {})["dir"] = output_dir
    return validate(data, lines, str(path))


def validate(data: dict, lines: dict[tuple, int], source: str) -> ResolvedRecipe:
    problems: list[str] = []

    def where(loc: tuple) -> str:
        line = line_of(lines, loc)
        at = "from --set" if line == 0 else f"line {line}" if line else "recipe"
        return f"{at}: {'.'.join(str(p) for p in loc) or '(top level)'}"

    def report(exc: ValidationError, prefix: tuple) -> None:
        for err in exc.errors():
            loc = prefix + tuple(err["loc"])
            problems.append(f"{where(loc)}: {err['msg'].removeprefix('Value error, ')}")

    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        report(exc, ())
        raise RecipeError(source, problems) from None

    if inside := _output_inside_input(recipe):
        problems.append(f"{where(('output', 'dir'))}: {inside}")
    backends: dict[str, Component] = {}
    for ref, spec in recipe.backends.items():
        loc = ("backends", ref)
        options = dict(spec)
        kind, type_ = options.pop("kind", None), options.pop("type", None)
        if not kind or not type_:
            problems.append(f"{where(loc)}: a backend needs 'kind' (lid, translator, llm, classifier, embedder) and 'type'")
            continue
        try:
            cls = get_backend(kind, type_)
            backends[ref] = Component(ref, type_, cls, cls.Config.model_validate(options), kind=kind)
            key_env = getattr(backends[ref].config, "api_key_env", None)
            if key_env and not os.environ.get(key_env):  # found now, not after hours of filtering
                problems.append(f"{where(loc + ('api_key_env',))}: the environment variable {key_env} is not set "
                                "(it holds the API key): export it first")
        except (UnknownName, ValueError) as exc:
            if isinstance(exc, ValidationError):
                report(exc, loc)
            else:
                problems.append(f"{where(loc + ('type',))}: {exc}")

    columns = set(READER_COLUMNS) | set(recipe.input.fields)
    stages = _components(recipe.stages, "stages", "stage", get_stage, backends, where, report, problems)
    for index, stage in enumerate(stages):
        reads, writes = stage.cls.columns(stage.config)
        missing = [c for c in reads if c not in columns]
        if missing:
            problems.append(
                f"{where(('stages', index))}: stage {stage.id!r} reads {missing} but no earlier stage writes them"
            )
        columns.update(writes)
    sinks = _components(recipe.sinks, "sinks", "sink", get_sink, backends, where, report, problems)

    resolved = ResolvedRecipe(recipe, backends, stages, sinks, source)
    context = StaticContext(backends, recipe.seed, recipe.languages)
    for section, items in (("stages", stages), ("sinks", sinks)):
        for index, item in enumerate(items):
            problems.extend(f"{where((section, index))}: {msg}" for msg in item.cls.check(item.config, context))
    if problems:
        raise RecipeError(source, problems)
    return resolved


def _output_inside_input(recipe: Recipe) -> str | None:
    """An output folder inside the input folder would be read back as input by the next run."""
    if (recipe.input.format in ("hf_hub", "memory") or recipe.input.path is None or recipe.input.is_url
            or recipe.output.dir is None):
        return None  # no input folder, or the folders are given at run time (checked again then)
    source = Path(recipe.input.path).expanduser().resolve()
    out = Path(recipe.output.dir).expanduser().resolve()
    if source.is_dir() and out.is_relative_to(source):
        return (f"{out} is inside the input folder {source}: its files would be read back as input; "
                "choose an output folder outside it")
    return None


def _names_a_folder(ident: object) -> bool:
    from muri_gen.runner.layout import safe_part  # here: the runner package imports this module

    try:
        safe_part(str(ident))
    except ValueError:
        return False
    return True


def _components(specs, section, key, lookup, backends, where, report, problems) -> list[Component]:
    result: list[Component] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        loc = (section, index)
        options = dict(spec)
        type_ = options.pop(key, None)
        if not type_:
            problems.append(f"{where(loc)}: each item needs a '{key}' key naming the {key}")
            continue
        ident = options.pop("id", type_)
        if ident in seen:
            problems.append(f"{where(loc)}: {key} id {ident!r} is used twice; give one an 'id'")
        seen.add(ident)
        if not _names_a_folder(ident):
            problems.append(f"{where(loc + ('id',))}: {key} id {ident!r} names folders of the run: "
                            "use letters, digits, '_', '-' or '.' (no '/' or '..')")
        try:
            cls = lookup(type_)
        except UnknownName as exc:
            problems.append(f"{where(loc + (key,))}: {exc}")
            continue
        try:
            config = cls.Config.model_validate(options)
        except ValidationError as exc:
            report(exc, loc)
            continue
        for field, kind in cls.uses_backends.items():
            ref = getattr(config, field)
            if ref is None:
                continue
            if ref not in backends:
                problems.append(f"{where(loc + (field,))}: no backend named {ref!r} in 'backends'")
            elif backends[ref].kind != kind:
                problems.append(f"{where(loc + (field,))}: backend {ref!r} is a {backends[ref].kind}, not a {kind}")
        result.append(Component(ident, type_, cls, config))
    return result
