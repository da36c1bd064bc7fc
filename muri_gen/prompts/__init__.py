"""Prompt templates as data: ``<name>-v<N>.yaml`` files here, or any YAML file a recipe names.

Bump a template's ``version`` whenever its wording changes: it goes into every row's provenance.
"""
from __future__ import annotations

from pathlib import Path

from muri_gen.resources import bundled
from muri_gen.yaml_lines import safe_load


def load_prompt(name: str, required: set[str], what: str) -> dict:
    """A template by name ("reverse-instruction-v2") or by path, with the keys its user needs."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else bundled("prompts") / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"{what} prompt {name!r} not found ({path})")
    with open(str(path), encoding="utf-8") as fh:
        data = safe_load(fh.read(), str(path))
    missing = required - set(data if isinstance(data, dict) else {})
    if missing:
        raise ValueError(f"{what} prompt {name!r} lacks {sorted(missing)}")
    return data
