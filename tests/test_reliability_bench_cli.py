"""The `muri-gen bench` harness: every registered benchmark is resolvable, one that fails leaves a row
saying why instead of hiding the others' numbers, and the table is written where the README reads it."""
import importlib

from typer.testing import CliRunner

from muri_gen.bench import BENCHES
from muri_gen.cli import app


def steady(full: bool = False, repeat: int = 3) -> list[dict]:
    n = 1000 if full else 10
    return [{"benchmark": f"sum of {n} ints | pipes", "ours": float(sum(range(n))), "baseline": 45.0,
             "unit": "ops", "ratio": sum(range(n)) / 45, "note": f"line one\nline two, {repeat} rounds"}]


def broken(full: bool = False, repeat: int = 3) -> list[dict]:
    raise RuntimeError("datatrove could not be installed")


def test_every_registered_benchmark_points_at_a_run_function():
    for name, target in BENCHES.items():
        module, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attr)), name


def test_a_failing_benchmark_gets_its_row_and_the_table_is_written(tmp_path, monkeypatch):
    monkeypatch.setitem(BENCHES, "steady", f"{__name__}:steady")
    monkeypatch.setitem(BENCHES, "broken", f"{__name__}:broken")
    out = tmp_path / "BENCH.md"
    result = CliRunner().invoke(app, ["bench", "--only", "broken", "--only", "steady", "--full", "--repeat", "2",
                                      "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert lines[0] == "| area | benchmark | ours | baseline | unit | ratio | spread | note |"
    assert lines[1].startswith("| broken | (failed) |") and "RuntimeError: datatrove could not be installed" in lines[1]
    assert lines[2] == "| steady | sum of 1000 ints \\| pipes | 499,500.0 | 45.0 | ops | 11,100.0 |  | line one line two, 2 rounds |"
    assert "`muri-gen bench --full --repeat 2 --only broken --only steady`" in text and "steady" in text.splitlines()[0]
    assert lines[2] in result.output


def test_unknown_benchmark_names_are_refused(tmp_path):
    result = CliRunner().invoke(app, ["bench", "--only", "nope", "--output", str(tmp_path / "b.md")])
    assert result.exit_code == 2 and "unknown benchmark(s) nope" in result.output
    assert not (tmp_path / "b.md").exists()
