"""Augmentation, token marking and span masks on real text (UDHR English and Spanish, Austen)."""
import pytest

from muri_gen.bias.mitigate.augment import AugmentConfig, CounterfactualAugmentation
from muri_gen.bias.mitigate.masks import GenderedSpans, MaskConfig
from muri_gen.bias.mitigate.tokens import MarkConfig, MarkSynthetic


@pytest.fixture(scope="module")
def pairs():
    """Instruction/output pairs whose outputs are real UDHR articles (English and Spanish)."""
    from muri_gen.corpora import declarations, documents

    eng = {r["id"].split("/")[-1]: r["text"] for r in documents(declarations(["eng"])[0])}
    spa = {r["id"].split("/")[-1]: r["text"] for r in documents(declarations(["spa"])[0])}
    rows = []
    for key in sorted(eng):
        rows.append({"id": f"eng-{key}", "language": "eng", "text": eng[key], "text_en": eng[key],
                     "instruction": f"Explain what a lawyer should tell his client about this: {eng[key][:60]}",
                     "instruction_en": f"Explain what a lawyer should tell his client about this: {eng[key][:60]}"})
    for key in sorted(spa)[:5]:
        rows.append({"id": f"spa-{key}", "language": "spa", "text": spa[key], "text_en": eng.get(key, ""),
                     "instruction": "¿Qué derechos tiene un hombre según este artículo?",
                     "instruction_en": "What rights does a man have according to this article?"})
    rows.append({"id": "hin-1", "language": "hin", "text": "सभी मनुष्यों को", "text_en": "All human beings",
                 "instruction": "वह क्या कहता है?", "instruction_en": "What does he say?"})
    return rows


def test_augmentation_adds_swapped_copies_and_keeps_originals(pairs):
    result = CounterfactualAugmentation(AugmentConfig(fields="both")).apply(pairs)
    originals = result.records[:len(pairs)]
    assert [r["id"] for r in originals] == [r["id"] for r in pairs]
    assert all(r["counterfactual_of"] is None for r in originals)
    copies = {r["counterfactual_of"]: r for r in result.records[len(pairs):]}
    first = copies["eng-" + pairs[0]["id"].split("-", 1)[1]]
    assert "tell her client" in first["instruction"] and "tell her client" in first["instruction_en"]
    # the output is swapped too: UDHR "his family" -> "her family" where the article has it
    art23 = next(r for r in pairs if "his family" in r["text"])
    assert "her family" in copies[art23["id"]]["text"]
    spa = copies["spa-" + sorted(k for k in copies if k.startswith("spa-"))[0].split("-", 1)[1]]
    assert spa["instruction"] == "¿Qué derechos tiene una mujer según este artículo?"  # the article agrees
    assert "woman" in spa["instruction_en"]
    # Hindi has no swap list: no copy, counted, not silently dropped
    assert "hin-1" not in copies
    assert result.summary["not_copied"]["no_swap_list:hi"] == 1
    assert result.summary["rows_out"] == len(pairs) + result.summary["rows_added"]
    # the input list is not changed in place
    assert "counterfactual_of" not in pairs[0]


def test_augmentation_of_instructions_only_leaves_the_output(pairs):
    result = CounterfactualAugmentation(AugmentConfig()).apply(pairs)
    for copy in result.records[len(pairs):]:
        original = next(r for r in pairs if r["id"] == copy["counterfactual_of"])
        assert copy["text"] == original["text"] and copy["instruction"] != original["instruction"]


def test_token_marking_wraps_the_instruction(pairs):
    result = MarkSynthetic(MarkConfig(open_tag="<|synthetic|>", close_tag="")).apply(pairs[:3])
    assert all(r["instruction"] == "<|synthetic|>" + p["instruction"] for r, p in zip(result.records, pairs))
    assert all(r["text"] == p["text"] for r, p in zip(result.records, pairs))
    assert result.summary["special_tokens"] == ["<|synthetic|>"]
    with pytest.raises(ValueError):
        MarkConfig(open_tag=" ")


def test_spans_line_up_with_the_text(pairs):
    result = GenderedSpans(MaskConfig(fields=["instruction", "text"])).apply(pairs)
    spans = [(r, s) for r in result.records for s in r["gender_spans"]]
    assert len(spans) > len(pairs)
    for record, span in spans:
        assert record[span["field"]][span["start"]:span["end"]] == span["term"]
    terms = {s["term"].lower() for _, s in spans}
    assert {"his", "himself", "hombre"} <= terms
    assert result.summary["rows_without_a_word_list"] == 1  # the Hindi row


@pytest.mark.slow  # importing transformers' tokenizers takes 5-15 s here
def test_label_mask_excludes_exactly_the_tokens_of_gendered_words():
    from muri_gen.assets import smollm2_hf

    folder = smollm2_hf()  # prepared by make setup: a missing asset fails the test
    from transformers import AutoTokenizer

    text = ("Mrs. Bennet deigned not to make any reply, but, unable to contain herself, "
            "began scolding one of her daughters.")
    result = GenderedSpans(MaskConfig(fields=["instruction"], tokenizer=str(folder))).apply(
        [{"id": "austen", "language": "eng", "instruction": text}])
    mask = result.records[0]["label_masks"][0]["mask"]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokens = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert len(mask) == len(tokens["input_ids"])
    masked = [text[a:b].strip() for (a, b), m in zip(tokens["offset_mapping"], mask) if m == 0]
    assert masked == ["Mrs", ".", "herself", "her", "daughters"]
    kept = "".join(text[a:b] for (a, b), m in zip(tokens["offset_mapping"], mask) if m == 1)
    assert "Bennet" in kept and "scolding" in kept
