"""Reverse instructions from the embedded SmolLM2 server (xllamacpp): through the runner, the request
cache (a second pass sends nothing), and a real server killed and restarted mid-run."""
import json
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from muri_gen.backends.llm.openai import OpenAICompatibleLLM, OpenAIConfig, free_port, wait_ready
from muri_gen.backends.llm.xllamacpp import XLlamaCppConfig, XLlamaCppLLM
from muri_gen.component import StartedContext
from muri_gen.record import Errored
from muri_gen.recipe import load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir
from muri_gen.stages.reverse_instruction import ReverseInstruction, ReverseInstructionConfig

pytestmark = pytest.mark.slow

SERVER = textwrap.dedent("""\
    import sys, time, xllamacpp
    from muri_gen import assets
    params = xllamacpp.CommonParams()
    params.model.path = str(assets.smollm2_gguf())
    params.n_parallel = 2
    params.n_ctx = 4096
    params.hostnames = ["127.0.0.1"]
    params.port = int(sys.argv[1])
    server = xllamacpp.Server(params)
    while True:
        time.sleep(1)
    """)


@pytest.fixture(scope="module")
def english(udhr_rows):
    return [r for r in udhr_rows if r["id"].startswith("udhr-eng-article-")][:6]


def test_the_runner_writes_instructions_with_provenance_and_postfilter_reasons(tmp_path, english):
    rows = [{"id": r["id"], "text": r["text"], "language": "eng"} for r in english]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(textwrap.dedent(f"""\
        name: t
        input: {{path: {tmp_path / 'in.jsonl'}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        backends:
          lid: {{kind: lid, type: fasttext}}
          mt: {{kind: translator, type: apertium}}
          llm: {{kind: llm, type: xllamacpp}}
        stages:
          - {{stage: language_id, backend: lid}}
          - {{stage: translate, translator: mt}}
          - {{stage: reverse_instruction, llm: llm, max_tokens: 40}}
          - {{stage: translate, id: translate_instruction, translator: mt, direction: to_source}}
          - {{stage: postfilter, lid: lid}}
        """))
    stats = run_recipe(load_recipe(tmp_path / "r.yaml"))
    run = RunDir(tmp_path / "out")
    kept, rejected = list(run.kept_records()), list(run.outcome_records("rejected"))
    assert stats["input"] == 6 and stats["errored"] == 0 and len(kept) + len(rejected) == 6
    for record in kept:
        assert record["instruction"] == record["instruction_en"] and record["instruction_en"].strip()
        assert record["prompt"] == {"name": "reverse-instruction", "version": "2"}
        assert record["candidates"][0]["instruction"] == record["instruction"]  # n=1: the one candidate
        assert record["generation"]["backend"] == "xllamacpp" and record["generation"]["model"] == "SmolLM2-135M-Instruct"
        assert record["style"] in ("instruction", "chatbot", "search_query") and record["postfilter"]["passed"]
    for row in rejected:
        assert row["stage"] in ("postfilter", "reverse_instruction") and row["reason"]
    assert any((run.cache / "llm_requests").glob("*.sqlite"))


def test_a_second_pass_replays_the_cache_and_sends_nothing(tmp_path, english):
    llm = XLlamaCppLLM(XLlamaCppConfig(parallel=2))
    llm.setup()
    try:
        context = StartedContext({"llm": llm}, tmp_path)
        stage = ReverseInstruction(ReverseInstructionConfig(max_tokens=24, n=2), context)
        stage.setup()
        records = [{"id": r["id"], "text_en": r["text"]} for r in english[:3]]
        first = stage.process(records)
        attempts = llm.attempts
        second = stage.process(records)
        stage.teardown()
    finally:
        llm.teardown()
    assert attempts == 3 and llm.attempts == 3  # n=2 candidates come from one request each
    for outcome in first:  # both candidates travel on, with what the server said of each
        assert 1 <= len(outcome["candidates"]) <= 2
        assert outcome["instruction_en"] in [c["instruction_en"] for c in outcome["candidates"]]
        assert all(c["finish_reason"] in ("stop", "length") and 0 <= c["prompt_overlap"] <= 1 for c in outcome["candidates"])
    assert [o["instruction_raw"] for o in first] == [o["instruction_raw"] for o in second]
    assert [o["candidates"] for o in first] == [o["candidates"] for o in second]
    assert all(o["generation"]["cached"] for o in second) and not any(o["generation"]["cached"] for o in first)


def test_completion_tokens_count_every_candidate(english):
    """llama.cpp's usage counts the first of n choices only; the backend counts all of them, as the
    model's own tokenizer (transformers, from the model's Hub folder) counts their texts."""
    from transformers import AutoTokenizer

    from muri_gen.assets import smollm2_hf
    from muri_gen.backends.base import ChatRequest, SamplingParams

    tokenizer = AutoTokenizer.from_pretrained(smollm2_hf())
    llm = XLlamaCppLLM(XLlamaCppConfig(parallel=4))
    llm.setup()
    try:
        results = llm.chat([ChatRequest(messages=(("user", f"Write a question this text answers: {r['text']}"),),
                                        sampling=SamplingParams(max_tokens=32, n=4, seed=i))
                            for i, r in enumerate(english[:3])])
    finally:
        llm.teardown()
    for result in results:
        assert not result.error and len(result.texts) == 4
        counted = sum(len(tokenizer(text, add_special_tokens=False)["input_ids"]) + (reason == "stop")
                      for text, reason in zip(result.texts, result.finish_reasons))
        first = len(tokenizer(result.texts[0], add_special_tokens=False)["input_ids"]) + (result.finish_reasons[0] == "stop")
        assert abs(result.completion_tokens - counted) <= 4 and result.completion_tokens > first + 10


def test_a_server_killed_mid_run_errors_the_pending_records_and_a_restart_completes_them(tmp_path, english):
    port = free_port()

    def start():
        process = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stderr=subprocess.DEVNULL)
        wait_ready(f"http://127.0.0.1:{port}/health", 120, process)
        return process

    server = start()
    llm = OpenAICompatibleLLM(OpenAIConfig(base_url=f"http://127.0.0.1:{port}/v1", model="SmolLM2", max_concurrency=2,
                                           max_retries=1, backoff_initial=0.2, timeout=120))
    context = StartedContext({"llm": llm}, tmp_path)
    stage = ReverseInstruction(ReverseInstructionConfig(max_tokens=24), context)
    stage.setup()
    records = [{"id": r["id"], "text_en": r["text"]} for r in english]

    def kill_after_the_first_answer():
        # two requests at a time: the third is sent once the first is answered; three are not sent yet
        while llm.attempts < 3:
            time.sleep(0.001)
        server.send_signal(signal.SIGKILL)

    try:
        killer = threading.Thread(target=kill_after_the_first_answer)
        killer.start()
        first = stage.process(records)
        killer.join()
        server.wait()
        errored = [o for o in first if isinstance(o, Errored)]
        assert 3 <= len(errored) < len(records)
        assert all("Error" in o.error and "failed after 2 attempts" in o.error for o in errored)
        server = start()
        sent = stage.chat.sent
        second = stage.process(records)
    finally:
        server.kill()
        stage.teardown()
    assert all(isinstance(o, dict) and o["instruction_raw"] for o in second)
    assert stage.chat.sent - sent == len(errored)  # the finished ones came from the cache


CLIENT = textwrap.dedent("""\
    import json, sys
    from pathlib import Path
    from muri_gen.backends.base import ChatRequest, SamplingParams
    from muri_gen.backends.llm.cache import CachedChat, RequestCache
    from muri_gen.backends.llm.openai import OpenAICompatibleLLM, OpenAIConfig
    port, folder, n = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    llm = OpenAICompatibleLLM(OpenAIConfig(base_url=f"http://127.0.0.1:{port}/v1", model="SmolLM2",
                                           max_concurrency=2, timeout=600))
    chat = CachedChat(llm, RequestCache(folder))
    requests = [ChatRequest(messages=(("user", f"Write one sentence about the number {i}."),),
                            sampling=SamplingParams(max_tokens=16, seed=i)) for i in range(n)]
    results = chat.chat(requests)
    print(json.dumps({"sent": chat.sent, "answered": sum(r.error is None and bool(r.texts) for r in results)}))
    """)


def stored_requests(folder) -> int:
    import sqlite3

    total = 0
    for path in folder.glob("*.sqlite"):
        with sqlite3.connect(path) as db:
            try:
                total += db.execute("SELECT count(*) FROM requests").fetchone()[0]
            except sqlite3.OperationalError:  # the file is being created
                pass
    return total


def test_a_run_killed_mid_batch_keeps_the_requests_that_finished_and_resends_only_the_rest(tmp_path):
    """A batch of 32 requests to the real server; the client is killed once the cache holds its first
    saved results (well before the batch ends), then run again: it sends only what was not saved."""
    port, folder, n = free_port(), tmp_path / "llm_requests", 32
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}/health", 120, server)
        client = subprocess.Popen([sys.executable, "-c", CLIENT, str(port), str(folder), str(n)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while stored_requests(folder) == 0 and client.poll() is None:
            time.sleep(0.05)
        client.send_signal(signal.SIGKILL)
        client.wait()
        saved = stored_requests(folder)
        assert 0 < saved < n, saved  # saved while the batch ran, not at its end
        again = subprocess.run([sys.executable, "-c", CLIENT, str(port), str(folder), str(n)],
                               capture_output=True, text=True, timeout=900)
    finally:
        server.kill()
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout.splitlines()[-1]) == {"sent": n - saved, "answered": n}
    assert stored_requests(folder) == n
