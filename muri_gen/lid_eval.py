"""Language-ID accuracy on UDHR articles ("paragraphs") of 71 languages, with the confusions named.

Predictions go through the language_id stage's own decision (script check, macrolanguage sums)
with no threshold. ``accuracy``: the prediction names the document's language or its
macrolanguage (Standard Arabic "arb" labelled "ara" is right). ``sibling_accuracy`` also counts
a sibling inside the macrolanguage as right (hr/sr/bs, id/ms), the confusions a recipe targeting
``hbs`` or ``msa`` does not see. Confusions list (true, predicted, count).
"""
from __future__ import annotations

from collections import Counter

from muri_gen import languages
from muri_gen.backends import get_backend
from muri_gen.corpora import declarations, documents
from muri_gen.text import dominant_script
from muri_gen.record import Rejected
from muri_gen.stages.language_id import choose_language
from muri_gen.stages.normalize import normalize_text

# UDHR files of languages that lid.176, CLD2 and py3langid all know, across 20 scripts.
EVAL_DECLARATIONS = (
    "afr arb hye azj_latn eus bel ben bos_latn bul cat ceb cmn_hans hrv ces dan nld eng epo est fin fra glg "
    "kat deu_1996 ell_monotonic guj heb hin hun isl ind gle ita jpn kan kaz kor kir lav lit mkd mal mar nep "
    "nob pes_1 pol por_PT pan ron_2006 rus srp_cyrl slk slv spa swh swe tgl tam tel tha tur ukr urd vie cym "
    "sin khm mya amh mly_latn"
).split()


def eval_documents(codes: list[str] = EVAL_DECLARATIONS, short_chars: int | None = None) -> list[tuple[str, str]]:
    """(text, true ISO 639-3) pairs; ``short_chars`` cuts each document to its first N characters."""
    pairs = []
    for declaration in declarations(codes):
        truth = languages.get(declaration.iso6393).code
        for doc in documents(declaration):
            text = normalize_text(doc["text"])
            pairs.append((text[:short_chars] if short_chars else text, truth))
    return pairs


def same_language(truth: str, predicted: str, siblings: bool) -> bool:
    if languages.covers(truth, predicted):
        return True
    return siblings and languages.macrolanguage(truth) == languages.macrolanguage(predicted)


def evaluate(backend_type: str, pairs: list[tuple[str, str]], **options) -> dict:
    cls = get_backend("lid", backend_type)
    backend = cls(cls.Config(**options))
    backend.setup()
    ranked = backend.identify_ranked([text for text, _ in pairs])
    predicted = []
    for (text, _), predictions in zip(pairs, ranked):
        chosen = choose_language(predictions, dominant_script(text)[0], None, lambda _: 0.0)
        predicted.append("und" if isinstance(chosen, Rejected) else chosen[0])
    confusions: Counter = Counter()
    right = siblings = 0
    for (_, truth), language in zip(pairs, predicted):
        right += same_language(truth, language, siblings=False)
        siblings += same_language(truth, language, siblings=True)
        if not same_language(truth, language, siblings=False):
            confusions[(truth, language)] += 1
    n = len(pairs) or 1
    return {
        "backend": backend_type, "documents": len(pairs), "languages": len({t for _, t in pairs}),
        "accuracy": round(right / n, 4), "sibling_accuracy": round(siblings / n, 4),
        "confusions": [[truth, language, count] for (truth, language), count in confusions.most_common(12)],
    }
