"""Safe YAML loading that remembers where every value came from.

Pydantic reports errors by field path; users need `file:line:col`. We compose the YAML node
graph with PyYAML's SafeLoader (no arbitrary objects), build plain Python data ourselves and
record the position of every key and value, so any field path maps back to a line. Building
the data ourselves also lets us refuse recursive aliases, alias bombs, huge files and
documents nested too deeply, with a message instead of a hang or a crash. Files are read
with a byte limit and only when they are regular files, so `/dev/zero` or a FIFO is refused
instead of filling memory or blocking forever.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from advisor.problems import InputError, Problem, single
from advisor.text import display_path

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
YAML_SUFFIXES = (".yaml", ".yml")
# Scalar constructors raise these on values that look like a type but are not one (2026-02-30).
_SCALAR_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
_SCALAR_KINDS = {"int": "whole number", "float": "number", "bool": "true/false value",
                 "null": "null value", "timestamp": "date", "str": "string"}
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
            return self._scalar(node)
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

    def _scalar(self, node: ScalarNode) -> Any:
        """The value of a plain scalar; one its type cannot hold (2026-02-30) is a problem at the node."""
        try:
            return self.constructor.construct_object(node, deep=True)
        except _SCALAR_ERRORS as exc:
            raise single(self.doc.file, _bad_scalar(node, exc),
                         node.start_mark.line + 1, node.start_mark.column + 1) from None

    def _mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise single(self.doc.file, "merge keys (<<) are not supported; write the fields out", line, col)
            if not isinstance(key_node, ScalarNode):
                raise single(self.doc.file, "mapping keys must be plain names", line, col)
            self._check_tag(key_node)
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise single(self.doc.file, f"duplicate key '{key}'", line, col)
            self.doc.keys[path + (key,)] = (line, col)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        return result


def _bad_scalar(node: ScalarNode, exc: Exception) -> str:
    """Why a scalar cannot be read, e.g. "'2026-02-30' is not a valid date (day is out of range for month)"."""
    tag = node.tag[len(_CORE):] if node.tag.startswith(_CORE) else node.tag
    kind = _SCALAR_KINDS.get(tag, "value")
    if tag == "timestamp" and any(sep in node.value for sep in "Tt "):
        kind = "date and time"
    shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    if isinstance(exc, ValueError) and "digits" in str(exc):
        return f"'{shown}' has too many digits to be a {kind} ({len(node.value):,} characters)"
    reason = str(exc) if isinstance(exc, ValueError) and tag == "timestamp" else ""
    return f"'{shown}' is not a valid {kind}" + (f" ({reason})" if reason else "")


def _file_kind(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "a special file")


def _refuse_unless_regular(mode: int, name: str) -> None:
    if not stat.S_ISREG(mode):
        raise single(name, f"cannot read {_file_kind(mode)}: only regular files are read")


def read_bounded(path: Path, limit: int, name: str | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    Anything else is refused before it is read: a FIFO would block forever and `/dev/zero` or a
    pipe never ends. The file is checked before opening (opened non-blocking, so a FIFO swapped
    in meanwhile cannot block either) and read with a byte limit, whatever its size claims.
    """
    name = name or str(path)
    try:
        _refuse_unless_regular(os.stat(path).st_mode, name)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            _refuse_unless_regular(info.st_mode, name)
            if info.st_size > limit:
                raise single(name, f"file is {info.st_size:,} bytes; the limit is {limit:,}")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise single(name, f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise single(name, f"file is more than {limit:,} bytes; the limit is {limit:,}")
    return data


def decode_utf8(data: bytes, name: str, encoding: str = "utf-8") -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise single(name, f"file is not UTF-8 text ({exc.reason})") from None


def load_documents(path: Path, display: str | None = None) -> list[SourceDoc]:
    """Load every YAML document in `path`, raising InputError with file:line:col on failure."""
    name = display or display_path(path)
    return parse_documents(decode_utf8(read_bounded(path, MAX_FILE_BYTES, name), name), name)


def yaml_files_in(directory: Path, problems: list[Problem]) -> list[Path]:
    """Every *.yaml / *.yml file below `directory`, sorted by path.

    Path.rglob silently skips what it cannot list and symlinked directories; here symlinked
    directories are followed (each real directory once, so a link loop ends) and a directory
    that cannot be listed is a problem, so no input is left out without a word.
    """
    found: list[Path] = []
    seen: set[str] = set()
    pending = [directory]
    while pending:
        current = pending.pop()
        real = os.path.realpath(current)  # unlike Path.resolve, no error on a symlink loop
        if real in seen:
            continue
        seen.add(real)
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError as exc:
            problems.append(Problem(str(current), 1, 1, f"cannot read directory: {exc.strerror or exc}"))
            continue
        for entry in entries:
            path = current / entry.name
            if _is_dir(entry):
                pending.append(path)
            elif path.suffix in YAML_SUFFIXES:
                found.append(path)
    return sorted(found)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks
    except OSError:
        return False


@dataclass(frozen=True)
class LoadedFile:
    """One input file's documents and the SHA-256 of the bytes they were parsed from (provenance)."""

    path: Path
    docs: list[SourceDoc]
    sha256: str


def load_files(paths: list[Path], problems: list[Problem]) -> list[LoadedFile]:
    """Every file's documents; a file that cannot be read adds its problems and is skipped,
    so one run reports every broken file at once."""
    loaded = []
    for path in paths:
        name = display_path(path)
        try:
            data = read_bounded(path, MAX_FILE_BYTES, name)
            loaded.append(LoadedFile(path, parse_documents(decode_utf8(data, name), name),
                                     hashlib.sha256(data).hexdigest()))
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
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character or "\0")
        raise single(name, f"character #x{code:04x} is not allowed in YAML ({exc.reason}); "
                           "is this a binary file?", line, col) from None
    except yaml.YAMLError as exc:
        raise single(name, f"YAML error: {exc}") from None
    except RecursionError:
        raise single(name, "document nested too deeply to read") from None
    return docs


def _line_col(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1
