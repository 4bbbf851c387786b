"""Text printed to a terminal: no escape sequence from an input file reaches it.

A name or description in a workload, a catalog layer or a file name can hold ESC or CSI
sequences that recolour, retitle or rewrite the user's terminal (OSC 52 even writes the
clipboard). Every such sequence starts with a control character; showing that character as a
visible escape (`\\x1b[31m`) disarms the sequence and, unlike deleting it, still shows the
user exactly which file or value was meant.
"""

from __future__ import annotations

from advisor.problems import Problem
from advisor.text import display_path, visible

KEEP_ON_TERMINAL = "\t\n"  # a carriage return could overwrite what was printed before it on the line


def terminal_safe(text: str) -> str:
    """`text` with every control character but tab and newline, and every lone surrogate, escaped."""
    return visible(text, keep=KEEP_ON_TERMINAL)


def problem_line(problem: Problem) -> str:
    """`file:line:col: message` for the terminal, the file named as the reports name it."""
    return terminal_safe(f"{display_path(problem.file)}:{problem.line}:{problem.col}: {problem.message}")
