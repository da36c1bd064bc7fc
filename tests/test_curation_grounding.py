"""Grounding on real UDHR articles: an instruction is grounded in the article it asks about, more than
in any other article of its language, in a spaced and an unspaced script; words every article
shares weigh little."""
import pytest

from muri_gen.curation.alignment import Query
from muri_gen.curation.grounding import GroundingScorer

SPANISH = {
    "article-4": "¿Está prohibida la esclavitud y la trata de esclavos?",
    "article-14": "¿Puede una persona perseguida buscar asilo en otro país?",
    "article-17": "¿Puede alguien ser privado de su propiedad?",
    "article-18": "¿Incluye la libertad de religión el derecho a cambiar de creencia?",
    "article-26": "¿Debe ser gratuita y obligatoria la educación elemental?",
}
CHINESE = {
    "article-4": "奴隶制度是否被禁止?",
    "article-14": "受到迫害的人可以在其他国家寻求庇护吗?",
    "article-18": "宗教自由包括改变信仰的自由吗?",
    "article-26": "初级教育应当免费吗?",
}


@pytest.fixture(scope="module")
def articles(udhr_rows):
    return {(r["id"].split("-")[1], "article-" + r["id"].rsplit("-", 1)[1]): r["text"]
            for r in udhr_rows if "-article-" in r["id"]}


@pytest.mark.parametrize(("declaration", "language", "asked"), [("spa", "spa", SPANISH), ("cmn_hans", "cmn", CHINESE)])
def test_an_instruction_is_grounded_most_in_the_article_it_asks_about(articles, declaration, language, asked):
    documents = {article: text for (code, article), text in articles.items() if code == declaration}
    assert len(documents) == 30
    # one batch: every instruction with every article, as a batch of candidates meets its documents
    queries = [Query(instruction, text, language) for instruction in asked.values() for text in documents.values()]
    values = iter(native for _, native in GroundingScorer().score(queries))
    for article in asked:
        grounded = {other: next(values) for other in documents}
        runner_up = max(value for other, value in grounded.items() if other != article)
        assert grounded[article] > runner_up, (article, sorted(grounded.items(), key=lambda kv: -kv[1])[:3])


def test_words_every_article_shares_weigh_less_than_the_topic(articles):
    documents = [text for (code, _), text in articles.items() if code == "spa"]
    own = articles[("spa", "article-26")]
    scorer = GroundingScorer()
    topic = "¿Tiene toda persona derecho a la gastronomía?"  # common words found, the topic word not
    queries = [Query(topic, text, "spa") for text in documents]
    value = scorer.score(queries)[documents.index(own)][1]
    # four of its five words (toda, persona, tiene, derecho) are in the article, but they are in most articles
    assert value < 0.5, value


def test_no_instruction_words_or_no_document_give_no_signal():
    scorer = GroundingScorer()
    assert scorer.score([Query("¿?", "Toda persona tiene derecho a la educación.", "spa"),
                         Query("¿Qué es la educación?", None, "spa")]) == [(None, None), (None, None)]
    english_only = scorer.score([Query(None, None, "spa", "Is education free?", "Everyone has the right to education.")])
    assert english_only[0][0] is not None and english_only[0][1] is None
