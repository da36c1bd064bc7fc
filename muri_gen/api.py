"""The Python API: what the ``muri-gen`` commands do, one function or method per command.

    from muri_gen import Recipe, curate, trace_bias, mitigate_bias

    recipe = Recipe.from_yaml("pipelines/filter.yaml", {"stages.language_id.min_confidence": 0.6})
    result = recipe.run(input=dataset, output="runs/filter")   # a path, Dataset, DataFrame or list of dicts
    result.stats["kept"], result.dataset["spa"], result.rejected, result.report

The command line is a thin layer over these: the same recipe validation and the same errors
(``RecipeError``, ``InputError``, ``RunError``), the same run folder, resume and caches. Input held
in memory is read like a file (``muri_gen.io.memory``), with a fingerprint of its rows for a path.
"""
from __future__ import annotations

import copy
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from muri_gen.io.memory import MEMORY_FORMAT, MemoryInput, is_in_memory
from muri_gen.recipe import InputConfig, ResolvedRecipe, apply_overrides, read_recipe, validate

Input = Any  # a path (str or os.PathLike), a datasets.Dataset or IterableDataset, a pandas DataFrame, a list of dicts


class Recipe:
    """A validated recipe. ``from_yaml`` and ``from_dict`` check it at once (keys, types, backends,
    language pairs) without loading a model, and raise ``RecipeError`` listing every problem."""

    def __init__(self, data: dict, lines: dict[tuple, int], source: str):
        self._data, self._lines, self.source = data, lines, source
        self.resolved: ResolvedRecipe = validate(copy.deepcopy(data), lines, source)

    @classmethod
    def from_yaml(cls, path: str | os.PathLike, overrides: Mapping[str, Any] | None = None) -> Recipe:
        """A recipe file; ``overrides`` set keys by their dotted path, as ``--set`` does:
        ``{"executor.shard_size": 100, "stages.language_id.min_confidence": 0.6}``."""
        data, lines = read_recipe(path)
        apply_overrides(data, lines, overrides or {})
        return cls(data, lines, str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Recipe:
        """A recipe written as Python data, with the YAML file's sections (name, input, backends, stages...)."""
        data, lines = copy.deepcopy(dict(data)), {}
        apply_overrides(data, lines, overrides or {})
        return cls(data, lines, f"recipe {data.get('name', '(unnamed)')!r}")

    def __repr__(self) -> str:
        return f"Recipe({self.source}: {', '.join(s.id for s in self.resolved.stages)})"

    def to_yaml(self) -> str:
        """The resolved recipe, every default filled in (what a run saves as OUT/recipe.yaml)."""
        return self.resolved.to_yaml()

    def validate(self) -> dict:
        """What the recipe runs: stage, sink and backend names, and the GPUs each stage needs."""
        from muri_gen.stages.base import stage_resources

        resolved = self.resolved
        return {
            "stages": [s.id for s in resolved.stages],
            "sinks": [s.id for s in resolved.sinks],
            "backends": {ref: b.type for ref, b in resolved.backends.items()},
            "gpus": {s.id: stage_resources(s.cls, s.config, resolved.backends).gpus for s in resolved.stages},
        }

    def run(self, input: Input = None, output: str | os.PathLike | None = None, *,
            retry_errored: bool = False) -> RunResult:
        """Run the recipe, or resume it when ``output`` holds an unfinished run of the same recipe and input.

        ``input`` replaces input.path: a path, or rows held in memory; ``output`` replaces output.dir.
        With ``retry_errored``, shards whose records errored are processed again (finished requests
        replay from the caches)."""
        from muri_gen.runner import run_recipe

        data, memory = copy.deepcopy(self._data), None
        if input is not None:
            section = data.setdefault("input", {})
            if is_in_memory(input):
                memory = MemoryInput(input)
                section.update(path=memory.path, format=MEMORY_FORMAT)
                section.setdefault("subdataset_name", MEMORY_FORMAT)
            else:
                section["path"] = os.fspath(input)
        if output is not None:
            data.setdefault("output", {})["dir"] = os.fspath(output)
        resolved = validate(data, self._lines, self.source)
        stats = run_recipe(resolved, retry_errored, memory)
        return RunResult(Path(resolved.recipe.output.dir), stats)


@dataclass
class RunResult:
    """A finished run: its folder and funnel, and its records read from the folder when first asked for."""

    output: Path
    stats: dict  # stats.json: input == kept + rejected + errored, by reason, language and stage

    def __repr__(self) -> str:
        s = self.stats
        return (f"RunResult({s['input']} records -> {s['kept']} kept, {s['rejected']} rejected, "
                f"{s['errored']} errored; {self.output})")

    @property
    def report(self) -> Path | None:
        """report.html when the recipe has the report sink."""
        path = self.output / "report.html"
        return path if path.exists() else None

    @cached_property
    def dataset(self):
        """The kept records, a ``datasets.DatasetDict`` with one ``Dataset`` per language (ISO 639-3),
        each column as the stages wrote it; the Hub-ready export (splits, card) is in output/dataset/."""
        from muri_gen.runner.layout import RunDir
        from muri_gen.runner.shards import language_of

        return by_language(RunDir(self.output).kept_records(), language_of)

    @cached_property
    def rejected(self):
        """Every rejected record: id, stage, reason, detail, language and the record itself (a ``Dataset``)."""
        return self._outcomes("rejected")

    @cached_property
    def errored(self):
        """Every errored record: id, stage, error, language and the record itself (a ``Dataset``)."""
        return self._outcomes("errored")

    def _outcomes(self, kind: str):
        from muri_gen.runner.layout import RunDir

        return rows_to_dataset(list(RunDir(self.output).outcome_records(kind)))


def curate(input: Input, output: str | os.PathLike, *, recipe: str | os.PathLike | None = None,
           overrides: Mapping[str, Any] | None = None) -> RunResult:
    """Score every pair of an instruction dataset (columns input, output, language) and keep the best.

    The run writes output/scores.jsonl (one line per input row, in order) and output/dataset/;
    ``recipe`` replaces the bundled curate recipe (pipelines/curate.yaml)."""
    from muri_gen.curation import DEFAULT_RECIPE

    return Recipe.from_yaml(recipe or DEFAULT_RECIPE, overrides).run(input, output)


def rescore_rated(rated: list[dict], workdir: str | os.PathLike, *, recipe: str | os.PathLike | None = None) -> list[dict]:
    """Rated pairs (``eval calibrate --save-pairs``) with the signals the curate stage gives them now.

    A calibration is fitted to signals; when the stage gains or changes a signal, the ratings still
    hold and only the signals need computing again. Each sample (a run) is scored as one batch, so
    that a pair is ranked against the documents of its own run, as the stage ranked it there."""
    by_sample: dict[str, list[int]] = defaultdict(list)
    for i, pair in enumerate(rated):
        by_sample[pair.get("sample") or ""].append(i)
    rescored = [dict(pair) for pair in rated]
    for n, (sample, members) in enumerate(sorted(by_sample.items())):
        rows = [{"id": str(i), "input": rated[i].get("instruction"), "output": rated[i].get("output"),
                 "language": rated[i]["language"], "instruction_en": rated[i].get("instruction_en"),
                 "document_en": rated[i].get("document_en"), "lid_score": rated[i]["signals"].get("lid_confidence")}
                for i in members]
        out = Path(workdir) / f"{n:03d}-{sample or 'sample'}"
        curate(rows, out, recipe=recipe, overrides={"executor.batch_size": len(rows), "executor.shard_size": len(rows),
                                                    "stages.curate.filter": False})
        with open(out / "scores.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row.get("signals"):
                    rescored[int(row["id"])]["signals"] = row["signals"]
    return rescored


def trace_bias(input: Input, *, field: str = "text", language: str = "eng", language_field: str | None = None,
               occupations: str | os.PathLike | None = None, ci_samples: int = 1000, seed: int = 0) -> dict:
    """Gender-occupation counts, female % and STA of one text column (the report ``muri-gen bias trace`` writes).

    ``language`` names the column's language; with ``language_field`` (a column giving each row's
    language) the report has one entry per language under "languages". Rows without usable text
    are counted in "rows_skipped" by reason. Raises LexiconError for a language without a lexicon."""
    from muri_gen.bias.trace import trace_by_language, trace_texts
    from muri_gen.io.readers import read_records

    skipped: dict[str, int] = {}
    memory = MemoryInput(input) if is_in_memory(input) else None
    config = InputConfig(path=memory.path if memory else os.fspath(input), text_field=field, id_field=None,
                         language_field=language_field, format=MEMORY_FORMAT if memory else "auto")
    occupations_path = os.fspath(occupations) if occupations else None

    def rows() -> Iterable[tuple[str, str | None]]:
        for item in read_records(config, memory):
            if item.outcome is not None:
                reason = getattr(item.outcome, "reason", "unreadable")
                skipped[reason] = skipped.get(reason, 0) + 1
            elif language_field and not item.record.get("declared_language"):
                skipped["no_language"] = skipped.get("no_language", 0) + 1
            else:
                yield item.record["text"], item.record.get("declared_language")

    if language_field:
        report = trace_by_language(rows(), occupations_path, ci_samples, seed)
    else:
        report = trace_texts((text for text, _ in rows()), language, occupations_path, ci_samples, seed)
    report.update(input=config.path, field=field, rows_skipped=skipped)
    return report


@dataclass
class Mitigation:
    """A mitigated version of a dataset: its records, STA before and after, and where it was written."""

    records: list[dict]
    before: dict  # bias report of the measured field before the first method
    after: dict
    steps: list[dict]  # method, params, summary and overall STA after each step
    excluded: list[dict] = field(default_factory=list)  # rows a method took out, each with its reason
    path: Path | None = None  # OUT/dataset-mitigated-NAME when written beside a run

    @cached_property
    def dataset(self):
        """The mitigated records as a ``datasets.DatasetDict``, one ``Dataset`` per language."""
        return by_language(self.records, lambda record: record.get("language") or "und")


def mitigate_bias(records: Input | RunResult, methods: list[str], *, params: Mapping[str, Mapping] | None = None,
                  measure_field: str = "instruction_en", output: str | os.PathLike | None = None,
                  name: str | None = None, recipe: str | os.PathLike | Recipe | None = None,
                  llm: str = "llm") -> Mitigation:
    """Apply mitigation methods in order (augment, reweight, resample, mark_tokens, mask_spans, curate,
    rewrite) and measure the STA of ``measure_field`` before and after.

    ``records``: a run (a RunResult or its folder: its kept records), a file of a run's records or of
    the published dataset's rows (JSONL, Parquet, a folder of Parquet files), or such rows in memory.
    ``params``: options per method, e.g. ``{"augment": {"target": "reference"}}``. ``output``: the run
    folder to write the version into, as dataset-mitigated-NAME/ (default: the run given as
    ``records``; other rows are only returned). ``rewrite`` asks the LLM backend ``llm`` of ``recipe``
    (default: the run's recipe.yaml). Raises UnknownName for an unknown method, ValueError for a wrong
    option, EmptyVersion (a ValueError) when no row is an instruction pair."""
    from muri_gen.bias.mitigate.pipeline import build, check_methods
    from muri_gen.bias.mitigate.pipeline import mitigate as run_methods
    from muri_gen.bias.mitigate.version import require_pairs, version_name, write_version

    params = check_methods(methods, params or {})
    run = _finished_run(records)
    rows = _mitigation_rows(records, run)
    require_pairs(rows, str(run or ("the rows in memory" if is_in_memory(records) else records)))
    target = Path(output) if output is not None else run
    with ExitStack() as stack:
        backend = None
        if "rewrite" in methods:
            backend = _rewrite_llm(stack, recipe, llm, target)
        outcome = run_methods(rows, [build(m, params[m], llm=backend if m == "rewrite" else None) for m in methods],
                              measure_field)
    path = write_version(target, outcome, name or version_name(methods), measure_field) if target else None
    return Mitigation(outcome.records, outcome.before, outcome.after, outcome.steps, outcome.excluded, path)


def _finished_run(records: Input | RunResult) -> Path | None:
    """The folder of a finished run given as ``records``, else None (a file or rows in memory)."""
    from muri_gen.runner.layout import RunDir

    if isinstance(records, RunResult):
        return records.output
    if not is_in_memory(records) and RunDir(records).work.is_dir():
        return Path(records)
    return None


def _mitigation_rows(records: Input | RunResult, run: Path | None) -> list[dict]:
    """A run's kept records, or rows of a run's records or the published dataset's, as records."""
    import pyarrow.parquet as pq

    from muri_gen.export.schema import from_row, is_exported_row
    from muri_gen.runner.layout import RunDir, read_jsonl

    if run is not None:
        return list(RunDir(run).kept_records())
    if is_in_memory(records):
        rows = list(MemoryInput(records).rows())
    else:
        path = Path(records)
        if path.is_dir():
            rows = [row for part in sorted(path.rglob("*.parquet")) for row in pq.read_table(part).to_pylist()]
        elif path.suffix == ".parquet":
            rows = pq.read_table(path).to_pylist()
        else:
            rows = list(read_jsonl(path))
    return [from_row(row) if is_exported_row(row) else row for row in rows]


def _rewrite_llm(stack: ExitStack, recipe: str | os.PathLike | Recipe | None, ref: str, run: Path | None):
    """The LLM backend ``ref`` of the recipe, started as a run would (requests cached in the run's cache/)."""
    from muri_gen.runner.context import RunContext
    from muri_gen.runner.layout import RunDir

    if recipe is None and run is None:
        raise ValueError("the rewrite method needs a recipe naming its LLM backend (recipe=...)")
    chosen = recipe if isinstance(recipe, Recipe) else Recipe.from_yaml(recipe or run / "recipe.yaml")
    if ref not in chosen.resolved.backends:
        raise ValueError(f"the recipe has no backend {ref!r} (has: {', '.join(chosen.resolved.backends) or 'none'})")
    folder = run or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="muri-gen-rewrite-")))
    context = RunContext(chosen.resolved, RunDir(folder))
    stack.callback(context.close)
    return context.backend(ref)


def by_language(records: Iterable[dict], language_of) -> Any:
    """Records as a ``datasets.DatasetDict``: one ``Dataset`` per language, languages in sorted order."""
    import datasets

    groups: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        groups[language_of(record)].append(record)
    return datasets.DatasetDict({language: rows_to_dataset(groups[language]) for language in sorted(groups)})


def rows_to_dataset(rows: list[dict]) -> Any:
    """Rows as a ``datasets.Dataset``: a key missing from a row is a null; a column whose values Arrow
    cannot put in one type (a number here, a string there; an empty mapping) holds them as JSON text."""
    import datasets
    import pyarrow as pa

    columns: dict[str, pa.Array] = {}
    for name in dict.fromkeys(key for row in rows for key in row):
        values = [row.get(name) for row in rows]
        try:
            array = pa.array(values)
            if _has_empty_struct(array.type):
                raise pa.ArrowInvalid("a mapping without keys")
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            array = pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values])
        columns[name] = array
    return datasets.Dataset(datasets.table.InMemoryTable(pa.table(columns) if columns else pa.table({})))


def _has_empty_struct(type_) -> bool:
    import pyarrow as pa

    if pa.types.is_struct(type_):
        return type_.num_fields == 0 or any(_has_empty_struct(type_.field(i).type) for i in range(type_.num_fields))
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return _has_empty_struct(type_.value_type)
    return False
