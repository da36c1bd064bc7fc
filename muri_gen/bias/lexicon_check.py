"""Checks a language's lexicon against Apertium's dictionaries and against real text.

    python -m muri_gen.bias.lexicon_check por sample.txt     (needs the Debian apertium packages)

- ``form_problems``: every gendered word of the lexicon (gender words and occupation forms) must be
  a noun of that gender in Apertium's monolingual dictionary of the language; epicene occupation
  forms must exist there at all.
- ``coverage``: the share of the gendered person words of a real text that the lexicon finds. The
  reference comes from Apertium: a token counts when Apertium reads it as a masculine or feminine
  noun whose lemma has a form of the other gender (``enfermeira`` -> ``enfermeiro``; ``casa`` has
  none), or as a noun of the gender the lexicon gives it (pairs of two lemmas: ``homem``/``mulher``).
  Animals (``gata``) and nationalities used as nouns count too, so the share is a lower bound.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from muri_gen.bias.counting import TOKEN
from muri_gen.bias.lexicons import Lexicon, file_code, load_lexicon, normalize_word

APERTIUM = Path("/usr/share/apertium")
# file code -> (analyser, generator) of the language, in the Debian packages the demo installs
DICTIONARIES = {
    "pt": ("apertium-es-pt/pt-es.automorf.bin", "apertium-es-pt/es-pt.autogen.bin"),
    "ca": ("apertium-por-cat/cat-por.automorf.bin", "apertium-por-cat/por-cat.autogen.bin"),
    "gl": ("apertium-pt-gl/gl-pt.automorf.bin", "apertium-pt-gl/pt-gl.autogen.bin"),
    "es": ("apertium-es-pt/es-pt.automorf.bin", "apertium-es-pt/pt-es.autogen.bin"),
    "eo": ("apertium-eo-en/eo-en.automorf.bin", "apertium-eo-en/en-eo.autogen.bin"),
    "sh": ("apertium-hbs-eng/hbs-eng.automorf.bin", "apertium-hbs-eng/eng-hbs_HR.autogen.bin"),
}
# Serbo-Croatian tags masculines by animacy: a person's is <ma>
MASCULINE = {"sh": "ma"}
_UNIT = re.compile(r"\^(.*?)\$")
# the tags after the number (Esperanto's case: <nom>, <acc>) go back into the generator's request
_NOUN = re.compile(r"^(?P<lemma>[^<]+)<n><(?P<gender>ma|mi|m|f)><(?P<number>sg|pl)>(?P<rest>(?:<[^>]+>)*)")
_TAG = re.compile(r"<([^>]+)>")
GENDER = {"m": "male", "ma": "male", "mi": "male", "f": "female", "mf": "epicene"}  # Apertium's gender tags


class NoDictionary(RuntimeError):
    """Apertium's dictionary of a language is not installed (or the language has none here)."""


def _lt_proc(args: list[str], text: str) -> str:
    return subprocess.run(["lt-proc", *args], input=text, capture_output=True, text=True, check=True).stdout


class Apertium:
    """Apertium's analyser and generator of one language (``lt-proc``, Debian package apertium)."""

    def __init__(self, language: str):
        code = file_code(language)
        if code not in DICTIONARIES:
            raise NoDictionary(f"no Apertium dictionary configured for {language!r} (have: {', '.join(DICTIONARIES)})")
        self.analyser, self.generator = (APERTIUM / p for p in DICTIONARIES[code])
        self.masculine = MASCULINE.get(code, "m")
        if not self.analyser.exists() or not self.generator.exists():
            raise NoDictionary(f"{self.analyser} or {self.generator} is missing: make system installs it")
        self._other: dict[tuple[str, str, str, str], bool] = {}

    def analyse(self, words: list[str]) -> dict[str, list[str]]:
        """Each word -> its analyses (empty when the dictionary does not know it)."""
        out = _lt_proc([str(self.analyser)], "\n".join(words) + "\n")
        result: dict[str, list[str]] = {}
        for unit in _UNIT.findall(out):
            surface, *analyses = unit.split("/")
            result[surface] = [a for a in analyses if not a.startswith("*")]
        return result

    def nouns(self, analyses: list[str]) -> list[tuple[str, str, str, str]]:
        return [(m["lemma"], m["gender"], m["number"], m["rest"]) for m in map(_NOUN.match, analyses) if m]

    def has_other_gender(self, nouns: list[tuple[str, str, str, str]]) -> None:
        """Fills the cache: does lemma<n><other gender><number> generate a word?"""
        todo = [n for n in dict.fromkeys(nouns) if n not in self._other]
        if not todo:
            return
        forms = self.generate([f"{lemma}<n><{self.masculine if g == 'f' else 'f'}><{num}>{rest}" for lemma, g, num, rest in todo])
        self._other.update((noun, form is not None) for noun, form in zip(todo, forms))

    def generate(self, analyses: list[str]) -> list[str | None]:
        """Each analysis ("liječnik<n><ma><pl><ins>") -> the word the generator writes for it, None when it writes none."""
        lines = _lt_proc(["-g", str(self.generator)], "".join(f"^{a}$\n" for a in analyses)).splitlines()
        return [line.strip() if line.strip() and not line.strip().startswith(("#", "@", "*")) else None for line in lines]

    def gendered_person_word(self, nouns: list[tuple[str, str, str, str]]) -> str | None:
        """'male'/'female' when one reading is a noun with a form of the other gender, else None."""
        self.has_other_gender(nouns)
        genders = {noun[1] for noun in nouns if self._other[noun]}  # noun = (lemma, gender, number, rest)
        return GENDER[genders.pop()] if len(genders) == 1 else None


def lexicon_words(lexicon: Lexicon) -> dict[str, str]:
    """Single-word gendered entries of a lexicon -> female|male|'' (epicene occupation forms)."""
    words = {w: "female" for w in lexicon.female_words} | {w: "male" for w in lexicon.male_words}
    for forms in lexicon.forms.values():
        for gender, group in (("female", forms.female), ("male", forms.male), ("", forms.neutral)):
            words.update({w: gender for w in group if " " not in w and not w.endswith("*")})
    return words


def form_problems(language: str) -> list[str]:
    """Lexicon words Apertium does not know, or knows only with another gender."""
    lexicon, apertium = load_lexicon(language), Apertium(language)
    words = lexicon_words(lexicon)
    analyses = apertium.analyse(sorted(words))
    problems = []
    for word, gender in sorted(words.items()):
        readings = analyses.get(word, [])
        if not readings:
            problems.append(f"{word}: unknown to {apertium.analyser.name}")
        elif gender and not any(_tagged(r, gender) or _tagged(r, "epicene") for r in readings):
            # Esperanto's dictionary leaves many person words untagged ("virino<n><sg>", "ŝia<det><pos>"): not a conflict
            kind = "no gender tag" if any(_tagged(r) for r in readings) else f"listed {gender}"
            problems.append(f"{word}: {kind}, Apertium reads {', '.join(readings)}")
    return problems


def _tagged(reading: str, gender: str | None = None) -> bool:
    """A noun, pronoun or determiner reading tagged with that gender (female, male, epicene:
    "patrino<n><f><sg>", "prpers<prn><p3><f><sg>"), or with no gender tag at all when ``gender`` is None."""
    tags = _TAG.findall(reading)
    if not {"n", "prn", "det"} & set(tags):
        return False
    genders = {GENDER[tag] for tag in tags if tag in GENDER}
    return gender in genders if gender else not genders


@dataclass
class Coverage:
    language: str
    tokens: int = 0
    reference: int = 0  # gendered person-word tokens by Apertium
    found: int = 0  # ... of them in the lexicon
    female_reference: int = 0  # the feminine part of both (Esperanto: every bare root reads masculine)
    female_found: int = 0
    missed: Counter = field(default_factory=Counter)
    extra: Counter = field(default_factory=Counter)  # lexicon hits Apertium does not count (epicene, unknown)

    @property
    def share(self) -> float | None:
        return self.found / self.reference if self.reference else None

    def as_dict(self, top: int = 15) -> dict:
        return {"language": self.language, "tokens": self.tokens, "reference_tokens": self.reference,
                "found": self.found, "share_found": round(self.share, 3) if self.share is not None else None,
                "female_reference_tokens": self.female_reference, "female_found": self.female_found,
                "most_missed": self.missed.most_common(top), "lexicon_only": self.extra.most_common(top)}


def coverage(texts: list[str], language: str) -> Coverage:
    """How much of a real text's gendered person vocabulary (by Apertium) the lexicon finds."""
    lexicon, apertium = load_lexicon(language), Apertium(language)
    words = lexicon_words(lexicon)
    tokens = [normalize_word(t) for text in texts for t in TOKEN.findall(text)]
    analyses = apertium.analyse(sorted(set(tokens)))
    result = Coverage(lexicon.language, tokens=len(tokens))
    apertium.has_other_gender([n for readings in analyses.values() for n in apertium.nouns(readings)])  # one batch
    for token in tokens:
        readings = analyses.get(token, [])
        listed = words.get(token)
        # listed words Apertium reads with that gender count too: pairs of two lemmas (homem/mulher), pronouns (li/ŝi)
        reference = (apertium.gendered_person_word(apertium.nouns(readings))
                     or (listed if listed and any(_tagged(r, listed) for r in readings) else None))
        if reference:
            result.reference += 1
            result.female_reference += reference == "female"
            if token in words:
                result.found += 1
                result.female_found += reference == "female"
            else:
                result.missed[token] += 1
        elif token in words:
            result.extra[token] += 1
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    language, sample = argv
    for problem in form_problems(language):
        print(f"form: {problem}")
    print(coverage(Path(sample).read_text(encoding="utf-8").split("\n\n"), language).as_dict())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
