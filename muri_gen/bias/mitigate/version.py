"""Write a mitigated dataset version beside the original: OUT/dataset-mitigated-<name>/.

    README.md                                  card: Hub metadata + method, parameters, STA before/after
    data/<lang>/<split>-NNNNN.parquet          the export's rows and Features, plus the method's columns
    mitigation.json                            steps, parameters, summaries, before/after measurements
    excluded.jsonl                             rows a method took out, each with its reason
    finetune/sft.jsonl, finetune/dpo.jsonl     rewrite pairs (SFT messages; DPO prompt/chosen/rejected)

Rows go through the export's own mapping, splits and Parquet writer (muri_gen.export). A derived row
(counterfactual copy, resampled duplicate) takes the split of the row it came from, so an original and
its copy never straddle train and test. The original OUT/dataset/ is never touched; the version is
built in a temporary folder and swapped in whole.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from datasets import Features, List, Value
from huggingface_hub import DatasetCard

from muri_gen.bias.mitigate.pipeline import Outcome
from muri_gen.export.card import CardError, card_metadata, check_card
from muri_gen.export.hub_folder import SUMMARY_FILE, HubDatasetConfig
from muri_gen.export.schema import FEATURES, SplitFractions, missing_pair_reason, to_row
from muri_gen.export.writer import DatasetWriter, built_beside
from muri_gen.runner.layout import jsonl_bytes, safe_part, write_atomic

SPAN = {"field": Value("string"), "start": Value("int32"), "end": Value("int32"), "term": Value("string"),
        "gender": Value("string")}
COLUMN_FEATURES = {
    "weight": Value("float64"),
    "counterfactual_of": Value("string"),
    "swapped_words": Value("int32"),
    "resampled_from": Value("string"),
    "gender_spans": List(SPAN),
    "label_masks": List({"field": Value("string"), "mask": List(Value("int8"))}),
    "curation": Value("string"),
    "instruction_en_debiased": Value("string"),
}

CARD = """---
{{ card_data }}
---

# {{ pretty_name }}

A new version of [{{ source }}](../dataset) made by `muri-gen bias mitigate` with
{{ steps | map(attribute="method") | join(" → ") }}. The original dataset is unchanged.

| | rows | overall STA ({{ measure_field }}) | female % |
|---|---:|---:|---:|
{% for lang, b in before.get("languages", {}).items() -%}
| before (`{{ lang }}`) | {{ before.rows }} | {{ b.overall_sta }} | {{ b.female_pct }} |
{% set a = after.get("languages", {}).get(lang, {}) -%}
| after (`{{ lang }}`) | {{ after.rows }} | {{ a.overall_sta }} | {{ a.female_pct }} |
{% endfor %}
STA (stereotypical association, arXiv 2411.19240) is the mean over occupations of the total variation
distance between the female/male share of the sentence windows that mention the occupation and the
reference share of women in it (US labor statistics); 0 matches the reference.
{%- if weighted %} "After" counts each row with its `weight`.{% endif %}

## Steps and parameters
{% for step in steps %}
### {{ loop.index }}. `{{ step.method }}`

Parameters: `{{ step.params | tojson }}`

Result: `{{ step.summary | tojson }}`

Overall STA after this step: `{{ step.overall_sta_after | tojson }}`
{% endfor %}
## Columns added
{% for column, doc in columns.items() %}
- `{{ column }}`: {{ doc }}
{%- endfor %}
{% if excluded %}
{{ excluded }} rows were excluded; `excluded.jsonl` lists each with its reason.
{% endif %}
{%- if finetune %}
## Fine-tuning pairs

{% for name, n in finetune.items() %}- `finetune/{{ name }}.jsonl`: {{ n }} rows
{% endfor %}
{%- endif %}
"""


class EmptyVersion(ValueError):
    """No record can be exported as an instruction pair: the version would hold no rows, so none is written."""


def require_pairs(records: list[dict], source: str) -> None:
    """Raise EmptyVersion when no record of ``source`` can become a row of a version."""
    reasons = Counter(missing_pair_reason(record) for record in records)
    if reasons[None]:
        return
    found = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common()) or "it is empty"
    raise EmptyVersion(f"{source}: none of its {len(records)} rows is an instruction pair ({found}); a row needs "
                       "`instruction` and `text` (a run's records) or `input` and `output` (the published "
                       "dataset's columns)")


def version_name(methods: list[str]) -> str:
    return safe_part("-".join(methods))


def _split_key(record: dict) -> str:
    return str(record.get("counterfactual_of") or record.get("resampled_from") or record["id"])


def write_version(run_root: Path, outcome: Outcome, name: str, measure_field: str = "instruction_en",
                  config: HubDatasetConfig | None = None) -> Path:
    """Write the version's folder (rows, card, mitigation.json); EmptyVersion when it would hold no rows."""
    require_pairs(outcome.records, "the mitigated records")
    config = config or HubDatasetConfig()
    original = _original_summary(run_root)
    target = run_root / f"dataset-mitigated-{safe_part(name)}"
    features = Features({**FEATURES, **{c: COLUMN_FEATURES[c] for c in outcome.columns if c in COLUMN_FEATURES}})
    fractions = SplitFractions(config.validation_fraction, config.test_fraction)
    dataset_name = original.get("dataset_name") or run_root.name
    with built_beside(target) as building:
        data = DatasetWriter(building, config.max_rows_per_file, features)
        not_exported: Counter = Counter()
        for record in outcome.records:
            reason = missing_pair_reason(record)
            if reason is not None:
                not_exported[reason] += 1
                continue
            split = fractions.of(_split_key(record))
            data.add(to_row(record, dataset_name, split) | {c: record.get(c) for c in features if c not in FEATURES})
        data.close()

        finetune = {}
        for kind, rows in outcome.extra.items():
            (building / "finetune").mkdir(exist_ok=True)
            write_atomic(building / "finetune" / f"{kind}.jsonl", jsonl_bytes(rows))
            finetune[kind] = len(rows)
        if outcome.excluded:
            write_atomic(building / "excluded.jsonl", jsonl_bytes(outcome.excluded))
        record = {"name": name, "source": str(run_root / "dataset"), "measure_field": measure_field,
                  "steps": outcome.steps, "before": outcome.before, "after": outcome.after,
                  "rows": {"in": outcome.before.get("rows"), "out": data.rows,
                           "not_exported": dict(not_exported), "excluded": len(outcome.excluded)},
                  "columns": outcome.columns, "finetune": finetune}
        write_atomic(building / "mitigation.json", json.dumps(record, indent=2, ensure_ascii=False).encode())

        pretty_name = f"{original.get('pretty_name') or dataset_name} (mitigated: {name})"
        # the export's card metadata, with this version's own columns in its dataset_info
        metadata = card_metadata(
            data.configs(), pretty_name=pretty_name, license=original.get("license") or config.license,
            tags=(original.get("tags") or []) + ["bias-mitigation"], rows=data.rows, features=features)
        card = DatasetCard.from_template(
            metadata, template_str=CARD, pretty_name=pretty_name, name=name,
            source=dataset_name, steps=outcome.steps, before=outcome.before, after=outcome.after,
            measure_field=measure_field, weighted=any("weight" in r for r in outcome.records[:1]),
            columns=outcome.columns, excluded=len(outcome.excluded), finetune=finetune,
        )
        problems = check_card(card, building)
        if problems:
            raise CardError("the mitigated dataset's card is not valid:\n  - " + "\n  - ".join(problems))
        (building / "README.md").write_text(str(card), encoding="utf-8")
    return target


def _original_summary(run_root: Path) -> dict:
    path = run_root / SUMMARY_FILE
    return json.loads(path.read_text()) if path.exists() else {}
