"""The transformers and CTranslate2 backends on a tiny real NLLB-architecture model built here
(random weights, a BPE vocabulary trained on UDHR text, the 202 NLLB language tokens): the
output is noise, so the tests check plumbing — language codes, batching, lengths, conversion."""
import pytest

from muri_gen.backends.translate.transformers import TransformersTranslator
from muri_gen.translation.documents import DocumentTranslator
from muri_gen.translation.tiny_model import build_tiny_nllb


def test_families_and_language_codes_without_loading_anything():
    nllb = TransformersTranslator(TransformersTranslator.Config(model="facebook/nllb-200-distilled-600M"))
    assert nllb.family == "nllb" and nllb.supports("spa", "eng") and nllb.supports("eng", "hbs")
    assert not nllb.supports("lat", "eng")  # Latin is not among NLLB's 202 languages
    madlad = TransformersTranslator(TransformersTranslator.Config(model="google/madlad400-3b-mt"))
    assert madlad.family == "madlad" and madlad.source_texts(["Hola."], "spa", "eng") == ["<2en> Hola."]
    opus = TransformersTranslator(TransformersTranslator.Config(model="Helsinki-NLP/opus-mt-es-en"))
    assert opus.family == "marian" and opus.supports("spa", "eng") and not opus.supports("eng", "spa")
    m2m = TransformersTranslator(TransformersTranslator.Config(model="facebook/m2m100_418M"))
    assert m2m.family == "m2m100" and m2m.supports("por", "eng") and not m2m.supports("epo", "eng")
    with pytest.raises(ValueError, match="set family"):
        _ = TransformersTranslator(TransformersTranslator.Config(model="someone/mystery-model")).family


@pytest.fixture(scope="module")
def tiny_nllb(tmp_path_factory):
    return build_tiny_nllb(tmp_path_factory.mktemp("tiny-nllb"))


SENTENCES = ["Hola.", "Todos los seres humanos nacen libres e iguales en dignidad y derechos.",
             "Artículo 3.", "Nadie estará sometido a esclavitud ni a servidumbre.", "Toda persona tiene derecho."]


@pytest.mark.slow
def test_nllb_codes_batching_and_untruncated_inputs(tiny_nllb):
    backend = TransformersTranslator(TransformersTranslator.Config(model=str(tiny_nllb), batch_size=2, max_new_tokens=8))
    assert backend.family == "nllb"  # read from the folder's tokenizer_config.json
    tokenizer = backend.tokenizer
    inputs, options = backend.encode(SENTENCES, "spa", "eng")
    assert options == {"forced_bos_token_id": tokenizer.convert_tokens_to_ids("eng_Latn")}
    assert (inputs["input_ids"][:, 0] == tokenizer.convert_tokens_to_ids("spa_Latn")).all()
    assert inputs["attention_mask"].sum(dim=1).tolist() == [backend.count_tokens(s) for s in SENTENCES]
    backend.setup()
    generated = backend.generate(SENTENCES[:2], "spa", "por")
    assert (generated[:, 1] == tokenizer.convert_tokens_to_ids("por_Latn")).all()
    batched = backend.translate_batch(SENTENCES, "spa", "eng")
    assert len(batched) == 5 and all(batched)
    # batches of two give what one-by-one calls give: padding and masks are right
    assert batched == [backend.translate_batch([s], "spa", "eng")[0] for s in SENTENCES]


@pytest.mark.slow
def test_documents_over_the_limit_reach_the_model_in_pieces(tiny_nllb):
    backend = TransformersTranslator(TransformersTranslator.Config(model=str(tiny_nllb), max_input_tokens=12, max_new_tokens=4))
    seen: list[int] = []
    real_encode = backend.encode

    def encode(texts, src, tgt):  # observe the real encoder's lengths
        inputs, options = real_encode(texts, src, tgt)
        seen.extend(inputs["attention_mask"].sum(dim=1).tolist())
        return inputs, options

    backend.encode = encode
    text = " ".join(SENTENCES) + "\n\n" + SENTENCES[1].replace(".", ",") * 3
    documents = DocumentTranslator(backend)
    result = documents.translate([text], "spa", "eng")[0]
    assert result.error is None and result.provenance["split_sentences"] >= 2
    # every distinct piece reached the model once, none longer than the limit
    assert max(seen) <= 12 and len(seen) == documents.stats["unique_segments"] < result.provenance["segments"]
    assert result.text.count("\n\n") == 1


@pytest.mark.slow
def test_ctranslate2_conversion_gives_the_same_greedy_output(tiny_nllb, tmp_path):
    from ctranslate2.converters import TransformersConverter

    from muri_gen.backends.translate.ctranslate2 import CTranslate2Translator

    folder = tmp_path / "ct2"
    TransformersConverter(str(tiny_nllb), copy_files=["tokenizer.json", "tokenizer_config.json"]).convert(str(folder))
    fast = CTranslate2Translator(CTranslate2Translator.Config(model=str(folder), batch_size=2, max_new_tokens=8))
    assert fast.family == "nllb" and fast.supports("spa", "eng")
    reference = TransformersTranslator(TransformersTranslator.Config(model=str(tiny_nllb), max_new_tokens=8))
    assert fast.translate_batch(SENTENCES, "spa", "eng") == reference.translate_batch(SENTENCES, "spa", "eng")
    missing = CTranslate2Translator(CTranslate2Translator.Config(model=str(tiny_nllb)))
    with pytest.raises(FileNotFoundError, match="not a CTranslate2 model folder"):
        missing.setup()


@pytest.mark.slow
def test_the_document_script_reaches_nllb_both_ways(tiny_nllb, tmp_path):
    from muri_gen.component import StartedContext
    from muri_gen.corpora import declarations, documents
    from muri_gen.text import han_standard
    from muri_gen.stages.translate import Translate, TranslateConfig

    backend = TransformersTranslator(TransformersTranslator.Config(model=str(tiny_nllb), max_new_tokens=4))
    context = StartedContext({"mt": backend}, tmp_path)
    traditional, simplified = (documents(declarations([code])[0])[3]["text"] for code in ("cmn_hant", "cmn_hans"))
    assert (han_standard(traditional), han_standard(simplified)) == ("Hant", "Hans")
    records = [{"id": "hant", "text": traditional, "language": "zho", "script": "Hant"},
               {"id": "hans", "text": simplified, "language": "zho", "script": "Hans"},
               {"id": "srp", "text": "Sva ljudska bića rađaju se slobodna.", "language": "srp", "script": "Latn"}]
    to_english = Translate(TranslateConfig(translator="mt", cache=False), context)
    to_english.setup()
    out = to_english.process(records)
    # Traditional Chinese is zho_Hant to NLLB; Latin Serbian falls back to srp (NLLB has srp_Cyrl only)
    assert [o["translation_en"]["src"] for o in out] == ["zho_Hant", "zho", "srp"]
    inputs, _ = backend.encode(["人人"], "zho_Hant", "eng")
    assert inputs["input_ids"][0, 0] == backend.tokenizer.convert_tokens_to_ids("zho_Hant")
    back = Translate(TranslateConfig(translator="mt", direction="to_source", cache=False), context)
    back.setup()
    returned = back.process([{**o, "instruction_en": "Explain this article."} for o in out])
    assert [o["translation_src"]["tgt"] for o in returned] == ["zho_Hant", "zho", "srp"]
