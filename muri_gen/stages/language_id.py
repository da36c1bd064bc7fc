"""Language identification: a cheap script check first, then the LID backend on what is left.

Writes ``language`` (ISO 639-3), ``script`` (ISO 15924), ``lid_score`` and ``lid_label``. When the
run targets languages (``recipe.languages``, an ``expected_language`` or the corpus' declared
language), probabilities of a macrolanguage's members add up: fastText spreads Serbo-Croatian over
hr/sr/bs, and a recipe targeting ``hbs`` keeps all three, labelled ``hbs``.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache

from pydantic import Field, field_validator

from muri_gen import languages
from muri_gen.backends.base import LanguagePrediction
from muri_gen.text import dominant_script, script_matches
from muri_gen.record import Outcome, Rejected
from muri_gen.stages.base import Stage, StageConfig

class LanguageIDConfig(StageConfig):
    backend: str = Field(default="lid", description="the recipe's backends: key of a LID backend")
    min_confidence: float = Field(default=0.5, ge=0, le=1,
                                  description="LID probability (0..1) the chosen language needs; below it the "
                                              "document is rejected as low_lid_confidence")
    min_confidence_by_language: dict[str, float] = Field(default={},
                                                         description="per-language override, e.g. {hbs: 0.4}")
    expected_language: str | None = Field(default=None,
                                          description="the corpus is known to be in this language: keep only it")
    match_declared: bool = Field(default=False,
                                 description="keep a record only in the language its declared_language says (when LID "
                                             "agrees)")
    check_script: bool = Field(default=True,
                               description="reject documents whose script no targeted language is written in")

    @field_validator("expected_language")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        return languages.get(value).code if value else None

    @field_validator("min_confidence_by_language")
    @classmethod
    def _codes(cls, value: dict[str, float]) -> dict[str, float]:
        return {languages.get(code).code: score for code, score in value.items()}


@lru_cache(maxsize=1024)
def scripts_of(targets: tuple[str, ...]) -> frozenset[str]:
    """Every script the targeted languages are written in."""
    scripts = set()
    for code in targets:
        scripts |= languages.scripts(code)
    return frozenset(scripts)


def written_in(script: str, scripts: frozenset[str]) -> bool:
    """Whether a document in ``script`` is in one of ``scripts``."""
    return any(script_matches(script, s) for s in scripts)


def registry_script_of(code: str) -> str:
    """The registry's default script, "Zyyy" for codes it does not know (GlotLID has 2,000+)."""
    try:
        return languages.get(code).script
    except languages.UnknownLanguage:
        return "Zyyy"


def script_fits(prediction: LanguagePrediction, script: str) -> bool:
    """Whether the predicted language is written in the document's script (Latin-script "Russian",
    Japanese without kana and Cyrillic "Amharic" are LID errors, not languages)."""
    if prediction.script == "Zyyy":  # a label the registry does not know: no opinion
        return True
    try:
        scripts = scripts_of((prediction.language,))
    except languages.UnknownLanguage:
        return True
    return written_in(script, scripts | {prediction.script})


def choose_language(predictions: list[LanguagePrediction], script: str, targets: list[str] | None,
                    min_confidence: Callable[[str], float]) -> tuple[str, float, LanguagePrediction] | Rejected:
    """(language, score, top prediction), or why the record goes.

    With targets, each target's score is the summed probability of the predictions it covers
    (its macrolanguage members); it must beat every non-targeted language. Without targets the
    top prediction wins, or its macrolanguage when only the members' sum is confident.
    """
    predictions = [p for p in predictions if script_fits(p, script)]
    if not predictions:
        return Rejected("low_lid_confidence", {"score": 0.0, "detail": f"no language predicted in script {script}"})
    top = predictions[0]
    merged: dict[str, float] = defaultdict(float)  # macrolanguage -> summed probability
    for p in predictions:
        merged[languages.macrolanguage(p.language)] += p.score
    if targets:
        scores = {t: sum(p.score for p in predictions if languages.covers(t, p.language)) for t in targets}
        language = max(scores, key=scores.get)
        score = scores[language]
        rival = max((s for m, s in merged.items() if not any(languages.covers(t, m) for t in targets)), default=0.0)
        if score <= rival:
            return Rejected("language_not_targeted", {"detected": top.language, "score": round(top.score, 4),
                                                      "label": top.label, "targets": targets})
    elif top.score >= min_confidence(top.language):
        language, score = top.language, top.score
    else:
        language = languages.macrolanguage(top.language)
        score = merged[language]
    if score < min_confidence(language):
        return Rejected("low_lid_confidence", {"language": language, "score": round(score, 4),
                                               "min_confidence": min_confidence(language), "label": top.label})
    return language, score, top


class LanguageID(Stage):
    name = "language_id"
    reads = ("text",)
    writes = ("language", "script", "lid_score", "lid_label")
    Config = LanguageIDConfig
    uses_backends = {"backend": "lid"}

    def setup(self) -> None:
        self.lid = self.context.backend(self.config.backend)
        self.targets: list[str] | None = (
            [self.config.expected_language] if self.config.expected_language else self.context.languages
        )

    def process(self, records: list[dict]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(records)
        scripts: list[str] = []
        pending: list[int] = []
        for i, record in enumerate(records):
            script, _ = dominant_script(record["text"])
            scripts.append(script)
            targets = self._targets_of(record)
            if script == "Zyyy":
                outcomes[i] = Rejected("no_letters", {})
            elif targets == []:
                outcomes[i] = Rejected("language_not_targeted", {"declared": record["declared_language"],
                                                                 "targets": self.targets})
            elif self.config.check_script and targets and not written_in(script, scripts_of(tuple(targets))):
                outcomes[i] = Rejected("language_not_targeted", {"script": script, "targets": targets})
            else:
                pending.append(i)
        ranked = self.lid.identify_ranked([records[i]["text"] for i in pending]) if pending else []
        for i, predictions in zip(pending, ranked):
            outcomes[i] = self._decide(records[i], scripts[i], predictions)
        return outcomes

    def _targets_of(self, record: dict) -> list[str] | None:
        """The languages a record may be kept in: with ``match_declared``, its declared language, named
        as the recipe's target that covers it (a corpus' "hrv" under a recipe's "hbs"); none when the
        recipe does not target it."""
        if self.config.match_declared and record.get("declared_language"):
            try:
                declared = languages.get(record["declared_language"]).code
            except languages.UnknownLanguage:
                return self.targets
            if not self.targets:
                return [declared]
            return [t for t in self.targets if languages.covers(t, declared) or languages.covers(declared, t)]
        return self.targets

    def _decide(self, record: dict, script: str, predictions: list[LanguagePrediction]) -> Outcome:
        chosen = choose_language(predictions, script, self._targets_of(record), self._min_confidence)
        if isinstance(chosen, Rejected):
            return chosen
        language, score, top = chosen
        if script == "Hani":  # Chinese of no telling standard: the language's own decides NLLB's code
            registry_script = registry_script_of(language)
            script = registry_script if script_matches(script, registry_script) else script
        record.update(
            language=language,
            script=script,
            lid_score=round(score, 4),
            lid_label=top.label,
        )
        return record

    def _min_confidence(self, language: str) -> float:
        return self.config.min_confidence_by_language.get(language, self.config.min_confidence)
