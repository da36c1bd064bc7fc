"""The hub_dataset sink: Parquet configs that load offline, stable splits, a valid generated card."""
import json
import random

import pyarrow.parquet as pq
import pytest
import yaml
from datasets import load_dataset
from huggingface_hub import DatasetCard
from pydantic import ValidationError

from export_fakerun import pair_records, write_run
from muri_gen.component import StaticContext
from muri_gen.export.card import check_card, hub_language
from muri_gen.export.hub_folder import HubDatasetConfig, export_run
from muri_gen.redact import redact
from muri_gen.export.schema import FEATURES, MURI_IT_COLUMNS, SplitFractions
from muri_gen.sinks import get_sink

LANGS = ("spa", "cat", "glg", "epo")


@pytest.fixture(scope="module")
def records():
    return pair_records(LANGS)


@pytest.fixture(scope="module")
def exported(records, tmp_path_factory):
    run = write_run(tmp_path_factory.mktemp("run"), records)
    return run, export_run(run, HubDatasetConfig(license="cc0-1.0", tags=["udhr"]))


def test_every_language_loads_offline_with_its_own_rows(records, exported):
    _, folder = exported
    for lang in LANGS:
        dataset = load_dataset(str(folder), lang)
        expected = {r["id"]: r for r in records if r["language"] == lang}
        rows = [row for split in dataset.values() for row in split]
        assert sorted(row["id"] for row in rows) == sorted(expected)
        for split_name, split in dataset.items():
            assert split.features == FEATURES
            assert list(split.column_names[:6]) == list(MURI_IT_COLUMNS)
            assert set(split["split"]) == {split_name}
        for row in rows:
            source = expected[row["id"]]
            assert row["output"] == source["text"]  # the native document, untranslated
            assert row["input"] == source["instruction"]
            assert row["instruction_en"] == source["instruction_en"]
            assert row["document_en"] == source["text_en"]
            assert row["language"] == lang and row["dataset_name"] == "muri-gen-udhr-test"
            assert row["instruction_model"] == "xllamacpp SmolLM2-135M-Instruct"
            assert row["translator_to_source"] == f"apertium eng-{lang}"
            assert {"name": "postfilter.echo_overlap", "value": 0.12} in row["filter_scores"]


def test_without_a_config_name_every_language_loads_in_the_default_config(records, exported):
    _, folder = exported
    by_language = [load_dataset(str(folder), lang) for lang in LANGS]
    for dataset in (load_dataset(str(folder)), load_dataset(str(folder), "default")):
        rows = [row for split in dataset.values() for row in split]
        assert sorted(row["id"] for row in rows) == sorted(r["id"] for r in records)
        assert {row["language"] for row in rows} == set(LANGS)
        for split_name, split in dataset.items():
            assert split.features == FEATURES and set(split["split"]) == {split_name}
            assert split.num_rows == sum(one[split_name].num_rows for one in by_language if split_name in one)


def test_language_metadata_is_iso_639_1_where_one_exists():
    assert [hub_language(code) for code in ("spa", "spa_Latn", "por", "cmn", "arb", "qzz")] == \
        ["es", "es", "pt", "cmn", "arb", "qzz"]  # Mandarin and Standard Arabic have no 639-1 code; qzz: unknown


def test_the_resolved_recipe_is_published_beside_the_data_without_credentials(exported):
    run, folder = exported
    published = (folder / "recipe.yaml").read_text()
    assert "sk-secret" not in published
    original = yaml.safe_load(run.recipe.read_text())
    original["backends"]["llm"]["api_key"] = "<redacted>"
    assert yaml.safe_load(published) == original
    assert "`recipe.yaml` beside this card" in (folder / "README.md").read_text()


def test_credentials_in_a_recipe_are_redacted_and_nothing_else_changes():
    recipe = {"backends": {"llm": {"type": "openai", "base_url": "https://bob:hunter2@llm.example.org/v1",
                                   "api_key_env": "OPENAI_API_KEY", "max_tokens": 64,
                                   "launch_env": {"HF_TOKEN": "hf_abc", "VLLM_CPU_KVCACHE_SPACE": "2"}}},
              "sinks": [{"sink": "hub_dataset", "tokenizer": "HuggingFaceTB/SmolLM2-135M"}]}
    assert redact(recipe) == {
        "backends": {"llm": {"type": "openai", "base_url": "https://<redacted>@llm.example.org/v1",
                             "api_key_env": "OPENAI_API_KEY", "max_tokens": 64,
                             "launch_env": {"HF_TOKEN": "<redacted>", "VLLM_CPU_KVCACHE_SPACE": "2"}}},
        "sinks": [{"sink": "hub_dataset", "tokenizer": "HuggingFaceTB/SmolLM2-135M"}]}


def test_split_of_every_id_is_stable_across_runs(records, exported, tmp_path):
    _, first = exported
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    run = write_run(tmp_path / "again", shuffled[:-10], shard_size=7)  # other order, shards, fewer rows
    second = export_run(run, HubDatasetConfig())

    def splits(folder):
        table = pq.ParquetDataset(sorted(folder.glob("data/*/*.parquet"))).read(columns=["id", "split"])
        return dict(zip(table["id"].to_pylist(), table["split"].to_pylist()))

    before, after = splits(first), splits(second)
    assert len(after) == len(records) - 10
    assert all(before[i] == s for i, s in after.items())


def test_split_fractions_follow_the_config():
    ids = [f"doc-{i}" for i in range(20_000)]
    counts = {s: 0 for s in ("train", "validation", "test")}
    for i in ids:
        counts[SplitFractions(validation=0.1, test=0.05).of(i)] += 1
    assert abs(counts["validation"] / len(ids) - 0.1) < 0.01
    assert abs(counts["test"] / len(ids) - 0.05) < 0.01


def test_card_metadata_and_prose_come_from_the_run(exported):
    run, folder = exported
    card = DatasetCard.load(folder / "README.md", repo_type="dataset")
    assert check_card(card, folder) == []
    data = card.data.to_dict()
    assert [c["config_name"] for c in data["configs"]] == ["default", *sorted(LANGS)]
    assert data["language"] == ["ca", "eo", "es", "gl"] and data["license"] == "cc0-1.0"  # ISO 639-1
    assert data["size_categories"] == ["n<1K"] and "udhr" in data["tags"]
    text = card.text
    assert "`hbs`: all 3 records were rejected" in text  # the empty config is named, with its reason
    assert "| language_id | wrong_language | 3 |" in text
    assert "xllamacpp SmolLM2-135M-Instruct" in text and "apertium spa-eng" in text
    assert "search_query" in text and "2409.12958" in text
    assert "Not traced in this run" in text
    assert f'load_dataset("{folder}")' in text and f'load_dataset("{folder}", "cat")' in text
    assert "sk-secret" not in str(card)  # backend options never reach the card
    summary = json.loads((run.root / "dataset_summary.json").read_text())
    spanish = summary["languages"]["spa"]
    assert sum(spanish["splits"].values()) == 31 and spanish["lengths"]["output"]["max"] > 1000


def test_bias_and_human_eval_summaries_appear_when_present(records, tmp_path):
    run = write_run(tmp_path / "run", records[:40])
    (run.root / "bias").mkdir()
    (run.root / "bias" / "trace.json").write_text(json.dumps(
        {"summary": {"female_total_pct": {"source": 31.25, "instructions": 22.5}, "sta_overall": 0.4123}}))
    (run.root / "eval").mkdir()
    (run.root / "eval" / "scores.json").write_text("{not json")
    folder = export_run(run, HubDatasetConfig())
    text = (folder / "README.md").read_text()
    assert "| female_total_pct.instructions | 22.5 |" in text and "| sta_overall | 0.4123 |" in text
    assert "## Human evaluation" in text and "scores.json could not be read" in text


def test_filter_only_run_writes_a_card_that_says_so(records, tmp_path, caplog):
    stripped = [{k: v for k, v in r.items() if k not in ("instruction", "instruction_en")} for r in records[:30]]
    run = write_run(tmp_path / "run", stripped)
    folder = export_run(run, HubDatasetConfig())
    assert not list(folder.glob("data/**/*.parquet"))
    card = DatasetCard.load(folder / "README.md", repo_type="dataset")
    assert check_card(card, folder) == []
    assert "holds no instruction pairs" in card.text and "30 no_instruction" in card.text
    assert "not exported as pairs (no_instruction)" in caplog.text


def test_unsafe_language_codes_never_become_paths(records, tmp_path):
    bad = [{**records[0], "id": "x1", "language": "../../etc"}, {**records[1], "id": "x2", "language": "spa/evil"},
           {**records[2], "id": "x3", "language": None}]
    run = write_run(tmp_path / "run", records[:20] + bad)
    folder = export_run(run, HubDatasetConfig())
    assert sorted(p.name for p in (folder / "data").iterdir()) == ["cat"] or all(
        p.name in LANGS for p in (folder / "data").iterdir())
    assert not (tmp_path / "etc").exists() and not list(tmp_path.rglob("evil*"))
    summary = json.loads((run.root / "dataset_summary.json").read_text())
    assert sum(summary["not_exported"]["unsafe_language_code"].values()) == 3
    assert "3 unsafe_language_code" in (folder / "README.md").read_text()


def test_rows_roll_over_files_and_rerun_replaces_the_folder(records, tmp_path):
    run = write_run(tmp_path / "run", records)
    folder = export_run(run, HubDatasetConfig(max_rows_per_file=5))
    assert len(list((folder / "data" / "spa").glob("train-*.parquet"))) >= 5
    assert load_dataset(str(folder), "spa")["train"].num_rows == sum(
        1 for r in records if r["language"] == "spa" and SplitFractions().of(r["id"]) == "train")
    spanish = [r for r in records if r["language"] == "spa"][:12]
    write_run(tmp_path / "run", spanish)
    folder = export_run(run, HubDatasetConfig())
    assert sorted(p.name for p in (folder / "data").iterdir()) == ["spa"]
    # the same folder name with new content must not be served from datasets' cache
    reloaded = load_dataset(str(folder), "spa")
    assert sorted(i for split in reloaded.values() for i in split["id"]) == sorted(r["id"] for r in spanish)
    assert not list(tmp_path.glob("run/.dataset*"))


def test_sink_is_registered_and_its_config_is_strict():
    sink = get_sink("hub_dataset")
    assert sink.Config is HubDatasetConfig
    with pytest.raises(ValidationError):
        HubDatasetConfig(validation_fraction=0.6, test_fraction=0.5)
    with pytest.raises(ValidationError):
        HubDatasetConfig(licence="mit")
    assert sink.check(HubDatasetConfig(card_template="/nonexistent/card.j2"), None)


def test_card_summarises_the_bias_trace_the_bias_sink_wrote(records, tmp_path):
    from muri_gen.bias.trace_sink import BiasTraceConfig, BiasTraceSink

    run = write_run(tmp_path / "run", records)
    BiasTraceSink(BiasTraceConfig(ci_samples=0, plots=False), StaticContext({})).write(run)
    text = (export_run(run, HubDatasetConfig()) / "README.md").read_text()
    assert "Traced by muri-gen's `bias_trace` sink" in text
    assert "| english_document.occupations_with_evidence |" in text


def test_filter_only_recipe_through_the_runner(tmp_path, write_jsonl):
    """The sink as the runner calls it: recipe-validated config, real stages, no instructions."""
    import textwrap

    from muri_gen.corpora import declarations, documents
    from muri_gen.recipe import load_recipe
    from muri_gen.runner import run_recipe

    rows = [d for declaration in declarations(["spa", "epo"]) for d in documents(declaration)]
    recipe = tmp_path / "filter.yaml"
    recipe.write_text(textwrap.dedent(f"""\
        name: filter-export
        languages: [spa, epo]
        input: {{path: {write_jsonl(rows)}, language_field: language}}
        output: {{dir: {tmp_path / "out"}}}
        executor: {{shard_size: 16, batch_size: 8}}
        backends:
          lid: {{kind: lid, type: fasttext}}
        stages:
          - {{stage: normalize}}
          - {{stage: language_id, backend: lid}}
        sinks:
          - {{sink: hub_dataset, license: cc0-1.0, pretty_name: UDHR filtered}}
        """))
    stats = run_recipe(load_recipe(recipe))
    folder = tmp_path / "out" / "dataset"
    card = DatasetCard.load(folder / "README.md", repo_type="dataset")
    assert check_card(card, folder) == [] and card.data.license == "cc0-1.0"
    assert f"{stats['kept']} no_instruction" in card.text and "holds no instruction pairs" in card.text


def test_token_lengths_for_packing_when_a_tokenizer_is_given(records, tmp_path):
    from transformers import AutoTokenizer

    from muri_gen.assets import smollm2_hf

    run = write_run(tmp_path / "run", records)
    folder = export_run(run, HubDatasetConfig(tokenizer=str(smollm2_hf())))
    summary = json.loads((run.root / "dataset_summary.json").read_text())["token_lengths"]
    tokenizer = AutoTokenizer.from_pretrained(smollm2_hf())
    spanish = [r["text"] for r in records if r["language"] == "spa"]
    expected = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in spanish)
    assert summary["languages"]["spa"]["output"]["total"] == expected
    assert summary["overall"]["output"]["packed_2048"] == -(-summary["overall"]["output"]["total"] // 2048)
    text = (folder / "README.md").read_text()
    assert "Tokens (SmolLM2-135M-Instruct tokenizer" in text
    assert f"| `spa` | output | {summary['languages']['spa']['output']['mean']} |" in text
