"""Every backend a recipe can name, by kind. Adding one = one module + one line here."""
from muri_gen.backends.base import (
    LLM,
    Backend,
    BackendConfig,
    ChatRequest,
    ChatResult,
    Embedder,
    LanguageIdentifier,
    LanguagePrediction,
    SamplingParams,
    Translator,
)
from muri_gen.registry import resolve

BACKENDS: dict[str, dict[str, str]] = {
    "lid": {
        "fasttext": "muri_gen.backends.lid.fasttext:FastTextLID",  # lid.176.ftz bundled, or GlotLID path
        "langdetect": "muri_gen.backends.lid.langdetect:LangDetectLID",
        "pycld2": "muri_gen.backends.lid.cld2:CLD2LID",
        "py3langid": "muri_gen.backends.lid.py3langid:Py3LangidLID",
    },
    "translator": {
        "apertium": "muri_gen.backends.translate.apertium:ApertiumTranslator",
        "bergamot": "muri_gen.backends.translate.bergamot:BergamotTranslator",
        "transformers": "muri_gen.backends.translate.transformers:TransformersTranslator",
        "ctranslate2": "muri_gen.backends.translate.ctranslate2:CTranslate2Translator",
        "llm": "muri_gen.backends.translate.llm:LLMTranslator",
        "router": "muri_gen.backends.translate.router:RouterTranslator",
        "pivot": "muri_gen.backends.translate.pivot:PivotTranslator",  # src -> via -> tgt with two translators
    },
    "llm": {
        "xllamacpp": "muri_gen.backends.llm.xllamacpp:XLlamaCppLLM",
        "openai": "muri_gen.backends.llm.openai:OpenAICompatibleLLM",
        "vllm": "muri_gen.backends.llm.vllm_offline:VLLMOffline",
    },
    "classifier": {
        "transformers": "muri_gen.backends.classify.transformers:TransformersClassifier",  # any HF text classifier
        "profanity_check": "muri_gen.backends.classify.profanity_check:ProfanityCheckClassifier",  # English, sklearn
    },
    "embedder": {
        "use": "muri_gen.backends.embed.use:USEEmbedder",  # multilingual USE v3, 16 languages, numpy
        "e5": "muri_gen.backends.embed.e5:E5Embedder",  # multilingual-e5-small 4-bit, ~100 languages
        "transformers": "muri_gen.backends.embed.transformers:TransformersEmbedder",  # any HF model (LaBSE...)
    },
}


def get_backend(kind: str, name: str) -> type[Backend]:
    if kind not in BACKENDS:
        raise ValueError(f"unknown backend kind {kind!r}; known: {', '.join(BACKENDS)}")
    return resolve(BACKENDS[kind], name, f"{kind} backend")


__all__ = [
    "BACKENDS", "LLM", "Backend", "BackendConfig", "ChatRequest", "ChatResult", "Embedder",
    "LanguageIdentifier", "LanguagePrediction", "SamplingParams", "Translator", "get_backend",
]
