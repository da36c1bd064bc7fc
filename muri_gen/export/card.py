"""The dataset card: Hub metadata (configs, languages, license, sizes) plus prose rendered from the run.

The prose comes from a Jinja template users can edit (release/dataset_card.md.j2) and from what
the run wrote: dataset_summary.json, stats.json, and, when those stages ran, bias/trace.json and
eval/scores.json. Metadata goes through huggingface_hub's DatasetCardData, and ``check_card``
repeats offline what the Hub checks on push (``validate_on_hub`` asks the Hub itself).
"""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from datasets import DatasetInfo, Features, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCard, DatasetCardData

from muri_gen import languages
from muri_gen.export.schema import COLUMN_DOCS, FEATURES, SPLITS
from muri_gen.resources import bundled

DEFAULT_TEMPLATE = bundled("data", "dataset_card.md.j2")
TASK_CATEGORIES = ["text-generation"]
BASE_TAGS = ["instruction-tuning", "multilingual", "reverse-instructions", "muri", "synthetic", "muri-gen"]
MURI_CITATION = """@misc{koksal2024muri,
  title={MURI: High-Quality Instruction Tuning Datasets for Low-Resource Languages via Reverse Instructions},
  author={Abdullatif K{\\"o}ksal and Marion Thaler and Ayyoob Imani and Ahmet {\\"U}st{\\"u}n and Anna Korhonen and Hinrich Sch{\\"u}tze},
  year={2024},
  eprint={2409.12958},
  archivePrefix={arXiv},
  primaryClass={cs.CL}
}"""
_SIZE_BOUNDS = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]


class CardError(ValueError):
    pass


def size_category(rows: int) -> str:
    return next((label for bound, label in _SIZE_BOUNDS if rows < bound), "n>1T")


DEFAULT_CONFIG = "default"  # what load_dataset(repo) reads without a config name: every language


def hub_language(code: str) -> str:
    """The Hub's `language:` metadata: the ISO 639-1 code where one exists, else ISO 639-3 (an unknown
    code stays as it is, for check_card to report)."""
    try:
        return languages.get(code).alpha2 or code
    except languages.UnknownLanguage:
        return code


def card_metadata(configs: dict, *, pretty_name: str, license: str, tags: list[str], rows: int,
                  features: Features = FEATURES) -> DatasetCardData:
    """Hub metadata for per-language Parquet folders (data/<code>/<split>-NNNNN.parquet): a config per
    ISO 639-3 code plus a default config holding every language, with features and split sizes.

    ``configs`` maps a code to {"splits": {split: rows}, "bytes": {split: parquet_sizes(...)}}.
    """
    splits = [split for split in SPLITS if any(split in lang["splits"] for lang in configs.values())]
    entries = [{"config_name": DEFAULT_CONFIG,
                "data_files": [{"split": split, "path": f"data/*/{split}-*.parquet"} for split in splits]}]
    entries += [{"config_name": code,
                 "data_files": [{"split": split, "path": f"data/{code}/{split}-*.parquet"} for split in lang["splits"]]}
                for code, lang in configs.items()]
    data = DatasetCardData(
        pretty_name=pretty_name,
        language=sorted({hub_language(code) for code in configs}) or None,
        license=license,
        task_categories=TASK_CATEGORIES,
        size_categories=[size_category(rows)],
        tags=list(dict.fromkeys(BASE_TAGS + tags)),
        configs=entries if configs else None,
    )
    if configs:
        every = {DEFAULT_CONFIG: {
            "splits": {split: sum(lang["splits"].get(split, 0) for lang in configs.values()) for split in splits},
            "bytes": {split: {key: sum(lang["bytes"][split][key] for lang in configs.values() if split in lang["bytes"])
                              for key in ("num_bytes", "file_bytes")} for split in splits}}}
        # split sizes in the card make `datasets` key its cache on them, not on the folder's name only
        dataset_infos({**every, **configs}, features).to_dataset_card_data(data)
    return data


def card_data(summary: dict) -> DatasetCardData:
    return card_metadata(summary["languages"], pretty_name=summary["pretty_name"], license=summary["license"],
                         tags=summary["tags"], rows=summary["rows"])


def dataset_infos(configs: dict, features: Features = FEATURES) -> DatasetInfosDict:
    """Features and split sizes per config: the Hub shows them, and `datasets` keys its cache on them."""
    infos = {}
    for code, lang in configs.items():
        splits = SplitDict()
        for split, count in lang["splits"].items():
            splits.add(SplitInfo(name=split, num_bytes=lang["bytes"][split]["num_bytes"], num_examples=count))
        infos[code] = DatasetInfo(
            config_name=code, features=features, splits=splits,
            download_size=sum(b["file_bytes"] for b in lang["bytes"].values()),
            dataset_size=sum(b["num_bytes"] for b in lang["bytes"].values()),
        )
    return DatasetInfosDict(infos)


def _scalars(data: object, prefix: str = "", depth: int = 0) -> list[tuple[str, object]]:
    """Scalar leaves of a JSON summary (two levels deep) as (dotted key, value) table rows."""
    if isinstance(data, dict) and depth < 3:
        rows = []
        for key, value in data.items():
            rows += _scalars(value, f"{prefix}.{key}" if prefix else str(key), depth + 1)
        return rows
    if isinstance(data, float):
        return [(prefix, round(data, 4))]
    if isinstance(data, (int, str, bool)):
        return [(prefix, data)]
    return []


def _summary_of(path: Path, limit: int = 40) -> list[tuple[str, object]] | None:
    """Rows for the card from another sink's JSON file (its "summary" section if it has one)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return [("note", f"{path.name} could not be read")]
    if isinstance(data, dict) and isinstance(data.get("summary"), dict):
        data = data["summary"]
    return _scalars(data)[:limit] or None


def _funnel_rows(funnel: dict) -> list[tuple[str, str, int]]:
    rows = []
    for key, count in (funnel.get("by_reason") or {}).items():
        stage, _, reason = key.partition(":")
        rows.append((stage, reason or "-", count))
    return rows


def render_card(run_root: Path, template: str | Path | None = None, repo_id: str | None = None) -> DatasetCard:
    """The card of OUT/dataset/; its usage example loads ``repo_id`` when given (publishing), else the folder."""
    summary = json.loads((run_root / "dataset_summary.json").read_text())
    template = Path(template or DEFAULT_TEMPLATE)
    if not template.is_file():
        raise CardError(f"card template {template} not found: set the hub_dataset sink's card_template "
                        f"to a copy of {DEFAULT_TEMPLATE}")
    return DatasetCard.from_template(
        card_data(summary),
        template_path=str(template),
        s=summary,
        location=repo_id or str(run_root / "dataset"),
        default_config=DEFAULT_CONFIG,
        bias=_summary_of(run_root / "bias" / "trace.json"),
        human_eval=_summary_of(run_root / "eval" / "scores.json"),
        indicators=_summary_of(run_root / "eval" / "indicators.json"),
        column_docs=COLUMN_DOCS,
        funnel_rows=_funnel_rows(summary["funnel"]),
        muri_citation=MURI_CITATION,
    )


def write_card(run_root: Path, dataset_dir: Path, template: str | Path | None = None,
               repo_id: str | None = None) -> DatasetCard:
    card = render_card(run_root, template, repo_id)
    problems = check_card(card, dataset_dir)
    if problems:
        raise CardError("the dataset card is not valid:\n  - " + "\n  - ".join(problems))
    (dataset_dir / "README.md").write_text(str(card), encoding="utf-8")
    return card


def refresh_card(run_root: Path, repo_id: str | None = None) -> DatasetCard | None:
    """Re-render OUT/dataset/README.md with what the run folder holds now (e.g. human-eval scores
    imported after the run, or a bias trace a later sink wrote; the repo it is published to); None
    if the folder has no summary."""
    summary_file = run_root / "dataset_summary.json"
    if not summary_file.is_file():
        return None
    template = json.loads(summary_file.read_text()).get("card_template")
    return write_card(run_root, run_root / "dataset", template, repo_id)


def check_card(card: DatasetCard, dataset_dir: Path) -> list[str]:
    """Offline checks of the metadata the Hub relies on: configs match files, codes and sizes are right."""
    problems = []
    data = card.data.to_dict()
    files = sorted(str(p.relative_to(dataset_dir)) for p in dataset_dir.glob("data/**/*.parquet"))
    rows = 0
    for config in data.get("configs") or []:
        name = config.get("config_name", "")
        if name != DEFAULT_CONFIG and not languages.SAFE_CODE.match(name):
            problems.append(f"config {name!r} is not a language code")
        for entry in config.get("data_files", []):
            matched = fnmatch.filter(files, entry["path"])
            if not matched:
                problems.append(f"config {name} split {entry['split']}: no file matches {entry['path']}")
    for code in data.get("language") or []:
        try:
            languages.get(code)
        except languages.UnknownLanguage:
            problems.append(f"language {code!r} is not an ISO 639 code")
    declared = {c["config_name"] for c in data.get("configs") or []}
    for path in files:
        if path.split("/")[1] not in declared:
            problems.append(f"{path} belongs to no config")
    if files:
        import pyarrow.parquet as pq

        rows = sum(pq.ParquetFile(dataset_dir / p).metadata.num_rows for p in files)
    if data.get("size_categories") != [size_category(rows)]:
        problems.append(f"size_categories {data.get('size_categories')} does not match {rows} rows")
    for key in ("license", "task_categories", "pretty_name"):
        if not data.get(key):
            problems.append(f"metadata {key} is missing")
    return problems


def validate_on_hub(card: DatasetCard) -> None:
    """The Hub's own metadata validation (needs the network; HF_ENDPOINT selects the server)."""
    card.validate(repo_type="dataset")
