"""Rule data kept in ``filters/`` (thresholds, boilerplate patterns, word lists): where it lives, how it loads.

Recipes name a file by path; a bare name resolves inside ``filters/`` as shipped in the package,
so users copy a default, edit it, and point the stage at their copy.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from muri_gen.resources import bundled
from muri_gen.yaml_lines import safe_load

FILTERS_DIR = bundled("data", "filters")


def filter_path(name: str, kind: str) -> Path:
    """``name`` as given if it exists, else ``filters/<kind>/<name>``."""
    path = Path(name).expanduser()
    if path.exists():
        return path
    shipped = FILTERS_DIR / kind / name
    if shipped.exists():
        return shipped
    raise FileNotFoundError(f"filter data {name!r} not found (looked at {path} and {shipped})")


@lru_cache(maxsize=64)
def load_yaml(name: str, kind: str) -> dict:
    with open(filter_path(name, kind), encoding="utf-8") as fh:
        data = safe_load(fh.read(), fh.name)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping")
    return data
