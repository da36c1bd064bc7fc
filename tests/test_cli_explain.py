"""`muri-gen validate --explain NAME`: every option of a stage, sink, backend, bias-mitigation method or of the
recipe's own sections, with type, default and help."""
from typing import get_args

from pydantic import BaseModel
from typer.testing import CliRunner

from muri_gen.backends import BACKENDS
from muri_gen.bias.mitigate import METHODS
from muri_gen.cli import app
from muri_gen.explain import explain
from muri_gen.recipe import Recipe
from muri_gen.registry import resolve
from muri_gen.sinks import SINKS
from muri_gen.stages import STAGES

runner = CliRunner()


def test_explain_a_stage_prints_each_field_with_type_default_and_help():
    result = runner.invoke(app, ["validate", "--explain", "translate"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "stage translate (TranslateConfig):"
    at = lines.index("  translator: str = 'mt'")
    assert lines[at + 1] == "      the recipe's backends: key of a translator"
    assert "  max_context_tokens: int | None = None" in lines
    assert "  direction: Literal['to_english', 'to_source'] = 'to_english'" in lines


def test_explain_recipe_prints_the_recipe_sections_by_their_dotted_path():
    result = runner.invoke(app, ["validate", "--explain", "recipe"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "recipe file (Recipe):"
    assert "  stages: list[dict[str, Any]] = (required)" in lines
    at = lines.index("  input.limit: int | None = None")
    assert lines[at + 1] == "      read only the first N input rows (a trial run); None: all of them"
    at = lines.index("  executor.shard_size: int = 500")
    assert lines[at + 1].startswith("      records per shard, the unit of resume and crash isolation")
    assert "  output.dir: str | None = None" in lines


def test_a_backend_type_shared_by_kinds_is_explained_for_each_kind_or_the_one_named():
    both = explain("transformers")
    assert "translator backend transformers" in both and "embedder backend transformers" in both
    only = explain("classifier/transformers")
    assert only.startswith("classifier backend transformers") and "translator backend" not in only
    assert "  model: str = (required)" in only
    assert "  languages: list[str] | None = None" in only  # validators are not shown, only the type


def test_explain_a_mitigation_method_prints_the_options_bias_mitigate_takes_for_it():
    result = runner.invoke(app, ["validate", "--explain", "augment"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "mitigation method augment (AugmentConfig):"
    at = lines.index("  fields: Literal['instruction', 'both'] = 'instruction'")  # -p augment.fields=both
    assert lines[at + 1] == "      swap the instruction only (instruction, instruction_en), or the output too (text, text_en)"
    # a resample is a reweight with a seed: the options it inherits are explained too
    resample = explain("resample").splitlines()
    assert "  max_weight: float = 10.0" in resample and "  seed: int = 0" in resample


def test_a_name_that_is_a_stage_and_a_method_is_explained_as_both():
    text = explain("curate")
    assert text.startswith("stage curate (") and "\n\nmitigation method curate (CurateConfig):\n" in text
    assert "  action: Literal['exclude', 'downweight'] = 'exclude'" in text.splitlines()


def test_options_inside_options_are_explained_by_their_dotted_path():
    lines = explain("reverse_instruction").splitlines()
    at = lines.index("  checks.max_words: int = 150")
    assert lines[at + 1] == "      of the English instruction; longer is too_long"
    # the postfilter stage alone reads these: the checks of reverse_instruction do not offer them
    assert not [line for line in lines if line.startswith(("  checks.resources", "  checks.min_chars"))]
    assert "  min_chars: int = 10" in explain("postfilter").splitlines()
    assert "  resources.cpus: float = 1" in lines
    assert "  routes[].translator: str = (required)" in explain("router").splitlines()
    assert "  languages.<key>.min_score: float | None = None" in explain("curate").splitlines()


def test_every_registered_component_can_be_explained():
    names = [*STAGES, *SINKS, *METHODS, *(f"{kind}/{t}" for kind, table in BACKENDS.items() for t in table)]
    for name in names:
        text = explain(name)
        assert text.split(" (")[0].endswith(name.rpartition("/")[2])


def nested_models(annotation) -> list[type[BaseModel]]:
    """The config models a field holds: ``Resources | None``, ``list[Route]``, ``dict[str, Thresholds]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in nested_models(arg)]


def undescribed(config: type[BaseModel], seen: set) -> list[str]:
    """``Config.field`` for each field of ``config`` and of the models inside it without a description."""
    if config in seen:
        return []
    seen.add(config)
    missing = []
    for name, info in config.model_fields.items():
        if not info.description:
            missing.append(f"{config.__name__}.{name}")
        for model in nested_models(info.annotation):
            missing += undescribed(model, seen)
    return missing


def test_every_option_of_every_stage_sink_backend_method_and_recipe_section_has_a_description():
    tables = [(STAGES, "stage"), (SINKS, "sink"), (METHODS, "mitigation method"),
              *((table, kind) for kind, table in BACKENDS.items())]
    # muri-gen's own: other tests register toy stages and sinks of their own into the same tables
    configs = [Recipe, *(resolve(table, n, what).Config for table, what in tables for n in table
                         if table[n].startswith("muri_gen."))]
    seen: set = set()
    missing = [field for config in configs for field in undescribed(config, seen)]
    assert len(seen) > 30  # every registered config and the models inside them were walked
    assert {model.__name__ for model in seen} >= {"Recipe", "InputConfig", "OutputConfig", "ExecutorConfig",
                                                  "MarkConfig", "MaskConfig", "CurateConfig", "RewriteConfig",
                                                  "AugmentConfig", "ReweightConfig", "ResampleConfig"}
    assert missing == [], f"give these fields a Field(description=...) for --explain: {missing}"


def test_an_unknown_name_is_a_usage_error_listing_the_known_ones():
    result = runner.invoke(app, ["validate", "--explain", "translat"])
    assert result.exit_code == 2
    assert "no stage, sink, backend or mitigation method named 'translat'" in result.output
    assert "translator/router" in result.output and "mark_tokens" in result.output
    assert "known: recipe, " in result.output
    missing = runner.invoke(app, ["validate"])
    assert missing.exit_code == 2 and "name a recipe to check" in missing.output
