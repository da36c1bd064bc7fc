import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def udhr_rows():
    """Real documents: UDHR articles in a handful of languages and scripts."""
    from muri_gen.corpora import declarations, documents

    rows = []
    for declaration in declarations(["spa", "por_PT", "rus", "arb", "hin", "cmn_hans", "eng"]):
        rows.extend(documents(declaration))
    return rows


@pytest.fixture()
def write_jsonl(tmp_path):
    def write(rows, name="corpus.jsonl"):
        path = tmp_path / name
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")
        return path

    return write


@pytest.fixture()
def embedded_llm_recipe(tmp_path):
    """A recipe whose only backend is the embedded SmolLM2 (xllamacpp), for commands that take one."""
    recipe = tmp_path / "llm.yaml"
    recipe.write_text(
        "name: llm\nseed: 0\ninput: {path: pipelines/data/udhr-demo.jsonl}\noutput: {dir: %s}\n"
        "backends:\n  llm: {kind: llm, type: xllamacpp}\nstages: []\n" % (tmp_path / "out"), encoding="utf-8")
    return recipe
