"""English profanity from the ``alt-profanity-check`` package: a linear SVM over TF-IDF
character and word n-grams, trained on ~200k labelled comments (Wikipedia talk pages, tweets).

Fast on a CPU (thousands of texts per second) and English only. A long document's score is diluted
by its clean text, as the model scores the whole text at once.

The package unpickles its own model files (joblib) when imported: that is code installed from
PyPI, not user input, which the no-unpickling rule of tests/test_security_inputs.py is about.
"""
from __future__ import annotations

from importlib.metadata import version

from pydantic import Field

from muri_gen.backends.classify.base import ClassifierConfig, ContentClassifier, supported
from muri_gen.optional import require

LANGUAGES = ["eng"]


class ProfanityCheckConfig(ClassifierConfig):
    batch_size: int = Field(default=1000, ge=1, description="one call costs ~4 ms on top of ~0.07 ms per text")


class ProfanityCheckClassifier(ContentClassifier):
    name = "profanity_check"
    Config = ProfanityCheckConfig

    def __init__(self, config: ProfanityCheckConfig, context=None):
        super().__init__(config, context)
        self._predict_prob = None

    def setup(self) -> None:
        if self._predict_prob is None:
            self._predict_prob = require("profanity_check", "the profanity_check classifier",
                                         "alt-profanity-check").predict_prob

    def teardown(self) -> None:
        self._predict_prob = None

    def supports(self, language: str) -> bool:
        return supported(language, LANGUAGES)

    def score(self, texts: list[str]) -> list[float]:
        self.setup()
        scores: list[float] = []
        for start in range(0, len(texts), self.config.batch_size):
            scores.extend(float(p) for p in self._predict_prob(texts[start : start + self.config.batch_size]))
        return scores

    def describe(self) -> dict:
        return {"backend": self.name, "package": f"alt-profanity-check {version('alt-profanity-check')}",
                "languages": LANGUAGES}
