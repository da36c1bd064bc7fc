"""The mitigated dataset version: written beside the original, loadable, with its card; the command;
the curated subset; rewrite pairs in TRL's DPO format."""
import json

import pytest
from typer.testing import CliRunner

from muri_gen.bias.mitigate.pipeline import build, mitigate
from muri_gen.bias.mitigate.rewrite import DEBIAS_KEYS, debias_pairs
from muri_gen.prompts import load_prompt
from muri_gen.bias.mitigate.version import write_version


@pytest.fixture(scope="module")
def medqa():
    from muri_gen.bias.mitigate.skewed import stereotyped_medqa

    return stereotyped_medqa()


@pytest.fixture()
def run_folder(tmp_path, medqa):
    out = tmp_path / "run"
    (out / "dataset").mkdir(parents=True)
    (out / "dataset" / "README.md").write_text("the original card\n")
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in medqa))
    return out, records


def test_command_writes_a_new_version_and_leaves_the_original(run_folder, medqa):
    import datasets

    from muri_gen.cli import app

    out, records = run_folder
    result = CliRunner().invoke(app, ["bias", "mitigate", str(out), "--records", str(records), "-m", "augment",
                                      "-m", "reweight", "-m", "mark_tokens", "-p", "augment.target=reference",
                                      "-p", "mark_tokens.open_tag=<gen>", "-p", "mark_tokens.close_tag=</gen>"])
    assert result.exit_code == 0, result.output
    assert (out / "dataset" / "README.md").read_text() == "the original card\n"
    version = out / "dataset-mitigated-augment-reweight-mark_tokens"
    record = json.loads((version / "mitigation.json").read_text())
    before, after = record["before"]["languages"]["en"]["overall_sta"], record["after"]["languages"]["en"]["overall_sta"]
    assert after <= before / 2
    assert [s["method"] for s in record["steps"]] == ["augment", "reweight", "mark_tokens"]
    assert record["steps"][0]["params"]["target"] == "reference"
    card = (version / "README.md").read_text()
    assert f"| {before} |" in card and f"| {after} |" in card and '"target": "reference"' in card
    rows = datasets.concatenate_datasets(list(datasets.load_dataset(str(version), "eng").values()))
    assert len(rows) == record["rows"]["out"] > len(medqa)
    every = datasets.load_dataset(str(version))  # the default config: every language, here English only
    assert sum(split.num_rows for split in every.values()) == len(rows) and "weight" in every["train"].features
    assert sum(rows["weight"]) == pytest.approx(len(rows))
    assert all(text.startswith("<gen>") and text.endswith("</gen>") for text in rows["input"])
    # a counterfactual copy sits in the split of its original
    split_of = {r["id"]: r["split"] for r in rows}
    copies = [r for r in rows if r["counterfactual_of"]]
    assert copies and all(split_of[c["counterfactual_of"]] == c["split"] for c in copies)
    # the publisher takes the version by name (card valid, configs match the files) and keeps its card
    published = CliRunner().invoke(app, ["publish", str(out), "--repo-id", "org/mitigated", "--dry-run",
                                         "--version", "augment-reweight-mark_tokens"])
    assert published.exit_code == 0, published.output
    assert "+ mitigation.json" in published.output and (version / "README.md").read_text() == card
    for wrong, said, code in (("nothing-here", "versions here: augment-reweight-mark_tokens", 1),
                              ("../dataset", "digits", 2)):  # a missing version; a --version no folder can have
        refused = CliRunner().invoke(app, ["publish", str(out), "--repo-id", "org/m", "--dry-run", "--version", wrong])
        assert refused.exit_code == code and said in refused.output, refused.output
    # running again replaces the version, not the original
    again = CliRunner().invoke(app, ["bias", "mitigate", str(out), "--records", str(records), "-m", "resample"])
    assert again.exit_code == 0, again.output
    assert (out / "dataset-mitigated-resample" / "README.md").exists() and version.exists()


def test_command_reports_bad_options(run_folder):
    from muri_gen.cli import app

    out, records = run_folder
    result = CliRunner().invoke(app, ["bias", "mitigate", str(out), "--records", str(records), "-m", "reweight",
                                      "-p", "augment.target=parity"])
    assert result.exit_code == 2 and "not one of the --method values" in result.output
    result = CliRunner().invoke(app, ["bias", "mitigate", str(out), "--records", str(records), "-m", "rewrite"])
    assert result.exit_code == 1 and "recipe" in result.output  # the run folder has no recipe.yaml


def version_rows(folder):
    import datasets

    every = datasets.load_dataset(str(folder))
    return sorted((row for split in every.values() for row in split), key=lambda row: row["id"])


def test_rows_in_the_published_columns_give_the_version_the_run_records_give(tmp_path, medqa):
    """What a user downloads from the Hub (input, output, ...; JSONL or the Parquet folder) is read back
    into records: the version equals the one made from the run's own records."""
    import datasets

    from export_fakerun import write_run
    from muri_gen.cli import app
    from muri_gen.export.hub_folder import HubDatasetConfig, export_run

    run = write_run(tmp_path / "run", medqa[:172], languages=("eng",))
    export_run(run, HubDatasetConfig())
    published = datasets.concatenate_datasets(list(datasets.load_dataset(str(run.root / "dataset")).values()))
    assert {"input", "output"} <= set(published.column_names) and "instruction" not in published.column_names
    published.to_json(tmp_path / "published.jsonl")
    own = tmp_path / "own.jsonl"
    own.write_text("".join(json.dumps(r) + "\n" for r in medqa[:172]))
    versions = {}
    for name, source in (("own", own), ("published", tmp_path / "published.jsonl"), ("parquet", run.root / "dataset")):
        result = CliRunner().invoke(app, ["bias", "mitigate", str(run.root), "--records", str(source), "-m", "augment",
                                          "--name", name])
        assert result.exit_code == 0, result.output
        record = json.loads((run.root / f"dataset-mitigated-{name}" / "mitigation.json").read_text())
        assert record["rows"]["out"] > 172 and record["rows"]["not_exported"] == {}
        assert f"172 rows -> {record['rows']['out']} rows, {record['rows']['out']} exported" in result.output
        versions[name] = version_rows(run.root / f"dataset-mitigated-{name}")
    assert versions["published"] == versions["own"] == versions["parquet"]
    assert len(versions["own"]) > 172 and any(row["counterfactual_of"] for row in versions["own"])


def test_rows_that_cannot_be_pairs_are_refused_and_no_version_is_written(run_folder, medqa, tmp_path):
    from muri_gen.bias.mitigate.version import EmptyVersion
    from muri_gen.cli import app

    out, _ = run_folder
    chat = tmp_path / "chat.jsonl"  # a chat dataset's columns: neither a run's records nor the published rows
    chat.write_text("".join(json.dumps({"id": r["id"], "prompt": r["instruction"], "response": r["text"]}) + "\n"
                            for r in medqa[:172]))
    result = CliRunner().invoke(app, ["bias", "mitigate", str(out), "--records", str(chat), "-m", "augment"])
    assert result.exit_code == 1
    assert f"error: {chat}: none of its 172 rows is an instruction pair (172 no_instruction)" in result.output
    assert "`input` and `output`" in result.output and "written" not in result.output
    assert not list(out.glob("*mitigated*"))
    # a version that would lose every row on the way is refused too, and leaves nothing behind
    documents_only = [{k: v for k, v in r.items() if k != "instruction"} for r in medqa[:20]]
    with pytest.raises(EmptyVersion, match="the mitigated records: none of its 20 rows"):
        write_version(out, mitigate(documents_only, []), "empty")
    assert not list(out.glob("*mitigated*"))


def test_curated_subset_excludes_flagged_rows_with_their_reason():
    from muri_gen.bias.mitigate.skewed import dreaddit_posts

    posts = dreaddit_posts()[:400]
    outcome = mitigate(posts, [build("curate", {})])
    assert outcome.excluded and len(outcome.records) + len(outcome.excluded) == len(posts)
    by_id = {p["id"]: p for p in posts}
    for entry in outcome.excluded:
        field, _, detail = entry["reason"].partition(": ")
        term = detail.split(" ", 1)[1].split(", ")[0]
        assert term.lower() in by_id[entry["id"]][field].lower()
    down = mitigate(posts, [build("curate", {"action": "downweight", "downweight": 0.25})])
    assert len(down.records) == len(posts)
    flagged = [r for r in down.records if r["curation"]]
    assert len(flagged) == len(outcome.excluded) and all(r["weight"] == 0.25 for r in flagged)


@pytest.fixture()
def dpo_file(tmp_path, medqa):
    prompt = load_prompt("debias-v1", DEBIAS_KEYS, "debias")
    biased = next(r["instruction_en"] for r in medqa if " his " in r["instruction_en"] and "physician" in r["instruction_en"])
    neutral = biased.replace(" his ", " their ").replace(" he ", " they ").replace("He ", "They ")
    sft, dpo = debias_pairs(prompt, biased, neutral)
    assert sft["messages"][-1] == {"role": "assistant", "content": neutral}
    assert sft["messages"][-2]["content"] == f"Debias this text by rephrasing it to be free of bias: {biased}"
    outcome = mitigate(medqa[:5], [])
    outcome.extra = {"sft": [sft], "dpo": [dpo]}
    version = write_version(tmp_path, outcome, "rewrite")
    assert "finetune/dpo.jsonl`: 1 rows" in (version / "README.md").read_text()
    return version / "finetune" / "dpo.jsonl", biased, neutral


def test_rewrite_pairs_are_conversational_preference_rows(dpo_file):
    import datasets

    path, biased, neutral = dpo_file
    example = datasets.load_dataset("json", data_files=str(path), split="train")[0]
    assert example["prompt"][0]["role"] == "user" and biased in example["prompt"][0]["content"]
    assert example["chosen"] == [{"role": "assistant", "content": neutral}]
    assert example["rejected"] == [{"role": "assistant", "content": biased}]


@pytest.mark.slow  # importing trl takes ~13 s
def test_rewrite_pairs_load_as_trl_preference_data(dpo_file):
    import datasets
    from transformers import AutoTokenizer
    from trl.data_utils import apply_chat_template, is_conversational

    from muri_gen.assets import smollm2_hf

    path, biased, neutral = dpo_file
    example = datasets.load_dataset("json", data_files=str(path), split="train")[0]
    assert is_conversational(example)
    rendered = apply_chat_template(example, AutoTokenizer.from_pretrained(smollm2_hf()))
    assert biased in rendered["prompt"] and rendered["prompt"].rstrip().endswith("assistant")
    assert rendered["chosen"].startswith(neutral) and rendered["rejected"].startswith(biased)


@pytest.mark.slow
def test_rewrite_through_the_embedded_smollm2_backend(tmp_path, medqa, embedded_llm_recipe):
    from muri_gen.bias.mitigate.measure import RowCounts
    from muri_gen.bias.mitigate.swap import swapper
    from muri_gen.cli import app

    # the three shortest questions that tie a gender to an occupation (SmolLM2 on 2 busy cores is slow)
    rows = sorted((r for r, cells in zip(medqa, RowCounts.of(medqa, "instruction_en").cells) if cells),
                  key=lambda r: len(r["instruction_en"]))[:3]
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["bias", "mitigate", str(out), "--records", str(records), "-m", "rewrite",
                                      "--recipe", str(embedded_llm_recipe), "-p", "rewrite.max_tokens=64"])
    assert result.exit_code == 0, result.output
    version = out / "dataset-mitigated-rewrite"
    summary = json.loads((version / "mitigation.json").read_text())["steps"][0]["summary"]
    assert summary["rows_with_gendered_occupations"] == len(rows)
    assert summary["rewritten"] + sum(summary["not_rewritten"].values()) == len(rows)
    assert summary["prompt"] == "debias@1"
    dpo = [json.loads(line) for line in (version / "finetune" / "dpo.jsonl").read_text().splitlines()]
    assert len(dpo) == summary["rewritten"]
    for pair in dpo:
        assert not swapper("en").find(pair["chosen"][0]["content"])
        assert pair["rejected"][0]["content"] in {r["instruction_en"] for r in rows}


@pytest.mark.parametrize("rewrite, verdict", [
    ("Write a profile of the nurse who cares for the patient and the patient's parent.", None),
    ("Write a profile of the nurse who cares for the patient and her father.", "still_gendered"),
    ("The nurse is kind.", "content_changed"),  # an answer, not a rewrite
    ("", "empty_rewrite"),
    ("Write a profile of the nurse who cares for her patient and the patient's father.", "unchanged"),
])
def test_a_rewrite_is_accepted_only_when_neutral_and_faithful(rewrite, verdict):
    from muri_gen.bias.mitigate.rewrite import DebiasRewrite, RewriteConfig

    biased = "Write a profile of the nurse who cares for her patient and the patient's father."
    assert DebiasRewrite(RewriteConfig(), llm=None).verdict(biased, rewrite) == verdict
