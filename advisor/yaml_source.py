"""Safe YAML loading that remembers where every value came from.

Pydantic reports errors by field path; users need `file:line:col`. We compose the YAML node
graph with PyYAML's SafeLoader (no arbitrary objects), build plain Python data ourselves and
record the position of every key and value, so any field path maps back to a line. Building
the data ourselves also lets us refuse recursive aliases, alias bombs, huge files and
documents nested too deeply, with a message instead of a hang or a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from advisor.problems import InputError, Problem, single

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
_CORE = "tag:yaml.org,2002:"
# Plain YAML only: a tag such as !!python/object/apply (or !!set, !!binary, a custom !tag)
# is refused with a message, never constructed and never silently dropped.
SCALAR_TAGS = frozenset(_CORE + t for t in ("null", "bool", "int", "float", "str", "timestamp"))
SEQUENCE_TAG = _CORE + "seq"
MAPPING_TAG = _CORE + "map"

Path_ = tuple[Any, ...]


@dataclass
class SourceDoc:
    """One YAML document with a map from field path to (line, col), both 1-based."""

    file: str
    data: Any
    index: int = 0
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, prefer_key: bool = False) -> tuple[int, int]:
        """Position of the longest known prefix of `path` (a missing field points at its parent)."""
        path = tuple(path)
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefer_key and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return (1, 1)

    def problem(self, path: Path_, message: str, prefer_key: bool = False) -> Problem:
        line, col = self.where(path, prefer_key)
        return Problem(self.file, line, col, message)


class _Builder:
    """Turns a composed node graph into Python data, recording positions and enforcing limits."""

    def __init__(self, doc: SourceDoc):
        self.doc = doc
        self.count = 0
        self.constructor = yaml.SafeLoader("")
        self.active: set[int] = set()

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise single(
                self.doc.file,
                f"document too large: more than {MAX_NODES:,} values (an alias bomb?)",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if depth > MAX_DEPTH:
            raise single(
                self.doc.file,
                f"document nested more than {MAX_DEPTH} levels deep",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        self.doc.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        self._check_tag(node)
        if isinstance(node, ScalarNode):
            return self.constructor.construct_object(node, deep=True)
        if id(node) in self.active:
            raise single(
                self.doc.file,
                "recursive alias: a value contains itself",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
        raise single(self.doc.file, f"unsupported YAML node {node.tag}")  # pragma: no cover

    def _check_tag(self, node: Node) -> None:
        allowed = (SCALAR_TAGS if isinstance(node, ScalarNode)
                   else {SEQUENCE_TAG} if isinstance(node, SequenceNode) else {MAPPING_TAG})
        if node.tag not in allowed:
            shown = "!!" + node.tag[len(_CORE):] if node.tag.startswith(_CORE) else node.tag
            raise single(
                self.doc.file,
                f"unsupported YAML tag '{shown}': only plain values, lists and mappings are allowed",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )

    def _mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise single(self.doc.file, "merge keys (<<) are not supported; write the fields out", line, col)
            if not isinstance(key_node, ScalarNode):
                raise single(self.doc.file, "mapping keys must be plain names", line, col)
            self._check_tag(key_node)
            key = self.constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise single(self.doc.file, f"duplicate key '{key}'", line, col)
            self.doc.keys[path + (key,)] = (line, col)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        return result


def load_documents(path: Path, display: str | None = None) -> list[SourceDoc]:
    """Load every YAML document in `path`, raising InputError with file:line:col on failure."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise single(name, f"cannot read file: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise single(name, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise single(name, f"file is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise single(name, f"cannot read file: {exc.strerror}") from None
    return parse_documents(text, name)


def load_files(paths: list[Path], problems: list[Problem]) -> list[tuple[Path, list[SourceDoc]]]:
    """Every file's documents; a file that cannot be read adds its problems and is skipped,
    so one run reports every broken file at once."""
    loaded = []
    for path in paths:
        try:
            loaded.append((path, load_documents(path)))
        except InputError as exc:
            problems.extend(exc.problems)
    return loaded


def parse_documents(text: str, name: str) -> list[SourceDoc]:
    """Parse YAML text (possibly several `---` documents) into positioned documents."""
    docs: list[SourceDoc] = []
    try:
        # The pure-Python SafeLoader on purpose: the libyaml CSafeLoader crashes the process
        # (segmentation fault) on deeply nested input instead of raising RecursionError.
        for index, node in enumerate(yaml.compose_all(text, Loader=yaml.SafeLoader)):
            if node is None:
                continue
            doc = SourceDoc(file=name, data=None, index=index)
            doc.data = _Builder(doc).build(node, (), 0)
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax error: {exc.problem or exc.context}"
        raise InputError([Problem(name, line, col, message)]) from None
    except yaml.YAMLError as exc:
        raise single(name, f"YAML error: {exc}") from None
    except RecursionError:
        raise single(name, "document nested too deeply to read") from None
    return docs
