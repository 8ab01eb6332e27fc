"""xlsxwriter workbooks whose shared strings are always written as text.

xlsxwriter keeps a rich string in the shared-string table as its XML and tells it from plain text by its form: a
string that starts with ``<r>`` and ends with ``</r>`` is written into ``sharedStrings.xml`` as it is, unescaped.
A unit's name, file name or text of that form would become markup of the sender's choosing (text and formatting
that are not what was sent, or a file Excel must repair). giptemplate writes no rich strings, so its workbooks
write every shared string as text. The override replaces private methods of xlsxwriter's packager and
shared-string writer; tests/test_writer.py, tests/test_render.py and tests/test_merge.py write such strings and read
them back, on the installed xlsxwriter.
"""

from __future__ import annotations

from typing import Any

import xlsxwriter
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import _preserve_whitespace


class _TextSharedStrings(SharedStrings):  # type: ignore[misc]
    def _write_si(self, string: str) -> None:
        attributes = [("xml:space", "preserve")] if _preserve_whitespace(string) else []
        self._xml_si_element(self._escape_control_characters(string), attributes)


class _TextPackager(Packager):  # type: ignore[misc]
    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        sst = _TextSharedStrings()
        sst.string_table = self.workbook.str_table
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


class TextWorkbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """An xlsxwriter workbook whose shared strings are all text (no string is taken for rich text's XML)."""

    def _get_packager(self) -> Any:
        return _TextPackager()
