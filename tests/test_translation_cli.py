"""``muri-gen translate`` on real text through the embedded backends."""
from typer.testing import CliRunner

from muri_gen.cli import app

runner = CliRunner()


def test_translates_a_file_keeping_paragraphs_with_the_default_backend(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("Todos los seres humanos nacen libres. Tienen razón.\n\nArtículo 2.\n", encoding="utf-8")
    result = runner.invoke(app, ["translate", "--src", "es", "--tgt", "eng", str(path)])
    assert result.exit_code == 0, result.output
    paragraphs = result.stdout.strip().split("\n\n")
    assert len(paragraphs) == 2 and paragraphs[0].startswith("All the human beings are born free.")


def test_reads_standard_input_and_picks_bergamot_for_portuguese():
    result = runner.invoke(app, ["translate", "--src", "por", "--tgt", "en"], input="Bom dia. Obrigado.\n")
    assert result.exit_code == 0 and result.stdout.strip().startswith("Good morning. Thank you")


def test_names_the_problem():
    unsupported = runner.invoke(app, ["translate", "--src", "deu", "--tgt", "eng"], input="Hallo.")
    assert unsupported.exit_code == 1 and "cannot translate German (deu) -> English (eng)" in unsupported.output
    named = runner.invoke(app, ["translate", "--src", "por", "--tgt", "eng", "--backend", "apertium"], input="Olá.")
    assert named.exit_code == 1 and "apertium cannot translate Portuguese" in named.output
    empty = runner.invoke(app, ["translate", "--src", "spa", "--tgt", "eng"], input="  \n")
    assert empty.exit_code == 1 and "input is empty" in empty.output
    bad = runner.invoke(app, ["translate", "--src", "klingon!", "--tgt", "eng"], input="x")
    assert bad.exit_code == 2 and "not a language code" in bad.output
    options = runner.invoke(app, ["translate", "--src", "spa", "--tgt", "eng", "--backend", "transformers"], input="x")
    assert options.exit_code == 2 and "-o model: Field required" in options.output
    router = runner.invoke(app, ["translate", "--src", "spa", "--tgt", "eng", "--backend", "router"], input="x")
    assert router.exit_code == 2 and "uses other backends of a recipe" in router.output
