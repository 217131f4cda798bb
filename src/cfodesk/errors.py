"""Errors a finance person can act on.

Every problem the user can fix (a bad file, a bad option) is a :class:`CfoDeskError`. Its message
says what is wrong, where (file, row, column) and what to do; the CLI prints it and exits 2, the
window shows it in a message box. Anything else is a bug and is reported as an internal error.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CfoDeskError", "InputError", "ConfigError", "OutputError"]


class CfoDeskError(Exception):
    """A problem the user can fix, with a message written for them."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        self.detail = message
        super().__init__(self._compose(message))

    def _compose(self, message: str) -> str:
        where = []
        if self.file:
            where.append(f"file '{Path(self.file).name}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = message
        if where:
            text = f"{message} ({', '.join(where)})"
        if self.hint:
            text = f"{text}. {self.hint}"
        return text


class InputError(CfoDeskError):
    """An input file cannot be used as it is."""


class ConfigError(CfoDeskError):
    """An option or mapping given by the user is not valid."""


class OutputError(CfoDeskError):
    """The report cannot be written where the user asked."""
