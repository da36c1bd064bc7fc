"""From signals to one score and a decision, with the weights and thresholds of a calibration.

Every signal is in [0, 1], higher is better. The overall score is the weighted mean of the signals
a pair has (a missing one, e.g. no length demand or no judge, drops out and the others' weights are
renormalised). A pair is kept when its score reaches ``min_score`` and no signal falls under its
floor; each miss is a reason (``low_score``, ``low_language_purity``...), most telling first. Alignment
is the exception to dropping out: when the calibration weighs it and neither side could be measured
(fewer than five documents of a language to rank against, a language no embedder covers), the pair
is not kept (``unmeasured_alignment``): purity and fluency alone would score an off-topic
instruction 1.0.
Thresholds can differ per language: ``languages: {por: {min_score: 0.7}}``.

A calibration file (``muri-gen eval calibrate`` writes one; ``calibrations/`` here ships the one
fitted to the demo's rated pairs) holds weights and thresholds plus where they came from; the
curate stage names one, and recipe keys override single values.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from muri_gen import languages
from muri_gen.component import ComponentConfig
from muri_gen.resources import bundled
from muri_gen.yaml_lines import safe_load

SIGNALS: dict[str, str] = {
    "alignment_en": "rank of the pair's own English document among the batch's for the English instruction (1 = best match)",
    "alignment_native": "the same rank for the native instruction among documents of its language",
    "grounding_en": "weighted share of the English instruction's words found in the English document (rare words weigh most)",
    "grounding_native": "the same for the native instruction in the native document",
    "language_purity": "share of the instruction's words that belong to its language (no English left, no artefacts)",
    "degeneration": "1 - repetition (looping clauses, n-grams) or prompt restating; 0 when cut at max_tokens",
    "request_form": "how well rated requests of the same form (what / how / explain / difference...) fit their documents: "
                    "the calibration's smoothed mean alignment rating of that form, scaled 0-1",
    "length_fit": "how well the native output meets a length the instruction asks for (none asked: absent)",
    "lid_confidence": "language-identification confidence of the document",
    "judge": "an LLM's rating of the pair on MURI's alignment and instruction criteria, scaled to 0-1",
}
ALIGNMENT_SIGNALS = ("alignment_en", "alignment_native")
DEFAULT_CALIBRATION = "udhr-demo-v4"


class Thresholds(ComponentConfig):
    min_score: float | None = Field(default=None, ge=0, le=1,
                                    description="overall score (0..1) a pair needs to be kept; None: the default's")
    floors: dict[str, float] = Field(default={}, description="signal -> lowest value kept")

    @field_validator("floors")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_signals(value)


class Calibration(Thresholds):
    """Weights and thresholds, with the ratings they were fitted to (``fitted``: provenance, agreement)."""

    name: str
    weights: dict[str, float]
    languages: dict[str, Thresholds] = Field(default={},
                                             description="per ISO 639-3 code: overrides of min_score and floors")
    request_forms: dict[str, float] = Field(default={},
                                            description="request form -> the request_form signal (0..1) learnt from "
                                                        "ratings; empty: the signal is absent")
    fitted: dict = {}

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        if any(w < 0 for w in value.values()) or not any(value.values()):
            raise ValueError("weights must be >= 0 with at least one above 0")
        return _check_signals(value)

    @field_validator("languages")
    @classmethod
    def _codes(cls, value: dict[str, Thresholds]) -> dict[str, Thresholds]:
        return {languages.code3(code): thresholds for code, thresholds in value.items()}

    def form_value(self, form: str) -> float | None:
        """The request_form signal of a request of this form (muri_gen/curation/request_form.py)."""
        return self.request_forms.get(form)

    def thresholds(self, language: str) -> tuple[float, dict[str, float]]:
        """(min_score, floors) for one language: the defaults, then that language's overrides."""
        own = self.languages.get(language) or Thresholds()
        min_score = own.min_score if own.min_score is not None else self.min_score
        return (0.0 if min_score is None else min_score), {**self.floors, **own.floors}

    def score(self, signals: dict[str, float | None]) -> float | None:
        present = [(w, signals[k]) for k, w in self.weights.items() if w > 0 and signals.get(k) is not None]
        total = sum(w for w, _ in present)
        return round(sum(w * v for w, v in present) / total, 4) if total else None

    def reasons(self, signals: dict[str, float | None], score: float | None, language: str) -> list[str]:
        """Why a pair is not kept, the lowest signal relative to its floor first; [] when it is kept."""
        min_score, floors = self.thresholds(language)
        below = sorted(((signals[k] - floor, f"low_{k}") for k, floor in floors.items()
                        if signals.get(k) is not None and signals[k] < floor))
        reasons = [reason for _, reason in below]
        if score is None:
            reasons.append("no_signal")
        elif score < min_score:
            reasons.append("low_score")
        elif not reasons and any(self.weights.get(k) for k in ALIGNMENT_SIGNALS) \
                and all(signals.get(k) is None for k in ALIGNMENT_SIGNALS):
            reasons.append("unmeasured_alignment")  # only a pair that would be kept: the others fail anyway
        return reasons


def _check_signals(value: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(value) - set(SIGNALS))
    if unknown:
        raise ValueError(f"unknown signal(s) {unknown}; known: {', '.join(SIGNALS)}")
    return value


def calibration_path(name: str) -> Path:
    """A calibration by path, or by name among those shipped in muri_gen/curation/calibrations/."""
    if name.endswith((".yaml", ".yml")):
        return Path(name).expanduser()
    return bundled("curation", "calibrations") / f"{name}.yaml"


def load_calibration(name: str) -> Calibration:
    path = calibration_path(name)
    if not path.is_file():
        shipped = sorted(p.stem for p in bundled("curation", "calibrations").glob("*.yaml"))
        raise ValueError(f"calibration {name!r} not found ({path}); shipped: {', '.join(shipped)}")
    with open(path, encoding="utf-8") as fh:
        return Calibration.model_validate(safe_load(fh.read(), str(path)))
