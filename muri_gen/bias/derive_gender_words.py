"""Gender words for Portuguese, Catalan and Galician, derived from genbit's Spanish list (MIT,
Microsoft) through Apertium's dictionaries (Debian apertium-es-pt, -por-cat, -pt-gl; GPL-2+).

    python -m muri_gen.bias.derive_gender_words     (rewrites the derived part of gender/{pt,ca,gl}.tsv)

A Spanish word is carried over when Apertium reads it as a noun of the gender genbit gives it; its
lemma goes through the bilingual dictionary (es -> pt, then pt -> ca and pt -> gl) and the target
form is generated with the same gender and number. A form is kept only when every reading of it in
the target language is a noun (no adjective or verb homograph: "velha" is also "old", "prima" also
a verb), and not when it turns up under both genders. Each file's hand-written person nouns (above
the DERIVED marker) are kept as they are; the derived words follow the marker.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from muri_gen.bias.lexicon_check import APERTIUM, DICTIONARIES, GENDER, _UNIT
from muri_gen.bias.lexicons import LEXICON_DIR, read_gender_words

DERIVED = "# --- derived from genbit's Spanish list through Apertium (python -m muri_gen.bias.derive_gender_words) ---"
# target -> (source it is translated from, bilingual dictionary, generator)
ROUTES = {
    "pt": ("es", "apertium-es-pt/es-pt.autobil.bin", "apertium-es-pt/es-pt.autogen.bin"),
    "ca": ("pt", "apertium-por-cat/por-cat.autobil.bin", "apertium-por-cat/por-cat.autogen.bin"),
    "gl": ("pt", "apertium-pt-gl/pt-gl.autobil.bin", "apertium-pt-gl/pt-gl.autogen.bin"),
}
# forms that name both genders: "pais"/"avós" are also parents/grandparents, "chefe" and
# "presidente" are used for women too in Portuguese
EXCLUDED = {"pt": {"pais", "avós", "chefe", "chefes", "presidente", "presidentes"}, "gl": {"pais"}}
_NOUN_TAGS = re.compile(r"^(?P<lemma>[^<]+)(?P<tags><n><(?P<gender>m|f)><(?:sg|pl)>)")
_NOT_NOUN = re.compile(r"<(?:adj|vblex|vbser|vbhaver|vbmod|vaux|pp|adv|det|prn|pr|cnj\w*)>")


def _lt(args: list[str], lines: list[str]) -> list[str]:
    out = subprocess.run(["lt-proc", *args], input="".join(f"{line}\n" for line in lines),
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def analyses(words: list[str], language: str) -> dict[str, list[str]]:
    units = _UNIT.findall("\n".join(_lt([str(APERTIUM / DICTIONARIES[language][0])], words)))
    return {surface: [a for a in rest if not a.startswith("*")] for surface, *rest in (u.split("/") for u in units)}


def noun_tags(words: dict[str, str], language: str) -> list[tuple[str, str]]:
    """(lemma<n><g><num>, gender) of every noun reading that has the word's listed gender."""
    tags = []
    for word, readings in analyses(sorted(words), language).items():
        for reading in readings:
            match = _NOUN_TAGS.match(reading)
            if match and GENDER[match["gender"]] == words.get(word):
                tags.append((match["lemma"] + match["tags"], words[word]))
    return list(dict.fromkeys(tags))


def translate(tags: list[tuple[str, str]], target: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Source noun tags -> (target noun tags, target surface form -> gender)."""
    _, bilingual, generator = ROUTES[target]
    lines = _lt(["-b", str(APERTIUM / bilingual)], [f"^{tag}$" for tag, _ in tags])
    translated = []
    for (_, gender), line in zip(tags, lines):
        for candidate in line.strip("^$").split("/")[1:]:
            match = _NOUN_TAGS.match(candidate)
            if match and GENDER[match["gender"]] == gender:  # person nouns keep their gender
                translated.append((match["lemma"] + match["tags"], gender))
                break
    surfaces = _lt(["-g", str(APERTIUM / generator)], [f"^{tag}$" for tag, _ in translated])
    forms: dict[str, set[str]] = {}
    for (_, gender), surface in zip(translated, surfaces):
        surface = surface.strip().lower()
        if surface and re.fullmatch(r"[\w-]+", surface):
            forms.setdefault(surface, set()).add(gender)
    return translated, {form: genders.pop() for form, genders in forms.items() if len(genders) == 1}


def only_nouns(forms: dict[str, str], language: str) -> dict[str, str]:
    """Forms the target analyser reads as nouns of that gender and as nothing else."""
    readings = analyses(sorted(forms), language)
    return {form: gender for form, gender in forms.items()
            if readings.get(form) and not any(_NOT_NOUN.search(r) for r in readings[form])
            and any(f"<n><{gender[0]}>" in r for r in readings[form])}


def derive() -> dict[str, dict[str, str]]:
    female, male = read_gender_words(LEXICON_DIR / "gender" / "es.tsv")
    spanish = {w: "female" for w in female} | {w: "male" for w in male}
    tags = {"es": noun_tags(spanish, "es")}
    derived = {}
    for target in ROUTES:  # pt first: ca and gl are translated from its tags
        tags[target], forms = translate(tags[ROUTES[target][0]], target)
        derived[target] = {w: g for w, g in only_nouns(forms, target).items() if w not in EXCLUDED.get(target, ())}
    return derived


def write(language: str, words: dict[str, str]) -> Path:
    path = LEXICON_DIR / "gender" / f"{language}.tsv"
    hand = path.read_text(encoding="utf-8").split(DERIVED)[0].rstrip("\n") + "\n"
    own = {line.split("\t")[0] for line in hand.splitlines() if line and not line.startswith("#")}
    rows = sorted((g, w) for w, g in words.items() if w not in own)
    path.write_text(hand + DERIVED + "\n" + "".join(f"{w}\t{g}\n" for g, w in rows), encoding="utf-8")
    return path


def main() -> int:
    for language, words in derive().items():
        path = write(language, words)
        female, male = read_gender_words(path)
        print(f"{path}: {len(female)} female, {len(male)} male")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
