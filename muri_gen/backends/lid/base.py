"""What every LID backend here shares: ranked predictions, label mapping to the one registry.

``identify_ranked`` returns the top-k languages with probabilities, so the language_id stage can
add up the members of a macrolanguage (fastText splits Serbo-Croatian between hr, sr and bs).

A backend may name a ``sibling_judge``: a second LID backend asked only about texts whose top
language is one member of a macrolanguage (hr/sr/bs, id/ms), the confusions lid.176 makes most.
The judge picks the member; the macrolanguage's probability mass stays the first model's.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field, field_validator

from muri_gen import languages
from muri_gen.backends.base import BackendConfig, LanguageIdentifier, LanguagePrediction

_SCRIPT = re.compile(r"^[A-Z][a-z]{3}$")
UNDETERMINED = LanguagePrediction(language="und", script="Zyyy", score=0.0, label="")
# Backend labels the registry would read as another language (Wikipedia codes in lid.176).
LABEL_OVERRIDES = {"als": "gsw", "bh": "bih", "eml": "egl", "zh-cn": "zho", "zh-tw": "zho_Hant"}


class LIDConfig(BackendConfig):
    max_chars: int = Field(default=1000, ge=20,
                           description="LID reads the first max_chars characters: enough for a stable decision, "
                                       "bounded cost on 5 MB lines")
    top_k: int = Field(default=3, ge=1, le=10,
                       description="languages predicted per text; the language_id stage adds up a macrolanguage's "
                                   "members among them (hr + sr + bs)")
    sibling_judge: str | None = Field(default=None,
                                      description="another LID backend type that settles which member of a "
                                                  "macrolanguage a text is in")

    @field_validator("sibling_judge")
    @classmethod
    def _known_judge(cls, value: str | None) -> str | None:
        from muri_gen.backends import BACKENDS

        if value is not None and value not in BACKENDS["lid"]:
            raise ValueError(f"unknown LID backend {value!r} as sibling_judge; known: {', '.join(BACKENDS['lid'])}")
        return value


@lru_cache(maxsize=4096)
def prediction_language(label: str) -> tuple[str, str]:
    """(ISO 639-3 code, script) of a backend label; unknown labels keep their code (and script, if any)."""
    raw = label.removeprefix("__label__")
    raw = LABEL_OVERRIDES.get(raw.lower(), raw)
    try:
        language = languages.get(raw)
    except languages.UnknownLanguage:  # e.g. a GlotLID language pycountry lacks: keep its code and script
        code, _, script = raw.replace("-", "_").partition("_")
        code = code.lower()
        return (code if languages.SAFE_CODE.match(code) else "und"), (script if _SCRIPT.match(script) else "Zyyy")
    return language.code, language.script


def lid_input(text: str, max_chars: int) -> str:
    """One line of at most max_chars characters; Ethiopic word spaces (፡) become spaces, as LID models expect."""
    return " ".join(text[:max_chars].replace("\u1361", " ").split())


def to_prediction(label: str, score: float) -> LanguagePrediction:
    code, script = prediction_language(label)
    return LanguagePrediction(language=code, script=script, score=float(score), label=label)


def is_member(code: str) -> bool:
    """Whether the model chose one member of a macrolanguage (hrv of hbs, ind of msa): a choice the
    judge checks. A macrolanguage label (ara, zho) already answers at the family level."""
    return languages.macrolanguage(code) != code


def settle_siblings(ranked: list[LanguagePrediction], verdict: list[LanguagePrediction],
                    judge: str) -> list[LanguagePrediction]:
    """The ranking with the judge's member of the top language's macrolanguage first, carrying the
    probabilities of every member the first model gave; unchanged when the judge names another family."""
    family = languages.macrolanguage(ranked[0].language)
    if not verdict or languages.macrolanguage(verdict[0].language) != family or verdict[0].language == ranked[0].language:
        return ranked
    members = [p for p in ranked if languages.macrolanguage(p.language) == family]
    chosen = LanguagePrediction(language=verdict[0].language, script=verdict[0].script,
                                score=min(1.0, sum(p.score for p in members)),
                                label=f"{ranked[0].label}>{judge}:{verdict[0].label}")
    return [chosen] + [p for p in ranked if p not in members]


class RankedLanguageIdentifier(LanguageIdentifier):
    Config = LIDConfig

    def __init__(self, config, context=None):
        super().__init__(config, context)
        self.judge: RankedLanguageIdentifier | None = None

    def rank(self, texts: list[str]) -> list[list[LanguagePrediction]]:
        """The model's own top-k predictions per text, best first, probabilities in [0, 1]; [] when undecidable."""
        raise NotImplementedError

    def labels(self) -> list[str]:
        """Every label the model can answer with (loads the model: these are small and local)."""
        raise NotImplementedError

    def languages(self) -> frozenset[str]:
        """The ISO 639-3 codes of the languages the model knows."""
        return frozenset(prediction_language(label)[0] for label in self.labels()) - {"und"}

    def identify_ranked(self, texts: list[str]) -> list[list[LanguagePrediction]]:
        """Top-k predictions per text, best first; siblings settled by the judge, if one is named."""
        ranked = self.rank(texts)
        if not self.config.sibling_judge:
            return ranked
        asked = [i for i, predictions in enumerate(ranked) if predictions and is_member(predictions[0].language)]
        if asked:
            verdicts = self._judge().rank([texts[i] for i in asked])
            for i, verdict in zip(asked, verdicts):
                ranked[i] = settle_siblings(ranked[i], verdict, self.config.sibling_judge)
        return ranked

    def _judge(self) -> RankedLanguageIdentifier:
        if self.judge is None:
            from muri_gen.backends import get_backend

            cls = get_backend("lid", self.config.sibling_judge)
            judge = cls(cls.Config(max_chars=self.config.max_chars, top_k=1))
            judge.setup()
            self.judge = judge
        return self.judge

    def identify(self, texts: list[str]) -> list[LanguagePrediction]:
        return [ranked[0] if ranked else UNDETERMINED for ranked in self.identify_ranked(texts)]

    def teardown(self) -> None:
        if self.judge is not None:
            self.judge.teardown()
            self.judge = None

    def describe(self) -> dict:
        return {"backend": self.name, **self.config.model_dump(mode="json")}
