"""Whole documents through the embedded translators: nothing truncated, layout kept, cache used."""
import pytest

from muri_gen import corpora
from muri_gen.backends.translate.apertium import ApertiumTranslator
from muri_gen.backends.translate.bergamot import BergamotTranslator
from muri_gen.translation import segment
from muri_gen.translation.documents import ContextBudget, DocumentTranslator
from muri_gen.translation.cache import TranslationCache
from muri_gen.translation.tokens import estimate_tokens

INTO_ENGLISH = {"spa": "spa", "cat": "cat", "glg": "glg", "epo": "epo", "hrv": "hrv", "eus": "eus",
                "isl": "isl", "mkd": "mkd", "por_PT": "por"}
FROM_ENGLISH = ["spa", "cat", "glg", "epo", "hbs", "por"]


@pytest.fixture(scope="module")
def apertium():
    return ApertiumTranslator(ApertiumTranslator.Config())


@pytest.fixture(scope="module")
def bergamot():
    backend = BergamotTranslator(BergamotTranslator.Config())
    yield backend
    backend.teardown()


def udhr_document(code: str, language: str, sentences: int = 60, per_paragraph: int = 5) -> str:
    """A real document of exactly ``sentences`` full sentences in paragraphs of ``per_paragraph``."""
    found = []
    for _, text in corpora.read_declaration(corpora.udhr_declarations() / f"{code}.html").sections:
        for line in text.split("\n"):
            found += [s for s in segment.sentences(line, language) if s.endswith(".") and len(s) > 10]
    found = (found * 2)[:sentences]
    assert len(found) == sentences
    return "\n\n".join(" ".join(found[i : i + per_paragraph]) for i in range(0, sentences, per_paragraph))


def translator_for(language, apertium, bergamot):
    return bergamot if language == "por" else apertium


def count_sentences(text: str, language: str) -> int:
    return sum(len(segment.sentences(paragraph, language)) for paragraph in text.split("\n\n"))


@pytest.mark.parametrize("code", list(INTO_ENGLISH))
def test_sixty_sentences_come_back_into_english(code, apertium, bergamot):
    language = INTO_ENGLISH[code]
    text = udhr_document(code, language)
    assert count_sentences(text, language) == 60
    result = DocumentTranslator(translator_for(language, apertium, bergamot)).translate([text], language, "eng")[0]
    assert result.error is None
    assert count_sentences(result.text, "eng") == 60
    assert result.text.count("\n\n") == text.count("\n\n") == 11
    assert result.text != text and result.provenance["segments"] >= 60


@pytest.mark.parametrize("language", FROM_ENGLISH)
def test_sixty_sentences_come_back_from_english(language, apertium, bergamot):
    text = udhr_document("eng", "eng")
    backend = translator_for(language, apertium, bergamot)
    result = DocumentTranslator(backend).translate([text], "eng", language)[0]
    assert result.error is None and result.provenance["segments"] == 60
    # each of the 60 sentences, translated on its own, is in its place (translations may merge
    # sentences for a re-segmenter, e.g. Apertium dropping a capitalised first word)
    paragraphs = [segment.sentences(p, "eng") for p in text.split("\n\n")]
    alone = [" ".join(backend.translate_batch(sentences, "eng", language)) for sentences in paragraphs]
    assert result.text.split("\n\n") == alone and len(alone) == 12


def test_a_sentence_longer_than_the_limit_is_split_not_truncated(bergamot):
    sentence = udhr_document("por_PT", "por", sentences=12).replace(".", ",").replace("\n\n", " ")[:-1] + "."
    assert bergamot.count_tokens(sentence) > bergamot.max_input_tokens
    result = DocumentTranslator(bergamot).translate([sentence], "por", "eng")[0]
    assert result.provenance["split_sentences"] == 1 and result.provenance["segments"] > 1
    # every piece was translated: the English is about as long as the Portuguese, not cut at the limit
    assert len(result.text.split()) > 0.7 * len(sentence.split())


def test_the_cache_translates_a_repeated_sentence_once(tmp_path, apertium):
    text = udhr_document("spa", "spa", sentences=10)
    cache = TranslationCache(tmp_path / "translations")
    first = DocumentTranslator(apertium, cache)
    results = first.translate([text, text], "spa", "eng")
    assert first.stats["segments"] == 20 and first.stats["unique_segments"] == 10 and first.stats["calls"] == 1
    assert len(cache) == 10
    again = DocumentTranslator(apertium, TranslationCache(tmp_path / "translations"))
    rerun = again.translate([text], "spa", "eng")
    assert again.stats["cache_hits"] == 10 and again.stats["calls"] == 0
    assert rerun[0].text == results[0].text and rerun[0].provenance["segments_cached"] == 10
    # another pair (or backend) never reads these entries
    other = DocumentTranslator(apertium, TranslationCache(tmp_path / "translations"))
    other.translate([udhr_document("cat", "cat", sentences=10)], "cat", "eng")
    assert other.stats["cache_hits"] == 0


def test_length_sorted_batches_fill_the_token_budget(apertium):
    text = udhr_document("spa", "spa", sentences=30)
    documents = DocumentTranslator(apertium, batch_tokens=300)
    assert documents.translate([text], "spa", "eng")[0].error is None
    batches = documents._batches(segment.layout(text, "spa").segments, estimate_tokens)
    assert documents.stats["calls"] == len(batches) > 1
    lengths = [estimate_tokens(s) for batch in batches for s in batch]
    assert lengths == sorted(lengths)
    assert all(sum(map(estimate_tokens, b)) <= 300 for b in batches if len(b) > 1)


def test_context_budget_translates_only_the_start_and_says_so(apertium):
    text = udhr_document("spa", "spa", sentences=40)
    full = DocumentTranslator(apertium).translate([text], "spa", "eng")[0]
    documents = DocumentTranslator(apertium)
    short = documents.translate([text], "spa", "eng", ContextBudget(max_tokens=300))[0]
    budget = short.provenance["context_budget"]
    assert budget["segments_total"] == 40 and 1 <= budget["segments_kept"] < 40
    assert budget["tokens_kept"] <= 300 < budget["tokens_total"]
    assert documents.stats["segments"] == budget["segments_kept"]
    assert full.text.startswith(short.text) and count_sentences(short.text, "eng") == budget["segments_kept"]
    by_sentences = DocumentTranslator(apertium).translate([text], "spa", "eng", ContextBudget(max_sentences=7))[0]
    assert by_sentences.provenance["context_budget"]["segments_kept"] == 7
    assert "context_budget" not in full.provenance
