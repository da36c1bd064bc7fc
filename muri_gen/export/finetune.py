"""Fine-tuning files from an exported dataset folder, in the shapes trainers take without glue code.

    seq2seq  {inputs, targets, language}: mT5/mT0 with transformers' Seq2SeqTrainer
    chat     {messages: [user, assistant], language}: TRL SFTTrainer with any chat template
    dpo      {prompt, chosen, rejected, language} (conversational): TRL DPOTrainer

Output: OUT/finetune/<format>/<split>.jsonl plus stats.json (rows, and token lengths for packing
when a tokenizer is given). The source is OUT/dataset/ (or any folder or download of a released
dataset), so what is fine-tuned is exactly what is published.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

from muri_gen.backends.hub import load_tokenizer
from muri_gen.export.schema import SPLITS, language_config, length_summary

log = logging.getLogger("muri_gen")
FORMATS = ("seq2seq", "chat", "dpo")


class FinetuneExportError(ValueError):
    pass


def seq2seq_example(row: dict, task_prefix: str = "") -> dict:
    return {"inputs": f"{task_prefix}{row['input']}", "targets": row["output"], "language": row["language"]}


def chat_example(row: dict, system: str | None = None) -> dict:
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user", "content": row["input"]}, {"role": "assistant", "content": row["output"]}]
    return {"messages": messages, "language": row["language"]}


def dpo_example(prompt: str, chosen: str, rejected: str, language: str) -> dict:
    """One conversational preference pair (the shape the bias-mitigation stage writes too)."""
    return {
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "language": language,
    }


def _dataset_files(dataset_dir: Path, langs: list[str] | None) -> dict[str, list[str]]:
    data = dataset_dir / "data"
    if not data.is_dir():
        raise FinetuneExportError(f"{data} not found: is {dataset_dir} a dataset folder written by the hub_dataset sink?")
    available = sorted(p.name for p in data.iterdir() if p.is_dir())
    for lang in langs or []:
        if language_config(lang) is None or lang not in available:
            raise FinetuneExportError(f"no config {lang!r} in {dataset_dir} (it has: {', '.join(available) or 'none'})")
    chosen = langs or available
    files = {split: sorted(str(p) for lang in chosen for p in (data / lang).glob(f"{split}-*.parquet"))
             for split in SPLITS}
    return {split: paths for split, paths in files.items() if paths}


def export_finetune(dataset_dir: Path, out_dir: Path, fmt: str, languages: list[str] | None = None,
                    task_prefix: str = "", system: str | None = None, rejected_column: str = "document_en",
                    tokenizer: str | None = None) -> dict:
    """Write ``fmt`` files for every split of ``dataset_dir`` into ``out_dir/fmt``; returns stats.json."""
    import datasets

    if fmt not in FORMATS:
        raise FinetuneExportError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    files = _dataset_files(dataset_dir, languages)
    if not files:
        raise FinetuneExportError(f"{dataset_dir} has no data files: the run exported no instruction pairs")
    target = out_dir / fmt
    target.mkdir(parents=True, exist_ok=True)
    counter = _TokenCounter(tokenizer) if tokenizer else None
    stats: dict = {"format": fmt, "source": str(dataset_dir), "splits": {}}
    for split, paths in files.items():
        rows = datasets.load_dataset("parquet", data_files=paths, split="train")
        examples, skipped = _convert(rows, fmt, task_prefix, system, rejected_column)
        with open(target / f"{split}.jsonl", "w", encoding="utf-8") as fh:
            for example in examples:
                fh.write(json.dumps(example, ensure_ascii=False) + "\n")
        split_stats: dict = {"rows": len(examples), "by_language": dict(Counter(e["language"] for e in examples))}
        if skipped:
            split_stats["skipped"] = dict(skipped)
            log.warning("export-finetune %s/%s: skipped %s", fmt, split, dict(skipped))
        if counter is not None:
            split_stats["tokens"] = counter.lengths(examples, fmt)
        stats["splits"][split] = split_stats
    (target / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False))
    return stats


def _convert(rows, fmt: str, task_prefix: str, system: str | None, rejected_column: str):
    examples, skipped = [], Counter()
    if fmt == "dpo" and rejected_column not in rows.column_names:
        raise FinetuneExportError(f"no column {rejected_column!r} for the rejected answers (have: {rows.column_names})")
    for row in rows:
        if fmt == "seq2seq":
            examples.append(seq2seq_example(row, task_prefix))
        elif fmt == "chat":
            examples.append(chat_example(row, system))
        else:
            rejected = row.get(rejected_column)
            # the default pairs prefer the native answer over the English one the pipeline also has
            if not rejected or rejected.strip() == row["output"].strip():
                skipped[f"no distinct {rejected_column}"] += 1
                continue
            examples.append(dpo_example(f"{task_prefix}{row['input']}", row["output"], rejected, row["language"]))
    return examples, skipped


class _TokenCounter:
    """Token lengths as the model will see them (chat template applied), for max_length and packing."""

    def __init__(self, name_or_path: str):
        try:
            self.tokenizer = load_tokenizer(name_or_path, "--tokenizer")
        except ValueError as exc:
            raise FinetuneExportError(str(exc)) from None

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _chat(self, messages: list[dict]) -> int:
        if self.tokenizer.chat_template:
            ids = self.tokenizer.apply_chat_template(messages, tokenize=True)
            return len(ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids)
        return self._count("\n".join(m["content"] for m in messages))

    def lengths(self, examples: list[dict], fmt: str) -> dict:
        if fmt == "seq2seq":
            sides = {"inputs": [self._count(e["inputs"]) for e in examples],
                     "targets": [self._count(e["targets"]) for e in examples]}
        elif fmt == "chat":
            sides = {"conversation": [self._chat(e["messages"]) for e in examples]}
        else:
            sides = {"prompt+chosen": [self._chat(e["prompt"] + e["chosen"]) for e in examples],
                     "prompt+rejected": [self._chat(e["prompt"] + e["rejected"]) for e in examples]}
        return {side: length_summary(values) for side, values in sides.items()}

