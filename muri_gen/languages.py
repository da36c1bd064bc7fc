"""The one language registry: ISO 639-3 code + ISO 15924 script, parsed from any backend's label.

Records carry ``language`` (ISO 639-3, e.g. "spa", as MURI-IT does) and ``script`` ("Latn").
Every backend converts from and to its own codes through this module, so a language is named
the same way in recipes, records, file paths and dataset configs.

No table of languages is kept by hand: codes, names, macrolanguages and their members come from
ISO 639-3 (SIL's tables, shipped by iso639-lang), default scripts from CLDR's likely subtags
(through ICU), NLLB codes from NLLB-200's own list. The few overrides below say where the
standards disagree and why.
"""
from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

# Default scripts where CLDR's likely script is not the one FLORES-200 (NLLB) writes the language in.
SCRIPT_OVERRIDES: dict[str, str] = {
    "azb": "Arab",  # South Azerbaijani (Iran): CLDR gives Azerbaijani's Latn
    "crh": "Latn",  # Crimean Tatar: CLDR Cyrl; FLORES-200 and the UDHR write the Latin standard
    "kor": "Hang",  # CLDR Kore (Hangul with Han); FLORES-200 and today's Korean text: Hangul
    "tzm": "Tfng",  # Central Atlas Tamazight: CLDR Latn; FLORES-200 and Morocco's standard: Tifinagh
}

# Labels backends use that ISO 639 does not resolve to the language they mean.
ALIASES: dict[str, str] = {
    "sh": "hbs",  # ISO 639-1 withdrew "sh" without a replacement; lid.176 and MADLAD still use it
    "mo": "ron",  # withdrawn for Romanian; ISO names only the 3-letter successor
    "als": "sqi",  # Wikipedia's (and lid.176's) "als" is Alemannic, but in practice labels Albanian text
}
# ISO 639-1 codes backends use where ISO 639-1 has none.
_ALPHA2: dict[str, str] = {"hbs": "sh"}

_TAG = re.compile(r"^(?P<lang>[a-z]{2,3})(?:[_-](?P<script>[A-Z][a-z]{3}))?(?:[_-][A-Za-z0-9]{2,8})*$")
SAFE_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z][a-z]{3})?\Z")  # \Z: "$" would allow a final newline


class UnknownLanguage(ValueError):
    pass


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-3
    script: str  # ISO 15924
    name: str

    @property
    def tag(self) -> str:
        return f"{self.code}_{self.script}"

    @property
    def written_name(self) -> str:
        """For prompts: "Spanish"; "Chinese in Han (Traditional variant) script" when the script is
        not the language's usual one."""
        if self.script == default_script(self.code):
            return self.name
        import pycountry  # ISO 15924's English names

        entry = pycountry.scripts.get(alpha_4=self.script)
        return f"{self.name} in {entry.name if entry else self.script} script"

    @property
    def alpha2(self) -> str | None:
        return _ALPHA2.get(self.code) or _iso(self.code).pt1 or None


@lru_cache(maxsize=8192)
def _iso(code: str):
    """The ISO 639 entry of a 2- or 3-letter code (639-1, 639-2/B, 639-3); retired codes lead to their
    successor ("ajp" -> South Levantine's "apc", "iw" -> "he"); None for codes ISO does not have."""
    from iso639 import Lang
    from iso639.exceptions import DeprecatedLanguageValue, InvalidLanguageValue

    try:
        entry = Lang(code)
    except DeprecatedLanguageValue as retired:
        return _iso(retired.change_to) if retired.change_to else None
    except InvalidLanguageValue:
        return None
    return entry if entry.pt3 else None  # ISO 639-5 families ("ber", "sla") are not languages


def retired_code(code: str) -> str | None:
    """The ISO 639-3 code that replaced a retired one ("ajp" -> "apc"), None for a current code."""
    entry = _iso(code)
    return entry.pt3 if entry is not None and code not in (entry.pt1, entry.pt2b, entry.pt3) else None


@lru_cache(maxsize=4096)
def get(label: str) -> Language:
    """Parse "es", "spa", "spa_Latn", "es-ES", "zh-Hans", "__label__es" or "__label__spa_Latn"."""
    raw = label.strip().removeprefix("__label__")
    match = _TAG.match(raw) or _TAG.match(raw.lower())
    if not match:
        raise UnknownLanguage(f"not a language code: {label!r}")
    code = match["lang"].lower()
    entry = _iso(ALIASES.get(code, code))
    if entry is None:
        raise UnknownLanguage(f"unknown language code {label!r} (expected ISO 639-1/3, e.g. 'es' or 'spa')")
    return Language(code=entry.pt3, script=match["script"] or default_script(entry.pt3), name=entry.name)


def code3(label: str) -> str:
    """Shorthand: any label -> ISO 639-3 code."""
    return get(label).code


def record_code(label: object) -> str | None:
    """A record's language field as ISO 639-3; None when it is missing or names no language."""
    try:
        return code3(label) if isinstance(label, str) and label.strip() else None
    except UnknownLanguage:
        return None


# A config field holding a language: any label a user writes ("es", "spa"), stored as ISO 639-3.
LanguageCode = Annotated[str, AfterValidator(code3)]


def target_codes(labels: list[str]) -> list[str]:
    """A recipe's target languages as ISO 639-3 codes; every bad label is named at once (ValueError).

    Only plain codes are taken ("es", "spa", "spa_Latn"): a target names folders of the run."""
    codes, bad = [], []
    for label in labels:
        try:
            if not SAFE_CODE.match(label):
                raise UnknownLanguage(f"{label!r} is not a language code")
            codes.append(get(label).code)
        except UnknownLanguage as exc:
            bad.append(str(exc).split(" (")[0])
    if bad:
        raise ValueError("; ".join(bad) + " (expected ISO 639-1/3 codes, e.g. 'es', 'spa' or 'spa_Latn')")
    return codes


def _likely_script(code: str) -> str:
    """CLDR's likely script of a language ("" when CLDR does not know the language)."""
    import icu  # PyICU: CLDR's likely subtags and language aliases ("arb" -> "ar")

    locale = icu.Locale.createCanonical(code)
    if not locale.getLanguage() or locale.getLanguage() == "und":
        return ""
    locale.addLikelySubtags()
    return locale.getScript()


@lru_cache(maxsize=8192)
def default_script(code: str) -> str:
    """The ISO 15924 script an ISO 639-3 language is usually written in: CLDR's likely script, else
    its macrolanguage's; Latin for languages CLDR does not know (most of them are written in it)."""
    if code in SCRIPT_OVERRIDES:
        return SCRIPT_OVERRIDES[code]
    return _likely_script(code) or _likely_script(macrolanguage(code)) or "Latn"


@lru_cache(maxsize=1)
def macrolanguages() -> dict[str, frozenset[str]]:
    """ISO 639-3's macrolanguages and their individual languages ("hbs" -> hrv, srp, bos, cnr)."""
    from iso639.datafile import load_file

    return {macro: frozenset(members) for macro, members in load_file("mapping_macro")["macro"].items()}


@lru_cache(maxsize=1)
def _macro_of() -> dict[str, str]:
    return {member: macro for macro, members in macrolanguages().items() for member in members}


def macrolanguage(code: str) -> str:
    """The macrolanguage an ISO 639-3 code belongs to, or the code itself ("hrv" -> "hbs")."""
    return _macro_of().get(code, code)


def family_codes(label: str) -> tuple[str, ...]:
    """The codes a resource may file a language under, most specific first: its ISO 639-1 and 639-3
    codes, then its macrolanguage's ("hrv" -> hr, hrv, sh, hbs); empty for a label no standard knows."""
    try:
        lang = get(label)
        family = get(macrolanguage(lang.code))
    except UnknownLanguage:
        return ()
    return tuple(dict.fromkeys(c for c in (lang.alpha2, lang.code, family.alpha2, family.code) if c))


def members(code: str) -> frozenset[str]:
    """The individual languages of a macrolanguage; empty for any other code."""
    return macrolanguages().get(code, frozenset())


def covers(target: str, code: str) -> bool:
    """Whether a document LID labels ``code`` belongs to the targeted language ``target``."""
    return target == code or macrolanguage(code) == target or macrolanguage(target) == code


# ---- Backend codes: every translator and LID names languages its own way; convert here only. ----

# FLORES-200 labelled its Santali Beng, but the text is in Ol Chiki (FLORES+ renamed it sat_Olck).
_NLLB_MISLABELLED: dict[str, str] = {"sat_Olck": "sat_Beng"}
# Macrolanguages whose NLLB member CLDR does not name (no "macrolanguage" alias): ISO's own choice.
_NLLB_MEMBER: dict[str, str] = {
    "hbs": "hrv",  # NLLB writes Latin-script Serbo-Croatian as hrv_Latn or bos_Latn
    "nor": "nob",  # Bokmål, what "Norwegian" means in 9 of 10 texts
}


@lru_cache(maxsize=1)
def nllb_codes() -> frozenset[str]:
    """The FLORES-200 codes NLLB-200 knows, from transformers' own table (no model download).

    The table is read from the tokenizer's source rather than imported: importing it imports
    transformers, 1.7 s that every filtering process would pay for a list of strings."""
    spec = importlib.util.find_spec("transformers")
    source = Path(spec.origin).parent / "models" / "nllb" / "tokenization_nllb.py" if spec and spec.origin else None
    if source is not None and source.is_file():
        for node in ast.parse(source.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "FAIRSEQ_LANGUAGE_CODES" for t in node.targets):
                return frozenset(ast.literal_eval(node.value))
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES  # the file moved: import it

    return frozenset(FAIRSEQ_LANGUAGE_CODES)


@lru_cache(maxsize=4096)
def nllb_scripts(code: str) -> frozenset[str]:
    """Every script NLLB-200 writes a language in (Kashmiri: Arab and Deva)."""
    return frozenset(tag.split("_")[1] for tag in nllb_codes() if from_backend(tag).code == code)


# Scripts a language is also commonly written in, beyond its registry default and NLLB-200's scripts.
OTHER_SCRIPTS: dict[str, set[str]] = {
    "srp": {"Latn"}, "hbs": {"Cyrl"}, "bos": {"Cyrl"}, "cnr": {"Cyrl"}, "uzb": {"Cyrl"}, "uzn": {"Cyrl"},
    "aze": {"Cyrl", "Arab"}, "kaz": {"Latn"}, "tuk": {"Cyrl"}, "kur": {"Arab"}, "kmr": {"Arab"},
    "pan": {"Arab"}, "snd": {"Deva"}, "mon": {"Mong"}, "tat": {"Latn"}, "msa": {"Arab"}, "zsm": {"Arab"},
    "cmn": {"Hant"}, "yue": {"Hans"}, "hin": {"Latn"}, "urd": {"Latn"}, "ron": {"Cyrl"},
}


@lru_cache(maxsize=1024)
def scripts(code: str) -> frozenset[str]:
    """Every script a language is written in: its default, NLLB-200's and the other common ones."""
    return frozenset({get(code).script} | OTHER_SCRIPTS.get(code, set()) | nllb_scripts(code))


def tag_in_script(language: str, script: object) -> str:
    """A record's language with its script when that is another script the language is written in
    ("hbs" + "Cyrl" -> "hbs_Cyrl"); the language as given otherwise (its usual script, none, or one
    it is not written in: a mislabelled record keeps its language's script)."""
    try:
        lang = get(language)
    except UnknownLanguage:
        return language
    if not isinstance(script, str) or script == lang.script or script not in scripts(lang.code):
        return language
    return get(f"{lang.code}_{script}").tag


def _cldr_name(code: str) -> str:
    import icu

    return icu.Locale.createCanonical(code).getName()


def cldr_member(macro: str, candidates) -> str | None:
    """The member CLDR stands for its macrolanguage ("arb" for "ara", "pes" for "fas"), if among candidates."""
    chosen = [c for c in candidates if _cldr_name(c) == _cldr_name(macro)] or (
        [_NLLB_MEMBER[macro]] if _NLLB_MEMBER.get(macro) in candidates else [])
    return chosen[0] if len(chosen) == 1 else None


@lru_cache(maxsize=4096)
def nllb_code(label: str) -> str:
    """"spa" -> "spa_Latn", "ara" -> "arb_Arab", "zho_Hant" -> "zho_Hant", "cmn" -> "zho_Hans"; the
    language's own tag when NLLB lacks it (the translator then says it cannot translate it)."""
    lang = get(label)
    codes = nllb_codes()
    if lang.tag in codes or lang.tag in _NLLB_MISLABELLED:
        return _NLLB_MISLABELLED.get(lang.tag, lang.tag)
    # a macrolanguage's member NLLB has in this script, or an individual language's macrolanguage
    related = members(lang.code) | {macrolanguage(lang.code)}
    found = {c.split("_")[0] for c in codes if c.endswith(f"_{lang.script}") and c.split("_")[0] in related}
    if len(found) > 1:
        found = {cldr_member(lang.code, found)} - {None}
    return f"{found.pop()}_{lang.script}" if len(found) == 1 else lang.tag


def madlad_code(label: str) -> str:
    """MADLAD-400's target prefix: ISO 639-1 where one exists, else ISO 639-3 ("spa" -> "<2es>")."""
    lang = get(label)
    return f"<2{lang.alpha2 or lang.code}>"


def fasttext_label(label: str, style: str = "lid176") -> str:
    """fastText LID labels: lid.176 uses ISO 639-1 where it can ("__label__es"); GlotLID uses
    ISO 639-3 + script ("__label__spa_Latn")."""
    lang = get(label)
    if style == "glotlid":
        return f"__label__{lang.tag}"
    return f"__label__{lang.alpha2 or lang.code}"


# Apertium writes Serbo-Croatian as one language with variants for the standards.
_APERTIUM_VARIANTS: dict[str, tuple[str, str]] = {"hrv": ("hbs", "HR"), "srp": ("hbs", "SR"), "bos": ("hbs", "BS")}
_APERTIUM_MODE = re.compile(r"^(?P<src>[a-z]{2,3})-(?P<tgt>[a-z]{2,3})(?:_(?P<variant>[A-Za-z0-9]+))?$")


def apertium_mode_languages(mode: str) -> tuple[str, str, str | None] | None:
    """"spa-eng" -> ("spa", "eng", None), "gl-en" -> ("glg", "eng", None), "eng-hbs_HR" ->
    ("eng", "hrv", "HR"); None for modes that are not plain translation pairs (e.g. bytecode debug modes)."""
    match = _APERTIUM_MODE.match(mode)
    if not match:
        return None
    try:
        src, tgt = get(match["src"]).code, get(match["tgt"]).code
    except UnknownLanguage:
        return None
    variant = match["variant"]
    if variant and tgt == "hbs":
        tgt = {v[1]: code for code, v in _APERTIUM_VARIANTS.items()}.get(variant, tgt)
    return src, tgt, variant


def apertium_mode(src: str, tgt: str, modes: set[str] | frozenset[str]) -> str | None:
    """The installed Apertium mode translating ISO 639-3 ``src`` into ``tgt``, or None.

    Apertium accepts "hbs" for hrv/srp/bos text on its input side, and offers a variant per
    standard on its output side ("eng-hbs_HR"); plain pairs are preferred over variants.
    """
    src_base = _APERTIUM_VARIANTS.get(src, (src,))[0]
    candidates: list[str] = []
    for mode in sorted(modes, key=lambda m: ("_" in m, m)):
        parsed = apertium_mode_languages(mode)
        if parsed is None:
            continue
        m_src, m_tgt, variant = parsed
        if m_src == src_base and (m_tgt == tgt or (variant is None and m_tgt == _APERTIUM_VARIANTS.get(tgt, ("",))[0])):
            candidates.append(mode)
    exact = [m for m in candidates if apertium_mode_languages(m)[1] == tgt]  # type: ignore[index]
    return (exact or candidates or [None])[0]


def bergamot_direction(src: str, tgt: str) -> str:
    """Bergamot (Firefox Translations) names a model by ISO 639-1 codes: ("por", "eng") -> "pt-en"."""
    a, b = get(src), get(tgt)
    return f"{a.alpha2 or a.code}-{b.alpha2 or b.code}"


_BACKEND_LABEL = re.compile(r"^<2(?P<code>[A-Za-z_]+)>$")


def from_backend(label: str) -> Language:
    """Any backend's code back to a Language: "spa_Latn", "<2es>", "__label__es", "hbs_HR", "pt"."""
    raw = label.strip()
    match = _BACKEND_LABEL.match(raw)
    if match:
        raw = match["code"]
    raw = {nllb: tag for tag, nllb in _NLLB_MISLABELLED.items()}.get(raw, raw)
    base, _, variant = raw.partition("_")
    if base == "hbs" and variant in {v[1] for v in _APERTIUM_VARIANTS.values()}:
        return get({v[1]: code for code, v in _APERTIUM_VARIANTS.items()}[variant])
    lang = get(raw)
    macro = macrolanguage(lang.code)
    # the member that stands for its macrolanguage comes back as the macrolanguage ("arb_Arab" -> "ara")
    if macro != lang.code and _cldr_name(lang.code) == _cldr_name(macro) and nllb_code(f"{macro}_{lang.script}") == lang.tag:
        return Language(macro, lang.script, get(macro).name)
    return lang


def describe(code: str) -> dict:
    """What the registry knows of a language, as ``muri-gen languages --json`` prints it."""
    lang = get(code)
    nllb = nllb_code(lang.tag)
    macro = macrolanguage(lang.code)
    return {"code": lang.code, "name": lang.name, "script": lang.script,
            "macrolanguage": macro if macro != lang.code else None, "members": sorted(members(lang.code)),
            "nllb": nllb if nllb in nllb_codes() else None}


def nllb_languages() -> list[str]:
    """The languages NLLB-200 translates (the ~200 MURI covers), as records name them."""
    return sorted({from_backend(code).code for code in nllb_codes()})
