"""Measurements that hold still on a shared machine: both sides run in turns, each long enough in all
to be timed, and a row reports the median of the per-round ratios with their min-max spread.

Sides in this process interleave call by call (``interleaved_seconds``): a slowdown that lasts a few
calls lands on both alike, where two seconds of one side and then two of the other caught it on one
side only (two quick benches a minute apart read Bergamot batched vs per sentence 2.26 and 1.94,
gender swap 0.41 and 0.47). The ratio of one round compares calls fractions of a second apart, and
the median of the rounds ignores one bad round.

Sides that run as their own processes go further: ``duet`` runs both at once, one per core. On this
project's 2-vCPU VM the speed of the same code moves by up to 1.8x from one 15-second run to the next
with nothing else running (the host's other tenants), and not by the same factor for every kind of
code; two sides that share those seconds share the slowdown, two sides that take turns do not
(sequential rounds of the full vs the lean filter chain: 0.70-0.98, duet rounds: 0.85-0.87).
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from statistics import median
from typing import TypeVar

T = TypeVar("T")
MIN_SECONDS = 2.0  # a side that finishes sooner is called again: milliseconds are mostly timer noise


def rounds(sides: dict[str, Callable[[], T]], repeat: int) -> dict[str, list[T]]:
    """Each side's results over ``repeat`` rounds; within a round the sides run one after another, in the
    opposite order the next round (ours, baseline; baseline, ours; ...), so neither always goes first."""
    results: dict[str, list[T]] = {name: [] for name in sides}
    order = list(sides)
    for _ in range(repeat):
        for name in order:
            results[name].append(sides[name]())
        order.reverse()
    return results


def interleaved_seconds(sides: dict[str, Callable[[], object]], min_seconds: float = MIN_SECONDS,
                        clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Seconds per call of each side, their calls interleaved: the side with the fewest seconds so far calls
    next, until every side has run ``min_seconds``. A slowdown of the machine that lasts a few calls lands on
    both sides alike; whole seconds of one side and then of the other would catch it on one side only."""
    spent, calls = dict.fromkeys(sides, 0.0), dict.fromkeys(sides, 0)
    while min(spent.values()) < min_seconds:
        name = min(spent, key=spent.__getitem__)
        started = clock()
        sides[name]()
        spent[name] += clock() - started
        calls[name] += 1
    return {name: spent[name] / calls[name] for name in sides}


def spread(ratios: list[float]) -> str:
    return f"{min(ratios):.3g}-{max(ratios):.3g}" if len(ratios) > 1 else ""


def ratio_row(benchmark: str, ours: list[float], baseline: list[float], unit: str, note: str,
              rounds: str = "alternating") -> dict:
    """One table row from per-round values in ``unit``: the medians, and ratio = median of ours/baseline per round.
    ``rounds`` names how the sides shared a round: "alternating" (in turns), "interleaved" (call by call, see
    ``interleaved_seconds``) or "duet" (at once, see ``duet``)."""
    ratios = [o / b for o, b in zip(ours, baseline, strict=True)]
    return {"benchmark": benchmark, "ours": median(ours), "baseline": median(baseline), "unit": unit,
            "ratio": median(ratios), "spread": spread(ratios),
            "note": f"{note}; median of {len(ratios)} {rounds} rounds" if len(ratios) > 1 else note}


def throughput_row(benchmark: str, work: int, ours: Callable[[], object], baseline: Callable[[], object],
                   repeat: int, unit: str, note: str, clock: Callable[[], float] = time.perf_counter,
                   min_seconds: float = MIN_SECONDS) -> dict:
    """``ours`` and ``baseline`` each do ``work`` units per call; a round interleaves their calls until each
    has run ``min_seconds`` (``interleaved_seconds``). ``time.process_time`` as the clock counts this process's CPU
    seconds: for sides that compute on one thread in this process, steady however busy the machine is."""
    seconds = [interleaved_seconds({"ours": ours, "baseline": baseline}, min_seconds, clock) for _ in range(repeat)]
    return ratio_row(benchmark, [work / s["ours"] for s in seconds], [work / s["baseline"] for s in seconds], unit,
                     note, rounds="interleaved")


def _start(command: list[str], core: int | None, **popen) -> subprocess.Popen:
    """A side's process, pinned to ``core``; its output goes to files (a full pipe would stall it unread)."""
    pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    process = subprocess.Popen(command, stdout=out, stderr=err, text=True, preexec_fn=pin, **popen)
    process.files = (out, err)  # read back by _finished
    return process


def _finished(process: subprocess.Popen, name: str) -> dict:
    process.wait()
    out, err = process.files
    with out, err:
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise RuntimeError(f"benchmark side {name} failed: {err.read()[-2000:]}")
        return json.loads(out.read().strip().splitlines()[-1])


def side_run(command: list[str], name: str, **popen) -> dict:
    """One side's process run to its end on any core: the JSON line it printed last (its stderr if it fails)."""
    return _finished(_start(command, None, **popen), name)


def _together(sides: dict[str, list[str]], placed: dict[str, int], **popen) -> dict[str, list[dict]]:
    """Both sides at once, each on its core; a side that finishes first starts again until the other finishes
    (so neither ever runs alone), and its run still going then is stopped and not counted."""
    running = {name: _start(command, placed[name], **popen) for name, command in sides.items()}
    done: dict[str, list[dict]] = {name: [] for name in sides}
    while not all(done.values()):
        time.sleep(0.05)
        for name, process in list(running.items()):
            if process.poll() is None:
                continue
            done[name].append(_finished(running.pop(name), name))
            if not all(done.values()):
                running[name] = _start(sides[name], placed[name], **popen)
    for process in running.values():
        process.kill()
        process.wait()
        for file in process.files:
            file.close()
    return done


def duet(sides: dict[str, list[str]], repeat: int, **popen) -> dict[str, list[list[dict]]]:
    """Two commands that each print one JSON line, run at the same time, one per core, so both meet the same
    slowdowns of a shared machine (see ``_together``). A round runs them twice, the cores swapped, because
    the two cores need not be equally fast. Returns each side's complete runs per round; with fewer than
    two cores (or no core pinning, off Linux) the sides run one after another."""
    cores = sorted(os.sched_getaffinity(0))[:2] if hasattr(os, "sched_getaffinity") else []  # Linux only
    if len(cores) < 2:
        return {name: [[side_run(command, name, **popen)] for _ in range(repeat)] for name, command in sides.items()}
    results: dict[str, list[list[dict]]] = {name: [] for name in sides}
    for _ in range(repeat):
        placements = [_together(sides, dict(zip(sides, order)), **popen) for order in (cores, cores[::-1])]
        for name in sides:
            results[name].append([run for placement in placements for run in placement[name]])
    return results


def per_cpu_second(work: int, runs: list[dict]) -> float:
    """Units of work per CPU second over a round's complete runs of one side (each did ``work`` units)."""
    return work * len(runs) / sum(run["cpu_seconds"] for run in runs)
