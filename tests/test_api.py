"""The Python API (muri_gen.api): a recipe in, a DatasetDict out; input from memory with the accounting,
resume and refusals of a file; the same validation as the command line; bias trace and mitigation over
rows in memory; coroutines run from inside a running event loop."""
import asyncio
import json
from pathlib import Path

import datasets
import pandas as pd
import pytest

from muri_gen import InputError, Recipe, RecipeError, RunError, mitigate_bias, trace_bias
from muri_gen.api import rows_to_dataset
from muri_gen.event_loop import run_coroutine
from muri_gen.resources import bundled

FILTER = Path(__file__).resolve().parents[1] / "pipelines" / "filter.yaml"
DEMO = bundled("data", "udhr-demo.jsonl")


@pytest.fixture(scope="module")
def demo_rows():
    return [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def from_file(tmp_path_factory):
    """The filter recipe on the demo corpus read from its file: what every in-memory input must match."""
    return Recipe.from_yaml(FILTER).run(input=DEMO, output=tmp_path_factory.mktemp("file") / "out")


def kept_ids(result):
    return sorted(row["id"] for split in result.dataset.values() for row in split)


@pytest.mark.parametrize("kind", ["dataset", "iterable", "dataframe", "list"])
def test_rows_in_memory_are_accounted_like_the_same_rows_in_a_file(tmp_path, demo_rows, from_file, kind):
    data = {"dataset": lambda: datasets.Dataset.from_list(demo_rows),
            "iterable": lambda: datasets.Dataset.from_list(demo_rows).to_iterable_dataset(),
            "dataframe": lambda: pd.DataFrame(demo_rows),
            "list": lambda: demo_rows}[kind]()
    result = Recipe.from_yaml(FILTER).run(input=data, output=tmp_path / "out")
    for key in ("input", "kept", "rejected", "errored", "by_reason", "by_language"):
        assert result.stats[key] == from_file.stats[key], key
    assert kept_ids(result) == kept_ids(from_file)
    assert result.stats["input"] == len(demo_rows) and result.stats["kept"] < result.stats["input"]


def test_the_result_holds_the_kept_records_per_language_and_every_reject(from_file):
    kept = from_file.dataset
    assert isinstance(kept, datasets.DatasetDict) and set(kept) == {"spa", "cat", "glg", "epo", "hbs", "por"}
    assert sum(len(split) for split in kept.values()) == from_file.stats["kept"]
    assert all(row["language"] == language for language, split in kept.items() for row in split)
    assert {"text", "lid_score", "quality"} <= set(kept["spa"].column_names)
    rejected = from_file.rejected
    assert len(rejected) == from_file.stats["rejected"] and len(from_file.errored) == 0
    by_reason = {}
    for row in rejected:
        by_reason[f"{row['stage']}:{row['reason']}"] = by_reason.get(f"{row['stage']}:{row['reason']}", 0) + 1
    assert by_reason == from_file.stats["by_reason"]
    assert "RunResult(192 records" in repr(from_file) and from_file.report is None  # the filter recipe writes none


def test_bad_rows_in_memory_are_rejected_with_their_reason_not_lost(tmp_path, demo_rows):
    rows = demo_rows[:20] + [{"id": "no-text"}, {"id": "number", "text": 7}, "not a mapping"]
    frame = pd.DataFrame(demo_rows[:20] + [{"id": "nan-text", "text": None}])
    result = Recipe.from_yaml(FILTER).run(input=rows, output=tmp_path / "list")
    assert result.stats["input"] == 23
    assert {"read:missing_text", "read:text_not_a_string", "read:not_an_object"} <= set(result.stats["by_reason"])
    assert Recipe.from_yaml(FILTER).run(input=frame, output=tmp_path / "frame").stats["by_reason"]["read:missing_text"] == 1


def test_the_same_rows_resume_and_changed_rows_are_refused(tmp_path, demo_rows, caplog):
    recipe = Recipe.from_yaml(FILTER)
    first = recipe.run(input=datasets.Dataset.from_list(demo_rows), output=tmp_path / "out")
    caplog.set_level("INFO", logger="muri_gen")
    again = recipe.run(input=list(demo_rows), output=tmp_path / "out")  # same content, another container
    assert "input already split" in caplog.text and again.stats["kept"] == first.stats["kept"]
    changed = [dict(demo_rows[0], text=demo_rows[0]["text"] + " Otra frase."), *demo_rows[1:]]
    with pytest.raises(RunError, match="different recipe"):
        recipe.run(input=changed, output=tmp_path / "out")
    saved = (tmp_path / "out" / "recipe.yaml").read_text()
    assert "format: memory" in saved and "path: memory:" in saved
    assert "input split into" in (tmp_path / "out" / "run.log").read_text()


def test_recipes_are_checked_like_the_command_line_checks_them(tmp_path):
    with pytest.raises(RecipeError, match="executor.shard_sise"):
        Recipe.from_yaml(FILTER, {"executor.shard_sise": 3})
    with pytest.raises(RecipeError, match="no list item 'nope'"):
        Recipe.from_yaml(FILTER, {"stages.nope.min_chars": 3})
    assert Recipe.from_yaml(FILTER, {"executor.shard_size": 7}).resolved.recipe.executor.shard_size == 7
    data = {"name": "mine", "stages": [{"stage": "normalize"}, {"stage": "language_id", "backend": "lid"}]}
    with pytest.raises(RecipeError, match="no backend named 'lid'"):
        Recipe.from_dict(data)
    recipe = Recipe.from_dict(data, {"backends.lid": {"kind": "lid", "type": "fasttext"}})
    assert recipe.validate() == {"stages": ["normalize", "language_id"], "sinks": [], "backends": {"lid": "fasttext"},
                                 "gpus": {"normalize": 0, "language_id": 0}}
    with pytest.raises(RunError, match="no output folder"):
        recipe.run(input=[{"text": "Hola"}])
    with pytest.raises(InputError, match="no input"):
        recipe.run(output=tmp_path / "out")
    with pytest.raises(TypeError, match="cannot read input of type int"):
        recipe.run(input=42, output=tmp_path / "out2")


def test_bias_trace_of_rows_in_memory_equals_the_trace_of_the_same_file(tmp_path):
    from muri_gen.bias.mitigate.skewed import stereotyped_medqa

    rows = stereotyped_medqa()[:200]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    in_memory = trace_bias(datasets.Dataset.from_list(rows), field="instruction_en", ci_samples=50)
    on_disk = trace_bias(path, field="instruction_en", ci_samples=50)
    assert in_memory["occupations_with_evidence"] > 0
    assert {k: v for k, v in in_memory.items() if k != "input"} == {k: v for k, v in on_disk.items() if k != "input"}


def test_bias_mitigation_of_rows_in_memory_returns_the_version_without_writing_it():
    from muri_gen.bias.mitigate.skewed import stereotyped_medqa

    rows = stereotyped_medqa()[:300]
    result = mitigate_bias(pd.DataFrame(rows), ["augment"], params={"augment": {"target": "reference"}})
    assert result.path is None and len(result.records) > len(rows)  # counterfactual copies added
    overall = lambda report: report["languages"]["en"]["overall_sta"]  # noqa: E731
    assert overall(result.after) < overall(result.before)
    assert sum(len(split) for split in result.dataset.values()) == len(result.records)
    with pytest.raises(ValueError, match="not among the methods"):
        mitigate_bias(rows, ["augment"], params={"reweight": {}})


def test_columns_of_mixed_types_become_json_text_and_nothing_is_dropped():
    rows = [{"a": 1, "b": {}}, {"a": "one", "c": [1, 2]}]
    table = rows_to_dataset(rows)
    assert table.column_names == ["a", "b", "c"]
    assert table["a"] == ["1", '"one"'] and table["b"] == ["{}", None] and table["c"] == [None, [1, 2]]


def test_a_coroutine_runs_to_its_end_from_inside_a_running_loop():
    async def answer():
        await asyncio.sleep(0)
        return 42

    async def notebook_cell():  # code in a Jupyter cell runs inside the kernel's loop, like this
        with pytest.raises(RuntimeError, match="running event loop"):
            coroutine = answer()
            try:
                asyncio.run(coroutine)
            finally:
                coroutine.close()
        return run_coroutine(answer())

    assert asyncio.run(notebook_cell()) == 42
    assert run_coroutine(answer()) == 42  # and without a loop, as on the command line
