"""Measurements that hold still on a shared machine: both sides run in turns (ours, baseline, ours,
baseline, ...), each turn long enough to be timed, and a row reports the median of the per-round
ratios with their min-max spread.

Taking turns puts a burst of load from elsewhere on both sides alike; the ratio of one round
compares two runs that were seconds apart, and the median of the rounds ignores one bad round.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median
from typing import TypeVar

T = TypeVar("T")
MIN_SECONDS = 2.0  # a side that finishes sooner is called again: milliseconds are mostly timer noise


def rounds(sides: dict[str, Callable[[], T]], repeat: int) -> dict[str, list[T]]:
    """Each side's results over ``repeat`` rounds; within a round the sides run one after another."""
    results: dict[str, list[T]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, side in sides.items():
            results[name].append(side())
    return results


def seconds_per_call(call: Callable[[], object], min_seconds: float = MIN_SECONDS,
                     clock: Callable[[], float] = time.perf_counter) -> float:
    """Seconds of one call on ``clock``, calling again until ``min_seconds`` have passed (total / calls)."""
    calls = 0
    started = clock()
    while True:
        call()
        calls += 1
        elapsed = clock() - started
        if elapsed >= min_seconds:
            return elapsed / calls


def spread(ratios: list[float]) -> str:
    return f"{min(ratios):.3g}-{max(ratios):.3g}" if len(ratios) > 1 else ""


def ratio_row(benchmark: str, ours: list[float], baseline: list[float], unit: str, note: str) -> dict:
    """One table row from per-round values in ``unit``: the medians, and ratio = median of ours/baseline per round."""
    ratios = [o / b for o, b in zip(ours, baseline, strict=True)]
    return {"benchmark": benchmark, "ours": median(ours), "baseline": median(baseline), "unit": unit,
            "ratio": median(ratios), "spread": spread(ratios),
            "note": f"{note}; median of {len(ratios)} alternating rounds" if len(ratios) > 1 else note}


def throughput_row(benchmark: str, work: int, ours: Callable[[], object], baseline: Callable[[], object],
                   repeat: int, unit: str, note: str, clock: Callable[[], float] = time.perf_counter) -> dict:
    """``ours`` and ``baseline`` each do ``work`` units per call; they take turns, each timed for MIN_SECONDS at
    least. ``time.process_time`` as the clock counts this process's CPU seconds: for sides that compute on
    one thread in this process, steady however busy the machine is."""
    seconds = rounds({"ours": lambda: seconds_per_call(ours, clock=clock),
                      "baseline": lambda: seconds_per_call(baseline, clock=clock)}, repeat)
    return ratio_row(benchmark, [work / s for s in seconds["ours"]], [work / s for s in seconds["baseline"]], unit, note)


def interleaved_row(benchmark: str, work: int, ours: list[Callable[[], object]], baseline: list[Callable[[], object]],
                    repeat: int, unit: str, note: str, clock: Callable[[], float] = time.process_time) -> dict:
    """Like ``throughput_row`` for work that comes in slices (batches of one corpus): within a round the sides
    take turns slice by slice (ours 1, baseline 1, ours 2, ...), so a burst of load from elsewhere falls on
    both alike, not on whichever side ran for those seconds. ``ours`` and ``baseline`` together do
    ``work`` units per pass; a round repeats the pass until each side has run MIN_SECONDS."""
    def one_round() -> tuple[float, float]:
        spent, units = [0.0, 0.0], 0
        while min(spent) < MIN_SECONDS:
            for pair in zip(ours, baseline, strict=True):
                for side, call in enumerate(pair):
                    started = clock()
                    call()
                    spent[side] += clock() - started
            units += work
        return units / spent[0], units / spent[1]

    measured = [one_round() for _ in range(repeat)]
    return ratio_row(benchmark, [o for o, _ in measured], [b for _, b in measured], unit, note)
