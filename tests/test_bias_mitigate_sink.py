"""The bias_mitigate sink in a real run (real runner, stereotype-selected MedQA questions)."""
import json
import textwrap

import pytest

import tests.toy_stages  # noqa: F401 - registers test_min_chars
from muri_gen.recipe import RecipeError, load_recipe
from muri_gen.runner import run_recipe
from muri_gen.stages import STAGES, Stage


class MitigatePairs(Stage):
    """Test-only: the question is the (English) instruction and the document, as in skewed.py."""

    name = "test_mitigate_pairs"
    writes = ("language", "script", "instruction", "instruction_en", "text_en")

    def process(self, records):
        return [{**r, "language": "eng", "script": "Latn", "instruction": r["text"], "instruction_en": r["text"],
                 "text_en": r["text"]} for r in records]


STAGES[MitigatePairs.name] = f"{__name__}:MitigatePairs"


def recipe(tmp_path, sinks: str):
    from muri_gen.bias.mitigate.skewed import stereotyped_medqa

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": r["id"], "text": r["instruction"], "language": "eng"}) + "\n"
                              for r in stereotyped_medqa(limit=400)))
    path = tmp_path / "recipe.yaml"
    path.write_text(textwrap.dedent(f"""\
        name: mitigate-sink
        input: {{path: {corpus}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        executor: {{shard_size: 150, batch_size: 50}}
        stages:
          - {{stage: test_mitigate_pairs}}
        sinks:
        """) + sinks)
    return path


def test_sink_writes_the_version_beside_the_exported_dataset(tmp_path):
    path = recipe(tmp_path, "  - {sink: hub_dataset}\n"
                            "  - {sink: bias_mitigate, methods: [{method: augment, target: reference}, {method: reweight}]}\n")
    run_recipe(load_recipe(path))
    out = tmp_path / "out"
    original = sorted(p.relative_to(out) for p in (out / "dataset").rglob("*"))
    record = json.loads((out / "dataset-mitigated-augment-reweight" / "mitigation.json").read_text())
    assert record["rows"]["in"] == 400 and record["rows"]["out"] > 400
    assert record["after"]["languages"]["en"]["overall_sta"] < record["before"]["languages"]["en"]["overall_sta"]
    assert sorted(p.relative_to(out) for p in (out / "dataset").rglob("*")) == original  # untouched


def test_a_run_without_instructions_writes_no_version_and_says_why(tmp_path, caplog):
    path = recipe(tmp_path, "  - {sink: bias_mitigate, methods: [{method: augment}]}\n")
    path.write_text(path.read_text().replace("  - {stage: test_mitigate_pairs}\n", "  - {stage: test_min_chars}\n"))
    stats = run_recipe(load_recipe(path))
    assert stats["kept"] == 400 and not list((tmp_path / "out").glob("*mitigated*"))
    assert "bias_mitigate: no version augment written: the run's kept records: none of its 400 rows" in caplog.text


def test_recipe_validation_checks_method_options(tmp_path):
    path = recipe(tmp_path, "  - {sink: bias_mitigate, methods: [{method: reweight, target: equal}, {method: rewrite}]}\n")
    with pytest.raises(RecipeError) as error:
        load_recipe(path)
    message = str(error.value)
    assert "methods.0" in message and "parity" in message
    assert "methods.1: rewrite needs an LLM" in message
