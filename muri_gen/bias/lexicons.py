"""Occupation and gender lexicons kept as data in filters/bias/ (see filters/bias/README.md).

    filters/bias/occupations.tsv          name, female_pct (reference share of women), sector, English forms
    filters/bias/occupations/<xx>.tsv     name, masculine forms, feminine forms[, epicene forms] (de, es, fr, it, ru,
                                          pt, ca, gl, eo, sh; en: forms beside WinoBias's, with the shipped list only)
    filters/bias/gender/<xx>.tsv          word, female|male

Languages are given as any code muri_gen.languages parses ("spa", "es", "spa_Latn"); files are named
by ISO 639-1, and a macrolanguage's files serve its members ("hrv" reads sh.tsv). A language has a
lexicon when it has both a gender list and occupation forms; English forms live in occupations.tsv
itself. A form ending in ``*`` is a stem that takes up to three more letters (Russian case endings:
"врач*" matches врача, врачом, врачами).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from muri_gen import languages
from muri_gen.resources import bundled

LEXICON_DIR = bundled("data", "filters", "bias")
OCCUPATIONS_FILE = LEXICON_DIR / "occupations.tsv"
GENDERS = ("female", "male")


class LexiconError(ValueError):
    """A lexicon file that cannot be used as is (with its path and line), or a language without one."""


@dataclass(frozen=True)
class Occupation:
    name: str  # the key everywhere (trace.json, plots): as written in occupations.tsv
    female_pct: float | None  # reference share of women in percent; None when the list gives none
    sector: str = ""


@dataclass(frozen=True)
class OccupationForms:
    """How an occupation is written in one language; a gendered form is itself a gender signal."""

    neutral: tuple[str, ...] = ()
    male: tuple[str, ...] = ()
    female: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """Everything needed to count one language: occupations, their forms, gender words."""

    language: str  # ISO 639-1 file code, e.g. "es"
    occupations: tuple[Occupation, ...]
    forms: dict[str, OccupationForms] = field(hash=False)
    female_words: frozenset[str] = frozenset()
    male_words: frozenset[str] = frozenset()

    def occupation(self, name: str) -> Occupation:
        return next(o for o in self.occupations if o.name == name)


def normalize_word(word: str) -> str:
    """Lexicon and text tokens compare lower-cased without a trailing period ("Mrs." == "mrs")."""
    return word.strip().lower().rstrip(".")


def _rows(path: Path, columns: tuple[int, ...]):
    """Non-comment TSV rows with their line numbers; the column count must be one of ``columns``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if len(cells) not in columns:
            raise LexiconError(f"{path}:{number}: expected {' or '.join(map(str, columns))} tab-separated columns, got {line!r}")
        yield number, cells


def _split_forms(cell: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.strip().lower() for f in cell.split(",") if f.strip()))


def read_occupations(path: Path | str = OCCUPATIONS_FILE) -> tuple[list[Occupation], dict[str, OccupationForms]]:
    """A user list or the shipped one: ``name[, female_pct[, sector[, forms]]]`` with a header line.

    Names are compared lower-cased; duplicates, empty names and shares outside 0-100 are errors.
    Forms default to the name and a regular English plural.
    """
    path = Path(path)
    if not path.exists():
        raise LexiconError(f"occupation list {path} does not exist")
    occupations: list[Occupation] = []
    forms: dict[str, OccupationForms] = {}
    seen: dict[str, int] = {}
    for index, (number, cells) in enumerate(_rows(path, (1, 2, 3, 4))):
        if index == 0 and cells[0].lower() == "name":
            continue  # header
        name = cells[0].lower()
        if not name:
            raise LexiconError(f"{path}:{number}: empty occupation name")
        if name in seen:
            raise LexiconError(f"{path}:{number}: occupation {name!r} is listed twice (first on line {seen[name]})")
        seen[name] = number
        share = None
        if len(cells) > 1 and cells[1]:
            try:
                share = float(cells[1])
            except ValueError:
                raise LexiconError(f"{path}:{number}: female_pct {cells[1]!r} is not a number") from None
            if not 0 <= share <= 100:
                raise LexiconError(f"{path}:{number}: female_pct {share} is outside 0-100")
        sector = cells[2] if len(cells) > 2 else ""
        words = _split_forms(cells[3]) if len(cells) > 3 and cells[3] else (name, english_plural(name))
        occupations.append(Occupation(name=name, female_pct=share, sector=sector))
        forms[name] = OccupationForms(neutral=words)
    if not occupations:
        raise LexiconError(f"{path}: no occupations")
    return occupations, forms


def english_plural(name: str) -> str:
    last = name.split()[-1]
    if last.endswith(("s", "sh", "ch", "x", "z")):
        plural = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        plural = last[:-1] + "ies"
    elif last.endswith("person"):
        plural = last[: -len("person")] + "people"
    else:
        plural = last + "s"
    return " ".join(name.split()[:-1] + [plural])


def read_gender_words(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    female: set[str] = set()
    male: set[str] = set()
    for number, (word, gender) in _rows(path, (2,)):
        if gender not in GENDERS:
            raise LexiconError(f"{path}:{number}: gender must be female or male, got {gender!r}")
        (female if gender == "female" else male).add(normalize_word(word))
    both = female & male
    if both:
        raise LexiconError(f"{path}: words listed as both female and male: {', '.join(sorted(both))}")
    return frozenset(female), frozenset(male)


def read_native_forms(path: Path, known: set[str], strict: bool = True) -> dict[str, OccupationForms]:
    """Forms of the ``known`` occupations; ``strict``: a name outside them is an error (a typo in a
    shipped file), else it is skipped (a user's list that leaves occupations out)."""
    forms: dict[str, OccupationForms] = {}
    for number, cells in _rows(path, (2, 3, 4)):
        name, male, female, epicene = (cells + ["", ""])[:4]
        name = name.lower()
        if name not in known:
            if strict:
                raise LexiconError(f"{path}:{number}: {name!r} is not in the occupation list")
            continue
        if name in forms:
            raise LexiconError(f"{path}:{number}: occupation {name!r} is listed twice")
        forms[name] = OccupationForms(neutral=_split_forms(epicene), male=_split_forms(male), female=_split_forms(female))
        if not (male or female or epicene):
            raise LexiconError(f"{path}:{number}: occupation {name!r} has no forms")
    return forms


def _merged(own: OccupationForms, extra: OccupationForms | None) -> OccupationForms:
    if extra is None:
        return own
    return OccupationForms(neutral=tuple(dict.fromkeys(own.neutral + extra.neutral)),
                           male=own.male + extra.male, female=own.female + extra.female)


@lru_cache(maxsize=4096)
def file_code(language: str) -> str:
    """ISO 639-1 code used in file names ("spa" -> "es"); the 639-3 code when there is none. A member of
    a macrolanguage that has files where the member has none takes the macrolanguage's ("hrv", "srp",
    "bos" -> "sh": one Serbo-Croatian list holds Croatian, Serbian and Bosnian words)."""
    lang = languages.get(language)
    code = lang.alpha2 or lang.code
    macro = languages.get(languages.macrolanguage(lang.code))
    macro_code = macro.alpha2 or macro.code
    if macro_code != code and not _has_files(code) and _has_files(macro_code):
        return macro_code
    return code


def _has_files(code: str) -> bool:
    return any((LEXICON_DIR / folder / f"{code}.tsv").exists() for folder in ("gender", "occupations", "swaps"))


def lexicon_languages() -> list[str]:
    """File codes of the languages that have a full lexicon (gender words and occupation forms)."""
    return list(_lexicon_languages())


@lru_cache(maxsize=1)
def _lexicon_languages() -> tuple[str, ...]:
    native = {p.stem for p in (LEXICON_DIR / "occupations").glob("*.tsv")}
    gender = {p.stem for p in (LEXICON_DIR / "gender").glob("*.tsv") if "-" not in p.stem}
    return tuple(sorted((native | {"en"}) & gender))


def has_lexicon(language: str) -> bool:
    try:
        return file_code(language) in _lexicon_languages()
    except languages.UnknownLanguage:
        return False


@lru_cache(maxsize=64)
def load_lexicon(language: str, occupations_path: str | None = None) -> Lexicon:
    """The lexicon of one language; raises LexiconError when the language has none.

    ``occupations_path`` replaces the shipped occupation list (a larger one, other shares); in
    languages other than English only occupations with native forms are counted.
    """
    try:
        code = file_code(language)
    except languages.UnknownLanguage as exc:
        raise LexiconError(str(exc)) from None
    if code not in lexicon_languages():
        raise LexiconError(
            f"no gender-occupation lexicon for language {language!r} (have: {', '.join(lexicon_languages())}); "
            "its counts are skipped, not reported as zero"
        )
    occupations, forms = read_occupations(occupations_path or OCCUPATIONS_FILE)
    female, male = read_gender_words(LEXICON_DIR / "gender" / f"{code}.tsv")
    if code != "en":
        forms = read_native_forms(LEXICON_DIR / "occupations" / f"{code}.tsv", {o.name for o in occupations},
                                   strict=occupations_path is None)
        occupations = [o for o in occupations if o.name in forms]
    elif occupations_path is None:  # the shipped list: WinoBias's forms and what the native forms become in English
        extra = read_native_forms(LEXICON_DIR / "occupations" / "en.tsv", set(forms))
        forms = {name: _merged(own, extra.get(name)) for name, own in forms.items()}
    return Lexicon(code, tuple(occupations), forms, female, male)


def load_probe_words() -> tuple[frozenset[str], frozenset[str]]:
    """The pronouns and titles that label an English probe output (female, male)."""
    return read_gender_words(LEXICON_DIR / "gender" / "en-probe.tsv")
