"""Apertium (rule-based, Debian packages) through its command line: the embedded default for
Romance languages, Esperanto and Serbo-Croatian.

Apertium's Serbo-Croatian pairs read and write Latin script only; Serbian Cyrillic maps letter for
letter (cyrtranslit): Cyrillic input is read in Latin, and output asked for in Cyrillic (Serbian's
usual script, ``srp`` or ``hbs_Cyrl``) is written back in it, the words Apertium did not know left
as they came (English leftovers and names: "Wрите" helps nobody).

Process start-up costs more than translating a sentence, so a batch is one call with one
segment per line (Apertium keeps line breaks as they are). A call that hangs is killed after
``timeout_seconds`` and retried; a missing binary or language pair is named plainly.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from functools import cached_property

import cyrtranslit
from pydantic import Field

from muri_gen import languages
from muri_gen.backends.base import BackendConfig, Translator
from muri_gen.translation.documents import TranslatorUnavailable
from muri_gen.translation.orthography import polish




class ApertiumConfig(BackendConfig):
    binary: str = Field(default="apertium", description="the apertium command: a name on PATH or a path")
    timeout_seconds: float = Field(default=30.0, gt=0, description="per call, plus 10 ms per segment")
    retries: int = Field(default=2, ge=0, description="attempts after a call failed or timed out")
    mark_unknown: bool = Field(default=False, description="True: Apertium's '*' before words it could not translate")


class ApertiumTranslator(Translator):
    name = "apertium"
    Config = ApertiumConfig
    max_input_tokens = 400  # rule-based: no length limit, but lines stay short for the batch format

    @cached_property
    def modes(self) -> frozenset[str]:
        """Installed translation modes, e.g. {"spa-eng", "eng-hbs_HR", "gl-en"}; empty without Apertium."""
        binary = shutil.which(self.config.binary)
        if binary is None:
            return frozenset()
        listed = subprocess.run([binary, "-l"], capture_output=True, text=True, timeout=30)
        return frozenset(line.strip() for line in listed.stdout.splitlines() if line.strip())

    def supports(self, src: str, tgt: str) -> bool:
        try:
            source, target = languages.get(src), languages.get(tgt)
        except languages.UnknownLanguage:
            return False
        return (_script_ok(source) and _script_ok(target)
                and languages.apertium_mode(source.code, target.code, self.modes) is not None)

    def describe(self) -> dict:
        return {"backend": self.name}

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        binary = shutil.which(self.config.binary)
        if binary is None:
            raise TranslatorUnavailable(
                f"the Apertium binary {self.config.binary!r} is not installed (apt-get install apertium)"
            )
        if not self.supports(src, tgt):
            raise TranslatorUnavailable(
                f"no Apertium pair installed for {src}->{tgt} (installed: {', '.join(sorted(self.modes)) or 'none'})"
            )
        source, target = languages.get(src), languages.get(tgt)
        mode = languages.apertium_mode(source.code, target.code, self.modes)
        # one segment per line: a newline inside a segment would shift every later translation
        lines = [" ".join(t.split()) for t in texts]
        if _is_hbs(source):  # untransliterated, Cyrillic went through the hbs pairs untranslated
            lines = [cyrtranslit.to_latin(line, "sr") for line in lines]  # Latin letters pass unchanged
        cyrillic = _is_hbs(target) and target.script == "Cyrl"
        translated = [polish(_sentence_case(text, " ".join(line.split())), target.code)  # "Qué  la ley"
                      for text, line in zip(texts, self._call(binary, mode, lines, self.config.mark_unknown and not cyrillic))]
        if not cyrillic:
            return translated
        # a second, marked run tells which words Apertium left untranslated: they stay as they came
        marked = [" ".join(line.split()) for line in self._call(binary, mode, lines, marks=True)]
        return [_to_cyrillic(plain, marks, self.config.mark_unknown) for plain, marks in zip(translated, marked)]

    def _call(self, binary: str, mode: str, lines: list[str], marks: bool) -> list[str]:
        """One Apertium call over ``lines`` (one segment each): their outputs, retried on failure.
        ``marks``: Apertium's marks before the words it could not translate ('*', '@', '#'), or none (-u)."""
        command = [binary, *([] if marks else ["-u"]), mode]
        payload = "".join(line + "\n" for line in lines)
        timeout = self.config.timeout_seconds + 0.01 * len(lines)
        problem = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                time.sleep(min(2.0**attempt / 4, 2.0))
            try:
                returncode, stdout, stderr = _run(command, payload, timeout)
            except subprocess.TimeoutExpired:
                problem = f"apertium {mode} did not answer within {timeout:.1f}s"
                continue
            out = stdout.split("\n")
            if out and out[-1] == "":
                out.pop()
            if returncode != 0:
                problem = f"apertium {mode} exited with {returncode}: {stderr.strip()[-300:]}"
            elif len(out) != len(lines):
                problem = f"apertium {mode} returned {len(out)} lines for {len(lines)} segments"
            else:
                return out
        if "did not answer" in problem:
            raise TranslatorUnavailable(f"{problem} ({self.config.retries + 1} attempts)")
        raise RuntimeError(f"{problem} ({self.config.retries + 1} attempts)")


def _is_hbs(language: languages.Language) -> bool:
    return languages.macrolanguage(language.code) == "hbs"


def _script_ok(language: languages.Language) -> bool:
    """Apertium writes each language in its usual script; Serbo-Croatian in Latin and, transliterated,
    in Cyrillic."""
    return language.script == languages.default_script(language.code) or (
        _is_hbs(language) and language.script in ("Latn", "Cyrl"))


def _to_cyrillic(plain: str, marked: str, mark_unknown: bool) -> str:
    """Serbian Cyrillic from Apertium's Latin output, word by word: a word the marked run shows
    with '*' or '@' before it (not analysed, not in the dictionary: English leftovers, names) stays
    as it came, in its marked form when ``mark_unknown``. Reading the marks from a second run
    rather than stripping them keeps a text's own '@' and '#' ("a@b.com", "#1")."""
    words, marked_words = plain.split(" "), marked.split(" ")
    if len(words) != len(marked_words):
        return cyrtranslit.to_cyrillic(plain, "sr")
    return " ".join((mark if mark_unknown else word) if _untranslated(word, mark) else cyrtranslit.to_cyrillic(word, "sr")
                    for word, mark in zip(words, marked_words))


def _untranslated(word: str, marked: str) -> bool:
    core = re.search(r"\w+", word)
    return marked != word and core is not None and re.search(r"[*@]" + re.escape(core.group()), marked) is not None


def _run(command: list[str], payload: str, timeout: float) -> tuple[int, str, str]:
    """Run the pipeline in its own process group: ``apertium`` is a shell script whose stages
    (lt-proc, transfer...) would outlive a timeout that killed only the script."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(payload, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return process.returncode, stdout, stderr


def _sentence_case(source: str, translation: str) -> str:
    """Some pairs (en-eo) lower-case a sentence's first word when a sentence precedes it on the
    previous line; a translation starts upper-case when its source does, whatever its neighbours."""
    if source[:1].isupper() and translation[:1].islower():
        return translation[0].upper() + translation[1:]
    return translation
