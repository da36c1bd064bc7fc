"""Faults a real server cannot produce on demand, from a stub: HTTP 500/429/400, malformed JSON,
a response cut in half, a stall. The client retries what can succeed, fails the rest with its
reason, and the stage errors those records; a second pass (a resumed run) completes them from the
server plus the cache, without resending finished requests."""

import pytest

from muri_gen.backends.base import ChatRequest, SamplingParams
from muri_gen.backends.llm.openai import OpenAICompatibleLLM, OpenAIConfig
from muri_gen.component import StartedContext
from muri_gen.record import Errored
from muri_gen.stages.reverse_instruction import ReverseInstruction, ReverseInstructionConfig
from tests.llm_fault_stub import FaultStub


def client(stub, **options) -> OpenAICompatibleLLM:
    defaults = {"backoff_initial": 0.01, "max_retries": 2, "timeout": 5}
    config = OpenAIConfig(base_url=stub.base_url, model="stub", **(defaults | options))
    return OpenAICompatibleLLM(config)


def request(text="Everyone has the right to life, liberty and security of person.", n=1):
    return ChatRequest(messages=(("user", f"Text:\n{text}"),), sampling=SamplingParams(max_tokens=16, n=n, seed=1))


@pytest.mark.parametrize("fault", ["500", "429", "malformed", "cut"])
def test_transient_faults_are_retried_until_the_server_answers(fault):
    with FaultStub([fault, fault]) as stub:
        llm = client(stub)
        [result] = llm.chat([request(n=2)])
    assert result.error is None and stub.received == 3 and llm.attempts == 3
    assert result.texts == ["Instruction: What does 'Everyone has the right' mean?"] * 2
    assert result.completion_tokens == 8


@pytest.mark.parametrize("fault, reason", [("500", "HTTP 500"), ("429", "HTTP 429"), ("malformed", "malformed response"),
                                           ("cut", "RemoteProtocolError")])
def test_a_fault_that_persists_fails_the_request_with_its_reason(fault, reason):
    with FaultStub([fault] * 3) as stub:
        [result] = client(stub).chat([request()])
    assert stub.received == 3
    assert result.texts == [] and "failed after 3 attempts" in result.error and reason in result.error


def test_a_client_error_is_not_retried():
    with FaultStub(["400"]) as stub:
        [result] = client(stub).chat([request()])
    assert stub.received == 1 and result.error.startswith("HTTP 400 (not retried)")


def test_a_stalled_server_times_out_and_only_that_request_fails():
    with FaultStub(["stall"], stall_seconds=60) as stub:
        # far below the stall, far above an answer from this machine even when it is loaded
        llm = client(stub, timeout=5, max_retries=0, max_concurrency=4)
        results = llm.chat([request("first document here."), request("second document here.")])
    failed = [r for r in results if r.error]
    assert len(failed) == 1 and "ReadTimeout" in failed[0].error
    assert [r.texts for r in results if not r.error] in ([["Instruction: What does 'first document here.' mean?"]],
                                                         [["Instruction: What does 'second document here.' mean?"]])


def test_the_api_key_comes_from_the_environment_and_never_from_describe(monkeypatch):
    monkeypatch.setenv("MURI_TEST_KEY", "sk-secret-123")
    with FaultStub() as stub:
        llm = client(stub, api_key_env="MURI_TEST_KEY")
        assert llm.chat([request()])[0].error is None
        assert llm._headers() == {"Authorization": "Bearer sk-secret-123"}
    assert "sk-secret" not in repr(llm.describe()) and "sk-secret" not in llm.config.model_dump_json()
    monkeypatch.delenv("MURI_TEST_KEY")
    with pytest.raises(RuntimeError, match="MURI_TEST_KEY"):
        llm.setup()


def test_errored_records_complete_on_the_resumed_pass_without_resending_the_others(tmp_path, udhr_rows):
    english = [r for r in udhr_rows if r["id"].startswith("udhr-eng-")][:6]
    records = [{"id": r["id"], "text_en": r["text"]} for r in english]
    with FaultStub(["500"] * 3 + ["400"]) as stub:  # the first request fails 3 times, the second once for good
        llm = client(stub, max_concurrency=1)
        context = StartedContext({"llm": llm}, tmp_path)
        stage = ReverseInstruction(ReverseInstructionConfig(), context)
        stage.setup()
        first = stage.process(records)
        errored = [i for i, o in enumerate(first) if isinstance(o, Errored)]
        assert len(errored) == 2 and sorted(o.error.split(":")[1].strip()[:8] for o in first if isinstance(o, Errored)) \
            == ["HTTP 400", "failed a"]
        assert all(o["instruction_en"].startswith("What does") for o in first if isinstance(o, dict))
        sent = stage.chat.sent
        second = stage.process(records)
        stage.teardown()
    assert all(isinstance(o, dict) for o in second)
    assert stage.chat.sent - sent == 2  # only the two failed requests went out again
    assert [second[i]["generation"]["cached"] for i in range(6)] == [i not in errored for i in range(6)]
    assert list((tmp_path / "llm_requests").glob("*.sqlite"))  # this process's cache file
