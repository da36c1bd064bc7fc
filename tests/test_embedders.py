"""Embedder backends: the two embedded models (shapes, norms, languages, batches equal to single
calls) and the transformers path on a tiny BERT built here (pooling checked by hand)."""
import numpy as np
import pytest
import torch

from muri_gen.backends import get_backend
from muri_gen.backends.embed.transformers import TransformersEmbedder
from muri_gen.corpora import declarations

SPANISH = [text for _, text in declarations(["spa"])[0].sections][:12]


@pytest.mark.parametrize("name, dim", [("use", 512), ("e5", 384)])
def test_embedded_models_give_unit_rows_and_batches_match_single_calls(name, dim):
    cls = get_backend("embedder", name)
    embedder = cls(cls.Config(batch_size=5))
    embedder.setup()
    rows = embedder.embed(SPANISH, "passage")
    assert rows.shape == (12, dim)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3)
    single = np.vstack([embedder.embed([t], "passage") for t in SPANISH[:3]])
    assert np.allclose(rows[:3], single, atol=1e-4)
    assert embedder.embed([], "query").shape[0] == 0
    assert embedder.covers("spa") and embedder.covers("es") and not embedder.covers("xyz")


def test_the_transformers_embedder_pools_like_the_model_card_says(tmp_path):
    from tests.test_content_classifier import build_tiny_classifier
    from transformers import AutoModel, AutoTokenizer

    folder = build_tiny_classifier(tmp_path / "bert", "bert", {0: "a", 1: "b"})
    # the tiny model reads 80 positions: max_length cuts the UDHR articles to fit
    mean = TransformersEmbedder(TransformersEmbedder.Config(model=str(folder), query_prefix="query: ", languages=["spa"],
                                                            max_length=64))
    cls_pooled = TransformersEmbedder(TransformersEmbedder.Config(model=str(folder), pooling="cls", max_length=64))
    mean.setup()
    cls_pooled.setup()
    texts = SPANISH[:4]
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    inputs = tokenizer(["query: " + t for t in texts], return_tensors="pt", padding=True, truncation=True, max_length=64)
    with torch.inference_mode():
        hidden = model(**inputs).last_hidden_state
    mask = inputs["attention_mask"].unsqueeze(-1).float()
    by_hand = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    assert np.allclose(mean.embed(texts, "query"), by_hand, atol=1e-5)
    first = cls_pooled.embed(texts, "passage")
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5) and not np.allclose(first, by_hand)
    assert mean.covers("spa") and not mean.covers("cat") and cls_pooled.covers("cat")  # no list: any language
