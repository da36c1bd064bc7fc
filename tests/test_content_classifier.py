"""Classifier backends for content screening: the transformers path on tiny BERT and XLM-R
classifiers built here (random weights, vocabularies trained on UDHR text), the real English
alt-profanity-check model on the UDHR and on abusive sentences, and the content_screen stage with a
classifier through the runner."""
import json
import textwrap

import pytest
import torch

from muri_gen import corpora
from muri_gen.backends import get_backend
from muri_gen.backends.classify.profanity_check import ProfanityCheckClassifier
from muri_gen.backends.classify.transformers import CHARS_PER_TOKEN, TransformersClassifier, default_unsafe_labels
from muri_gen.recipe import RecipeError, load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir

UDHR_ENGLISH = [text for _, text in corpora.declarations(["eng"])[0].sections]
ABUSIVE_ENGLISH = [  # the word lists find at most two terms in each: only a classifier rejects them
    "You are a fucking idiot and everybody at work knows it.",
    "Shut up, you stupid bitch, nobody asked for your opinion.",
    "This is bullshit, you worthless asshole. Get out of my house.",
]


def udhr_texts(*codes):
    return [t for code in codes for _, t in corpora.read_declaration(corpora.udhr_declarations() / f"{code}.html").sections]


def build_tiny_classifier(folder, arch, id2label, problem_type=None, seed=0):
    """A real transformers classifier with random weights and a 500-piece vocabulary trained on the UDHR."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import (BertConfig, BertForSequenceClassification, BertTokenizer, XLMRobertaConfig,
                              XLMRobertaForSequenceClassification, XLMRobertaTokenizer)

    texts = udhr_texts("eng", "spa", "rus")
    if arch == "bert":
        wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
        wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        wordpiece.train_from_iterator(texts, trainers.WordPieceTrainer(
            vocab_size=500, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
        tokenizer = BertTokenizer(vocab=wordpiece.get_vocab())
        config_cls, model_cls = BertConfig, BertForSequenceClassification
    else:
        unigram = Tokenizer(models.Unigram())
        unigram.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        unigram.train_from_iterator(texts, trainers.UnigramTrainer(
            vocab_size=500, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], unk_token="<unk>"))
        tokenizer = XLMRobertaTokenizer(vocab=[tuple(v) for v in json.loads(unigram.to_str())["model"]["vocab"]])
        config_cls, model_cls = XLMRobertaConfig, XLMRobertaForSequenceClassification
    config = config_cls(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=80, pad_token_id=tokenizer.pad_token_id,
                        id2label=id2label, label2id={v: k for k, v in id2label.items()}, problem_type=problem_type,
                        initializer_range=0.5)  # the default 0.02 gives every text a score within 1e-5 of 0.5
    torch.manual_seed(seed)
    model_cls(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return build_tiny_classifier(tmp_path_factory.mktemp("bert"), "bert", {0: "neutral", 1: "toxic"})


def classifier(model, **options):
    backend = TransformersClassifier(TransformersClassifier.Config(model=str(model), **options))
    backend.setup()
    return backend


def by_hand(model_dir, texts, unsafe_ids, sigmoid):
    """What the scores must be: the model's own logits through the activation its labels call for."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    scores = []
    for text in texts:
        with torch.inference_mode():
            logits = model(**tokenizer(text, return_tensors="pt", truncation=True, max_length=64)).logits[0]
        probs = logits.sigmoid() if sigmoid else logits.softmax(-1)
        scores.append(float(probs[unsafe_ids].max() if sigmoid else probs[unsafe_ids].sum()))
    return scores


def test_unsafe_labels_are_read_from_real_models_label_names():
    assert default_unsafe_labels({0: "neutral", 1: "toxic"}) == ["toxic"]  # textdetox, s-nlp
    assert default_unsafe_labels({0: "non-toxic", 1: "toxic"}) == ["toxic"]  # martin-ha
    assert default_unsafe_labels({0: "not_toxic", 1: "toxic"}) == ["toxic"]  # citizenlab
    assert default_unsafe_labels({0: "non-offensive", 1: "offensive"}) == ["offensive"]  # cardiffnlp
    assert default_unsafe_labels({0: "toxic"}) == ["toxic"]  # unitary/multilingual-toxic-xlm-roberta: one logit
    jigsaw = {0: "toxic", 1: "severe_toxic", 2: "obscene", 3: "threat", 4: "insult", 5: "identity_hate"}
    assert default_unsafe_labels(jigsaw) == list(jigsaw.values())  # unitary/toxic-bert
    assert default_unsafe_labels({0: "LABEL_0", 1: "LABEL_1"}) == ["LABEL_1"]  # binary, unnamed: class 1
    assert default_unsafe_labels({0: "OK", 1: "S", 2: "H", 3: "V"}) == []  # KoalaAI-style codes: must be configured


@pytest.mark.parametrize("arch, id2label, problem_type, unsafe, unsafe_ids, sigmoid", [
    ("bert", {0: "neutral", 1: "toxic"}, None, None, [1], False),
    ("bert", {0: "neutral", 1: "toxic"}, None, ["neutral"], [0], False),  # configured labels win over names
    ("xlmr", {0: "toxic"}, None, None, [0], True),  # one logit: its sigmoid
    ("xlmr", {0: "toxic", 1: "obscene", 2: "neutral"}, "multi_label_classification", None, [0, 1], True),
])
def test_scores_follow_the_label_mapping(tmp_path, arch, id2label, problem_type, unsafe, unsafe_ids, sigmoid):
    folder = build_tiny_classifier(tmp_path, arch, id2label, problem_type)
    backend = classifier(folder, unsafe_labels=unsafe, max_length=64)
    assert (backend.unsafe_ids, backend.sigmoid) == (unsafe_ids, sigmoid)
    texts = UDHR_ENGLISH[:3] + ABUSIVE_ENGLISH + [""]
    scores = backend.score(texts)
    assert len(scores) == len(texts) and all(0 <= s <= 1 for s in scores)
    assert scores == pytest.approx(by_hand(folder, texts, unsafe_ids, sigmoid), abs=1e-5)
    assert backend.describe()["unsafe_labels"] == [id2label[i] for i in unsafe_ids]


def test_bad_label_configurations_fail_at_setup_naming_the_labels(tmp_path, tiny_bert):
    with pytest.raises(ValueError, match=r"\['hateful'\] are not labels of the model \(its labels: 'neutral', 'toxic'\)"):
        classifier(tiny_bert, unsafe_labels=["hateful"])
    with pytest.raises(ValueError, match="every text would score 1"):
        classifier(tiny_bert, unsafe_labels=["neutral", "toxic"])
    coded = build_tiny_classifier(tmp_path, "bert", {0: "OK", 1: "S", 2: "H"})
    with pytest.raises(ValueError, match=r"cannot tell which labels mean unsafe .*'OK', 'S', 'H'.*set unsafe_labels"):
        classifier(coded)
    assert classifier(coded, unsafe_labels=["S", "H"]).unsafe_ids == [1, 2]


def test_batches_give_the_scores_of_one_text_at_a_time(tiny_bert):
    texts = udhr_texts("spa", "rus")[:9] + ABUSIVE_ENGLISH  # lengths from 20 to 2,000 characters: padding differs
    batched = classifier(tiny_bert, batch_size=4, max_length=64).score(texts)
    one_by_one = classifier(tiny_bert, batch_size=1, max_length=64)
    assert batched == pytest.approx([one_by_one.score([t])[0] for t in texts], abs=1e-5)
    assert len(set(round(s, 6) for s in batched)) > 1  # the texts really got different scores


def test_a_5_mb_text_is_cut_to_max_length_tokens(tiny_bert):
    backend = classifier(tiny_bert, max_length=32)
    head = " ".join(udhr_texts("eng"))
    huge = (head + " ") * (5_000_000 // len(head) + 1)
    assert len(huge) > 5_000_000 and len(backend.tokenizer(head[:1000])["input_ids"]) > 32
    tokenizer, tokenized = backend.tokenizer, []
    backend.tokenizer = lambda texts, **options: tokenized.extend(map(len, texts)) or tokenizer(texts, **options)
    score = backend.score([huge])[0]
    assert tokenized == [32 * CHARS_PER_TOKEN]  # cut before tokenizing: all 5 MB take ~9 s on this machine
    backend.tokenizer = tokenizer
    assert score == pytest.approx(backend.score([head[:1000]])[0], abs=1e-6)  # only the first 32 tokens count


def test_a_hub_model_missing_offline_fails_with_a_clear_error():
    # conftest sets HF_HUB_OFFLINE: nothing may be downloaded, and the error says why
    backend = TransformersClassifier(TransformersClassifier.Config(model="textdetox/bert-multilingual-toxicity-classifier"))
    with pytest.raises(OSError, match="cannot load the classifier model 'textdetox/.*offline"):
        backend.setup()


def test_supported_languages_are_iso_codes_with_their_macrolanguage_family():
    config = TransformersClassifier.Config(model="unused", languages=["es", "zho", "hrv"])
    backend = TransformersClassifier(config)
    assert config.languages == ["spa", "zho", "hrv"]
    assert [backend.supports(c) for c in ("spa", "cmn", "zho", "hbs", "eng")] == [True, True, True, True, False]
    assert TransformersClassifier(TransformersClassifier.Config(model="unused")).supports("kal")
    english = ProfanityCheckClassifier(ProfanityCheckClassifier.Config())
    assert english.supports("eng") and not english.supports("spa")
    assert get_backend("classifier", "profanity_check") is ProfanityCheckClassifier


def test_profanity_check_separates_the_udhr_from_abuse():
    backend = ProfanityCheckClassifier(ProfanityCheckClassifier.Config(batch_size=7))
    udhr = backend.score(UDHR_ENGLISH)
    assert len(udhr) == len(UDHR_ENGLISH) == 31 and max(udhr) < 0.3  # highest: "right to life, liberty ..." 0.23
    abuse = backend.score(ABUSIVE_ENGLISH + ["Go fuck yourself, motherfucker."])
    assert min(abuse) > 0.9
    assert udhr == ProfanityCheckClassifier(ProfanityCheckClassifier.Config()).score(UDHR_ENGLISH)  # batching
    described = backend.describe()
    assert described["package"].startswith("alt-profanity-check 1.") and described["languages"] == ["eng"]


def write_recipe(tmp_path, corpus, backends, screen, languages="[eng, spa]"):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: t
        languages: {languages}
        input: {{path: {corpus}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        executor: {{shard_size: 64, batch_size: 16}}
        backends:
          lid: {{kind: lid, type: fasttext}}
        """) + "".join(f"  {line}\n" for line in backends) + textwrap.dedent(f"""\
        stages:
          - {{stage: normalize}}
          - {{stage: language_id, backend: lid, min_confidence: 0.5}}
          - {screen}
        sinks: [{{sink: filtered_records, format: jsonl}}]
        """))
    return recipe


def test_the_stage_records_which_rule_fired(tmp_path, write_jsonl):
    rows = [{"id": f"eng-{i}", "text": t} for i, t in enumerate(UDHR_ENGLISH)]
    spanish = [t for t in udhr_texts("spa") if len(t) > 300][:10]  # long enough for LID to tell it from Portuguese
    rows += [{"id": f"spa-{i}", "text": t} for i, t in enumerate(spanish)]
    rows += [{"id": f"abuse-{i}", "text": t} for i, t in enumerate(ABUSIVE_ENGLISH)]
    rows += [{"id": "both", "text": "Go fuck yourself, motherfucker, and take your shit with you."},
             {"id": "spa-wordlist", "text": "Eres un gilipollas de mierda, cabrón, vete a la mierda."},
             {"id": "spa-insult", "text": "Cállate, idiota, nadie te ha preguntado nada."}]
    recipe = write_recipe(tmp_path, write_jsonl(rows), ["tox: {kind: classifier, type: profanity_check}"],
                          "{stage: content_screen, classifier: tox, classifier_threshold: 0.5}")
    stats = run_recipe(load_recipe(recipe))
    run = RunDir(tmp_path / "out")
    rejected = {r["id"]: r["detail"] for r in run.outcome_records("rejected")}
    assert set(rejected) == {"abuse-0", "abuse-1", "abuse-2", "both", "spa-wordlist"}
    assert stats["by_reason"] == {"content_screen:screened_content": 5}
    for i in range(3):  # the word lists let these through: the classifier fired alone
        detail = rejected[f"abuse-{i}"]
        assert detail["rule"] == "classifier:profanity_check" and detail["classifier_score"] > 0.9
        assert detail["hits"] < 3 and detail["classifier"]["backend"] == "profanity_check"
    assert rejected["both"]["rule"] == "wordlist:eng+classifier:profanity_check"
    # Spanish is not the classifier's: word lists alone, and the record says so
    assert rejected["spa-wordlist"]["rule"] == "wordlist:spa" and rejected["spa-wordlist"]["classifier_score"] is None
    kept = {r["id"]: r["screen"] for r in run.kept_records()}
    assert len(kept) == 31 + 10 + 1
    assert kept["spa-insult"]["classifier"] is None and kept["spa-insult"]["classifier_score"] is None
    assert all(kept[f"eng-{i}"]["classifier"] == "profanity_check" and kept[f"eng-{i}"]["classifier_score"] < 0.5
               for i in range(31))
    rows = [json.loads(line) for line in (tmp_path / "out" / "filtered" / "records.jsonl").read_text().splitlines()]
    assert {r["id"]: r["screen_classifier_score"] for r in rows}["spa-insult"] is None


def test_the_stage_scores_with_a_transformers_model_in_its_languages_only(tmp_path, tiny_bert, write_jsonl):
    texts = UDHR_ENGLISH[:6] + [t for t in udhr_texts("spa") if len(t) > 300][:6]
    scores = classifier(tiny_bert, max_length=64).score(texts[:6])
    # random weights: the threshold sits in the middle of the widest gap between two scores, far from
    # every score, so batching noise (~1e-7) cannot move a text across it
    ranked = sorted(scores)
    low, high = max(zip(ranked, ranked[1:]), key=lambda pair: pair[1] - pair[0])
    assert high - low > 1e-3, ranked
    threshold = (low + high) / 2
    recipe = write_recipe(tmp_path, write_jsonl([{"id": f"r{i}", "text": t} for i, t in enumerate(texts)]),
                          [f"tox: {{kind: classifier, type: transformers, model: '{tiny_bert}', max_length: 64, "
                           "languages: [eng]}"],
                          f"{{stage: content_screen, classifier: tox, classifier_threshold: {threshold}}}")
    run_recipe(load_recipe(recipe))
    run = RunDir(tmp_path / "out")
    rejected = {r["id"]: r["detail"] for r in run.outcome_records("rejected")}
    assert len(list(run.kept_records())) + len(rejected) == 12
    assert set(rejected) == {f"r{i}" for i, s in enumerate(scores) if s > threshold} and 1 <= len(rejected) <= 5
    assert all(d["rule"] == "classifier:transformers" and d["classifier"]["unsafe_labels"] == ["toxic"]
               for d in rejected.values())
    kept = {r["id"]: r["screen"] for r in run.kept_records()}
    assert all(kept[f"r{i}"]["classifier_score"] is None for i in range(6, 12))  # Spanish: word lists only
    assert {kept[k]["classifier"] for k in kept if k in {f"r{i}" for i in range(6)}} == {f"transformers:{tiny_bert}"}


@pytest.mark.parametrize("backends, screen, message", [
    ([], "{stage: content_screen, classifier: tox}", "stages.2.classifier: no backend named 'tox' in 'backends'"),
    ([], "{stage: content_screen, classifier: lid}", "stages.2.classifier: backend 'lid' is a lid, not a classifier"),
    (["tox: {kind: classifier, type: profanity_check}"], "{stage: content_screen, classifier: tox}",
     "classifier 'tox' (profanity_check) reads none of the recipe's languages (spa)"),
    (["tox: {kind: classifier, type: transformers, model: m, languages: [fra]}"], "{stage: content_screen, classifier: tox}",
     "classifier 'tox' (transformers) reads none of the recipe's languages (spa)"),
    (["tox: {kind: classifier, type: detoxify}"], "{stage: content_screen, classifier: tox}", "detoxify"),
])
def test_a_wrong_classifier_fails_at_load(tmp_path, write_jsonl, backends, screen, message):
    recipe = write_recipe(tmp_path, write_jsonl([{"id": "a", "text": "hola"}]), backends, screen, languages="[spa]")
    with pytest.raises(RecipeError) as error:
        load_recipe(recipe)
    assert message in str(error.value)
