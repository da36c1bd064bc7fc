"""Prompt templates as data: ``<name>-v<N>.yaml`` files here, or any YAML file a recipe names.

Bump a template's ``version`` whenever its wording changes: it goes into every row's provenance.
"""
from __future__ import annotations

import yaml

from muri_gen.resources import prompt_file


def load_prompt(name: str, required: set[str], what: str) -> dict:
    """A template by name ("reverse-instruction-v2") or by path, with the keys its user needs."""
    path = prompt_file(name)
    if not path.is_file():
        raise ValueError(f"{what} prompt {name!r} not found ({path})")
    with open(str(path), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    missing = required - set(data if isinstance(data, dict) else {})
    if missing:
        raise ValueError(f"{what} prompt {name!r} lacks {sorted(missing)}")
    return data
