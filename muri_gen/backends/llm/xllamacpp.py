"""The embedded default LLM: llama.cpp's OpenAI-compatible server (xllamacpp) on 127.0.0.1.

    llm: {kind: llm, type: xllamacpp}                      # SmolLM2-135M-Instruct GGUF, 4 slots
    llm: {kind: llm, type: xllamacpp, model_path: /models/qwen2.5-1.5b-instruct-q4_k_m.gguf}

setup() starts the server in-process on a free port with ``parallel`` slots (continuous
batching) and waits for it; teardown() stops it. Requests go through the same client as the
``openai`` backend, so retries, timeouts, ``n`` candidates and the cache behave identically.
"""
from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field

from muri_gen.backends.llm.openai import ClientConfig, OpenAICompatibleLLM, wait_ready
from muri_gen.optional import require


class XLlamaCppConfig(ClientConfig):
    model_path: str | None = Field(default=None,
                                   description="a GGUF file; default: the SmolLM2 GGUF shipped in a PyPI wheel")
    parallel: int = Field(default=4, ge=1, description="server slots decoding together")
    context_per_slot: int = Field(default=2048, ge=256,
                                  description="tokens (prompt + output) one slot holds; the server's context is "
                                              "parallel x this")
    threads: int | None = Field(default=None, ge=1, description="default: llama.cpp's choice (all cores)")
    prompt_cache: bool = Field(default=True,
                               description="reuse the prefix of earlier prompts a slot or llama.cpp's host-memory "
                                           "cache holds (its default; a request's sampled tokens then depend on "
                                           "what came before it); off, every request reads its whole prompt (a "
                                           "request regenerated after a kill, or a benchmark's twin clients, get "
                                           "the same tokens, with one slot)")
    max_concurrency: int = Field(default=4, ge=1,
                                 description="= parallel: a queued request would spend its timeout waiting")
    timeout: float = Field(default=600.0, gt=0, description="CPU decoding on a shared machine is slow")
    startup_timeout: float = Field(default=120.0, gt=0,
                                   description="seconds the server may take to load the model and answer /health")


class XLlamaCppLLM(OpenAICompatibleLLM):
    name = "xllamacpp"
    Config = XLlamaCppConfig

    def __init__(self, config: XLlamaCppConfig, context=None):
        super().__init__(config, context)
        self._server = None

    @classmethod
    def max_candidates(cls, config: XLlamaCppConfig) -> int:
        return config.parallel  # llama.cpp decodes a request's n completions in n slots: HTTP 400 beyond

    @property
    def model_path(self) -> Path:
        from muri_gen import assets

        return Path(self.config.model_path) if self.config.model_path else assets.smollm2_gguf()

    @property
    def served_model(self) -> str:
        return self.model_path.name.split(".")[0]  # "SmolLM2-135M-Instruct"

    def setup(self) -> None:
        if self._server is not None:
            return
        xllamacpp = require("xllamacpp", "the xllamacpp LLM backend")
        cfg = self.config
        if not self.model_path.is_file():
            raise FileNotFoundError(f"GGUF model not found: {self.model_path}")
        params = xllamacpp.CommonParams()
        params.model.path = str(self.model_path)
        params.n_parallel = cfg.parallel
        params.n_ctx = cfg.parallel * cfg.context_per_slot
        if not cfg.prompt_cache:
            params.cache_prompt = False
            params.cache_ram_mib = 0
            params.cache_idle_slots = False  # it needs the host-memory cache (llama.cpp warns and drops it)
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # a free port, chosen by the server
        # llama.cpp writes its own lines to stderr, five per request at level 3 (info): like other
        # libraries' logs, only its warnings and errors (2) unless third-party INFO is on (--verbose)
        params.verbosity = 3 if logging.getLogger().isEnabledFor(logging.INFO) else 2
        if cfg.threads:
            params.cpuparams.n_threads = cfg.threads
            params.cpuparams_batch.n_threads = cfg.threads
        self._server = xllamacpp.Server(params)
        address = self._server.listening_address.rstrip("/")
        self.base_url = f"{address}/v1"
        wait_ready(f"{address}/health", cfg.startup_timeout)

    async def completion_tokens(self, client, usage: dict, texts: list[str], finish_reasons: list[str]) -> int:
        """llama.cpp's usage counts the first choice only: the others are counted by its tokenizer,
        plus the end-of-turn token of those that stopped on it (as its count of the first does)."""
        total = usage.get("completion_tokens", 0)
        address = self.base_url.removesuffix("/v1")
        for text, reason in zip(texts[1:], finish_reasons[1:]):
            response = await client.post(f"{address}/tokenize", json={"content": text})
            response.raise_for_status()
            total += len(response.json()["tokens"]) + (reason == "stop")
        return total

    def teardown(self) -> None:
        self._server = None  # dropping the last reference stops the server's threads
