"""Any OpenAI-compatible chat endpoint: vllm serve, TGI, llama.cpp, hosted APIs.

    llm: {kind: llm, type: openai, base_url: "http://gpu-node:8000/v1", model: Qwen/Qwen2.5-7B-Instruct,
          api_key_env: OPENAI_API_KEY, max_concurrency: 64}
    llm: {kind: llm, type: openai, launch: vllm, model: /models/Qwen2.5-7B-Instruct,
          launch_args: [--tensor-parallel-size, "2"]}

One batch is sent concurrently (bounded by ``max_concurrency``) so the server's continuous
batching stays full. Connection errors, timeouts, broken responses, 429 and 5xx are retried
with exponential backoff; any other 4xx cannot succeed and fails at once. A request that still
fails comes back as a ChatResult with ``error`` (never raised), so the stage errors that record
and a resumed run sends it again. The API key is read from the environment variable the recipe
names; it never reaches describe(), logs or the saved recipe.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import subprocess
import sys
import time
from typing import Literal

from pydantic import Field

from muri_gen.backends.base import LLM, BackendConfig, ChatRequest, ChatResult, OnResult
from muri_gen.event_loop import run_coroutine
from muri_gen.optional import require
from muri_gen.redact import secret_env

log = logging.getLogger("muri_gen")


class ClientConfig(BackendConfig):
    """How requests are sent; shared by every backend that talks to an OpenAI-compatible server."""

    api_key_env: str | None = Field(default=None, description="name of the environment variable holding the key")
    max_concurrency: int = Field(default=32, ge=1, description="requests in flight at once (the server batches them)")
    timeout: float = Field(default=300.0, gt=0, description="seconds for one response (long generations)")
    connect_timeout: float = Field(default=10.0, gt=0, description="seconds to open a connection")
    max_retries: int = Field(default=5, ge=0,
                             description="attempts after a connection error, timeout, 429 or 5xx; then the record "
                                         "errors (a resumed run sends it again)")
    backoff_initial: float = Field(default=1.0, ge=0, description="seconds; doubled per retry, with jitter")
    backoff_max: float = Field(default=60.0, ge=0, description="seconds: the longest wait between two attempts")


class OpenAIConfig(ClientConfig):
    base_url: str = Field(default="http://127.0.0.1:8000/v1",
                          description="ignored with launch (the launched server's address)")
    model: str = Field(description="the served model name (with launch: the model folder or Hub id)")
    launch: Literal["vllm"] | None = Field(default=None,
                                           description="start `python -m vllm.entrypoints.openai.api_server` here")
    launch_args: list[str] = Field(default_factory=list, description="extra server flags, e.g. [--dtype, bfloat16]")
    launch_env: dict[str, str] = Field(default_factory=dict, description="e.g. {VLLM_CPU_KVCACHE_SPACE: \"2\"}")
    startup_timeout: float = Field(default=900.0, gt=0,
                                   description="with launch: seconds the server may take to load the model and "
                                               "answer /health")


def _httpx():
    return require("httpx", "the OpenAI-compatible LLM client")


class RetryableError(Exception):
    pass


class OpenAICompatibleLLM(LLM):
    name = "openai"
    Config = OpenAIConfig

    def __init__(self, config: ClientConfig, context=None):
        super().__init__(config, context)
        self.base_url = getattr(config, "base_url", "").rstrip("/")
        self.attempts = 0  # HTTP requests sent, retries included (tests and benchmarks read it)
        self._process: subprocess.Popen | None = None

    @property
    def served_model(self) -> str:
        return self.config.model

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.served_model}

    def setup(self) -> None:
        _httpx()  # a missing client package or API key fails the run at start, not every request
        self._headers()
        if getattr(self.config, "launch", None) == "vllm" and self._process is None:
            self._launch_vllm()

    def teardown(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def _launch_vllm(self) -> None:
        port = free_port()
        command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--host", "127.0.0.1",
                   "--port", str(port), "--model", self.config.model, *self.config.launch_args]
        log.info("launching vLLM server: %s", " ".join(command))
        self._process = subprocess.Popen(command, env={**os.environ, **self.config.launch_env})
        self.base_url = f"http://127.0.0.1:{port}/v1"
        wait_ready(f"http://127.0.0.1:{port}/health", self.config.startup_timeout, self._process)

    # -- requests ---------------------------------------------------------------------------
    def chat(self, requests: list[ChatRequest], on_result: OnResult | None = None) -> list[ChatResult]:
        if not requests:
            return []
        return run_coroutine(self._chat_all(requests, on_result))  # also inside a running loop (Jupyter)

    def _headers(self) -> dict[str, str]:
        env = self.config.api_key_env
        if env is None:
            return {}
        key = secret_env(env)
        if not key:
            raise RuntimeError(f"the environment variable {env} (api_key_env) is not set")
        return {"Authorization": f"Bearer {key}"}

    async def _chat_all(self, requests: list[ChatRequest], on_result: OnResult | None) -> list[ChatResult]:
        httpx = _httpx()
        cfg = self.config
        timeout = httpx.Timeout(cfg.timeout, connect=cfg.connect_timeout)
        limits = httpx.Limits(max_connections=cfg.max_concurrency, max_keepalive_connections=cfg.max_concurrency)
        semaphore = asyncio.Semaphore(cfg.max_concurrency)
        async with httpx.AsyncClient(timeout=timeout, limits=limits, headers=self._headers()) as client:
            async def one(i: int, request: ChatRequest) -> ChatResult:
                async with semaphore:
                    result = await self._send_with_retries(client, request)
                if on_result is not None:
                    on_result(i, result)
                return result
            return list(await asyncio.gather(*(one(i, r) for i, r in enumerate(requests))))

    def payload(self, request: ChatRequest) -> dict:
        s = request.sampling
        body = {"model": self.served_model, "messages": [{"role": r, "content": c} for r, c in request.messages],
                "temperature": s.temperature, "top_p": s.top_p, "max_tokens": s.max_tokens, "n": s.n}
        if s.top_k > 0:
            body["top_k"] = s.top_k  # vLLM, TGI and llama.cpp accept it; OpenAI ignores unknown keys
        if s.seed is not None:
            body["seed"] = s.seed
        if s.stop:
            body["stop"] = list(s.stop)
        return body

    async def _send_with_retries(self, client, request: ChatRequest) -> ChatResult:
        cfg = self.config
        body = self.payload(request)
        error = ""
        for attempt in range(cfg.max_retries + 1):
            if attempt:
                delay = min(cfg.backoff_max, cfg.backoff_initial * 2 ** (attempt - 1))
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
            try:
                return await self._send(client, body)
            except RetryableError as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001 - a failed request is a result, never raised
                return ChatResult(error=str(exc))
        return ChatResult(error=f"failed after {cfg.max_retries + 1} attempts: {error}")

    async def _send(self, client, body: dict) -> ChatResult:
        httpx = _httpx()
        self.attempts += 1
        try:
            response = await client.post(f"{self.base_url}/chat/completions", json=body)
        except httpx.TransportError as exc:  # connection refused/reset, timeouts, a cut response
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise RuntimeError(f"HTTP {response.status_code} (not retried): {response.text[:300]}")
        try:
            data = response.json()
            choices = sorted(data["choices"], key=lambda choice: choice.get("index", 0))
            texts = [choice["message"]["content"] or "" for choice in choices]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a proxy or a crashing server sent garbage
            raise RetryableError(f"malformed response: {type(exc).__name__}: {response.text[:120]!r}") from exc
        usage = data.get("usage") or {}
        finish_reasons = [str(choice.get("finish_reason") or "") for choice in choices]
        return ChatResult(texts=texts, finish_reasons=finish_reasons, prompt_tokens=usage.get("prompt_tokens", 0),
                          completion_tokens=await self.completion_tokens(client, usage, texts, finish_reasons))

    async def completion_tokens(self, client, usage: dict, texts: list[str], finish_reasons: list[str]) -> int:
        """Of every choice, as OpenAI's API and vLLM count them."""
        return usage.get("completion_tokens", 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early when the server process died."""
    httpx = _httpx()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the LLM server exited with code {process.returncode} before it was ready")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the LLM server at {url} was not ready after {timeout:.0f} s")
