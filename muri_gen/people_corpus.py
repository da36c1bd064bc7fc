"""The demo's second corpus: real native text that names people's occupations and genders.

The UDHR names no occupation, so on it alone the bias trace has nothing to count. These documents
are quotations, jokes and typing-practice paragraphs shipped in Debian packages (their copyright
files are summarised in pipelines/data/README.md): written by people in their language, not
translated by machine and not written for this project.

    python -m muri_gen.people_corpus      (make system installs the packages) -> pipelines/data/people-demo.jsonl

A document is chosen when the demo's quality filter keeps it and one of its sentences names an
occupation of the language's bias lexicon together with a gender signal; at most
``PER_OCCUPATION`` documents per occupation and language, in a seeded order, so the few documents
the demo can afford cover as many occupations as they can. Documents whose gender survives
translation to English come first: in these languages gender mostly sits in the occupation's form
("escritora" and "escritor" both become "writer"), so only a pronoun or a gendered person word in
the occupation's sentence ("mio marito ... il dottore") leaves English a gender signal; the trace
counts one sentence at a time, so a pronoun in the next sentence would not reach it.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from muri_gen.bias.counting import TOKEN, CooccurrenceCounter, split_sentences
from muri_gen.bias.lexicons import normalize_word
from muri_gen.component import StaticContext
from muri_gen.record import stable_hash
from muri_gen.stages.quality import QualityConfig, QualityFilter

FORTUNES = Path("/usr/share/games/fortunes")
KLAVARO = Path("/usr/share/klavaro")
OUTPUT = Path(__file__).resolve().parent.parent / "pipelines" / "data" / "people-demo.jsonl"
MIN_CHARS, MAX_CHARS = 40, 900  # a proverb is enough to instruct on; short enough for the demo
PER_OCCUPATION = 1
SEED = "people-demo-v1"
# Words whose English translation is on the English gender list (filters/bias/gender/en.tsv: he, she,
# him, his, her, man, woman, mother, wife...): third-person pronouns and singular person nouns. Not
# the native lexicons, which hold occupation-like and plural words English does not gender
# ("actor", "director", "mulheres" -> "women"); not Italian "lei" (also the polite "you") or French
# "il" (also "it") or Catalan "dona" (also "gives"); not forms of address, which the translators make "sir", "gentleman" or "you".
PERSON_WORDS = {language: frozenset(words.split()) for language, words in {
    "por": "ele ela dele dela nele nela homem mulher mãe pai filho filha marido esposa irmão irmã menino "
           "menina rapaz moça garoto garota tio tia avô avó neto neta",
    "spa": "él ella hombre mujer madre padre hijo hija marido esposa esposo hermano hermana niño niña chico "
           "chica tío tía abuelo abuela nieto nieta",
    "ita": "lui egli ella uomo donna madre padre mamma papà figlio figlia marito moglie fratello sorella "
           "ragazzo ragazza zio zia nonno nonna bambino bambina",
    "cat": "ell ella home mare pare fill filla marit esposa germà germana noi noia nen nena oncle tia "
           "avi àvia",
    "glg": "el ela home muller nai pai fillo filla marido esposa irmán irmá neno nena rapaz rapaza tío tía "
           "avoa",
    "fra": "elle lui homme femme mère père fils fille mari épouse frère sœur garçon oncle tante",
    "hbs": "muškarac žena otac majka sin kći kćerka brat sestra muž dječak djevojka djevojčica mladić "
           "мушкарац жена отац мајка син кћи брат сестра муж дечак девојка",
}.items()}


@dataclass(frozen=True)
class Source:
    language: str  # ISO 639-3, as the demo declares it
    package: str  # the Debian package that ships the files
    files: tuple[str, ...]  # globs under /usr/share
    separator: str  # between documents: a "%" line (fortune files) or a blank line
    documents: int  # how many the demo takes


# Debian package -> documents; the number per language keeps `make demo` in its time budget
SOURCES = (
    Source("por", "fortunes-br", ("games/fortunes/brasil",), "%", 6),
    Source("spa", "fortunes-es", ("games/fortunes/es/*.fortunes",), "%", 6),
    Source("ita", "fortunes-it", ("games/fortunes/it/*", "games/fortunes/italia"), "%", 6),
    Source("cat", "klavaro", ("klavaro/ca.paragraphs",), "", 2),
    Source("glg", "klavaro", ("klavaro/gl.paragraphs",), "", 2),
    Source("fra", "klavaro", ("klavaro/fr.paragraphs",), "", 2),
    Source("hbs", "klavaro", ("klavaro/hr.paragraphs", "klavaro/sr.paragraphs"), "", 2),
)


class MissingPackage(RuntimeError):
    pass


def source_files(source: Source, root: Path = Path("/usr/share")) -> list[Path]:
    files = sorted({p.resolve() for pattern in source.files for p in root.glob(pattern)
                    if p.is_file() and p.suffix not in (".dat", ".u8")})
    if not files:
        raise MissingPackage(f"no files of {source.package} under {root}: apt-get install {source.package} (make system)")
    return files


# a line opened by a dash is an attribution ("\t\t-- John Osborne") or a line of dialogue, not a wrapped line
_DASH_LINE = re.compile(r"^[ \t]*((?:--|\u2014)[ \t]*\S.*)$", re.MULTILINE)


def split_documents(text: str, separator: str) -> list[str]:
    """Fortune files separate entries with a '%' line, klavaro with blank lines. Lines wrapped for an
    80-column terminal are joined (the translation layer reads each line as a segment); blank lines
    stay paragraph breaks, and so does a line opened by a dash: an attribution joined to its quotation
    would end the quotation's line with a name instead of its full stop (the quality filter counts
    lines that end a sentence)."""
    if separator:
        chunks = re.split(rf"^{re.escape(separator)}\s*$", text, flags=re.MULTILINE)
    else:
        chunks = re.split(r"\n\s*\n", text)
    documents = []
    for chunk in chunks:
        chunk = _DASH_LINE.sub(r"\n\n\1", chunk)
        paragraphs = [" ".join(line.strip() for line in p.splitlines() if line.strip()) for p in re.split(r"\n\s*\n", chunk)]
        document = "\n\n".join(p for p in paragraphs if p)
        if document:
            documents.append(document)
    return documents


def occupations_with_gender(counter: CooccurrenceCounter, text: str) -> set[str]:
    """Occupations named in a sentence that also carries a gender signal."""
    found = set()
    for sentence in split_sentences(text, counter.language):
        found |= {name for name, (female, male) in counter.window(sentence).items() if female or male}
    return found


def occupations_with_person_word(counter: CooccurrenceCounter, text: str) -> set[str]:
    """Occupations named in a sentence that also holds a pronoun or person word English keeps gendered."""
    words = PERSON_WORDS.get(counter.language, frozenset())
    found = set()
    for sentence in split_sentences(text, counter.language):
        named = counter.window(sentence)
        if named and words & {normalize_word(token) for token in TOKEN.findall(sentence)}:
            found |= set(named)
    return found


def quality_filter() -> QualityFilter:
    """The demo's quality stage, as its recipe configures it (defaults)."""
    stage = QualityFilter(QualityConfig(), StaticContext({}))
    stage.setup()
    return stage


def choose(source: Source, root: Path = Path("/usr/share"), quality: QualityFilter | None = None) -> list[dict]:
    counter, quality = CooccurrenceCounter(source.language), quality or quality_filter()
    candidates = []
    for path in source_files(source, root):
        for number, text in enumerate(split_documents(path.read_text(encoding="utf-8", errors="replace"), source.separator)):
            if MIN_CHARS <= len(text) <= MAX_CHARS and "\ufffd" not in text:
                candidates.append((f"{path.name}-{number}", text))
    # those whose gender reaches English first, each group in a seeded order
    candidates.sort(key=lambda c: (not occupations_with_person_word(counter, c[1]),
                                   stable_hash(SEED, source.language, c[0])))
    chosen, used = [], Counter()
    for key, text in candidates:
        named = occupations_with_gender(counter, text)
        if not named or all(used[name] >= PER_OCCUPATION for name in named):
            continue
        if quality.keep({"text": text, "language": source.language}) is not True:
            continue
        used.update(named)
        chosen.append({"id": f"people-{source.language}-{key}", "text": text, "language": source.language,
                       "source": source.package})
        if len(chosen) == source.documents:
            break
    return chosen


def build(path: Path = OUTPUT, root: Path = Path("/usr/share")) -> Counter:
    quality = quality_filter()
    rows = [row for source in SOURCES for row in choose(source, root, quality)]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return Counter(row["language"] for row in rows)


if __name__ == "__main__":
    try:
        print(dict(build()))
    except MissingPackage as exc:
        sys.exit(str(exc))
