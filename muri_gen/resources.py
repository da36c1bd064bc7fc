"""Files the package reads at run time (prompts, rule data, the card template, a sample corpus).

Every one of them is found here, through ``importlib.resources``, so an installed wheel, an
editable install and a plain checkout agree. The repository keeps the files users edit at its top
level (``filters/``, ``release/dataset_card.md.j2``, ``pipelines/data/udhr-demo.jsonl``);
``muri_gen/data/`` holds symlinks to them, which the build turns into real files in the wheel.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def bundled(*parts: str) -> Path:
    """The file or folder ``parts`` inside the installed package; raises when the build left it out."""
    path = Path(str(files("muri_gen").joinpath(*parts)))
    if not path.exists():
        raise FileNotFoundError(f"muri-gen's own data file {path} is missing: the package was built or "
                                "installed without it (reinstall muri-gen)")
    return path


def prompt_file(name: str) -> Path:
    """A prompt template: a path when ``name`` ends in .yaml/.yml, else the package's prompts/<name>.yaml."""
    return Path(name) if name.endswith((".yaml", ".yml")) else bundled("prompts") / f"{name}.yaml"
