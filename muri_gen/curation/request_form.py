"""Request form: what an instruction asks its document to do, read from its English wording.

A fluent, grounded request can still ask what its document never does: "What is the difference
between X and Y?" of an article that states one right, "What is the purpose of the United Nations?"
of one that names them. Embeddings and shared words do not see it; the form does. The forms and
their patterns are data (``filters/curate/request_forms.yaml``); how well each form's rated pairs fit
their documents is learnt by the calibration (``Calibration.request_forms``), and the signal is that
learnt value, so it says nothing until ratings have spoken.
"""
from __future__ import annotations

import re
from functools import lru_cache

from muri_gen.resources import load_filter_yaml

FORMS_FILE = "request_forms.yaml"
OTHER = "other"
UNKNOWN = "unknown"  # no English wording to read: its value is the ratings' mean, so the score keeps its scale


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    spec = load_filter_yaml(FORMS_FILE, "curate").get("forms")
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f"{FORMS_FILE}: expected 'forms:', a mapping of form name -> regex")
    return tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in spec.items())


def forms() -> list[str]:
    """Every form a request can have, "other" and "unknown" last."""
    return [name for name, _ in _patterns()] + [OTHER, UNKNOWN]


def request_form(instruction_en: str | None) -> str:
    """The first form whose pattern matches the English instruction, "other" if none, "unknown" without English."""
    if not instruction_en or not instruction_en.strip():
        return UNKNOWN
    text = instruction_en.strip()
    return next((name for name, pattern in _patterns() if pattern.search(text)), OTHER)
