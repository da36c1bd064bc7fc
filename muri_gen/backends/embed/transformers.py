"""Any Hugging Face sentence-embedding model by Hub id or folder, for GPU machines:
LaBSE, intfloat/multilingual-e5-large, BAAI/bge-m3, sentence-transformers/paraphrase-multilingual-*.

    embedder: {kind: embedder, type: transformers, model: intfloat/multilingual-e5-large,
               query_prefix: "query: ", passage_prefix: "passage: ", device: cuda}
    embedder: {kind: embedder, type: transformers, model: sentence-transformers/LaBSE, pooling: cls}

Pooling is the model card's: mean over tokens (e5, bge, paraphrase-*) or the first token (LaBSE).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from muri_gen.backends.base import BackendConfig, Embedder
from muri_gen.backends.hub import CHARS_PER_TOKEN, load_pretrained


class TransformersEmbedderConfig(BackendConfig):
    model: str = Field(description="a Hub id or a local folder")
    revision: str | None = Field(default=None, description="a Hub branch, tag or commit; None: the default branch")
    pooling: Literal["mean", "cls"] = Field(default="mean",
                                            description="as the model card says: mean over tokens (e5, bge, "
                                                        "paraphrase-*) or the first token (LaBSE: cls)")
    query_prefix: str = Field(default="", description="e5: \"query: \"")
    passage_prefix: str = Field(default="", description="e5: \"passage: \"")
    languages: list[str] | None = Field(default=None,
                                        description="ISO 639-1/3 codes the model was trained on; None: any")
    max_length: int = Field(default=512, ge=8, description="tokens read per text (the rest is cut)")
    batch_size: int = Field(default=32, ge=1, description="texts per forward pass (memory grows with it)")
    device: str = Field(default="cpu", description="\"cuda\", \"cuda:1\", \"cpu\"")
    local_files_only: bool = Field(default=False, description="also on when HF_HUB_OFFLINE is set")


class TransformersEmbedder(Embedder):
    name = "transformers"
    Config = TransformersEmbedderConfig

    def __init__(self, config: TransformersEmbedderConfig, context=None):
        super().__init__(config, context)
        self._model = None
        self.tokenizer = None
        self.LANGUAGES = frozenset(config.languages or ())

    def covers(self, language: str) -> bool:
        return self.config.languages is None or super().covers(language)

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.config.model, "revision": self.config.revision,
                "pooling": self.config.pooling}

    def setup(self) -> None:
        if self._model is not None:
            return
        from transformers import AutoModel

        self.tokenizer, model = load_pretrained(AutoModel, self.config.model, self.config.revision,
                                                self.config.local_files_only, "embedding")
        self._model = model.to(self.config.device).eval()

    def teardown(self) -> None:
        self._model = None
        self.tokenizer = None

    def embed(self, texts, role):
        import numpy as np
        import torch

        prefix = self.config.query_prefix if role == "query" else self.config.passage_prefix
        cut = self.config.max_length * CHARS_PER_TOKEN
        rows = []
        for start in range(0, len(texts), self.config.batch_size):
            batch = [prefix + t[:cut] for t in texts[start : start + self.config.batch_size]]
            inputs = self.tokenizer(batch, return_tensors="pt", padding=True, truncation=True,
                                    max_length=self.config.max_length).to(self.config.device)
            with torch.inference_mode():
                hidden = self._model(**inputs).last_hidden_state.float()
            if self.config.pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = inputs["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
            rows.append(torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy())
        return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
