"""py3langid: langid.py's 97-language model, numpy-fast, calibrated probabilities."""
from __future__ import annotations

from muri_gen.backends.lid.base import lid_input, RankedLanguageIdentifier, to_prediction
from muri_gen.optional import require


class Py3LangidLID(RankedLanguageIdentifier):
    name = "py3langid"

    def __init__(self, config, context=None):
        super().__init__(config, context)
        self.identifier = None

    def setup(self) -> None:
        if self.identifier is None:
            langid = require("py3langid.langid", "the py3langid LID backend", "py3langid")
            self.identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE,
                                                                       norm_probs=True)

    def labels(self):
        self.setup()
        return list(self.identifier.nb_classes)

    def rank(self, texts):
        self.setup()
        results = []
        for text in texts:
            sample = lid_input(text, self.config.max_chars)
            if not sample.strip():
                results.append([])
                continue
            ranked = self.identifier.rank(sample)[: self.config.top_k]
            results.append([to_prediction(code, score) for code, score in ranked])
        return results
