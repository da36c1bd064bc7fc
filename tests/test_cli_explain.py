"""`muri-gen validate --explain NAME`: every option of a stage, sink or backend with type, default, help."""
from typer.testing import CliRunner

from muri_gen.backends import BACKENDS
from muri_gen.cli import app
from muri_gen.explain import explain
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


def test_a_backend_type_shared_by_kinds_is_explained_for_each_kind_or_the_one_named():
    both = explain("transformers")
    assert "translator backend transformers" in both and "embedder backend transformers" in both
    only = explain("classifier/transformers")
    assert only.startswith("classifier backend transformers") and "translator backend" not in only
    assert "  model: str = (required)" in only
    assert "  languages: list[str] | None = None" in only  # validators are not shown, only the type


def test_every_registered_component_can_be_explained():
    names = [*STAGES, *SINKS, *(f"{kind}/{t}" for kind, table in BACKENDS.items() for t in table)]
    for name in names:
        text = explain(name)
        assert text.split(" (")[0].endswith(name.rpartition("/")[2])


def test_every_field_help_is_a_description_not_a_comment():
    configs = [resolve(STAGES, n, "stage").Config for n in STAGES] + [resolve(SINKS, n, "sink").Config for n in SINKS]
    described = sum(bool(info.description) for config in configs for info in config.model_fields.values())
    assert described > 60  # the help moved from `#` comments into Field(description=...)


def test_an_unknown_name_is_a_usage_error_listing_the_known_ones():
    result = runner.invoke(app, ["validate", "--explain", "translat"])
    assert result.exit_code == 2
    assert "no stage, sink or backend named 'translat'" in result.output and "translator/router" in result.output
    missing = runner.invoke(app, ["validate"])
    assert missing.exit_code == 2 and "name a recipe to check" in missing.output
