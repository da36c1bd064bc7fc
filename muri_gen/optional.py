"""Optional packages: imported where a backend or executor needs them, and when one is missing, an
error that names the muri-gen extra installing it instead of a traceback.

The extra is read from muri-gen's own installed metadata (``Requires-Dist: xllamacpp>=0.2; extra ==
"llamacpp"``), so the message follows pyproject.toml without repeating it here.
"""
from __future__ import annotations

import importlib
import re
from importlib import metadata
from types import ModuleType

_EXTRA_REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)[^;]*;.*\bextra\s*==\s*['\"](?P<extra>[^'\"]+)['\"]")


class MissingPackage(ImportError):
    """An optional package is not installed; the message says how to install it."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def extras_providing(distribution: str) -> list[str]:
    """The muri-gen extras that list ``distribution`` (none when muri-gen itself is not installed)."""
    try:
        requirements = metadata.requires("muri-gen") or []
    except metadata.PackageNotFoundError:
        return []
    matches = (_EXTRA_REQUIREMENT.match(requirement) for requirement in requirements)
    return list(dict.fromkeys(m["extra"] for m in matches if m and _canonical(m["name"]) == _canonical(distribution)))


def install_hint(distribution: str) -> str:
    extras = extras_providing(distribution)
    if not extras:
        return f"pip install {distribution}"
    return " or ".join(f"pip install 'muri-gen[{extra}]'" for extra in extras)


def require(module: str, needed_by: str, distribution: str | None = None, note: str = "") -> ModuleType:
    """Import ``module`` (e.g. "xllamacpp"); if it is not installed, raise MissingPackage naming what
    needs it and how to install it. ``distribution`` is its name on PyPI when that differs."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.partition(".")[0]:
            raise  # the package is there but one of its own imports is broken: show that as it is
        distribution = distribution or module.replace("_", "-")
        raise MissingPackage(f"{needed_by} needs {distribution}, which is not installed: "
                             f"{install_hint(distribution)}{f' ({note})' if note else ''}") from None
