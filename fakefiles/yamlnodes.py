"""YAML text that remembers where each value came from, for errors that name a line.

:func:`compose` parses once into both the data and PyYAML's node tree; :func:`line_of` walks
a pydantic-style location (``("openai", "files", 2, "purpose")``) through the tree to the
line it came from. JSON is YAML here, apart from tab indentation, which :func:`compose`
also accepts when the text is JSON.
"""

from __future__ import annotations

from typing import Any

import yaml

Loc = tuple[int | str, ...]


class DuplicateKey(yaml.YAMLError):
    """PyYAML keeps the last of two equal keys silently; here it is an error."""

    def __init__(self, line: int, loc: Loc) -> None:
        super().__init__(f"duplicate key at {field_path(loc)}")
        self.line, self.loc = line, loc


def compose(text: str) -> tuple[Any, yaml.Node | None]:
    """(data, root node); raises yaml.YAMLError (DuplicateKey included) or RecursionError."""
    try:
        return _compose(text)
    except yaml.YAMLError:
        if "\t" in text and text.lstrip().startswith(("{", "[")):
            # JSON indented with tabs: YAML refuses tabs, and in JSON they can only be
            # whitespace (a tab inside a JSON string must be escaped), so spaces do the same.
            return _compose(text.replace("\t", " "))
        raise


def _compose(text: str) -> tuple[Any, yaml.Node | None]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_duplicate_keys(root, (), set())
        return loader.construct_document(root), root
    finally:
        loader.dispose()


def _check_duplicate_keys(node: yaml.Node, loc: Loc, seen_nodes: set[int]) -> None:
    if id(node) in seen_nodes:  # an alias: checked already (and no exponential walk)
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    raise DuplicateKey(key.start_mark.line + 1, (*loc, key.value))
                keys.add(key.value)
            _check_duplicate_keys(value, (*loc, str(key.value)), seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicate_keys(item, (*loc, index), seen_nodes)


def line_of(root: yaml.Node | None, loc: Loc) -> int:
    """The line of ``loc``, or of the deepest part of it that exists (a missing key's parent)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else 1)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def field_path(loc: Loc) -> str:
    """``("openai", "files", 2, "purpose")`` → ``openai.files[2].purpose``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
