"""Exceptions: each means "cannot go on". Data problems in a returned file are findings, not exceptions.

::

    GipError
    ├── SpecError             a spec file in templates/ is malformed
    ├── WriterError           xlsxwriter refused part of a workbook (a non-zero return code)
    ├── InputError            bad arguments or input of the office's own (exit code 2)
    │   ├── UnsupportedYearError
    │   └── RosterError
    └── IntakeError           a returned file cannot be read at all (carries an F0xx code)
"""

from __future__ import annotations


class GipError(Exception):
    """Base of every giptemplate exception; ``str(exc)`` is a one-line message for the user."""


class SpecError(GipError):
    pass


class WriterError(GipError):
    pass


class InputError(GipError):
    pass


class UnsupportedYearError(InputError):
    pass


class RosterError(InputError):
    pass


class IntakeError(GipError):
    """A file refused before reading; ``code`` is the stable F0xx finding code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
