"""`muri-gen inspect`: kept pairs and rejects of a real run, in the terminal."""
import pytest
from typer.testing import CliRunner

from muri_gen.cli import app
from muri_gen.recipe import load_recipe
from muri_gen.runner import run_recipe
from tests.report_data import FULL_STAGES, write_recipe


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inspect")
    run_recipe(load_recipe(write_recipe(tmp, FULL_STAGES)))
    return tmp / "out"


def inspect(*args):
    result = CliRunner().invoke(app, ["inspect", *map(str, args)])
    return result.exit_code, result.output


def test_pairs_of_one_language(out):
    code, text = inspect(out, "--lang", "pt", "--n", "2")
    assert code == 0
    assert text.count("[por] udhr-por_PT-") == 2 and "[spa]" not in text
    for label in ("instruction:", "instruction (en):", "document:", "document (en):"):
        assert label in text
    assert "Todos os seres humanos nascem livres" in text


def test_rejects_show_stage_reason_and_detail(out):
    code, text = inspect(out, "--rejected", "echo", "--n", "3")
    assert code == 0 and text.count("rejected at test_report_postfilter: echo") == 3 and '"echo_overlap": 1.0' in text
    code, text = inspect(out, "--rejected", "test_min_chars:too_short")
    assert "udhr-spa-short" in text and "Artículo 3." in text and '"chars": 11' in text
    code, text = inspect(out, "--rejected", "test_report_postfilter:", "--lang", "spa", "--n", "100")
    assert text.count("[spa]") == 25 and "test_min_chars" not in text


def test_nothing_matching_lists_the_reasons_there_are(out):
    code, text = inspect(out, "--rejected", "toxicity")
    assert code == 0 and "no rejected records matching 'toxicity'" in text
    assert "test_report_postfilter:echo (46)" in text


def test_bad_arguments_fail_clearly(out, tmp_path):
    code, text = inspect(out, "--lang", "klingonish")
    assert code == 2 and "not a language code" in text
    code, text = inspect(tmp_path)  # a folder, but no run in it: found while working, a handled error
    assert code == 1 and "not a muri-gen run folder" in text


def test_errored_records_in_the_terminal_and_the_report(tmp_path):
    stages = FULL_STAGES[:1] + ["{stage: test_error_every, every: 5}"]
    stats = run_recipe(load_recipe(write_recipe(tmp_path, stages)))
    assert stats["errored"] > 0
    code, text = inspect(tmp_path / "out", "--rejected", "error", "--n", "100")
    assert code == 0 and text.count("errored at test_error_every: error") == stats["errored"]
    assert "simulated backend failure" in text
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    errors = html.split("<h3>Errors (most frequent messages)</h3>")[1].split("</table>")[0]
    assert "<td>simulated backend failure</td>" in errors and f'<td class="n">{stats["errored"]}</td>' in errors
