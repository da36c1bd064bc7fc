"""Bias-mitigation benchmark on a dataset with a known skew built from real text (skewed.py:
stereotype-selected MedQA questions plus Dreaddit posts).

- swap throughput: our swapper (one compiled alternation, case handling, her/his reading rule)
  against the straightforward per-token dictionary lookup (no readings, no multi-word terms);
  ratio = our rows/s over the baseline's.
- effect: overall STA (vs the reference shares) after each method, ours = after, baseline = before;
  ratio = after / before (the target is <= 0.5), with the rows kept or added in the note.
"""
from __future__ import annotations

import time

import regex

from muri_gen.bench.measure import throughput_row
from muri_gen.bias.mitigate.pipeline import build, mitigate
from muri_gen.bias.mitigate.skewed import skewed_dataset, stereotyped_medqa
from muri_gen.bias.mitigate.swap import SWAPS_DIR, _read_pairs, swapper

WORD = regex.compile(r"\w+|\W+")


def _baseline_swap(texts: list[str]) -> list[str]:
    table: dict[str, str] = {}
    for male, female, _ in _read_pairs(SWAPS_DIR / "en.tsv"):
        table.setdefault(male, female)
        table.setdefault(female, male)
    return ["".join(table.get(piece.lower(), piece) for piece in WORD.findall(text)) for text in texts]


def run(full: bool = False, repeat: int = 5) -> list[dict]:
    rows = skewed_dataset() if full else stereotyped_medqa() + skewed_dataset()[930:2000]
    texts = [r["instruction_en"] for r in rows]
    english = swapper("en")
    results = [throughput_row("gender swap (rows/s)", len(texts), lambda: [english.swap(t) for t in texts],
                              lambda: _baseline_swap(texts), repeat, "rows/CPU s",
                              f"{len(texts)} English rows; baseline = per-token dict lookup, no her/his readings",
                              clock=time.process_time)]
    plans = {
        "reweight (reference)": [build("reweight", {})],
        "resample (reference)": [build("resample", {})],
        "augment (target reference)": [build("augment", {"target": "reference"})],
        "augment (all, classic CDA)": [build("augment", {})],
        "augment (reference) + reweight": [build("augment", {"target": "reference"}), build("reweight", {})],
    }
    for name, methods in plans.items():
        outcome = mitigate(rows, methods)
        before = outcome.before["languages"]["en"]["overall_sta"]
        after = outcome.after["languages"]["en"]["overall_sta"]
        last = outcome.steps[-1]["summary"]
        kept = last.get("distinct_rows_kept", len(rows))
        results.append({
            "benchmark": f"overall STA after {name}", "ours": after, "baseline": before, "unit": "STA",
            "ratio": round(after / before, 3),
            "note": f"{len(rows)} rows in, {len(outcome.records)} out, {kept / len(rows):.1%} of rows kept",
        })
    return results
