"""Fit the curate stage's weights and thresholds to pairs people rated on MURI's criteria.

The target of a rated pair is the mean of its alignment and instruction ratings (the output is
the human document: it says nothing about the generated part). Weights are non-negative least
squares of that target on the signals (a missing signal takes its column's mean), normalised to
sum 1; the overall score is then the calibration's weighted mean. Floors (a signal below which no
score keeps a pair: an off-topic instruction is not saved by its fluency) and ``min_score`` are
chosen to maximise F0.5 on "good" pairs, weighing precision above recall: fewer, better pairs.
Good is MURI's publishable (alignment >= 4 and instruction >= 4); a sample with too few such
pairs (fewer than 5, or under 5%) cannot place a cut on them, and the bar drops to 3 on both
("acceptable"), which the calibration states. A language with enough good rated pairs gets its own threshold,
never under the overall one: fitted on 10-20 good pairs, a lower cut was noise (the Spanish and Portuguese
cuts of a first fit, under the overall one, kept 12 pairs of a held-out demo run that rated 3.1 on alignment).
The request_form signal is fitted first: each form's mean alignment rating, pulled toward the overall
mean by FORM_SMOOTHING pairs' worth (a form few pairs have says little), scaled 0-1; alignment and not
the target, since the form tells whether a document can answer the request and purity already reads
the instruction's fluency.
Floors of signals the ratings cannot judge (absent from most rated pairs) stay the base's; the
document's LID confidence is neither weighed nor fitted (it describes the document and, through
it, the language: fitted on pooled ratings it would rank whole languages down); its floor is the
base's, with per-language overrides in the recipe.
Agreement is reported in-sample and by 5-fold cross-validation (weights, floors and threshold
fitted on four folds, judged on the fifth), which is what to expect on pairs the fit never saw;
``best_per_document`` counts what the stage keeps from rated candidates: each document's best-scored
one, when it passes (recall there: of the documents with a good candidate).
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from muri_gen.curation.request_form import forms
from muri_gen.curation.score import SIGNALS, Calibration, Thresholds

BARS = (4, 3)  # MURI's publishable (both alignment and instruction at least 4), then acceptable
MIN_GOOD, MIN_GOOD_SHARE = 5, 0.05  # good pairs (and share of the rated) a bar needs to place a cut on
MIN_LANGUAGE_GOOD = 10  # good rated pairs a language needs for a threshold of its own
MIN_FLOOR_GAIN = 0.01  # F0.5 a fitted floor must add
DOCUMENT_SIGNALS = ("lid_confidence",)  # neither weighed nor floored here: the base's floor, per-language overrides
FOLDS = 5
FORM_SMOOTHING = 10


@dataclass
class RatedPair:
    id: str
    language: str
    signals: dict[str, float | None]
    alignment: int
    instruction: int
    document: str = ""  # the record the pair's candidate instruction belongs to
    form: str | None = None  # the request's form (muri_gen/curation/request_form.py)
    bar: int = BARS[0]


    @property
    def target(self) -> float:
        return (self.alignment + self.instruction) / 2

    @property
    def good(self) -> bool:
        return self.alignment >= self.bar and self.instruction >= self.bar


def choose_bar(pairs: list[RatedPair]) -> int:
    """The highest bar that enough rated pairs reach on both criteria."""
    for bar in BARS:
        good = sum(p.alignment >= bar and p.instruction >= bar for p in pairs)
        if good >= max(MIN_GOOD, MIN_GOOD_SHARE * len(pairs)):
            return bar
    return BARS[-1]


def fit_form_values(pairs: list[RatedPair]) -> dict[str, float]:
    """The request_form signal of every form: its smoothed mean alignment rating, scaled 0-1."""
    formed = [p for p in pairs if p.form]
    if not formed:
        return {}
    overall = float(np.mean([p.alignment for p in formed]))
    ratings: dict[str, list[int]] = defaultdict(list)
    for p in formed:
        ratings[p.form].append(p.alignment)
    means = {form: (sum(ratings[form]) + FORM_SMOOTHING * overall) / (len(ratings[form]) + FORM_SMOOTHING)
             for form in forms()}
    return {form: round((mean - 1) / 4, 4) for form, mean in means.items()}


def with_form_values(pairs: list[RatedPair], values: dict[str, float]) -> list[RatedPair]:
    return [replace(p, signals={**p.signals, "request_form": values.get(p.form) if p.form else None}) for p in pairs]


def fit_weights(pairs: list[RatedPair], signals: list[str]) -> dict[str, float]:
    """Non-negative least squares (with a free intercept) of the target on the signals."""
    from scipy.optimize import nnls

    columns = np.array([[p.signals.get(s) if p.signals.get(s) is not None else np.nan for s in signals] for p in pairs],
                       dtype=float)
    means = np.nanmean(columns, axis=0)
    columns = np.where(np.isnan(columns), means, columns)
    target = np.array([p.target for p in pairs])
    design = np.hstack([columns, np.ones((len(pairs), 1)), -np.ones((len(pairs), 1))])  # intercept = b+ - b-
    solution, _ = nnls(design, target)
    weights = solution[: len(signals)]
    if weights.sum() <= 0:  # no signal predicts the ratings: weigh them equally rather than not at all
        weights = np.ones(len(signals))
    return {s: round(float(w / weights.sum()), 4) for s, w in zip(signals, weights) if w > 0}


def best_threshold(scored: list[tuple[float, RatedPair]], beta: float = 0.5,
                   eligible: list[bool] | None = None) -> tuple[float, dict]:
    """The min_score with the highest F-beta on good pairs, and the figures at that cut.

    ``eligible``: pairs a floor already rejects are never kept, whatever the cut."""
    eligible = eligible or [True] * len(scored)
    positives = sum(p.good for _, p in scored)
    order = sorted(((s, p) for (s, p), ok in zip(scored, eligible) if ok), key=lambda row: -row[0])  # best first
    best_f, best_cut, best_size = -1.0, 1.01, 0
    hits = 0
    for size, (score, pair) in enumerate(order, start=1):
        hits += pair.good
        if size < len(order) and order[size][0] == score:
            continue  # a cut keeps every pair of the same score
        precision, recall = hits / size, hits / positives if positives else 0.0
        f = (1 + beta**2) * precision * recall / (beta**2 * precision + recall) if precision + recall else 0.0
        if f > best_f:
            best_f, best_cut, best_size = f, score, size
    kept = [p for _, p in order[:best_size]]
    precision = sum(p.good for p in kept) / len(kept) if kept else 0.0
    recall = sum(p.good for p in kept) / positives if positives else 0.0
    return best_cut, summary(kept, len(scored), precision, recall)


def fit_floors(pairs: list[RatedPair], scores: list[float | None], signals: list[str],
               floors: dict[str, float]) -> dict[str, float]:
    """Floors that raise F0.5 when added to the threshold: each signal in turn tries its
    10th-50th percentiles (or none), twice round; a floor stays only when it gains at least
    MIN_FLOOR_GAIN over none (a smaller gain is the sample's noise, and a floor rejects for good)."""
    floors = dict(floors)
    scored = [(s, p) for s, p in zip(scores, pairs) if s is not None]

    def quality(trial: dict[str, float]) -> float:
        eligible = [all(p.signals.get(k) is None or p.signals[k] >= v for k, v in trial.items()) for _, p in scored]
        _, figures = best_threshold(scored, eligible=eligible)
        return f_half(figures)

    for _ in range(2):
        for signal in signals:
            values = sorted(p.signals[signal] for p in pairs if p.signals.get(signal) is not None)
            options = [None] + sorted({round(values[int(len(values) * q)], 4) for q in (0.1, 0.2, 0.3, 0.4, 0.5)})
            trials = [({k: v for k, v in floors.items() if k != signal} | ({signal: o} if o is not None else {}))
                      for o in options]
            best = max(trials, key=quality)  # ties keep the earliest: no floor before a floor
            floors = best if quality(best) >= quality(trials[0]) + MIN_FLOOR_GAIN else trials[0]
    return floors


def f_half(figures: dict) -> float:
    precision, recall = figures["precision_good"], figures["recall_good"]
    return 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0


def summary(kept: list[RatedPair], total: int, precision: float, recall: float) -> dict:
    return {"kept": len(kept), "kept_share": round(len(kept) / total, 3) if total else 0.0,
            "precision_good": round(precision, 3), "recall_good": round(recall, 3),
            "kept_mean_alignment": round(float(np.mean([p.alignment for p in kept])), 3) if kept else None,
            "kept_mean_instruction": round(float(np.mean([p.instruction for p in kept])), 3) if kept else None}


def spearman(x: list[float], y: list[float]) -> float | None:
    from scipy.stats import spearmanr

    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return round(float(spearmanr(x, y).statistic), 3)


def fit(pairs: list[RatedPair], base: Calibration, name: str, sheets: int = 0, seed: int = 0) -> Calibration:
    """A calibration fitted to the rated pairs, keeping the base's floors; ``fitted`` says how well it agrees."""
    if len(pairs) < 10:
        raise ValueError(f"{len(pairs)} rated pairs with signals: calibrating needs at least 10")
    pairs = with_form_values(pairs, fit_form_values(pairs))  # what the fit gives them, also judged usable or not
    usable = [s for s in SIGNALS if sum(p.signals.get(s) is not None for p in pairs) >= len(pairs) / 2]
    if not usable:
        raise ValueError("no signal is present on half of the rated pairs: were they scored by the curate stage?")
    bar = choose_bar(pairs)
    pairs = [replace(p, bar=bar) for p in pairs]
    calibration = _fit_once(pairs, base, name, usable)
    scores = [calibration.score(p.signals) for p in pairs]
    scored = [(s, p) for s, p in zip(scores, pairs) if s is not None]
    kept = [p for s, p in scored if not calibration.reasons(p.signals, s, p.language)]
    positives = sum(p.good for _, p in scored)
    hits = sum(p.good for p in kept)
    cross = cross_validate(pairs, base, usable, seed)
    best = best_per_document([(s, not calibration.reasons(p.signals, s, p.language), p) for s, p in scored])
    calibration.fitted = {
        "date": date.today().isoformat(), "sheets": sheets, "rated_pairs": len(pairs),
        "languages": dict(sorted(Counter(p.language for p in pairs).items())),
        "target": "mean of the alignment and instruction ratings (1-5)",
        "good": f"alignment >= {bar} and instruction >= {bar}" + ("" if bar == BARS[0] else
                f" (too few rated pairs reach {BARS[0]} on both)"),
        "good_share": round(positives / len(scored), 3) if scored else None,
        "publishable_share": round(sum(p.alignment >= BARS[0] and p.instruction >= BARS[0] for p in pairs) / len(pairs), 3),
        "spearman": spearman([s for s, _ in scored], [p.target for _, p in scored]),
        "at_min_score": summary(kept, len(scored), hits / len(kept) if kept else 0.0, hits / positives if positives else 0.0),
        "best_per_document": best,
        "cross_validated": cross,
        "signal_spearman": {s: spearman([p.signals[s] for p in pairs if p.signals.get(s) is not None],
                                        [p.target for p in pairs if p.signals.get(s) is not None]) for s in usable},
    }
    return calibration


def _fit_once(pairs: list[RatedPair], base: Calibration, name: str, usable: list[str]) -> Calibration:
    pair_signals = [s for s in usable if s not in DOCUMENT_SIGNALS]
    form_values = fit_form_values(pairs)
    pairs = with_form_values(pairs, form_values)
    weights = fit_weights(pairs, pair_signals)
    draft = Calibration(name=name, weights=weights, min_score=0.0, floors={})
    scores = [draft.score(p.signals) for p in pairs]
    floors = fit_floors(pairs, scores, pair_signals, {k: v for k, v in base.floors.items() if k not in pair_signals})
    scored = [(s, p) for s, p in zip(scores, pairs) if s is not None]

    def eligible(rows):
        return [all(p.signals.get(k) is None or p.signals[k] >= v for k, v in floors.items()) for _, p in rows]

    min_score, _ = best_threshold(scored, eligible=eligible(scored))
    by_language: dict[str, list] = defaultdict(list)
    for s, p in scored:
        by_language[p.language].append((s, p))
    cuts = {lang: best_threshold(rows, eligible=eligible(rows))[0] for lang, rows in by_language.items()
            if sum(p.good for _, p in rows) >= MIN_LANGUAGE_GOOD}
    own = {lang: Thresholds(min_score=min(cut, 1.0)) for lang, cut in cuts.items() if cut > min_score}
    return Calibration(name=name, weights=weights, min_score=min(min_score, 1.0), floors=floors, languages=own,
                       request_forms=form_values)


def cross_validate(pairs: list[RatedPair], base: Calibration, usable: list[str], seed: int) -> dict:
    """Spearman and kept-pair figures of scores each fitted without the pair's own fold. Folds split
    documents, not pairs: candidates of one document share its text and would leak across folds."""
    documents = sorted({p.document or p.id for p in pairs})
    random.Random(seed).shuffle(documents)
    fold_of = {d: k % FOLDS for k, d in enumerate(documents)}
    predicted: list[tuple[float, bool, RatedPair]] = []
    for fold in range(FOLDS):
        test = [p for p in pairs if fold_of[p.document or p.id] == fold]
        train = [p for p in pairs if fold_of[p.document or p.id] != fold]
        if not test or len(train) < 10:
            continue
        calibration = _fit_once(train, base, "cv", usable)
        for p in with_form_values(test, calibration.request_forms):
            s = calibration.score(p.signals)
            if s is not None:
                predicted.append((s, not calibration.reasons(p.signals, s, p.language), p))
    kept = [p for _, keep, p in predicted if keep]
    positives = sum(p.good for _, _, p in predicted)
    hits = sum(p.good for p in kept)
    return {"folds": FOLDS, "spearman": spearman([s for s, _, _ in predicted], [p.target for _, _, p in predicted]),
            **summary(kept, len(predicted), hits / len(kept) if kept else 0.0, hits / positives if positives else 0.0),
            "best_per_document": best_per_document(predicted)}


def best_per_document(predicted: list[tuple[float, bool, RatedPair]]) -> dict:
    """What the curate stage keeps: of each document's rated candidates, the best-scored, when it passes."""
    best: dict[str, tuple[float, bool, RatedPair]] = {}
    for row in predicted:
        key = row[2].document or row[2].id
        if key not in best or row[0] > best[key][0]:
            best[key] = row
    kept = [p for _, keep, p in best.values() if keep]
    hits = sum(p.good for p in kept)
    documents_with_good = len({p.document or p.id for _, _, p in predicted if p.good})
    return {"documents": len(best), **summary(kept, len(best), hits / len(kept) if kept else 0.0,
                                               hits / documents_with_good if documents_with_good else 0.0)}
