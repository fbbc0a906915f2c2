"""The project's one error for bad input, and how command-line tools and notebooks show it.

Every problem with an input file becomes an `InputError` holding one or more `Problem`s.
A problem names the file, where in it (a line, counted as a spreadsheet counts them with
the header on line 1, or a plate well), the column or field, and a plain message. It prints
as `file:line: column: message` (or `file:well: ...`), the way compilers and linters do, so
editors can jump to it.

Command-line tools wrap their work in `cli_errors()`: an InputError then prints its
problems (at most MAX_SHOWN, then a count of the rest) without a traceback, and the
tool exits with status 2. In a notebook, IPython calls `_render_traceback_`, so the
reader sees the same lines instead of a stack.
"""
from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_SHOWN = 20
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    message: str
    line: int | None = None
    well: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.well:
            where += f":{self.well}"
        return ": ".join([where] + ([self.column] if self.column else []) + [self.message])


class InputError(ValueError):
    """Bad input: one or more Problems, each naming the file, the line or well, and the column."""

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        if not self.problems:
            raise ValueError("an InputError needs at least one problem")
        super().__init__(self.text())

    @classmethod
    def at(cls, file, message: str, *, line: int | None = None, well: str | None = None,
           column: str | None = None) -> "InputError":
        """An error with one problem."""
        return cls(Problem(display_name(file), message, line, well, column))

    def text(self, limit: int = MAX_SHOWN) -> str:
        """The problems, one per line, at most `limit` of them, then how many more there are."""
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problem(s)")
        return "\n".join(lines)

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback."""
        n = len(self.problems)
        return [f"Input problem{'s' if n > 1 else ''} ({n}):", *self.text().splitlines()]


def display_name(file) -> str:
    """How a file is named in messages: relative to the data directory's parent when it lies
    under a `raw/` folder (e.g. `raw/plates.csv`), else as given."""
    path = Path(file)
    parts = path.parts
    if "raw" in parts[:-1]:
        i = len(parts) - 1 - parts[::-1].index("raw")
        return str(Path(*parts[i:]))
    return str(file)


@contextlib.contextmanager
def cli_errors():
    """For a command-line tool's main: print an InputError's problems to stderr, no
    traceback, and exit with status 2."""
    try:
        yield
    except InputError as err:
        print(err.text(), file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
