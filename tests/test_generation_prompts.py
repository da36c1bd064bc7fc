"""Reverse-instruction prompts as data, per-document style and seed, output cleaning, the production
recipe's validation. No model is loaded here."""
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from muri_gen.component import StaticContext
from muri_gen.recipe import RecipeError, load_recipe
from muri_gen.stages.reverse_instruction import (
    ReverseInstruction,
    ReverseInstructionConfig,
    clean_instruction,
    load_template,
    truncate,
)

ROOT = Path(__file__).resolve().parents[1]


def stage(**options) -> ReverseInstruction:
    s = ReverseInstruction(ReverseInstructionConfig(**options), StaticContext({}))
    s.styles = s.config.styles or list(s.template["styles"])
    s.seed = s.config.seed if s.config.seed is not None else 0
    return s


def test_the_three_longform_styles_are_chosen_per_document_with_the_seed(udhr_rows):
    english = [r for r in udhr_rows if r["id"].startswith("udhr-eng-")]
    styles = [stage().style_of(r) for r in english]
    assert Counter(styles).keys() == {"instruction", "chatbot", "search_query"}
    assert min(Counter(styles).values()) >= len(english) // 6
    assert styles == [stage().style_of(r) for r in english]  # same seed, same choice
    assert styles != [stage(seed=1).style_of(r) for r in english]


def test_the_request_carries_system_prompt_worked_example_and_the_document(udhr_rows):
    doc = next(r for r in udhr_rows if r["id"] == "udhr-eng-article-23")
    s = stage(n=3, temperature=0.9)
    request = s.request(doc, doc["text"])
    roles = [role for role, _ in request.messages]
    examples = s.template["styles"][s.style_of(doc)]["examples"]  # few-shot turns, then the document
    assert examples and roles == ["system", *["user", "assistant"] * len(examples), "user"]
    assert "request only" in request.messages[0][1] and "Photosynthesis" in request.messages[1][1]
    assert request.messages[-1][1].startswith(f"Text:\n{doc['text']}")
    assert request.sampling.n == 3 and request.sampling.temperature == 0.9
    assert request == s.request(doc, doc["text"])  # deterministic: the cache key is stable across runs
    other = next(r for r in udhr_rows if r["id"] == "udhr-eng-article-24")
    assert s.request(other, other["text"]).sampling.seed != request.sampling.seed


def test_a_recipe_replaces_system_prompt_examples_or_the_whole_template(tmp_path, udhr_rows):
    doc = next(r for r in udhr_rows if r["id"] == "udhr-eng-article-1")
    examples = {"search_query": [{"document": "Water boils at 100 degrees.", "instruction": "boiling point of water"}]}
    s = stage(system="Be brief.", styles=["search_query"], examples=examples)
    messages = s.request(doc, doc["text"]).messages
    assert messages[0] == ("system", "Be brief.") and messages[2] == ("assistant", "boiling point of water")
    custom = tmp_path / "mine.yaml"
    custom.write_text("name: mine\nversion: 3\nsystem: S\nlength_hint: 'In {n} {unit}.'\n"
                      "styles: {plain: {user: 'Doc: {document}'}}\n")
    s = stage(prompt=str(custom))
    assert s.request(doc, "D").messages == (("system", "S"), ("user", "Doc: D"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: b\nversion: 1\nsystem: S\nlength_hint: x\nstyles: {plain: {user: 'no placeholder'}}\n")
    assert "no {document} placeholder" in ReverseInstruction.check(ReverseInstructionConfig(prompt=str(broken)), None)[0]
    assert "unknown style" in ReverseInstruction.check(ReverseInstructionConfig(styles=["poem"]), None)[0]


def test_length_hints_count_the_native_answer_and_follow_the_share_asked(udhr_rows):
    english = [r for r in udhr_rows if r["id"].startswith("udhr-eng-article-")]
    never, always, some = stage(), stage(length_hints=1.0), stage(length_hints=0.3)
    assert all(never.length_hint(r) is None for r in english)
    spanish = next(r for r in udhr_rows if r["id"] == "udhr-spa-article-14")  # two numbered paragraphs
    translated = {**spanish, "text_en": "One. Two. Three. Four."}  # what the hint must not count
    assert always.length_hint(translated) == "Respond in 2 sentences."
    one_sentence = next(r for r in udhr_rows if r["id"] == "udhr-spa-article-3")
    words = len(one_sentence["text"].split())
    assert always.length_hint({**one_sentence, "text_en": "x"}) == f"Respond in {words} words."
    share = sum(some.length_hint(r) is not None for r in english) / len(english)
    assert 0.1 < share < 0.55


@pytest.mark.parametrize("raw, clean", [
    # SMOLLM2 outputs seen on UDHR articles
    ('Instruction: "What is the right to form and to join trade unions?"', "What is the right to form and to join trade unions?"),
    ("Sure, here is the instruction:\n\nExplain the right to education.\nThis instruction asks...", "Explain the right to education."),
    ("**Search query:** right to asylum in other countries", "right to asylum in other countries"),
    ("“Can I be held in slavery?”", "Can I be held in slavery?"),
    ("Instruction:\nWhat does everyone have the right to?", "What does everyone have the right to?"),
    ("   ", ""),
])
def test_cleaning_keeps_one_instruction_without_lead_in_label_or_quotes(raw, clean):
    assert clean_instruction(raw) == clean


def test_long_documents_are_cut_at_a_sentence_within_the_budget(udhr_rows):
    preamble = next(r for r in udhr_rows if r["id"] == "udhr-eng-preamble")["text"]
    cut = truncate(preamble, 60)
    assert cut == preamble.split("\n")[0] + "\n"  # the first clause, not a word cut in half
    assert truncate("Short text.", 60) == "Short text."


def test_the_template_version_is_data():
    template = load_template("reverse-instruction-v2")
    assert (template["name"], template["version"]) == ("reverse-instruction", 2)


def test_the_production_recipe_validates_without_loading_a_model():
    resolved = load_recipe(ROOT / "pipelines" / "muri.yaml")
    ids = [s.id for s in resolved.stages]
    assert ids.index("translate_document") < ids.index("reverse_instruction") < ids.index("translate_instruction") \
        < ids.index("postfilter")
    assert resolved.backends["llm"].type == "vllm" and resolved.backends["mt"].config.family == "nllb"
    assert len(resolved.recipe.languages) >= 30


def test_a_bad_stage_option_is_refused_with_its_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent("""\
        name: t
        input: {path: in.jsonl}
        output: {dir: out}
        backends: {lid: {kind: lid, type: fasttext}}
        stages:
          - {stage: reverse_instruction, llm: llm, n: 0}
        """))
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert info.value.problems == ["line 6: stages.0.n: Input should be greater than or equal to 1"]


def test_more_candidates_than_the_llama_cpp_server_has_slots_are_refused_before_it_starts(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent("""\
        name: t
        input: {path: in.jsonl, fields: {text_en: english}}
        output: {dir: out}
        backends: {llm: {kind: llm, type: xllamacpp, parallel: 2}}
        stages:
          - {stage: reverse_instruction, llm: llm, n: 4}
        """))
    with pytest.raises(RecipeError) as info:
        load_recipe(path)
    assert info.value.problems == ["line 6: stages.0: reverse_instruction: n=4 candidates, but the xllamacpp backend "
                                   "'llm' serves at most 2 a request (set its parallel to 4 or more)"]
    assert load_recipe(path, ["backends.llm.parallel=4"]).stages[0].config.n == 4
