"""The LLM-as-translator backend: prompt as data, one chat request per sentence, per-request
errors isolated. ``ScriptedLLM`` is a stand-in LLM that injects failures and noisy answers (a
real model cannot be made to fail on demand); the slow test runs a real GGUF model."""
import json
import textwrap

import pytest

from muri_gen.backends import BACKENDS
from muri_gen.backends.base import LLM, BackendConfig, ChatResult
from muri_gen.recipe import load_recipe
from muri_gen.runner import run_recipe
from muri_gen.runner.layout import RunDir


class ScriptedLLM(LLM):
    """Answers 'Translation: "<SENTENCE IN CAPITALS>"'; fails requests whose text holds FAIL."""

    name = "test_scripted"
    Config = BackendConfig
    requests: list = []

    def chat(self, requests):
        ScriptedLLM.requests.extend(requests)
        results = []
        for request in requests:
            text = request.messages[-1][1].split("\n", 1)[1]
            results.append(ChatResult(error="HTTP 500 from server") if "FAIL" in text
                           else ChatResult(texts=[f'Translation: "{text.upper()}"']))
        return results


BACKENDS["llm"]["test_scripted"] = f"{__name__}:ScriptedLLM"


def run(tmp_path, rows, languages="[spa, fra]", llm_languages="[spa]"):
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    (tmp_path / "r.yaml").write_text(textwrap.dedent(f"""\
        name: t
        languages: {languages}
        input: {{path: {tmp_path / 'in.jsonl'}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        backends:
          llm: {{kind: llm, type: test_scripted}}
          mt: {{kind: translator, type: llm, llm: llm, languages: {llm_languages}}}
        stages:
          - {{stage: translate, translator: mt, language_field: declared_language}}
        """))
    return load_recipe(tmp_path / "r.yaml")


def test_prompt_requests_cleaning_and_failures(tmp_path):
    from muri_gen.recipe import RecipeError

    with pytest.raises(RecipeError, match=r"cannot translate French \(fra\) -> English"):
        run(tmp_path, [])
    rows = [{"id": "a", "language": "spa", "text": "Hola mundo. Buenos días.\n\nAdiós."},
            {"id": "b", "language": "spa", "text": "Esto FAIL falla. Y esto no."}]
    ScriptedLLM.requests.clear()
    stats = run_recipe(run(tmp_path, rows, languages="[spa]"))
    assert stats["kept"] == 1 and stats["errored"] == 1
    kept = next(RunDir(tmp_path / "out").kept_records())
    assert kept["text_en"] == "HOLA MUNDO. BUENOS DÍAS.\n\nADIÓS."
    assert kept["translation_en"]["prompt"] == "translate-v1"
    errored = json.dumps(list(RunDir(tmp_path / "out").outcome_records("errored")))
    assert "HTTP 500 from server" in errored
    first = ScriptedLLM.requests[0]
    roles = [role for role, _ in first.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "from Spanish into English" in first.messages[0][1] and first.sampling.temperature == 0
    # one request per sentence; the failing batch was bisected down to its bad sentence
    assert {m.messages[-1][1].split("\n", 1)[1] for m in ScriptedLLM.requests} == {
        "Hola mundo.", "Buenos días.", "Adiós.", "Esto FAIL falla.", "Y esto no."}


def test_a_script_other_than_the_usual_one_is_named_in_the_prompt():
    from muri_gen.backends.translate.llm import LLMTranslator

    translator = LLMTranslator(LLMTranslator.Config(llm="llm"))
    system = translator.request("Explain this article.", "eng", "zho_Hant").messages[0][1]
    assert "into Chinese in Han (Traditional variant) script" in system
    assert "into Chinese. Keep" in translator.request("Explain.", "eng", "zho").messages[0][1]


def test_clean_keeps_quotes_the_source_had():
    from muri_gen.backends.translate.llm import _clean

    assert _clean("Hola.", '"Hello."') == "Hello."
    assert _clean('"Hola", dijo.', '"Hello," he said.') == '"Hello," he said.'
    assert _clean("Hola.", "translation: Hello.") == "Hello."


@pytest.mark.slow
def test_a_real_gguf_model_translates_through_the_llm_backend(tmp_path):
    rows = [{"id": "a", "language": "spa", "text": "Hola. Buenos días."}]
    (tmp_path / "in.jsonl").write_text(json.dumps(rows[0]) + "\n")
    (tmp_path / "r.yaml").write_text(textwrap.dedent(f"""\
        name: t
        input: {{path: {tmp_path / 'in.jsonl'}, language_field: language}}
        output: {{dir: {tmp_path / 'out'}}}
        backends:
          llm: {{kind: llm, type: xllamacpp}}
          mt: {{kind: translator, type: llm, llm: llm}}
        stages:
          - {{stage: translate, translator: mt, language_field: declared_language}}
        """))
    stats = run_recipe(load_recipe(tmp_path / "r.yaml"))
    assert stats["kept"] == 1
    kept = next(RunDir(tmp_path / "out").kept_records())
    assert kept["text_en"].strip() and kept["translation_en"]["segments"] == 2
