"""Which words of a text a language's morphological analyser does not know (Apertium's, through lt-proc).

A word-by-word translator leaves forms no speaker writes ("inxies" for "inxerencias", "reconchre",
Esperanto "rajtojde") and a small LLM invents some; they belong to no other language either, so
the lexicon check of language purity passes them. Apertium's analysers (``<lang>-<other>.automorf.bin``
in the Debian packages the Makefile installs) know a language's inflected forms, contractions and
elisions ("dels", "dunha", "l'era"). Their gaps are real words too (Croatian "imali", Galician
"conciencia"): language purity counts a word only when the language's lexicon does not know it either.

One lt-proc call per language and batch, a text per line (lt-proc keeps line breaks).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from muri_gen import languages

DATA_DIRS = (Path(sys.prefix) / "share" / "apertium", Path("/usr/local/share/apertium"), Path("/usr/share/apertium"))
LT_PROC = "lt-proc"
_RESERVED = re.compile(r"([\\^$/\[\]{}<>@*#+~])")  # lt-proc's stream format: escaped to read as text
_UNIT = re.compile(r"\^([^/$]*)/([^$]*)\$")  # ^surface/analysis1/analysis2$; unknown: ^surface/*surface$


@lru_cache(maxsize=256)
def analyser_path(language: str) -> Path | None:
    """The largest installed analyser of the language (or of its macrolanguage); None without one."""
    found = [path for folder in DATA_DIRS if folder.is_dir() for code in languages.family_codes(language)
             for path in folder.glob(f"*/{code}-*.automorf.bin")]
    return max(found, key=lambda path: path.stat().st_size, default=None)


def unknown_words(texts: list[str], language: str, timeout_seconds: float = 60.0) -> list[set[str]] | None:
    """Per text, the words the language's analyser does not know; None when the language has no
    analyser or lt-proc is not installed (then nothing can be said, not "every word is known")."""
    path = analyser_path(language)
    binary = shutil.which(LT_PROC)
    if path is None or binary is None or not texts:
        return None if path is None or binary is None else []
    lines = "\n".join(_RESERVED.sub(r"\\\1", " ".join(text.split())) for text in texts) + "\n"
    done = subprocess.run([binary, "-w", str(path)], input=lines, capture_output=True, text=True,
                          timeout=timeout_seconds + 0.01 * len(texts))
    if done.returncode:
        raise RuntimeError(f"{LT_PROC} -w {path} failed: {done.stderr.strip()[-500:]}")
    analysed = done.stdout.split("\n")
    if len(analysed) < len(texts):
        raise RuntimeError(f"{LT_PROC} returned {len(analysed)} lines for {len(texts)} texts")
    return [{surface for surface, analyses in _UNIT.findall(line) if analyses.startswith("*")}
            for line in analysed[: len(texts)]]
