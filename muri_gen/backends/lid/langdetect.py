"""langdetect (port of Google's language-detection): 55 languages; seeded, so results repeat."""
from __future__ import annotations

from muri_gen.backends.lid.base import lid_input, RankedLanguageIdentifier, to_prediction


class LangDetectLID(RankedLanguageIdentifier):
    name = "langdetect"

    def __init__(self, config, context=None):
        super().__init__(config, context)
        self.factory = None

    def setup(self) -> None:
        if self.factory is None:
            from langdetect.detector_factory import DetectorFactory, PROFILES_DIRECTORY

            self.factory = DetectorFactory()
            self.factory.load_profile(PROFILES_DIRECTORY)
            self.factory.set_seed(0)  # langdetect samples n-grams at random: fix it for retries

    def labels(self):
        self.setup()
        return self.factory.get_lang_list()

    def rank(self, texts):
        from langdetect.lang_detect_exception import LangDetectException

        self.setup()
        results = []
        for text in texts:
            detector = self.factory.create()
            detector.append(lid_input(text, self.config.max_chars))
            try:
                ranked = detector.get_probabilities()[: self.config.top_k]
            except LangDetectException:  # no features: digits, punctuation
                results.append([])
                continue
            results.append([to_prediction(p.lang, p.prob) for p in ranked])
        return results
