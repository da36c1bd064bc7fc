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

from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import regex
from pydantic import Field

from muri_gen import languages
from muri_gen.component import Context
from muri_gen.resources import FILTERS_DIR
from muri_gen.text import UNSPACED_SCRIPTS, WORD_CHAR, WordSegmenter, word_runs
from muri_gen.record import Outcome, Rejected
from muri_gen.stages.base import FilterStage, StageConfig
from muri_gen.stages.language_id import registry_script_of

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


def fold(text: str) -> str:
    """Case folded so that whatever the list's pattern matches case-insensitively folds alike: beyond
    casefold(), the regex module equates Turkish ı and İ with i (and one rare letter with ss)."""
    return text.casefold().replace("ı", "i").replace("\u0307", "").replace("\U0001df95", "ss")


class Wordlist:
    """One language's list: its terms as one pattern, compiled on the first text that could hold one.

    Every run of letters and digits of a term is a whole word of any text the term matches in (the
    pattern's boundaries say so), so a text lacking some word of every term (nor holding, for a term
    whose words are short, the term itself: "a$$", "🖕") has no hit. Most texts are decided by set
    lookups (a term's longest word, then its others) instead of the alternation tried at every
    position (10x the cost). Without spaces, substrings are all there is: the first two characters
    of a term's longest piece between spaces, looked up among the text's character pairs, then its
    pieces as substrings.
    """

    def __init__(self, terms: set[str], unspaced: bool):
        self.terms = terms
        self.unspaced = unspaced
        # anchor -> for each term it starts, what else a text must hold: the term's other words (spaced),
        # or its pieces between spaces as substrings (unspaced)
        self.by_anchor: dict[str, list[frozenset[str]]] = defaultdict(list)
        symbols = []
        for term in terms:
            folded = fold(term)
            if unspaced:
                pieces = folded.split()
                longest = max(pieces, key=len)
                if len(longest) >= 2:
                    self.by_anchor[longest[:2]].append(frozenset(pieces))
                else:  # "a b": pieces of one character, looked for as substrings
                    symbols.append(longest)
                continue
            runs = word_runs(folded)
            longest = max(runs, key=len, default="")
            if longest == folded or len(longest) >= 3 or (longest and " " in folded):
                self.by_anchor[longest].append(frozenset(runs))
            else:  # "a$$", "🖕": a short word or none, looked for as a substring (up to a space: any run matches it)
                symbols.append(folded.split()[0])
        self.symbols = tuple(symbols)
        self._pattern: regex.Pattern | None = None

    def hits(self, text: str) -> Counter:
        """How often each term occurs in the text (non-overlapping, longest term first)."""
        if not self.could_match(fold(text)):
            return Counter()
        return Counter(match.lower() for match in self.pattern().findall(text))

    def could_match(self, folded: str) -> bool:
        if self.unspaced:
            pairs = {folded[i : i + 2] for i in range(len(folded) - 1)}
            if any(all(piece in folded for piece in pieces)
                   for anchor in self.by_anchor.keys() & pairs for pieces in self.by_anchor[anchor]):
                return True
        else:
            words = set(word_runs(folded))
            if any(words >= runs for anchor in self.by_anchor.keys() & words for runs in self.by_anchor[anchor]):
                return True
        return any(symbol in folded for symbol in self.symbols)

    def pattern(self) -> regex.Pattern:
        if self._pattern is None:
            # longest first, so "hijo de puta" wins over "puta"; whitespace inside a term matches any run
            alternation = "|".join(regex.escape(t).replace(r"\ ", r"\s+")
                                   for t in sorted(self.terms, key=len, reverse=True))
            self._pattern = regex.compile(f"(?:{alternation})" if self.unspaced else
                                          f"(?<!{WORD_CHAR})(?:{alternation})(?!{WORD_CHAR})", regex.IGNORECASE)
        return self._pattern


@lru_cache(maxsize=256)
def load_wordlist(path: str, unspaced: bool) -> Wordlist | None:
    with open(path, encoding="utf-8") as fh:
        terms = {line.strip().lower() for line in fh if line.strip() and not line.startswith("#")}
    if unspaced:  # substring matching: one Han character ("性" in "侮辱性") is part of too many words
        terms = {t for t in terms if len(t) > 1}
    return Wordlist(terms, unspaced) if terms else None


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
        self._lists: dict[str, tuple[str, Wordlist] | None] = {}
        self.classifier = self.context.backend(self.config.classifier) if self.config.classifier else None

    def wordlist(self, code: str) -> tuple[str, Wordlist] | None:
        """(list code, its list) for a language, its macrolanguage or a member; None when there is none."""
        if code not in self._lists:
            found = None
            macro = languages.macrolanguage(code)
            for candidate in (code, macro, *sorted(languages.members(code))):
                path = self.folder / f"{candidate}.txt"
                if not path.exists():
                    continue
                script = registry_script_of(code)
                wordlist = load_wordlist(str(path), script in UNSPACED_SCRIPTS or script == "Jpan")
                found = (candidate, wordlist) if wordlist else None
                break
            self._lists[code] = found
        return self._lists[code]

    def keep(self, record: dict) -> bool | tuple:
        found = self.wordlist(record.get("language") or "und")
        if found is None:
            record["screen"] = {"wordlist": None, "hits": 0}
            return True
        code, wordlist = found
        hits = wordlist.hits(record["text"])
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
