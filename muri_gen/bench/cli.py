"""``muri-gen bench``: run every registered benchmark, print one table, save it for the README."""
from __future__ import annotations

import os
import platform
import time
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from muri_gen.console import usage_error

COLUMNS = ("area", "benchmark", "ours", "baseline", "unit", "ratio", "spread", "note")


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row.get(c, "")) for c in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def run_benches(names: list[str], full: bool, repeat: int, echo=typer.echo) -> tuple[list[dict], dict[str, float]]:
    """Each area's rows; an area that fails gets one row saying why instead of stopping the others."""
    from muri_gen.bench import BENCHES
    from muri_gen.registry import resolve

    rows: list[dict] = []
    seconds: dict[str, float] = {}
    for name in names:
        echo(f"bench {name}{' (full)' if full else ''}...", err=True)
        started = time.perf_counter()
        first = len(rows)
        try:
            for row in resolve(BENCHES, name, "benchmark")(full=full, repeat=repeat):
                rows.append({"area": name, **row})
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' numbers
            traceback.print_exc()
            rows.append({"area": name, "benchmark": "(failed)", "ours": "", "baseline": "", "unit": "",
                         "ratio": "", "spread": "", "note": f"{type(exc).__name__}: {exc}"[:300]})
        seconds[name] = round(time.perf_counter() - started, 1)
        echo(markdown_table(rows[first:]), err=True)  # each area's rows as soon as they are measured
    return rows, seconds


def bench(
    full: Annotated[bool, typer.Option("--full", help="Bigger corpora (tens of minutes or more)")] = False,
    repeat: Annotated[int, typer.Option("--repeat", min=1, help="Rounds per benchmark, ours and the baseline in turns; "
                                        "the table gives the median ratio and its min-max spread")] = 5,
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Run only this benchmark (repeatable)")] = None,
    output: Annotated[Path, typer.Option("--output", help="Markdown file the table is written to")] = Path("release/BENCH.md"),
) -> None:
    """Run the benchmarks side by side (ours vs a baseline, in one run) and print one table of ratios."""
    from muri_gen.bench import BENCHES

    unknown = [n for n in only or [] if n not in BENCHES]
    if unknown:
        usage_error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    names = only or list(BENCHES)
    load = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    started = time.perf_counter()
    rows, seconds = run_benches(names, full, repeat)
    total = time.perf_counter() - started
    load_end = os.getloadavg()[0]
    table = markdown_table(rows)
    command = " ".join(["muri-gen bench", *(["--full"] if full else []), f"--repeat {repeat}", *(f"--only {n}" for n in only or [])])
    header = (f"`{command}` on {time.strftime('%Y-%m-%d')}, "
              f"{os.cpu_count()} cores (load average {load:.1f} at start, {load_end:.1f} at end), Python {platform.python_version()}; {total / 60:.1f} min "
              f"({', '.join(f'{k} {v:.0f}s' for k, v in seconds.items())}). Throughput ratio = ours / baseline "
              "(higher is better); memory and time rows say which way is better in their note; ratio = median of the "
              "rounds' ratios, spread = the lowest and highest round.")
    typer.echo(table)
    typer.echo(header)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(f"{header}\n\n{table}\n", encoding="utf-8")
    typer.echo(f"written to {output}", err=True)
