"""Content screening with per-language word lists (``filters/screen/<iso639-3>.txt``).

Terms match on word boundaries that hold in every script: a term must not touch a letter, mark
or digit on either side, except in languages written without spaces (Chinese, Japanese, Thai),
where substrings are all there is. One hit never rejects a document (lists contain words that
are offensive only in context): the decision is by the rate of hits per word together with a
minimum number of hits and of distinct terms, and the fired rule is recorded.

An optional classifier backend (``classifier: <backend key>``, kind ``classifier``) scores every
record in a language it supports, in one batched call per batch of records; a score at or above
``classifier_threshold`` rejects with the same reason. Other languages are screened by word lists
alone (``screen.classifier_score`` is null). ``rule`` names what fired: ``wordlist:<list>``,
``classifier:<type>``, or both joined by "+".
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import regex
from pydantic import Field

from muri_gen import languages
from muri_gen.component import Context
from muri_gen.resources import FILTERS_DIR
from muri_gen.text import UNSPACED_SCRIPTS, WordSegmenter
from muri_gen.record import Outcome, Rejected
from muri_gen.stages.base import FilterStage, StageConfig
from muri_gen.stages.language_id import registry_script_of

_WORD_CHAR = r"[\p{L}\p{M}\p{N}]"
REASON = "screened_content"  # one reason for every rule; the detail's ``rule`` says which fired


class ContentScreenConfig(StageConfig):
    wordlists: str = Field(default="screen",
                           description="folder of <iso639-3>.txt lists: a path, or a folder name inside filters/")
    max_rate: float = Field(default=0.02, gt=0, le=1, description="hits per word at which a document is dropped")
    min_hits: int = Field(default=3, ge=1, description="word-list hits a document needs before max_rate can drop it")
    min_distinct: int = Field(default=2, ge=1,
                              description="different listed words among the hits (one word repeated is not enough)")
    classifier: str | None = Field(default=None,
                                   description="a backend of kind classifier in the recipe; None = word lists only")
    classifier_threshold: float = Field(default=0.5, gt=0, le=1, description="P(unsafe) at which a document is dropped")


@lru_cache(maxsize=256)
def compile_wordlist(path: str, unspaced: bool) -> regex.Pattern | None:
    with open(path, encoding="utf-8") as fh:
        terms = {line.strip().lower() for line in fh if line.strip() and not line.startswith("#")}
    if unspaced:  # substring matching: one Han character ("性" in "侮辱性") is part of too many words
        terms = {t for t in terms if len(t) > 1}
    if not terms:
        return None
    # longest first, so "hijo de puta" wins over "puta"; whitespace inside a term matches any run
    alternation = "|".join(regex.escape(t).replace(r"\ ", r"\s+") for t in sorted(terms, key=len, reverse=True))
    if unspaced:
        return regex.compile(f"(?:{alternation})", regex.IGNORECASE)
    return regex.compile(f"(?<!{_WORD_CHAR})(?:{alternation})(?!{_WORD_CHAR})", regex.IGNORECASE)


class ContentScreen(FilterStage):
    name = "content_screen"
    reads = ("text", "language")
    writes = ("screen",)
    Config = ContentScreenConfig
    uses_backends = {"classifier": "classifier"}

    @classmethod
    def check(cls, config: ContentScreenConfig, context: Context | None) -> list[str]:
        """A classifier that reads none of the recipe's languages would never run: say so before the run."""
        component = context.configured_backend(config.classifier) if config.classifier else None
        targets = context.languages
        if component is None or component.kind != "classifier" or not targets:
            return []
        static = component.cls(component.config, context)  # supports() loads no model
        if any(static.supports(code) for code in targets):
            return []
        return [f"classifier {config.classifier!r} ({component.type}) reads none of the recipe's languages "
                f"({', '.join(targets)}); set its languages or drop it"]

    def setup(self) -> None:
        folder = Path(self.config.wordlists).expanduser()
        self.folder = folder if folder.is_dir() else FILTERS_DIR / self.config.wordlists
        if not self.folder.is_dir():
            raise FileNotFoundError(f"word list folder not found: {self.config.wordlists}")
        self.segmenter = WordSegmenter()
        self._lists: dict[str, tuple[str, regex.Pattern] | None] = {}
        self.classifier = self.context.backend(self.config.classifier) if self.config.classifier else None

    def wordlist(self, code: str) -> tuple[str, regex.Pattern] | None:
        """(list code, pattern) for a language, its macrolanguage or a member; None when there is none."""
        if code not in self._lists:
            found = None
            macro = languages.macrolanguage(code)
            for candidate in (code, macro, *sorted(languages.members(code))):
                path = self.folder / f"{candidate}.txt"
                if not path.exists():
                    continue
                script = registry_script_of(code)
                pattern = compile_wordlist(str(path), script in UNSPACED_SCRIPTS or script == "Jpan")
                found = (candidate, pattern) if pattern else None
                break
            self._lists[code] = found
        return self._lists[code]

    def keep(self, record: dict) -> bool | tuple:
        found = self.wordlist(record.get("language") or "und")
        if found is None:
            record["screen"] = {"wordlist": None, "hits": 0}
            return True
        code, pattern = found
        hits = Counter(m.lower() for m in pattern.findall(record["text"]))
        words = (record.get("quality") or {}).get("words") or len(
            self.segmenter.words(record["text"], record.get("script") or "Latn"))
        total = sum(hits.values())
        rate = round(total / max(words, 1), 4)
        record["screen"] = {"wordlist": code, "hits": total, "distinct": len(hits), "rate": rate}
        if total >= self.config.min_hits and len(hits) >= self.config.min_distinct and rate >= self.config.max_rate:
            return False, REASON, {"rule": f"wordlist:{code}", "hits": total, "distinct": len(hits),
                                               "rate": rate, "terms": sorted(hits)[:5]}
        return True

    def process(self, records: list[dict]) -> list[Outcome]:
        verdicts = [self.keep(record) for record in records]
        if self.classifier is not None:
            self.classify(records, verdicts)
        return [record if verdict is True else Rejected(verdict[1], verdict[2])
                for record, verdict in zip(records, verdicts)]

    def classify(self, records: list[dict], verdicts: list) -> None:
        """Scores the records in languages the classifier reads (records the word lists rejected too,
        so a reject says whether both rules agree) and turns scores at the threshold into rejects."""
        backend = self.classifier
        asked = [i for i, record in enumerate(records) if backend.supports(record.get("language") or "und")]
        scores = dict(zip(asked, backend.score([records[i]["text"] for i in asked]))) if asked else {}
        described = backend.describe()
        source = f"{backend.name}:{described['model']}" if described.get("model") else backend.name
        rule = f"classifier:{backend.name}"
        for i, record in enumerate(records):
            score = round(scores[i], 4) if i in scores else None
            record["screen"].update(classifier=source if score is not None else None, classifier_score=score)
            fired = i in scores and scores[i] >= self.config.classifier_threshold
            if verdicts[i] is not True:
                detail = verdicts[i][2]
                detail["classifier_score"] = score
                if fired:
                    detail["rule"] += f"+{rule}"
            elif fired:
                wordlist = {k: v for k, v in record["screen"].items() if k in ("wordlist", "hits", "rate")}
                verdicts[i] = (False, REASON, {"rule": rule, "classifier_score": score,
                                               "threshold": self.config.classifier_threshold,
                                               "classifier": described, **wordlist})
