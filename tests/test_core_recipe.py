"""Recipe validation: every mistake is caught before any work, with the key and its line."""
import textwrap
from pathlib import Path

import pytest

import tests.toy_stages  # noqa: F401 - registers test stages
from muri_gen.recipe import RecipeError, apply_override, load_recipe

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
name: t
input:
  path: corpus.jsonl
output:
  dir: out
stages:
  - stage: test_min_chars
    min_chars: 10
"""


def write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path, text, overrides=()):
    with pytest.raises(RecipeError) as info:
        load_recipe(write(tmp_path, text), list(overrides))
    return info.value.problems


def test_valid_recipe_resolves_with_defaults(tmp_path):
    resolved = load_recipe(write(tmp_path, BASE))
    assert resolved.stages[0].config.min_chars == 10
    assert resolved.recipe.executor.kind == "local"
    assert "min_chars: 10" in resolved.to_yaml()


def test_unknown_key_names_key_and_line(tmp_path):
    (msg,) = problems(tmp_path, BASE + "    min_char: 3\n")
    assert msg.startswith("line 9: stages.0.min_char") and "Extra inputs are not permitted" in msg


def test_wrong_type_names_key_and_line(tmp_path):
    (msg,) = problems(tmp_path, BASE.replace("min_chars: 10", "min_chars: many"))
    assert msg.startswith("line 8: stages.0.min_chars") and "integer" in msg


def test_unknown_stage_lists_known_ones(tmp_path):
    (msg,) = problems(tmp_path, BASE.replace("test_min_chars", "lid_filter"))
    assert "line 7" in msg and "unknown stage 'lid_filter'" in msg and "test_min_chars" in msg


def test_missing_backend_reference(tmp_path):
    text = BASE + "  - stage: language_id\n    backend: lid\n"
    msgs = problems(tmp_path, text)
    assert any("no backend named 'lid'" in m and m.startswith("line 10") for m in msgs)


def test_backend_of_wrong_kind_and_unknown_type(tmp_path):
    text = BASE.replace("stages:", "backends:\n  lid: {kind: lid, type: nope}\nstages:")
    (msg,) = problems(tmp_path, text)
    assert "unknown lid backend 'nope'" in msg and "fasttext" in msg


def test_all_problems_reported_at_once(tmp_path):
    text = BASE.replace("min_chars: 10", "min_chars: x") + "  - stage: nope\n"
    assert len(problems(tmp_path, text)) == 2


def test_stage_reading_a_column_nobody_writes(tmp_path):
    text = BASE + "  - stage: postfilter\n"
    msgs = problems(tmp_path, text)
    assert any("reads" in m and "instruction" in m for m in msgs)


def test_set_overrides_by_stage_id_and_reports_line_as_from_set(tmp_path):
    resolved = load_recipe(write(tmp_path, BASE), ["stages.test_min_chars.min_chars=42", "executor.shard_size=7"])
    assert resolved.stages[0].config.min_chars == 42 and resolved.recipe.executor.shard_size == 7
    (msg,) = problems(tmp_path, BASE, ["executor.shard_sise=3"])
    assert msg.startswith("from --set: executor.shard_sise")


def test_override_into_missing_list_item_fails():
    with pytest.raises(RecipeError, match="no list item 'nope'"):
        apply_override({"stages": [{"stage": "a"}]}, "stages.nope.x", 1)


def test_unsafe_language_code_rejected(tmp_path):
    msgs = problems(tmp_path, BASE + "languages: ['../etc']\n")
    assert any("languages" in m and "not a language code" in m for m in msgs)


def test_every_bad_language_code_is_reported_at_once(tmp_path):
    (msg,) = problems(tmp_path, BASE + "languages: [xq, spa, zzz_bad, '../x']\n")
    assert msg == ("line 9: languages: unknown language code 'xq'; 'zzz_bad' is not a language code; '../x' is not a "
                   "language code (expected ISO 639-1/3 codes, e.g. 'es', 'spa' or 'spa_Latn')")


def test_an_empty_output_folder_is_refused(tmp_path):
    (msg,) = problems(tmp_path, BASE, ["output.dir="])
    assert msg == "from --set: output.dir: is empty: name the folder the run writes to"


def test_languages_normalised_to_iso639_3(tmp_path):
    resolved = load_recipe(write(tmp_path, BASE + "languages: [es, por, spa_Latn]\n"))
    assert resolved.recipe.languages == ["spa", "por", "spa"]


def test_yaml_is_loaded_safely(tmp_path):
    msgs = problems(tmp_path, BASE.replace("name: t", "name: !!python/object/apply:os.system ['echo hi']"))
    assert "not valid YAML" in msgs[0]


def test_missing_recipe_file(tmp_path):
    with pytest.raises(RecipeError, match="recipe file not found"):
        load_recipe(tmp_path / "nope.yaml")


def test_stage_resources_come_from_backends_and_the_recipe():
    from muri_gen.stages.base import stage_resources

    resolved = load_recipe(ROOT / "pipelines" / "muri.yaml")

    def gpus(resolved):
        return {s.id: stage_resources(s.cls, s.config, resolved.backends).gpus for s in resolved.stages}

    needs = gpus(resolved)
    # vLLM's tensor_parallel_size and NLLB on device: cuda put those stages on GPU workers; filters stay on CPUs
    assert needs["reverse_instruction"] == 1 and needs["translate_document"] == needs["translate_instruction"] == 1
    assert needs["language_id"] == needs["dedup"] == needs["postfilter"] == 0
    changed = gpus(load_recipe(ROOT / "pipelines" / "muri.yaml", [
        "backends.llm.tensor_parallel_size=4", "backends.mt.device=cpu", "stages.dedup.resources.gpus=1"]))
    assert (changed["reverse_instruction"], changed["translate_document"], changed["dedup"]) == (4, 0, 1)
    demo = gpus(load_recipe(ROOT / "pipelines" / "demo.yaml"))  # the embedded models run anywhere
    assert set(demo.values()) == {0}


def test_validate_command_says_what_a_cluster_must_offer():
    from typer.testing import CliRunner

    from muri_gen.cli import app

    result = CliRunner().invoke(app, ["validate", str(ROOT / "pipelines" / "muri.yaml")])
    assert result.exit_code == 0, result.output
    assert "GPUs per worker: translate_document 1, reverse_instruction 1, translate_instruction 1" in result.output
    demo = CliRunner().invoke(app, ["validate", str(ROOT / "pipelines" / "demo.yaml")])
    assert demo.exit_code == 0 and "OK (12 stages" in demo.output and "GPUs" not in demo.output
    broken = CliRunner().invoke(app, ["validate", str(ROOT / "pipelines" / "demo.yaml"),
                                      "--set", "stages.language_id.min_confidence=high"])
    assert broken.exit_code == 1 and "min_confidence" in broken.output


def test_reverse_instruction_checks_refuse_the_keys_only_the_postfilter_stage_reads(tmp_path):
    text = BASE.replace("stages:", "backends:\n  llm: {kind: llm, type: openai, model: m}\nstages:") + (
        "  - stage: reverse_instruction\n"
        "    checks: {max_words: 90, resources: {cpus: 2}, min_chars: 5}\n"
        "  - stage: postfilter\n"
        "    resources: {cpus: 2}\n"
        "    min_chars: 5\n")
    msgs = [m for m in problems(tmp_path, text) if "no earlier stage writes" not in m]
    assert sorted(msgs) == [
        "line 12: stages.1.checks.min_chars: Extra inputs are not permitted",
        "line 12: stages.1.checks.resources: Extra inputs are not permitted",
    ]
