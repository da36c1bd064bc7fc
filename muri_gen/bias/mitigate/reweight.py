"""Loss-based re-weighting and its resampling variant.

``weight`` moves each occupation's weighted female share toward a target (parity, or the
reference share of the lexicon) by iterative proportional fitting over the rows' sentence-window
counts: each round scales the female and male cells of every occupation to the target, and a row
takes the count-weighted geometric mean of its cells' factors. Rows with no gendered occupation
window keep a relative weight of 1. Weights are bounded by ``max_weight`` (and 1/max_weight)
before the final rescale, which makes them sum to the number of rows. An occupation seen with one
gender only cannot be moved by weights (there is nothing to up-weight): the summary lists them,
and targeted augmentation (method ``augment`` with a target) is the tool for those.

The resampling variant draws as many rows as the dataset has, each row about ``weight`` times
(systematic resampling: floor or ceil of its weight), for trainers that cannot weight the loss.
"""
from __future__ import annotations

import math
import random
from typing import Literal

from pydantic import Field

from muri_gen.bias.mitigate.base import Method, MethodConfig, Mitigated
from muri_gen.bias.mitigate.measure import RowCounts, target_female_share


class ReweightConfig(MethodConfig):
    target: Literal["parity", "reference"] = Field(
        default="reference", description="move each occupation's weighted female share toward 50% (parity) or "
                                         "toward its reference share (filters/bias/occupations.tsv)")
    measure_field: str = Field(default="instruction_en",
                               description="the field whose occupation/gender counts the weights balance")
    max_weight: float = Field(default=10.0, gt=1,
                              description="a row's weight stays within [1/max_weight, max_weight] before the final "
                                          "rescale; lower it for tamer weights, raise it to move shares further")
    iterations: int = Field(default=50, ge=1, description="rounds of iterative proportional fitting")


def fit_weights(counts: RowCounts, target: str, max_weight: float, iterations: int,
                initial: list[float] | None = None) -> tuple[list[float], list[str]]:
    """Row weights summing to the number of rows, and the occupations weights cannot move.

    ``initial`` are weights a previous step gave (curate's down-weighting); they are kept as the start."""
    weights = list(initial) if initial else [1.0] * len(counts.cells)
    stuck: set[str] = set()
    for _ in range(iterations):
        factors: dict = {}
        for cell, (female, male) in counts.totals(weights).items():
            share = target_female_share(counts.occupations[cell], target)
            if share is None:
                continue
            if female <= 0 or male <= 0:
                stuck.add("/".join(cell))
                continue
            factors[cell] = (math.log(share * (female + male) / female) if share > 0 else -math.inf,
                             math.log((1 - share) * (female + male) / male) if share < 1 else -math.inf)
        for index, row in enumerate(counts.cells):
            moves = [(n, factors[cell][side]) for cell, pair in row.items() if cell in factors
                     for side, n in enumerate(pair) if n]
            if moves:
                log_factor = sum(n * f for n, f in moves) / sum(n for n, _ in moves)
                weights[index] = min(max(weights[index] * math.exp(max(log_factor, -50)), 1 / max_weight), max_weight)
    scale = len(weights) / sum(weights) if weights else 1.0
    return [w * scale for w in weights], sorted(stuck)


class Reweight(Method):
    name = "reweight"
    Config = ReweightConfig
    config: ReweightConfig

    def weights(self, records: list[dict]) -> tuple[list[float], list[str], RowCounts]:
        counts = RowCounts.of(records, self.config.measure_field)
        weights, stuck = fit_weights(counts, self.config.target, self.config.max_weight, self.config.iterations,
                                     [float(r.get("weight", 1.0)) for r in records])
        return weights, stuck, counts

    def apply(self, records: list[dict]) -> Mitigated:
        weights, stuck, counts = self.weights(records)
        out = [dict(r, weight=w) for r, w in zip(records, weights)]
        return Mitigated(out, summary=_weight_summary(weights, stuck, counts),
                         columns={"weight": f"loss weight toward {self.config.target} gender shares per occupation "
                                            "(sums to the number of rows)"})


class ResampleConfig(ReweightConfig):
    seed: int = Field(default=0, description="seeds the one random offset of systematic resampling: which rows "
                                             "with a fractional weight are drawn once more")


class Resample(Reweight):
    name = "resample"
    Config = ResampleConfig
    config: ResampleConfig

    def apply(self, records: list[dict]) -> Mitigated:
        weights, stuck, counts = self.weights(records)
        out: list[dict] = []
        offset = random.Random(self.config.seed).random()  # one draw: systematic resampling
        cumulative = 0.0
        for record, weight in zip(records, weights):
            copies = math.floor(cumulative + weight + offset) - math.floor(cumulative + offset)
            cumulative += weight
            for k in range(copies):
                out.append(dict(record, resampled_from=str(record["id"]),
                                **({"id": f"{record['id']}~r{k}"} if k else {})))
        unique = len({r["resampled_from"] for r in out})
        summary = _weight_summary(weights, stuck, counts) | {
            "rows_in": len(records), "rows_out": len(out), "distinct_rows_kept": unique,
            "share_of_rows_kept": round(unique / len(records), 4) if records else None}
        return Mitigated(out, summary=summary,
                         columns={"resampled_from": "id of the source row (a row drawn k > 1 times gets ids ~r1, ~r2...)"})


def _weight_summary(weights: list[float], stuck: list[str], counts: RowCounts) -> dict:
    return {"rows": len(weights), "weight_sum": round(sum(weights), 6),
            "weight_min": round(min(weights, default=0), 4), "weight_max": round(max(weights, default=0), 4),
            "rows_reweighted": sum(1 for c in counts.cells if c), "occupations_one_gender_only": stuck}
