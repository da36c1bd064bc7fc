"""Any Hugging Face sequence-classification model as a content classifier, from a Hub id or a
local folder: textdetox/bert-multilingual-toxicity-classifier (neutral/toxic),
unitary/multilingual-toxic-xlm-roberta (one "toxic" logit), unitary/toxic-bert (six labels).

The unsafe probability is the summed softmax of the unsafe labels, or, for a model with one
output or trained multi-label, the largest sigmoid among them. Which labels are unsafe is
``unsafe_labels``, or read from the label names (see ``default_unsafe_labels``); either is checked
against the model's ``id2label`` at setup. The model reads the first ``max_length`` tokens only.
"""
from __future__ import annotations

import regex
from pydantic import Field

from muri_gen.languages import LanguageCode
from muri_gen.backends.classify.base import ClassifierConfig, ContentClassifier, supported
from muri_gen.backends.hub import CHARS_PER_TOKEN, load_pretrained

_UNSAFE = r"toxic|offens|hate|unsafe|abus|insult|obscen|profan|threat|harass|nsfw|vulgar"
UNSAFE_NAME = regex.compile(_UNSAFE, regex.IGNORECASE)
NEGATED_NAME = regex.compile(rf"(?:non|not|no)[\s_-]?(?:{_UNSAFE})", regex.IGNORECASE)  # non-toxic, not_offensive
GENERIC_NAME = regex.compile(r"LABEL_\d+")


class TransformersClassifierConfig(ClassifierConfig):
    model: str = Field(description="a Hub id or a local folder")
    revision: str | None = Field(default=None, description="a Hub branch, tag or commit; None: the default branch")
    unsafe_labels: list[str] | None = Field(default=None,
                                            description="label names counted as unsafe; None: read from the names")
    max_length: int = Field(default=512, ge=8, description="tokens read per text (the rest is cut)")
    languages: list[LanguageCode] | None = Field(default=None,
                                                 description="ISO 639-3 codes the model was trained on; None = any")
    device: str = Field(default="cpu", description="\"cuda\", \"cuda:1\", \"cpu\"")
    local_files_only: bool = Field(default=False, description="also on when HF_HUB_OFFLINE is set")


def default_unsafe_labels(id2label: dict[int, str]) -> list[str]:
    """Labels whose name says unsafe (toxic, offensive, hate...; not "non-toxic"); the only label of a
    one-output model; label 1 of a binary model with unnamed labels (LABEL_0, LABEL_1)."""
    names = [id2label[i] for i in sorted(id2label)]
    if len(names) == 1:
        return names
    named = [n for n in names if UNSAFE_NAME.search(n) and not NEGATED_NAME.match(n)]
    if named:
        return named
    if len(names) == 2 and all(GENERIC_NAME.fullmatch(n) for n in names):
        return [names[1]]
    return []


class TransformersClassifier(ContentClassifier):
    name = "transformers"
    Config = TransformersClassifierConfig

    def __init__(self, config: TransformersClassifierConfig, context=None):
        super().__init__(config, context)
        self._model = None
        self.tokenizer = None
        self.unsafe_ids: list[int] = []
        self.unsafe_names: list[str] = []
        self.sigmoid = False

    def supports(self, language: str) -> bool:
        return supported(language, self.config.languages)

    def setup(self) -> None:
        if self._model is not None:
            return
        from transformers import AutoModelForSequenceClassification

        tokenizer, model = load_pretrained(AutoModelForSequenceClassification, self.config.model, self.config.revision,
                                           self.config.local_files_only, "classifier")
        self.unsafe_ids, self.sigmoid = self.label_mapping(model.config)
        self.unsafe_names = [model.config.id2label[i] for i in self.unsafe_ids]
        self.tokenizer = tokenizer
        self._model = model.to(self.config.device).eval()

    def label_mapping(self, model_config) -> tuple[list[int], bool]:
        """(indices of the unsafe labels, whether outputs are independent sigmoids); a clear error
        when the configured labels are not the model's or no label can be told unsafe."""
        id2label = {int(i): name for i, name in model_config.id2label.items()}
        ids = {name: i for i, name in id2label.items()}
        wanted = self.config.unsafe_labels if self.config.unsafe_labels is not None else default_unsafe_labels(id2label)
        listing = ", ".join(repr(id2label[i]) for i in sorted(id2label))
        missing = [name for name in wanted if name not in ids]
        if missing:
            raise ValueError(f"classifier {self.config.model!r}: unsafe_labels {missing} are not labels of the model "
                             f"(its labels: {listing})")
        if not wanted:
            raise ValueError(f"classifier {self.config.model!r}: cannot tell which labels mean unsafe from their names "
                             f"({listing}); set unsafe_labels")
        sigmoid = len(id2label) == 1 or model_config.problem_type == "multi_label_classification"
        if not sigmoid and len(set(wanted)) == len(id2label):
            raise ValueError(f"classifier {self.config.model!r}: every label ({listing}) is in unsafe_labels, "
                             "so every text would score 1")
        return sorted(ids[name] for name in set(wanted)), sigmoid

    def teardown(self) -> None:
        self._model = None
        self.tokenizer = None

    def score(self, texts: list[str]) -> list[float]:
        import torch

        self.setup()
        cut = self.config.max_length * CHARS_PER_TOKEN
        # longest first, so each batch pads to texts of similar length
        order = sorted(range(len(texts)), key=lambda i: -min(len(texts[i]), cut))
        scores = [0.0] * len(texts)
        for start in range(0, len(order), self.config.batch_size):
            batch = order[start : start + self.config.batch_size]
            inputs = self.tokenizer([texts[i][:cut] for i in batch], return_tensors="pt", padding=True,
                                    truncation=True, max_length=self.config.max_length).to(self.config.device)
            with torch.inference_mode():
                logits = self._model(**inputs).logits.float()
            if self.sigmoid:
                unsafe = logits.sigmoid()[:, self.unsafe_ids].max(dim=1).values
            else:
                unsafe = logits.softmax(dim=-1)[:, self.unsafe_ids].sum(dim=1)
            for i, value in zip(batch, unsafe.clamp(0, 1).tolist()):
                scores[i] = value
        return scores

    def describe(self) -> dict:
        # after setup: the labels in use, also when read from the names
        unsafe = self.unsafe_names or self.config.unsafe_labels
        return {"backend": self.name, "model": self.config.model, "revision": self.config.revision,
                "unsafe_labels": unsafe, "max_length": self.config.max_length, "languages": self.config.languages}
