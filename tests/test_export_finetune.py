"""Fine-tuning exports load in the libraries that consume them (transformers, TRL) and train SmolLM2."""
import json

import pytest
from datasets import load_dataset
from typer.testing import CliRunner

from export_fakerun import pair_records, write_run
from muri_gen.assets import smollm2_hf
from muri_gen.cli import app
from muri_gen.export.finetune import FinetuneExportError, export_finetune
from muri_gen.export.hub_folder import HubDatasetConfig, export_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    records = pair_records(("spa", "epo"))
    for record in records[:5]:  # documents the pipeline could not translate: no English answer to reject
        record["text_en"] = None
    run = write_run(tmp_path_factory.mktemp("run"), records, languages=("spa", "epo"))
    export_run(run, HubDatasetConfig())
    return run.root


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_hf())


def _load(folder, fmt):
    return load_dataset("json", data_files={s: str(folder / "finetune" / fmt / f"{s}.jsonl")
                                            for s in ("train", "validation", "test")
                                            if (folder / "finetune" / fmt / f"{s}.jsonl").exists()})


def test_seq2seq_tokenises_for_seq2seq_trainer(run_dir, tokenizer):
    from transformers import DataCollatorForSeq2Seq

    stats = export_finetune(run_dir / "dataset", run_dir / "finetune", "seq2seq", task_prefix="instrucción: ",
                            tokenizer=str(smollm2_hf()))
    data = _load(run_dir, "seq2seq")["train"]
    assert data.column_names == ["inputs", "targets", "language"]
    assert all(text.startswith("instrucción: ") for text in data["inputs"])
    assert stats["splits"]["train"]["rows"] == data.num_rows
    assert stats["splits"]["train"]["tokens"]["targets"]["max"] > stats["splits"]["train"]["tokens"]["inputs"]["max"]
    tokenised = data.map(lambda b: tokenizer(b["inputs"], text_target=b["targets"], truncation=True, max_length=2048),
                         batched=True, remove_columns=data.column_names)
    batch = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100)([tokenised[i] for i in range(4)])
    assert batch["input_ids"].shape[0] == 4 and batch["labels"].shape == (4, max(len(t["labels"]) for t in tokenised.select(range(4))))
    for row in range(4):
        labels = [t for t in batch["labels"][row].tolist() if t != -100]
        assert tokenizer.decode(labels, skip_special_tokens=True) == data[row]["targets"]


def test_chat_is_conversational_for_trl(run_dir, tokenizer):
    from trl.data_utils import is_conversational, maybe_apply_chat_template

    export_finetune(run_dir / "dataset", run_dir / "finetune", "chat", system="Responde en la lengua del usuario.")
    data = _load(run_dir, "chat")["train"]
    example = data[0]
    assert is_conversational(example)
    assert [m["role"] for m in example["messages"]] == ["system", "user", "assistant"]
    text = maybe_apply_chat_template(example, tokenizer)["text"]
    assert "<|im_start|>user\n" + example["messages"][1]["content"] in text
    assert example["messages"][2]["content"] in text


def test_dpo_pairs_prefer_the_native_document(run_dir, tokenizer):
    from trl.data_utils import is_conversational, maybe_apply_chat_template

    stats = export_finetune(run_dir / "dataset", run_dir / "finetune", "dpo")
    rows = [json.loads(line) for s in stats["splits"] for line in
            (run_dir / "finetune" / "dpo" / f"{s}.jsonl").read_text().splitlines()]
    assert sum(sum(v.values()) for v in (i.get("skipped", {}) for i in stats["splits"].values())) == 5
    example = _load(run_dir, "dpo")["train"][0]
    assert is_conversational(example)
    formatted = maybe_apply_chat_template(example, tokenizer)
    assert set(formatted) >= {"prompt", "chosen", "rejected"}
    assert formatted["prompt"].endswith("<|im_start|>assistant\n")
    assert all(r["chosen"][0]["content"] != r["rejected"][0]["content"] for r in rows)
    assert any("Everyone has the right" in r["rejected"][0]["content"] for r in rows)  # the English document


def test_bad_requests_get_clear_errors(run_dir, tmp_path):
    with pytest.raises(FinetuneExportError, match="unknown format"):
        export_finetune(run_dir / "dataset", tmp_path, "alpaca")
    with pytest.raises(FinetuneExportError, match="no config 'deu'.*epo, spa"):
        export_finetune(run_dir / "dataset", tmp_path, "chat", languages=["deu"])
    with pytest.raises(FinetuneExportError, match="no column 'missing'"):
        export_finetune(run_dir / "dataset", tmp_path, "dpo", rejected_column="missing")
    empty = write_run(tmp_path / "empty", [])
    export_run(empty, HubDatasetConfig())
    with pytest.raises(FinetuneExportError, match="no instruction pairs|no data files|not found"):
        export_finetune(empty.root / "dataset", tmp_path, "chat")


def test_cli_export_finetune(run_dir):
    result = CliRunner().invoke(app, ["export-finetune", str(run_dir), "--format", "chat", "--language", "epo"])
    assert result.exit_code == 0, result.output
    lines = (run_dir / "finetune" / "chat" / "train.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["language"] == "epo" for line in lines)
    result = CliRunner().invoke(app, ["export-finetune", str(run_dir), "--format", "nope"])
    assert result.exit_code == 2 and "--format" in result.output and "choose one of seq2seq, chat, dpo" in result.output


@pytest.mark.slow
def test_sft_smollm2_on_exported_chat_data_lowers_the_loss(run_dir, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    torch.manual_seed(0)
    torch.set_num_threads(1)  # on 2 cores shared with other jobs, 2 OpenMP threads ran 8x slower
    export_finetune(run_dir / "dataset", run_dir / "finetune", "chat")
    train = _load(run_dir, "chat")["train"].select(range(4)).remove_columns("language")
    model = AutoModelForCausalLM.from_pretrained(smollm2_hf(), dtype=torch.float32)
    # only the top two blocks learn: backward stops there, which keeps the smoke run short on 2 shared cores
    top = {f"model.layers.{i}." for i in range(model.config.num_hidden_layers - 2, model.config.num_hidden_layers)}
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith(tuple(top)) or name.startswith("model.norm.")
    trainer = SFTTrainer(
        model=model, processing_class=AutoTokenizer.from_pretrained(smollm2_hf()), train_dataset=train,
        args=SFTConfig(output_dir=str(tmp_path / "sft"), max_steps=6, per_device_train_batch_size=2,
                       learning_rate=5e-4, max_length=48, logging_steps=1, report_to=[], use_cpu=True,
                       save_strategy="no", seed=0, lr_scheduler_type="constant", dataloader_num_workers=0),
    )
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert len(losses) == 6
    # 4 examples, 3 epochs of 2 batches: the last epoch's mean loss is clearly below the first's
    assert sum(losses[-2:]) / 2 < 0.8 * sum(losses[:2]) / 2, losses


@pytest.mark.slow
def test_seq2seq_export_trains_with_seq2seq_trainer(run_dir, tokenizer, tmp_path):
    import torch
    from transformers import (DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments, T5Config,
                              T5ForConditionalGeneration)

    torch.manual_seed(0)
    torch.set_num_threads(1)
    export_finetune(run_dir / "dataset", run_dir / "finetune", "seq2seq")
    data = _load(run_dir, "seq2seq")["train"].select(range(8))
    tokenised = data.map(lambda b: tokenizer(b["inputs"], text_target=b["targets"], truncation=True, max_length=96),
                         batched=True, remove_columns=data.column_names)
    # a tiny mT5-shaped model (random weights) over SmolLM2's vocabulary: the point is the data path
    model = T5ForConditionalGeneration(T5Config(
        vocab_size=len(tokenizer), d_model=64, d_ff=128, d_kv=16, num_layers=2, num_heads=4,
        decoder_start_token_id=tokenizer.pad_token_id, pad_token_id=tokenizer.pad_token_id))
    trainer = Seq2SeqTrainer(
        model=model, train_dataset=tokenised, data_collator=DataCollatorForSeq2Seq(tokenizer, model=model),
        args=Seq2SeqTrainingArguments(output_dir=str(tmp_path / "t5"), max_steps=6, per_device_train_batch_size=4,
                                      learning_rate=3e-3, logging_steps=1, report_to=[], use_cpu=True,
                                      save_strategy="no", seed=0))
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert losses[-1] < losses[0], losses


@pytest.mark.slow
def test_dpo_export_trains_with_trl_dpo_trainer(run_dir, tmp_path):
    import math

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    torch.manual_seed(0)
    torch.set_num_threads(1)  # on 2 cores shared with other jobs, 2 OpenMP threads ran 8x slower
    export_finetune(run_dir / "dataset", run_dir / "finetune", "dpo")
    train = _load(run_dir, "dpo")["train"].select(range(2)).remove_columns("language")
    trainer = DPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(smollm2_hf(), dtype=torch.float32),
        processing_class=AutoTokenizer.from_pretrained(smollm2_hf()), train_dataset=train,
        args=DPOConfig(output_dir=str(tmp_path / "dpo"), max_steps=1, per_device_train_batch_size=2,
                       learning_rate=5e-6, max_length=64, logging_steps=1, report_to=[], use_cpu=True,
                       save_strategy="no", seed=0),
    )
    trainer.train()
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert losses and all(math.isfinite(loss) for loss in losses)
