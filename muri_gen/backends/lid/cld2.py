"""CLD2 (pycld2): 83+ languages, very fast, reports up to three languages with percentages."""
from __future__ import annotations

import regex

from muri_gen.backends.lid.base import lid_input, RankedLanguageIdentifier, to_prediction

_UNPRINTABLE = regex.compile(r"\p{C}+")  # controls, format characters, surrogates, unassigned


class CLD2LID(RankedLanguageIdentifier):
    name = "pycld2"

    def labels(self):
        import pycld2

        return [code for _, code in pycld2.LANGUAGES if code != "un"]

    def rank(self, texts):
        import pycld2

        results = []
        for text in texts:
            # CLD2 rejects control characters and invalid UTF-8: hand it printable text only
            clean = _UNPRINTABLE.sub("", lid_input(text, self.config.max_chars))
            try:
                reliable, _, details = pycld2.detect(clean, bestEffort=True)
            except pycld2.error:
                results.append([])
                continue
            ranked = [to_prediction(code, percent / 100) for _, code, percent, _ in details
                      if code != "un" and percent > 0]
            results.append(ranked[: self.config.top_k])
        return results
