"""Imports run downward: no circle among muri_gen's module-level imports (TYPE_CHECKING ones included),
and the component floor imports nothing else of the package."""
import ast
import graphlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "muri_gen"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules ``path`` imports at module level (also inside if/try, e.g. TYPE_CHECKING)."""
    name, found = module_name(path), set()
    for top in ast.parse(path.read_text(encoding="utf-8")).body:
        for node in ast.walk(top) if isinstance(top, (ast.If, ast.Try)) else [top]:
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def test_no_import_circle_in_the_package():
    graph = import_graph()
    assert len(graph) > 100 and graph["muri_gen.runner.context"] >= {"muri_gen.recipe", "muri_gen.component"}
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"imports run back up: {' -> '.join(exc.args[1])}") from None


def test_the_component_floor_stands_on_nothing_else_of_the_package():
    assert import_graph()["muri_gen.component"] == set()
