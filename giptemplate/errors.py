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

from collections.abc import Mapping

from giptemplate.findings import render


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
    """A file refused before reading: ``code`` is the stable F0xx (P80x) finding code, ``variant`` and ``fields``
    the catalogue's sentence of the refusal (:mod:`giptemplate.findings`), which the finding renders again.

    ``str(exc)`` (``message``) is one line: the file's name, that sentence and, in brackets, an English detail for
    the developer (``english``: not a finding message)."""

    def __init__(self, code: str, variant: str, fields: Mapping[str, object], *, name: str, english: str = "") -> None:
        self.code = code
        self.variant = variant
        self.fields = {key: str(value) for key, value in fields.items()}
        self.sentence = render(code, variant, **self.fields)
        self.name, self.english = name, english
        self.message = f"{name}：{self.sentence}" + (f" ({english})" if english else "")
        super().__init__(self.message)

    def __reduce__(self) -> tuple[object, ...]:
        # pickled by keyword (a worker process's refusal): the default would call the class with the message alone
        return (_intake_error, (self.code, self.variant, self.fields, self.name, self.english))


def _intake_error(code: str, variant: str, fields: Mapping[str, str], name: str, english: str) -> IntakeError:
    return IntakeError(code, variant, fields, name=name, english=english)
