"""Safe, bounded YAML loading that remembers the line of every key, so recipe errors can point at it.

Every YAML file muri-gen reads goes through here (``safe_load`` or ``load_with_lines``): the safe
loader never constructs arbitrary objects, a document whose aliases expand beyond
``MAX_EXPANDED_NODES`` (a "billion laughs" recipe hangs anything that walks it) or that refers to
itself is refused, and a key given twice in one mapping is refused with both lines instead of the
last one silently winning.
"""
from __future__ import annotations

import yaml

MAX_EXPANDED_NODES = 100_000  # the largest shipped recipe expands to a few hundred nodes


class LineLoader(yaml.SafeLoader):
    """SafeLoader (never constructs arbitrary objects) that also records node lines."""


class YAMLRefused(yaml.YAMLError):
    """Valid YAML that muri-gen will not load (too large once expanded, recursive, duplicate keys)."""


def _check(root: yaml.Node, source: str) -> None:
    """Refuse duplicate keys and documents too large once their aliases are expanded."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:  # an alias: counted again where it is used, computed once
            return sizes[key]
        if key in active:
            raise YAMLRefused(f"{source}: line {node.start_mark.line + 1}: an alias refers to itself")
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            first_line: dict[object, int] = {}
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if name is not None and key_node.tag != "tag:yaml.org,2002:merge":
                    line = key_node.start_mark.line + 1
                    if name in first_line:
                        raise YAMLRefused(f"{source}: line {line}: key {name!r} is given twice "
                                          f"(first on line {first_line[name]}); keep one")
                    first_line[name] = line
                total += size(key_node) + size(value_node)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        active.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise YAMLRefused(f"{source}: line {node.start_mark.line + 1}: its aliases expand to more than "
                              f"{MAX_EXPANDED_NODES} values; write the values out instead")
        sizes[key] = total
        return total

    size(root)


def _compose(text: str, source: str) -> yaml.Node | None:
    node = yaml.compose(text, Loader=LineLoader)
    if node is not None:
        _check(node, source)
    return node


def safe_load(text: str, source: str = "<yaml>") -> object:
    """yaml.safe_load, bounded and without duplicate keys."""
    node = _compose(text, source)
    return None if node is None else LineLoader(text).construct_document(node)


def load_with_lines(text: str, source: str = "<recipe>") -> tuple[object, dict[tuple, int]]:
    """Return (data, lines) where lines maps a key path like ("stages", 2, "backend") to a 1-based line."""
    node = _compose(text, source)
    if node is None:
        return None, {}
    lines: dict[tuple, int] = {}

    def walk(n, path: tuple) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                child = path + (key_node.value,)
                walk(value_node, child)
                lines[child] = key_node.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, path + (i,))

    walk(node, ())  # bounded: _check refused anything that expands beyond MAX_EXPANDED_NODES
    return LineLoader(text).construct_document(node), lines


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """Line of the deepest known prefix of path (an unknown key's parent, a missing key's section)."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
