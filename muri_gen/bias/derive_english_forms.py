"""English occupation forms beyond WinoBias's: what the native lexicons' forms become in English.

    python -m muri_gen.bias.derive_english_forms     (rewrites filters/bias/occupations/en.tsv)

The demo's English is Apertium's (through Spanish for es/it/fr, through Portuguese and Bergamot for
the others), so a native form counted in one stage must be counted in the next: every single-word
form of ``occupations/{es,ca,gl,fr,eo}.tsv`` is read as a noun by Apertium's analyser and carried through
the bilingual dictionaries to English (Debian apertium-eng-spa, -eng-cat, -en-gl, -eo-en, and -fr-es then
-eng-spa for French; GPL-2+, the words are facts taken from them): "jefe" -> boss, "médico" -> doctor,
"campesino" -> peasant, "auteur" -> author. An English noun
reached from two occupations goes to the one more languages reach it from (a tie drops it);
``EXCLUDED`` holds the translations that name something else as often as the occupation.
``GENDERED`` holds English forms that carry the gender themselves (salesman, seamstress), each in
genbit's English gendered-word list (MIT, Microsoft) with that gender; ``tests`` check both lists.
Plurals are formed as occupations.tsv's are (``english_plural``).
"""
from __future__ import annotations

import re
import subprocess
from collections import defaultdict

from muri_gen.bias.lexicon_check import APERTIUM
from muri_gen.bias.lexicons import LEXICON_DIR, english_plural, load_lexicon, read_occupations

OUTPUT = LEXICON_DIR / "occupations" / "en.tsv"
MARKER = "# --- python -m muri_gen.bias.derive_english_forms ---"
# native file code -> (analyser, the bilingual dictionaries to English, in order): French goes through
# Spanish, as the demo's translation does
ROUTES = {
    "es": ("apertium-eng-spa/spa-eng.automorf.bin", ("apertium-eng-spa/spa-eng.autobil.bin",)),
    "ca": ("apertium-eng-cat/cat-eng.automorf.bin", ("apertium-eng-cat/cat-eng.autobil.bin",)),
    "gl": ("apertium-en-gl/gl-en.automorf.bin", ("apertium-en-gl/gl-en.autobil.bin",)),
    "fr": ("apertium-fr-es/fr-es.automorf.bin", ("apertium-fr-es/fr-es.autobil.bin",
                                                 "apertium-eng-spa/spa-eng.autobil.bin")),
    "eo": ("apertium-eo-en/eo-en.automorf.bin", ("apertium-eo-en/eo-en.autobil.bin",)),
}
# translations that mostly mean something else, or another occupation than the WinoBias one
EXCLUDED = {
    "counter",  # contador: also the object
    "master",  # maestro: also owner, master's degree
    "leader",  # jefe: also political leader
    "minister", "councillor",  # conselleiro/conseller: government posts
    "guardian", "watchdog", "policeman",  # guardián/vigilante: legal guardian, police
    "publisher",  # editor/editora: the company
    "girl", "minion", "majordomo",  # Catalan "minyona": girl
    "sky",  # Galician "ceo" read as "sky"
    "hodman",  # Catalan "manobre": rare, and an irregular plural
    "agent",  # French "gérant"/"agent" through Spanish: insurance, secret, chemical agents
    "guest",  # French "hôte"/"hôtesse" through Spanish: the one received, not the attendant
    "worker",  # obrero/trabajador: in real English text co-, social, case, shift workers (dreaddit: 0 of 34 a laborer)
    # through Esperanto: dreaddit's "officer(s)" are 11 police officers, its one "caretaker" a carer
    "officer",  # oficisto (clerk)
    "caretaker",  # pordisto, domzorgisto (janitor)
    "treasurer",  # kasisto (cashier): an organisation's office, not a till
    "administrator",  # administranto (manager): system, school and estate administrators
}
# occupation -> (masculine, feminine) English forms, singular and plural; every word is in genbit's
# English list with that gender
GENDERED = {
    "salesperson": (("salesman", "salesmen"), ("saleswoman", "saleswomen")),
    "chief": (("foreman", "foremen"), ("forewoman", "forewomen")),
    "attendant": (("steward", "stewards"), ("stewardess", "stewardesses", "hostess", "hostesses")),
    "sewer": (("tailor", "tailors"), ("seamstress", "seamstresses")),
    "housekeeper": ((), ("maid", "maids")),
    "manager": ((), ("manageress", "manageresses")),
}
_NOUN = re.compile(r"^(?P<lemma>[^<*@#]+)<n>")


def _lt(args: list[str], lines: list[str]) -> list[str]:
    out = subprocess.run(["lt-proc", *args], input="".join(f"{line}\n" for line in lines),
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def english_nouns(language: str) -> dict[str, dict[str, set[str]]]:
    """occupation -> English noun lemma -> the native forms it comes from."""
    analyser, dictionaries = ROUTES[language]
    lexicon = load_lexicon(language)
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for occupation in lexicon.occupations:
        forms = lexicon.forms[occupation.name]
        words = [w for w in (*forms.male, *forms.female, *forms.neutral) if " " not in w and not w.endswith("*")]
        readings = [(word, reading) for word, line in zip(words, _lt([str(APERTIUM / analyser)], words))
                    for unit in re.findall(r"\^(.*?)\$", line) for reading in unit.split("/")[1:]
                    if _NOUN.match(reading)]
        for dictionary in dictionaries:  # each step's nouns are the next step's readings
            lines = _lt(["-b", str(APERTIUM / dictionary)], [f"^{reading}$" for _, reading in readings])
            readings = [(word, candidate) for (word, _), line in zip(readings, lines)
                        for candidate in line.strip("^$").split("/")[1:] if _NOUN.match(candidate)]
        for word, reading in readings:
            found[occupation.name][_NOUN.match(reading)["lemma"].lower()].add(f"{language}:{word}")
    return found


def derive() -> dict[str, tuple[str, ...]]:
    """occupation -> extra epicene English lemmas (WinoBias's own forms left out)."""
    winobias = {form for forms in read_occupations()[1].values() for form in forms.neutral}
    gendered = {form for pair in GENDERED.values() for forms in pair for form in forms}
    languages: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # lemma -> occupation -> langs
    for language in ROUTES:
        for occupation, lemmas in english_nouns(language).items():
            for lemma in lemmas:
                languages[lemma][occupation].add(language)
    chosen: dict[str, list[str]] = defaultdict(list)
    for lemma, occupations in sorted(languages.items()):
        ranked = sorted(occupations.items(), key=lambda item: len(item[1]), reverse=True)
        if lemma in EXCLUDED | winobias | gendered or (len(ranked) > 1 and len(ranked[0][1]) == len(ranked[1][1])):
            continue
        chosen[ranked[0][0]].append(lemma)
    return {occupation: tuple(lemmas) for occupation, lemmas in chosen.items()}


def render() -> str:
    """The whole of en.tsv: its hand-written header, then the derived and the GENDERED forms."""
    epicene = derive()
    header = OUTPUT.read_text(encoding="utf-8").split(MARKER)[0] if OUTPUT.exists() else ""
    rows = []
    for occupation in (o.name for o in read_occupations()[0]):
        male, female = GENDERED.get(occupation, ((), ()))
        words = [w for lemma in epicene.get(occupation, ()) for w in (lemma, english_plural(lemma))]
        if male or female or words:
            rows.append("\t".join((occupation, ",".join(male), ",".join(female), ",".join(words))) + "\n")
    return header + MARKER + "\n" + "".join(rows)


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(OUTPUT.read_text(encoding="utf-8"))
