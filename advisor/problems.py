"""Problems in user input, reported like a compiler: `file:line:col: message`.

Every stage that reads user input raises `InputError` with one or more `Problem`s, so the
CLI can print them all and exit with code 2 instead of showing a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class InputError(Exception):
    """Raised when input cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def single(file: str, message: str, line: int = 1, col: int = 1) -> InputError:
    """An InputError with a single problem (for errors that are not tied to a field)."""
    return InputError([Problem(file, line, col, message)])
