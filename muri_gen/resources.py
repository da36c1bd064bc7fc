"""Files the package reads at run time (prompts, rule data, the card template, a sample corpus).

Every one of them is found here, through ``importlib.resources``, so an installed wheel, an
editable install and a plain checkout agree. The repository keeps the files users edit at its top
level (``filters/``, ``release/dataset_card.md.j2``, ``pipelines/data/udhr-demo.jsonl``);
``muri_gen/data/`` holds symlinks to them, which the build turns into real files in the wheel.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from muri_gen.yaml_lines import safe_load


def bundled(*parts: str) -> Path:
    """The file or folder ``parts`` inside the installed package; raises when the build left it out."""
    path = Path(str(files("muri_gen").joinpath(*parts)))
    if not path.exists():
        raise FileNotFoundError(f"muri-gen's own data file {path} is missing: the package was built or "
                                "installed without it (reinstall muri-gen)")
    return path


# rule data (thresholds, boilerplate patterns, word lists): a recipe names a file by path, or a
# bare name inside ``filters/`` as shipped, so users copy a default, edit it and point at the copy
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
def load_filter_yaml(name: str, kind: str) -> dict:
    """A YAML mapping of rule data (thresholds, boilerplate patterns), by path or shipped name."""
    with open(filter_path(name, kind), encoding="utf-8") as fh:
        data = safe_load(fh.read(), fh.name)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: expected a mapping")
    return data
