"""Text from the outside world made safe to show: file names with bad bytes, control characters.

One rule everywhere: a character that cannot be shown as itself is written as a visible escape
(`\\xff`, `\\x1b`, `\\ud800`), so a report and a `file:line:col` message name the same thing the
same way, and nothing hidden reaches a file, a browser or a terminal.
"""

from __future__ import annotations

import os
import re

# Lone surrogates: on POSIX a file-name byte that is not UTF-8 decodes to U+DC80..U+DCFF
# (surrogateescape); YAML "\ud800" escapes give the others. None of them can be written as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls, DEL and C1 controls: ESC and CSI start terminal escape sequences, NUL and the
# others are invisible or corrupt files. Tab, line feed and carriage return are handled per format.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
KEEP_IN_FILES = "\t\n\r"


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # the byte that surrogateescape stood in for
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def without_surrogates(text: str) -> str:
    """`text` that can be encoded as UTF-8: each lone surrogate becomes a visible escape."""
    return _SURROGATE.sub(lambda m: _escape(m.group()), text)


def visible(text: str, keep: str = KEEP_IN_FILES) -> str:
    """`text` with lone surrogates and control characters (except those in `keep`) escaped visibly."""
    def shown(match: re.Match[str]) -> str:
        char = match.group()
        return char if char in keep else _escape(char)

    return _CONTROL.sub(shown, without_surrogates(text))


def display_path(path: str | bytes | os.PathLike[str]) -> str:
    """A file name as reports and messages show it: `w\\xff.yaml` for a name holding byte 0xff.

    Python decodes such a byte to a lone surrogate (surrogateescape), which no UTF-8 writer
    accepts; writing the byte as `\\xff` instead keeps every output writable and shows the user
    which byte is wrong. A line break in a name is escaped too: one problem stays one line.
    """
    name = path.decode("utf-8", "backslashreplace") if isinstance(path, bytes) else os.fspath(path)
    return visible(name, keep="")
