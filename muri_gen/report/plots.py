"""The report's charts: matplotlib figures returned as data: URIs, so report.html needs no network.

Each function takes plain numbers and returns an ``<img>`` source, or None when there is nothing
to draw (the report then says why instead of showing an empty chart).
"""
from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt

MAX_LANGUAGES = 40  # beyond this a chart is unreadable; the tables still list every language
COLORS = {"kept": "#2e7d32", "rejected": "#c62828", "errored": "#6a1b9a"}
plt.rcParams.update({"svg.hashsalt": "muri-gen", "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False})


def _uri(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _height(rows: int) -> float:
    return max(2.2, 0.32 * rows + 1.0)


def funnel(by_language: dict[str, dict[str, int]], rejected_by_stage: dict[str, dict[str, int]],
           stage_order: list[str]) -> str | None:
    """Per language: kept, then rejections stage by stage, then errors, as one stacked bar."""
    langs = sorted(by_language, key=lambda code: -by_language[code].get("input", 0))[:MAX_LANGUAGES]
    if not langs:
        return None
    fig, ax = plt.subplots(figsize=(8, _height(len(langs))))
    left = [0] * len(langs)
    segments = [("kept", [by_language[c].get("kept", 0) for c in langs], COLORS["kept"])]
    reds = plt.get_cmap("Reds")
    stages = [s for s in stage_order if any(rejected_by_stage.get(s, {}).values())]
    stages += sorted(s for s in rejected_by_stage if s not in stages and any(rejected_by_stage[s].values()))
    for i, stage in enumerate(stages):
        shade = reds(0.35 + 0.6 * i / max(1, len(stages) - 1))
        segments.append((f"rejected: {stage}", [rejected_by_stage[stage].get(c, 0) for c in langs], shade))
    segments.append(("errored", [by_language[c].get("errored", 0) for c in langs], COLORS["errored"]))
    for label, values, color in segments:
        if any(values):
            ax.barh(langs, values, left=left, color=color, label=label)
            left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlabel("records")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    return _uri(fig)


def boxplots(values: dict[str, Sequence[float]], xlabel: str, log: bool = False) -> str | None:
    data = {code: v for code, v in values.items() if v}
    if not data:
        return None
    langs = sorted(data, key=lambda code: -len(data[code]))[:MAX_LANGUAGES]
    fig, ax = plt.subplots(figsize=(8, _height(len(langs))))
    # whiskers at the 5th/95th percentiles and no outlier dots: the SVG stays small for millions of rows
    ax.boxplot([data[c] for c in langs], orientation="horizontal", tick_labels=langs, whis=(5, 95), showfliers=False)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(f"{xlabel} (box: quartiles and median; whiskers: 5th-95th percentile)")
    return _uri(fig)


def histogram(series: dict[str, Sequence[float]], xlabel: str, bins: int = 20) -> str | None:
    series = {label: v for label, v in series.items() if v}
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(8, 2.8))
    for label, values in series.items():
        ax.hist(values, bins=bins, range=(0, 1), alpha=0.6, label=f"{label} ({len(values)})",
                color=COLORS.get(label))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("records")
    ax.legend(frameon=False)
    return _uri(fig)


def stacked_shares(counts: dict[str, Counter], xlabel: str) -> str | None:
    """Per language, the share of each category (e.g. instruction styles), as a 100% stacked bar."""
    counts = {code: c for code, c in counts.items() if sum(c.values())}
    if not counts:
        return None
    langs = sorted(counts)[:MAX_LANGUAGES]
    categories = sorted({k for c in counts.values() for k in c})
    fig, ax = plt.subplots(figsize=(8, _height(len(langs))))
    left = [0.0] * len(langs)
    cmap = plt.get_cmap("tab10")
    for i, category in enumerate(categories):
        shares = [counts[c][category] / sum(counts[c].values()) for c in langs]
        ax.barh(langs, shares, left=left, color=cmap(i % 10), label=category)
        left = [a + b for a, b in zip(left, shares)]
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _uri(fig)


def bars(values: dict[str, float], xlabel: str, log: bool = False, color: str = "#1565c0") -> str | None:
    values = {k: v for k, v in values.items() if v}
    if not values:
        return None
    labels = list(values)[:MAX_LANGUAGES]
    fig, ax = plt.subplots(figsize=(8, _height(len(labels))))
    ax.barh(labels, [values[k] for k in labels], color=color)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    return _uri(fig)


def grouped_shares(values: dict[str, dict[str, float | None]], xlabel: str) -> str | None:
    """Per language, one bar per indicator (shares in 0..1); missing values are left out."""
    values = {code: {k: v for k, v in row.items() if v is not None} for code, row in values.items()}
    values = {code: row for code, row in values.items() if row}
    if not values:
        return None
    langs = sorted(values)[:MAX_LANGUAGES]
    names = sorted({k for row in values.values() for k in row})
    fig, ax = plt.subplots(figsize=(8, _height(len(langs) * max(1, len(names)) // 2 + 1)))
    height = 0.8 / len(names)
    cmap = plt.get_cmap("tab10")
    for i, name in enumerate(names):
        positions = [j + i * height for j in range(len(langs))]
        ax.barh(positions, [values[c].get(name, 0) for c in langs], height=height, color=cmap(i % 10), label=name)
    ax.set_yticks([j + 0.4 - height / 2 for j in range(len(langs))], langs)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _uri(fig)
