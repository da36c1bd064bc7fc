"""The one language registry: ISO 639-3 code + ISO 15924 script, parsed from any backend's label.

Records carry ``language`` (ISO 639-3, e.g. "spa", as MURI-IT does) and ``script`` ("Latn").
Every backend converts from and to its own codes through this module, so a language is named
the same way in recipes, records, file paths and dataset configs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pycountry

# Default script of languages not written in Latin script (ISO 639-3 -> ISO 15924).
DEFAULT_SCRIPTS: dict[str, str] = {
    **dict.fromkeys(
        "rus ukr bel bul mkd srp kaz kir tgk mon bak tat che chv oss sah udm kom mhr myv".split(), "Cyrl"
    ),
    **dict.fromkeys("ara arb fas pes prs urd pus uig snd ckb kur azb".split(), "Arab"),
    **dict.fromkeys("heb yid".split(), "Hebr"),
    **dict.fromkeys("hin mar nep npi san mai bho awa new gom".split(), "Deva"),
    **dict.fromkeys("ben asm mni".split(), "Beng"),
    "pan": "Guru", "guj": "Gujr", "ori": "Orya", "ory": "Orya", "tam": "Taml", "tel": "Telu",
    "kan": "Knda", "mal": "Mlym", "sin": "Sinh", "tha": "Thai", "lao": "Laoo", "khm": "Khmr",
    "mya": "Mymr", "kat": "Geor", "hye": "Armn", "ell": "Grek", "grc": "Grek",
    **dict.fromkeys("amh tir ti".split(), "Ethi"),
    "zho": "Hans", "cmn": "Hans", "yue": "Hant", "wuu": "Hans", "jpn": "Jpan", "kor": "Hang",
    "bod": "Tibt", "dzo": "Tibt", "div": "Thaa", "iku": "Cans", "chr": "Cher",
}

# Codes whose ISO 639-1 form is not in pycountry or that backends use loosely.
ALIASES: dict[str, str] = {
    "sh": "hbs", "iw": "heb", "in": "ind", "ji": "yid", "jw": "jav", "mo": "ron",
    "zh": "zho", "nb": "nob", "no": "nor", "als": "sqi", "arz": "arz",
}

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
        if self.script == DEFAULT_SCRIPTS.get(self.code, "Latn"):
            return self.name
        entry = pycountry.scripts.get(alpha_4=self.script)
        return f"{self.name} in {entry.name if entry else self.script} script"

    @property
    def alpha2(self) -> str | None:
        entry = pycountry.languages.get(alpha_3=self.code)
        return getattr(entry, "alpha_2", None)


@lru_cache(maxsize=4096)
def get(label: str) -> Language:
    """Parse "es", "spa", "spa_Latn", "es-ES", "zh-Hans", "__label__es" or "__label__spa_Latn"."""
    raw = label.strip().removeprefix("__label__")
    match = _TAG.match(raw) or _TAG.match(raw.lower())
    if not match:
        raise UnknownLanguage(f"not a language code: {label!r}")
    code = ALIASES.get(match["lang"].lower(), match["lang"].lower())
    entry = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    if entry is None and len(code) == 3:
        # ISO 639-2/B codes (fre, ger, chi...) and macrolanguages pycountry files elsewhere
        entry = pycountry.languages.get(bibliographic=code)
    if entry is None and code not in ALIASES.values():
        raise UnknownLanguage(f"unknown language code {label!r} (expected ISO 639-1/3, e.g. 'es' or 'spa')")
    iso3 = entry.alpha_3 if entry is not None else code
    name = entry.name if entry is not None else code
    script = match["script"] or DEFAULT_SCRIPTS.get(iso3, "Latn")
    return Language(code=iso3, script=script, name=name)


def code3(label: str) -> str:
    """Shorthand: any label -> ISO 639-3 code."""
    return get(label).code


# ISO 639-3 macrolanguages and the individual languages inside them that LID backends report.
# A recipe targeting "hbs" keeps documents that LID labels hr, sr, bs or cnr (and vice versa).
MACROLANGUAGES: dict[str, frozenset[str]] = {
    macro: frozenset(members.split())
    for macro, members in {
        "hbs": "hrv srp bos cnr", "msa": "zsm zlm ind min jax meo", "zho": "cmn yue wuu nan hak gan hsn cjy",
        "ara": "arb arz ary apc ajp acm afb aeb arq ayl", "fas": "pes prs", "nor": "nob nno",
        "sqi": "als aln aae", "est": "ekk vro", "lav": "lvs ltg", "swa": "swh swc", "uzb": "uzn uzs",
        "aze": "azj azb", "kur": "kmr ckb sdh", "mon": "khk mvf", "orm": "gaz hae orc", "pus": "pbt pbu pst",
        "mlg": "plt", "que": "quy quz qug", "yid": "ydd yih", "grn": "gug gui", "ori": "ory spv",
        "nep": "npi dty", "zza": "diq kiu", "lah": "pnb skr", "kon": "kng ldi", "aka": "twi fat",
    }.items()
}
_MACRO_OF: dict[str, str] = {member: macro for macro, members in MACROLANGUAGES.items() for member in members}


def macrolanguage(code: str) -> str:
    """The macrolanguage an ISO 639-3 code belongs to, or the code itself ("hrv" -> "hbs")."""
    return _MACRO_OF.get(code, code)


def covers(target: str, code: str) -> bool:
    """Whether a document LID labels ``code`` belongs to the targeted language ``target``."""
    return target == code or macrolanguage(code) == target or macrolanguage(target) == code


# ---- Backend codes: every translator and LID names languages its own way; convert here only. ----

# NLLB-200 names individual languages where ISO 639-3 has a macrolanguage.
_NLLB_INDIVIDUAL: dict[str, str] = {
    "ara": "arb", "fas": "pes", "msa": "zsm", "nep": "npi", "ori": "ory", "mon": "khk", "lav": "lvs",
    "swa": "swh", "uzb": "uzn", "aze": "azj", "mlg": "plt", "orm": "gaz", "pus": "pbt", "sqi": "als",
    "que": "quy", "yid": "ydd", "kur": "kmr", "nor": "nob", "hbs": "hrv", "cmn": "zho",
}


def nllb_codes() -> frozenset[str]:
    """The FLORES-200 codes NLLB-200 knows, from transformers' own table (no model download)."""
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    return frozenset(FAIRSEQ_LANGUAGE_CODES)


def nllb_code(label: str) -> str:
    """"spa" -> "spa_Latn", "ara" -> "arb_Arab", "zho_Hant" -> "zho_Hant"."""
    lang = get(label)
    return f"{_NLLB_INDIVIDUAL.get(lang.code, lang.code)}_{lang.script}"


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
    if lang.code == "hbs":
        return "__label__sh"
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


# NLLB's individual languages back to the macrolanguage records carry ("arb" -> "ara"); hbs and
# cmn map onto codes that are languages in their own right (hrv, zho), so they are not reversed.
_MACRO_OF_NLLB = {v: k for k, v in _NLLB_INDIVIDUAL.items() if k not in ("hbs", "cmn")}
_BACKEND_LABEL = re.compile(r"^<2(?P<code>[A-Za-z_]+)>$")
# Codes ISO 639-3 retired after a backend adopted them (ajp merged into apc in 2023; NLLB has ajp).
RETIRED_CODES: dict[str, str] = {"ajp": "apc"}


def from_backend(label: str) -> Language:
    """Any backend's code back to a Language: "spa_Latn", "<2es>", "__label__es", "hbs_HR", "pt"."""
    raw = label.strip()
    match = _BACKEND_LABEL.match(raw)
    if match:
        raw = match["code"]
    base, _, variant = raw.partition("_")
    if base in RETIRED_CODES:
        raw, base = RETIRED_CODES[base] + raw[len(base):], RETIRED_CODES[base]
    if base == "hbs" and variant in {v[1] for v in _APERTIUM_VARIANTS.values()}:
        return get({v[1]: code for code, v in _APERTIUM_VARIANTS.items()}[variant])
    lang = get(raw)
    macro = _MACRO_OF_NLLB.get(lang.code)
    return Language(macro, lang.script, get(macro).name) if macro else lang
