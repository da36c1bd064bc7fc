"""The LLM judge: parsing a rubric reply, and the embedded SmolLM2 rating real pairs through the
request cache (a second pass sends nothing)."""

import pytest

from muri_gen.backends.llm.cache import CachedChat, RequestCache
from muri_gen.backends.llm.xllamacpp import XLlamaCppConfig, XLlamaCppLLM
from muri_gen.corpora import declarations
from muri_gen.curation.judge import LLMJudge, parse_verdict


@pytest.mark.parametrize("reply, value, reason", [
    ("alignment: 5\ninstruction: 4\nreason: fits and reads well", 0.875, "fits and reads well"),
    ("Alignment = 1\n**Instruction**: 1\nReason: unrelated", 0.0, "unrelated"),
    ("alignment: **3**\ninstruction: 3", 0.5, ""),
])
def test_a_rubric_reply_becomes_a_signal(reply, value, reason):
    verdict = parse_verdict(reply)
    assert verdict.value == value and verdict.reason == reason and verdict.error is None


def test_a_reply_without_both_ratings_gives_no_signal_and_says_why():
    verdict = parse_verdict("The instruction is about education. alignment: 4")
    assert verdict.value is None and verdict.alignment == 4 and verdict.instruction is None
    assert "unparsed reply" in verdict.error


@pytest.mark.slow
def test_the_embedded_model_rates_pairs_once_and_replays_them(tmp_path):
    spanish = dict(declarations(["spa"])[0].sections)
    pairs = [("¿Tiene toda persona derecho a la educación?", spanish["article-26"], "spa"),
             ("hola, ¿cómo te llamas?", spanish["article-4"], "spa")]
    llm = XLlamaCppLLM(XLlamaCppConfig(parallel=2))
    llm.setup()
    cache = RequestCache(tmp_path / "llm_requests")
    try:
        judge = LLMJudge(CachedChat(llm, cache))
        first = judge.rate(pairs)
        sent = judge.chat.sent
        second = judge.rate(pairs)
    finally:
        cache.close()
        llm.teardown()
    assert sent == 2 and judge.chat.sent == 2  # the replay came from the cache
    assert [v.value for v in first] == [v.value for v in second]
    for verdict in first:  # a 135M model may not follow the format: then it says so instead of guessing
        assert (verdict.value is not None and 0 <= verdict.value <= 1) or verdict.error.startswith("unparsed")
    assert judge.name == "pair-judge-v1"
    assert "Spanish" in judge.request(*pairs[0]).messages[1][1]
