"""Read one returned workbook into a :class:`~giptemplate.workbook.submission.Submission`.

The reader records, it never judges: it identifies the template (identity data first, the printed labels when
that is missing or damaged), finds every table by its labels even after rows or columns were inserted or
deleted, reads each input cell through :mod:`.normalise` and keeps each total as filed (cached value,
and for xlsx whether its formula is still there). Totals are never trusted; the submission recomputes them.

Speed matters (an office merges thousands of files), so a file is read in one pass over bytes already in memory:
python-calamine for the values of the few sheets needed, byte searches over the table sheets' XML for formulas,
error values and protection, and everything that depends only on the spec is prepared once per spec.
"""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from giptemplate.errors import IntakeError
from giptemplate.files.extent import MAX_BOOK_CELLS, MAX_CANDIDATE_CELLS, MAX_SHEET_CELLS, Extent, xlsx_extent
from giptemplate.files.intake import (
    DOCUMENT_FORMATS,
    Intake,
    admit,
    boolean_formulas,
    calamine_refusal,
    is_parser_panic,
    open_calamine,
    too_large,
)
from giptemplate.files.paths import display_name
from giptemplate.format import wording
from giptemplate.format.layout import (
    CHECK_SHEET,
    IDENTITY_KEYS,
    IDENTITY_SHEET,
    REVIEW_SHEET,
    Layout,
    Place,
    layout_for,
)
from giptemplate.format.spec import CellType, Spec, Table, all_specs
from giptemplate.workbook.normalise import ABSURD, field_text, is_near_miss, label_key, parse_value, parse_year
from giptemplate.workbook.spans import (
    SpanRow,
    header_segments,
    hidden_positions,
    resolve,
    segments_of,
    span_rows,
)
from giptemplate.workbook.submission import (
    CellValue,
    LabelMismatch,
    StoredTotal,
    Submission,
    TableMove,
    ValueLayout,
)

__all__ = ["IntakeError", "read_intake", "read_workbook"]

Grid = list[list[Any]]
Position = tuple[int, int]
MismatchKind = Literal["altered", "typo", "variant", "obsolete", "missing"]

PROPERTY_PREFIX: Final = "giptemplate."
WPS_PROPERTY: Final = "KSOProductBuildVer"
# Identity data copied into Submission.meta (the cover's own unit name and code win over the identity's).
META_IDENTITY_KEYS: Final = (
    "template_id",
    "format_version",
    "spec_id",
    "spec_digest",
    "file_id",
    "generator_version",
    "kind",
    "report_year",
)
# How far from the layout's place a moved label is looked for.
MAX_ROW_SHIFT: Final = 80
MAX_COL_SHIFT: Final = 30
LOCATED_SHARE: Final = 0.3  # share of a table's fixed texts that must be found to say the table is there
IDENTIFY_SHARE: Final = 0.5  # share needed to recognise a table without identity data
OLD_FORMAT_TELL_TALES: Final = 2  # distinct labels of another format that make a workbook a mix of two
CLOSE_SHARE: Final = 0.05  # two formats whose shares differ by less cannot be told apart


def _refuse(code: str, variant: str, path: Path, english: str, **fields: object) -> IntakeError:
    """The refusal ``code`` of ``path``: the catalogue's sentence ``variant`` with ``fields``, and an English
    detail."""
    return IntakeError(code, variant, fields, name=display_name(path), english=english)


# ---------------------------------------------------------------------------------------------- per-spec plan


@dataclass(frozen=True)
class _Text:
    """One fixed text of a table grid, with where the layout puts it."""

    index: int
    row: int  # grid row and column of its top-left cell
    col: int
    text: str
    key: str
    accept: frozenset[str]  # its key and the keys of tolerated variants
    sheet_row: int
    sheet_col: int


@dataclass(frozen=True, eq=False)  # one per cell of a spec, compared by identity
class _CellPlan:
    key: str
    row: int  # grid row and column
    col: int
    type: CellType
    place: Place  # the layout's place
    ref: bytes  # its A1 reference there, as the sheet XML spells it
    maximum: int  # the largest number the cell may hold; above it a value is invalid, never used
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)  # raw -> reading at ``place``


@dataclass(frozen=True, eq=False)
class _SpanPlan:
    span: SpanRow
    cells: tuple[_CellPlan, ...]  # left to right
    headers: tuple[_Text, ...] | None  # the header text of each cell (None: the template prints none)
    # For the quick look at a table in place: the slots of the row no value starts in (sheet row, column, A1
    # bytes), and the merged ranges the template gives the row.
    spares: tuple[tuple[int, int, bytes], ...]
    merged: frozenset[tuple[int, int, int, int]]


@dataclass(frozen=True, eq=False)
class _TablePlan:
    table: Table
    top: int
    left: int
    texts: tuple[_Text, ...]
    inputs: tuple[_CellPlan, ...]
    derived: tuple[_CellPlan, ...]
    groups: tuple[tuple[_Text, tuple[_Text, ...]], ...]  # a group label and the row labels under it
    keys: frozenset[str]
    derived_keys: frozenset[str]
    expected: tuple[tuple[int, int, str], ...]  # (sheet row, sheet col, text) of every fixed text
    derived_refs: tuple[bytes, ...]  # A1 references of the derived cells, in document order
    data_rows: tuple[int, ...]  # grid rows and columns holding data cells
    data_cols: tuple[int, ...]
    input_slots: tuple[tuple[int, int, str, _CellPlan], ...]  # (sheet row, sheet col, key, cell) of inputs
    spans: tuple[_SpanPlan, ...]  # rows whose values share their columns unevenly (2019's （八）/（九）)

    @property
    def sheet(self) -> str:
        return self.table.sheet


@dataclass(frozen=True, eq=False)
class _Plan:
    spec: Spec
    layout: Layout
    tables: tuple[_TablePlan, ...]
    tell_tales: Mapping[str, str]  # key -> label
    fields: tuple[tuple[str, str, str, Place], ...]  # key, label, label key, place
    parts: tuple[tuple[str, str, str, Place], ...]  # key, title, title key, place
    field_keys: frozenset[str]
    part_keys: frozenset[str]


@functools.cache
def _plan(spec: Spec) -> _Plan:
    layout = layout_for(spec)
    tables = []
    for table in spec.tables:
        tl = layout.tables[table.key]
        texts: list[_Text] = []
        for at, text, variants in table.fixed_texts():
            key = label_key(text)
            texts.append(
                _Text(
                    len(texts),
                    at.first_row,
                    at.first_col,
                    text,
                    key,
                    frozenset((key, *(label_key(v) for v in variants))),
                    tl.top + at.first_row,
                    tl.left + at.first_col,
                )
            )
        by_text = {t.text: t for t in texts}
        row_text = {r.key: by_text[r.label] for r in table.rows if r.label_at is not None and r.label in by_text}
        groups = []
        for label in table.labels:
            if label.role != "group":
                continue
            members = tuple(row_text[r.key] for r in table.rows if r.group == label.text and r.key in row_text)
            if members:
                groups.append((by_text[label.text], members))

        def cell_plan(cell: Any, tl: Any = tl) -> _CellPlan:
            place = tl.place(cell)
            # typed cells are bound by the template's limits; totals (sums of them) only by what is absurd
            maximum = ABSURD if cell.derived else cell.type.maximum
            return _CellPlan(
                cell.key, cell.at.first_row, cell.at.first_col, cell.type, place, place.a1.encode(), maximum
            )

        inputs = tuple(cell_plan(c) for c in table.cells if not c.derived)
        derived = tuple(cell_plan(c) for c in table.cells if c.derived)
        by_key = {cp.key: cp for cp in inputs}
        at_text = {(t.row, t.col): t for t in texts}
        spans = []
        for span in span_rows(table):
            headers = None if span.headers is None else tuple(at_text[(h.first_row, h.first_col)] for h in span.headers)
            row = tl.top + span.row
            homes = {a for a, _ in span.template}
            spares = tuple(
                (row, tl.left + span.first + p, _a1(row, tl.left + span.first + p).encode())
                for p in range(span.width)
                if p not in homes
            )
            merged = frozenset(
                (row, tl.left + span.first + a, row, tl.left + span.first + b) for a, b in span.template if b > a
            )
            spans.append(_SpanPlan(span, tuple(by_key[k] for k in span.cells), headers, spares, merged))
        tables.append(
            _TablePlan(
                table=table,
                top=tl.top,
                left=tl.left,
                texts=tuple(texts),
                inputs=inputs,
                derived=derived,
                groups=tuple(groups),
                keys=frozenset(k for t in texts for k in t.accept),
                derived_keys=frozenset(c.key for c in table.cells if c.derived),
                expected=tuple((t.sheet_row, t.sheet_col, t.text) for t in texts),
                derived_refs=tuple(cp.ref for cp in sorted(derived, key=lambda cp: (cp.place.row, cp.place.col))),
                data_rows=tuple(sorted({cp.row for cp in inputs + derived})),
                data_cols=tuple(sorted({cp.col for cp in inputs + derived})),
                input_slots=tuple((cp.place.row, cp.place.col, cp.key, cp) for cp in inputs),
                spans=tuple(spans),
            )
        )
    fields = tuple((f.key, f.label, label_key(f.label), layout.fields[f.key]) for f in spec.cover_fields)
    parts = tuple((p.key, p.display_title, label_key(p.display_title), layout.parts[p.key]) for p in spec.parts)
    return _Plan(
        spec=spec,
        layout=layout,
        tables=tuple(tables),
        tell_tales={label_key(t): t for t in spec.tell_tales},
        fields=fields,
        parts=parts,
        field_keys=frozenset(f[2] for f in fields),
        part_keys=frozenset(p[2] for p in parts),
    )


# ---------------------------------------------------------------------------------------------- grid helpers


def _at(rows: Grid, r: int, c: int) -> Any:
    """The value at a zero-based position; '' outside what calamine returned (it omits trailing empties)."""
    if 0 <= r < len(rows):
        row = rows[r]
        if 0 <= c < len(row):
            return row[c]
    return ""


def _a1(r: int, c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


def _key_index(rows: Grid) -> dict[str, list[Position]]:
    """Every text of a sheet by its label key."""
    index: dict[str, list[Position]] = {}
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and value:
                key = label_key(value)
                if key:
                    index.setdefault(key, []).append((r, c))
    return index


# ---------------------------------------------------------------------------------------------- the workbook


@dataclass
class _SheetXml:
    """What calamine does not tell about one worksheet, from its part's bytes: formulas, error values, protection.

    Cells are named by their ``r`` attribute (b"J7"). Formulas are looked up for the cells asked about only:
    ``<f>`` is the first child of ``<c>`` when present (CT_Cell: f, v, is), so a cell holds a formula when its
    start tag is directly followed by ``<f``.
    """

    xml: bytes = b""
    prefix: bytes = b""
    errors: dict[bytes, str] = field(default_factory=dict)
    protected: bool | None = None
    _all: frozenset[bytes] | None = None

    def formulas_among(self, refs: Sequence[bytes]) -> frozenset[bytes]:
        """Which of ``refs`` (in document order: row by row, left to right) hold a formula."""
        xml, found, pos = self.xml, [], 0
        c_open, f_open = b"<" + self.prefix + b'c r="', b"<" + self.prefix + b"f"
        for ref in refs:
            at = xml.find(c_open + ref + b'"', pos)
            if at < 0:
                # out of order, or ``r`` not written first: ask the exhaustive scan
                if ref in self.all_formulas():
                    found.append(ref)
                continue
            end = xml.find(b">", at)
            if xml[end - 1] != 47 and xml.startswith(f_open, end + 1):  # 47: "/" of an empty <c …/>
                found.append(ref)
            pos = end
        return frozenset(found)

    def all_formulas(self) -> frozenset[bytes]:
        if self._all is None:
            _, general = _cell_patterns(self.prefix)
            self._all = frozenset(m.group(1) for blob in general.findall(self.xml) if (m := _R_ATTR.search(blob)))
        return self._all


_TAGS = re.compile(rb"<[^>]*>")


def _elements(xml: bytes, name: bytes) -> list[tuple[bytes, bytes]]:
    """(attributes, what follows up to the next such element) of every ``<name …>``, prefixed or not.

    Byte splitting, not an XML parser: what follows holds the element's text, which :func:`_text` extracts.
    """
    parts = xml.split(b"<" + name + b" ")
    if len(parts) == 1:
        parts = xml.split(b"<" + name + b">")
        if len(parts) > 1:
            return [(b"", chunk) for chunk in parts[1:]]
        prefixed = re.search(rb"<([\w.-]+):" + re.escape(name) + rb"[\s>/]", xml)
        if prefixed is None:
            return []
        parts = re.split(rb"<" + re.escape(prefixed.group(1) + b":" + name) + rb"(?=[\s>/])", xml)
    out = []
    for chunk in parts[1:]:
        end = chunk.find(b">")
        out.append((chunk[:end], chunk[end + 1 :]))
    return out


def _first_text(xml: bytes | None, name: bytes) -> str:
    """The text of the first ``<name>`` element ("" when absent)."""
    if not xml:
        return ""
    found = _elements(xml, name)
    if not found:
        return ""
    rest = found[0][1]
    close = rest.find(b"</")
    return _text(rest[:close] if close >= 0 else rest)


_PREFIX = re.compile(rb"<(\w+):sheetData\b")


@functools.cache
def _attr_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?:^|[\s:])" + re.escape(name) + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    return html.unescape(text) if "&" in text else text


def _attr(blob: bytes, name: bytes) -> str | None:
    """One attribute of a start tag's bytes (``name`` may be the local part of a prefixed one, b"id")."""
    m = _attr_pattern(name).search(blob)
    if m is None:
        return None
    return _unescape(m.group(1) if m.group(1) is not None else m.group(2))


def _text(blob: bytes) -> str:
    return _unescape(_TAGS.sub(b"", blob) if b"<" in blob else blob).strip()


@functools.cache
def _cell_patterns(prefix: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    p = re.escape(prefix)
    quick = re.compile(rb"<" + p + rb'c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*><' + p + rb"f[ >/]")
    general = re.compile(rb"<" + p + rb"c\b([^>]*)><" + p + rb"f[ >/]")
    return quick, general


_R_ATTR = re.compile(rb'\br\s*=\s*["\']([A-Z]{1,3}[0-9]{1,7})["\']')


def _prefix(xml: bytes) -> bytes | None:
    """The namespace prefix of a worksheet's elements (b"" when unprefixed, None when it is no worksheet)."""
    if b"<sheetData" in xml:
        return b""
    m = _PREFIX.search(xml)
    return m.group(1) + b":" if m else None


def _protected(xml: bytes, prefix: bytes) -> bool:
    at = xml.rfind(b"<" + prefix + b"sheetProtection")  # it follows the cell data: look from the end
    if at < 0:
        return False
    return (_attr(xml[at : xml.find(b">", at) + 1], b"sheet") or "").lower() in ("1", "true")


def scan_protection(xml: bytes) -> _SheetXml:
    """Only whether a worksheet part is protected (for sheets whose cells need no formula check)."""
    prefix = _prefix(xml)
    return _SheetXml(protected=None if prefix is None else _protected(xml, prefix))


def scan_sheet_xml(xml: bytes) -> _SheetXml:
    """Error cells and protection of one worksheet part, by byte search (no XML parser); formulas on demand.

    An error value is a cell with ``t="e"`` (python-calamine returns '' for those, like an empty cell); its
    cached text (``#DIV/0!``) always starts with "#", so a part without any "#" has none.
    """
    prefix = _prefix(xml)
    if prefix is None:
        return _SheetXml()
    errors: dict[bytes, str] = {}
    pos = xml.find(b't="e"') if b"#" in xml else -1
    c_open = b"<" + prefix + b"c "
    while pos >= 0:
        start = xml.rfind(c_open, 0, pos)
        tag_end = xml.find(b">", start) if start >= 0 else -1
        ref = _R_ATTR.search(xml, start, tag_end) if start >= 0 and tag_end > pos else None
        if ref is not None:
            end = xml.find(b"</" + prefix + b"c>", pos)
            v_open = b"<" + prefix + b"v>"
            v_at = xml.find(v_open, tag_end, end)
            text = "#错误"
            if v_at >= 0:
                v_end = xml.find(b"</" + prefix + b"v>", v_at)
                text = html.unescape(xml[v_at + len(v_open) : v_end].decode("utf-8", "replace"))
            errors[ref.group(1)] = text
        pos = xml.find(b't="e"', pos + 5)
    return _SheetXml(xml, prefix, errors, _protected(xml, prefix))


class _Book:
    """One admitted file: calamine for cell values, the archive members for everything calamine does not tell."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.path = intake.path
        self.format = intake.file_format
        self.calamine = open_calamine(intake)
        try:
            self.names: list[str] = list(self.calamine.sheet_names)
        except Exception as exc:  # pragma: no cover - calamine reads the sheet list while opening
            raise calamine_refusal(self.path, exc) from None
        self._grids: dict[str, Grid] = {}
        self._sheets: dict[str, Any] = {}  # calamine's sheet objects of the grids read (their merged ranges)
        self._merges: dict[str, tuple[tuple[int, int, int, int], ...] | None] = {}
        self._keys: dict[str, dict[str, list[Position]]] = {}
        self._xml: dict[str, _SheetXml] = {}
        self._parts: dict[str, str] | None = None
        self._part_bytes: dict[str, bytes | None] = {}
        self._extents: dict[str, Extent] = {}
        self._booleans: dict[str, frozenset[tuple[int, int]]] | None = None  # .xls cells holding =TRUE()/=FALSE()
        self._laid_out = 0  # cells of the grids read so far

    @property
    def is_ooxml(self) -> bool:
        return self.format in ("xlsx", "xlsm")

    def extent(self, name: str) -> Extent | None:
        """How far an .xlsx sheet reaches, from its part (None for other formats: bounded when opened)."""
        if not self.is_ooxml:
            return None
        found = self._extents.get(name)
        if found is None:
            xml = self._sheet_part(name)
            if xml is not None:
                found = xlsx_extent(xml)
            else:  # a part we cannot name, which calamine might still find: assume the largest
                parts = [n for n in self.intake.members if n.startswith("xl/") and n.endswith(".xml")]
                extents = [xlsx_extent(self.intake.part(n) or b"") for n in parts]
                found = max(extents, key=lambda e: e.cells, default=Extent(0, 0))
            self._extents[name] = found
        return found

    def grid(self, name: str) -> Grid:
        grid = self._grids.get(name)
        if grid is None:
            extent = self.extent(name)
            if extent is not None:
                if extent.cells > MAX_SHEET_CELLS or self._laid_out + extent.cells > MAX_BOOK_CELLS:
                    raise too_large(self.path, name, extent)
                self._laid_out += extent.cells
            try:
                sheet = self._sheets[name] = self.calamine.get_sheet_by_name(name)
                grid = sheet.to_python(skip_empty_area=False)
            except BaseException as exc:
                if not isinstance(exc, Exception) and not is_parser_panic(exc):
                    raise
                raise calamine_refusal(self.path, exc) from None
            if self.format == "xls":
                grid = self._booleans_restored(name, grid)
            self._grids[name] = grid
        return grid

    def merges(self, name: str) -> tuple[tuple[int, int, int, int], ...] | None:
        """The merged ranges of a sheet already read (first row, first column, last row, last column; zero-based),
        or None where the file format does not tell them (python-calamine knows them in xlsx and xls, not ods)."""
        if name not in self._merges:
            found = None
            try:
                ranges = self._sheets[name].merged_cell_ranges
                if ranges is not None:
                    found = tuple((a[0], a[1], b[0], b[1]) for a, b in ranges)
            except BaseException as exc:
                if not isinstance(exc, Exception) and not is_parser_panic(exc):
                    raise
                found = None  # merges only refine what was read: a sheet whose merges fail is read without them
            self._merges[name] = found
        return self._merges[name]

    def _booleans_restored(self, name: str, grid: Grid) -> Grid:
        """A TRUE or FALSE that LibreOffice stored in an .xls as =TRUE() with the number 1 or 0 as its result (in a
        cell with a number format) read as the boolean it is, so that it is 不是数字 like a TRUE in any other file."""
        if self._booleans is None:
            self._booleans = boolean_formulas(self.intake)
        cells = self._booleans.get(name)
        if not cells:
            return grid
        for row, col in cells:
            if row < len(grid) and col < len(grid[row]):
                value = grid[row][col]
                if type(value) in (int, float) and value in (0, 1):
                    grid[row][col] = bool(value)
        return grid

    def keys(self, name: str) -> dict[str, list[Position]]:
        index = self._keys.get(name)
        if index is None:
            index = self._keys[name] = _key_index(self.grid(name))
        return index

    def candidate_keys(self, name: str) -> Mapping[str, list[Position]]:
        """The texts of a sheet searched for a table or cover it may hold under another name; nothing for a sheet
        too large to be one (a data sheet someone added must not cost seconds, nor refuse the file)."""
        extent = self.extent(name)
        if extent is not None and extent.cells > MAX_CANDIDATE_CELLS:
            return {}
        if extent is None:
            grid = self.grid(name)
            if len(grid) * max((len(r) for r in grid), default=0) > MAX_CANDIDATE_CELLS:
                return {}
        return self.keys(name)

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> worksheet part of an xlsx/xlsm."""
        if self._parts is None:
            self._parts = {}
            workbook = self.intake.part("xl/workbook.xml") or b""
            rels = self.intake.part("xl/_rels/workbook.xml.rels") or b""
            targets = {}
            for attrs, _ in _elements(rels, b"Relationship"):
                target = _attr(attrs, b"Target") or ""
                target = target[1:] if target.startswith("/") else f"xl/{target}"
                targets[_attr(attrs, b"Id")] = target
            for attrs, _ in _elements(workbook, b"sheet"):
                name, rid = _attr(attrs, b"name"), _attr(attrs, b"id")
                if name is not None and rid in targets:
                    self._parts[name] = targets[rid]
        return self._parts

    def _sheet_part(self, name: str) -> bytes | None:
        if name not in self._part_bytes:
            part = self.sheet_parts().get(name)
            self._part_bytes[name] = self.intake.part(part) if part else None
        return self._part_bytes[name]

    def sheet_xml(self, name: str) -> _SheetXml:
        """Formulas, error values and protection of a worksheet, from its part's bytes."""
        scanned = self._xml.get(name)
        if scanned is None:
            xml = self._sheet_part(name)
            scanned = self._xml[name] = scan_sheet_xml(xml) if xml is not None else _SheetXml()
        return scanned

    def protected(self, name: str) -> bool | None:
        scanned = self._xml.get(name)
        if scanned is None:
            xml = self._sheet_part(name)
            return scan_protection(xml).protected if xml is not None else None
        return scanned.protected

    def properties(self) -> tuple[dict[str, str], str, str]:
        """Custom document properties, the application that saved the file, and when."""
        props: dict[str, str] = {}
        application = saved_at = ""
        if self.is_ooxml:
            custom = self.intake.part("docProps/custom.xml")
            if custom:
                for attrs, rest in _elements(custom, b"property"):
                    name = _attr(attrs, b"name")
                    if name:
                        props[name] = _text(rest)
            application = _first_text(self.intake.part("docProps/app.xml"), b"Application")
            saved_at = _first_text(self.intake.part("docProps/core.xml"), b"dcterms:modified")
        elif self.format == "ods":
            meta = self.intake.part("meta.xml")
            if meta:
                for attrs, rest in _elements(meta, b"meta:user-defined"):
                    name = _attr(attrs, b"meta:name")
                    if name:
                        props[name] = _text(rest[: rest.find(b"</")])
                application = _first_text(meta, b"meta:generator")
                saved_at = _first_text(meta, b"dc:date")
        else:
            application, saved_at = _ole_metadata(self.intake.data)
        if WPS_PROPERTY in props:
            application = "WPS"
        return props, application, saved_at

    def unprotected(self, names: Iterable[str]) -> tuple[str, ...]:
        wanted = [n for n in names if n in self.names]
        if self.is_ooxml:
            return tuple(n for n in wanted if self.protected(n) is False)
        if self.format == "ods":
            content = self.intake.part("content.xml") or b""
            protected = {}
            for attrs, _ in _elements(content, b"table:table"):
                protected[_attr(attrs, b"table:name") or ""] = _attr(attrs, b"table:protected") == "true"
            return tuple(n for n in wanted if n in protected and not protected[n])
        return ()


def _ole_metadata(data: bytes) -> tuple[str, str]:
    """Application and last-saved time of a legacy .xls, from its OLE property set (best effort)."""
    try:
        import olefile  # type: ignore[import-untyped]  # lazy: olefile only for legacy .xls/.et containers

        with olefile.OleFileIO(data) as ole:
            meta = ole.get_metadata()
        app = meta.creating_application
        application = app.decode("utf-8", "replace").strip("\x00 ") if isinstance(app, bytes) else str(app or "")
        saved = meta.last_saved_time
        return application, saved.isoformat() if saved is not None else ""
    except Exception:  # the metadata is a nicety; a damaged property set must not refuse a readable file
        return "", ""


# ---------------------------------------------------------------------------------------------- identification


def _property_identity(props: Mapping[str, str]) -> dict[str, str]:
    """Identity data from the custom document properties ("-" stands for an empty value)."""
    return {
        k[len(PROPERTY_PREFIX) :]: ("" if v == "-" else v) for k, v in props.items() if k.startswith(PROPERTY_PREFIX)
    }


def _sheet_identity(book: _Book) -> dict[str, str]:
    """Identity data from the hidden sheet (key in the first column, value in the second)."""
    identity: dict[str, str] = {}
    if IDENTITY_SHEET in book.names:
        wanted = set(IDENTITY_KEYS)
        for row in book.grid(IDENTITY_SHEET):
            if len(row) >= 2 and isinstance(row[0], str) and row[0] in wanted:
                value = field_text(row[1])
                if value:
                    identity[row[0]] = value
    return identity


def _identify(book: _Book, props: Mapping[str, str]) -> tuple[Spec | None, dict[str, str]]:
    """The spec named by the identity data, and that data.

    The document properties come first because they cost nothing more to read; the hidden sheet is read
    when they do not name a known template (missing, as in .xls files, or damaged), and wins where it speaks.
    """
    identity = _property_identity(props)
    spec = _spec_from_identity(identity, book.path)
    if spec is None and IDENTITY_SHEET in book.names:
        identity.update(_sheet_identity(book))
        spec = _spec_from_identity(identity, book.path)
    return spec, identity


def _spec_from_identity(identity: Mapping[str, str], path: Path) -> Spec | None:
    template_id = identity.get("template_id", "").strip()
    if not template_id:
        return None
    specs = all_specs()
    spec = next((s for s in specs if s.template_id == template_id), None)
    supported = "、".join(f"{s.format_version} 年格式" for s in specs)
    if spec is None:
        families = {s.template_id.split("/")[0] for s in specs}
        if template_id.split("/")[0] in families:
            raise _refuse(
                "F007",
                "template_version",
                path,
                "unknown template version",
                template_id=template_id,
                supported=supported,
            )
        return None  # damaged or foreign identity: let the labels decide
    version = identity.get("format_version", "").strip()
    if version and version != spec.format_version:
        raise _refuse("F007", "format_version", path, "unknown format version", version=version, supported=supported)
    return spec


def _spec_from_labels(book: _Book) -> Spec:
    """Recognise a workbook without usable identity data by the texts printed in its tables.

    Every spec is scored (the share of its table texts found in the workbook); the best one is read, unless
    another comes too close to tell them apart. A best match that shows another format's tell-tales (a collapsed
    group such as 2019's single （六）其他处理 row in a 2021 table, or its headers) mixes two formats: refused.
    """
    candidates = [n for n in book.names if n not in (IDENTITY_SHEET, CHECK_SHEET, REVIEW_SHEET)]
    scored: list[tuple[float, float, Spec]] = []  # overall share, best table share, spec
    for spec in all_specs():
        plan = _plan(spec)
        found = total = 0
        best_table = 0.0
        for tp in plan.tables:
            hits = max((_found_count(tp, book.candidate_keys(n)) for n in candidates), default=0)
            found, total = found + hits, total + len(tp.texts)
            best_table = max(best_table, hits / len(tp.texts) if tp.texts else 0.0)
        scored.append((found / total if total else 0.0, best_table, spec))
    scored.sort(key=lambda s: s[0], reverse=True)
    if not scored or scored[0][1] < IDENTIFY_SHARE:
        raise _refuse("F006", "no_identity", book.path, "not a giptemplate workbook")
    share, _, best = scored[0]
    if len(scored) > 1 and share - scored[1][0] < CLOSE_SHARE:
        other = scored[1]
        raise _refuse(
            "F006",
            "ambiguous",
            book.path,
            "two formats match equally well",
            format=best.format_version,
            share=f"{share:.0%}",
            other_format=other[2].format_version,
            other_share=f"{other[0]:.0%}",
        )
    plan = _plan(best)
    old_labels: set[str] = set()
    collapsed: list[str] = []  # groups printed as one row (2019's （六）其他处理 in a 2021 table)
    for name in candidates:
        keys = book.candidate_keys(name)
        old_labels.update(k for k in plan.tell_tales if k in keys)
        for tp in plan.tables:
            for group, members in tp.groups:
                if group.key in keys and not any(m.key in keys for m in members):
                    collapsed.append(wording.single_row(group.text))
    if collapsed or len(old_labels) >= OLD_FORMAT_TELL_TALES:
        # what was seen, not "旧表头": in a 2019 workbook the other format's labels are the newer ones
        seen = [*dict.fromkeys(collapsed), *(wording.quoted(t) for k, t in plan.tell_tales.items() if k in old_labels)]
        mixed = {"seen": wording.listing(seen[:3]), "format": best.format_version}
        if best.tell_tales_of:
            mixed["other_formats"] = best.tell_tales_of
        raise _refuse(
            "F007", "mixed" if best.tell_tales_of else "mixed_unnamed", book.path, "mixes two format versions", **mixed
        )
    return best


def _found_count(tp: _TablePlan, keys: Mapping[str, list[Position]]) -> int:
    return sum(1 for t in tp.texts if any(k in keys for k in t.accept))


def _map_sheets(book: _Book, plan: _Plan) -> dict[str, str]:
    """Spec sheet name -> the workbook's sheet holding it; renamed sheets are recognised by their content."""
    spec = plan.spec
    wanted = [spec.cover_sheet, spec.narrative_sheet, *(tp.sheet for tp in plan.tables)]
    mapping = {name: name for name in wanted if name in book.names}
    missing = [name for name in wanted if name not in mapping]
    if not missing:
        return mapping
    taken = set(mapping.values())
    free = [n for n in book.names if n not in taken and n not in (IDENTITY_SHEET, CHECK_SHEET, REVIEW_SHEET)]
    tables = {tp.sheet: tp for tp in plan.tables}
    for name in sorted(missing, key=lambda n: n not in tables):  # tables first: they have the most to match
        if name in tables:
            wanted_keys: frozenset[str] = tables[name].keys
        elif name == spec.cover_sheet:
            wanted_keys = plan.field_keys
        else:
            wanted_keys = plan.part_keys
        scored = [(sum(1 for k in wanted_keys if k in book.candidate_keys(n)), n) for n in free]
        scored = [s for s in scored if s[0] >= max(2, LOCATED_SHARE * len(wanted_keys))]
        if scored:
            _, found = max(scored)
            mapping[name] = found
            free.remove(found)
    return mapping


# ---------------------------------------------------------------------------------------------- tables


def _classify(
    value: Any, text: _Text, tell_tales: Mapping[str, str], official: frozenset[str] = frozenset()
) -> MismatchKind | None:
    """How the text found at a label's place differs from the label (None: it is the label).

    ``official`` are the keys of the table's other labels: one of them in the wrong place is an altered
    label, even when it is one character away ("第二十条第（五）项" where （一） belongs).
    """
    found = label_key(value) if isinstance(value, str) else label_key(field_text(value))
    if found == text.key:
        return None
    if found in text.accept:
        return "variant"
    if not found:
        return "missing"
    if found in tell_tales:
        return "obsolete"
    if found.startswith(text.key) and found[len(text.key)] in "(:,;-":
        return "variant"  # an explanatory note after the official label
    if text.key.startswith(found) and text.key[len(found)] == "(" and len(found) >= 2:
        return "variant"  # the label without its bracketed explanation
    if found not in official and is_near_miss(found, text.key):
        return "typo"
    return "altered"


_RANK: Final[Mapping[MismatchKind | None, int]] = {
    None: 0,
    "variant": 0,
    "typo": 0,
    "obsolete": 0,
    "altered": 1,
    "missing": 2,
}


@dataclass
class _Located:
    rows: list[int | None]  # per grid row: sheet row offset from the layout (None: the row is gone)
    cols: list[int | None]
    mismatches: list[LabelMismatch]
    located: bool
    placed: dict[int, Position] = field(default_factory=dict)  # text index -> where it was found


def _fill(shifts: dict[int, int], size: int) -> tuple[list[int | None], list[bool]]:
    """Offsets for every index from the confirmed ones: the nearest confirmed before, else after."""
    out: list[int | None] = [None] * size
    confirmed = [False] * size
    last: int | None = None
    for i in range(size):
        if i in shifts:
            last = shifts[i]
            confirmed[i] = True
        out[i] = last
    following: int | None = None
    for i in range(size - 1, -1, -1):
        if i in shifts:
            following = shifts[i]
        if out[i] is None:
            out[i] = following
    return out, confirmed


def _neighbours(shifts: Mapping[int, int], i: int) -> list[int]:
    before = [shifts[j] for j in sorted(shifts) if j < i]
    after = [shifts[j] for j in sorted(shifts) if j > i]
    out: list[int] = []
    for candidate in (before[-1] if before else None, after[0] if after else None, shifts.get(i)):
        if candidate is not None and candidate not in out:
            out.append(candidate)
    return out or [0]


def _vote(placed: Mapping[int, Position], texts: Sequence[_Text]) -> tuple[dict[int, int], dict[int, int]]:
    row_votes: dict[int, Counter[int]] = {}
    col_votes: dict[int, Counter[int]] = {}
    for i, (r, c) in placed.items():
        t = texts[i]
        row_votes.setdefault(t.row, Counter())[r - t.sheet_row] += 1
        col_votes.setdefault(t.col, Counter())[c - t.sheet_col] += 1
    rows = {k: v.most_common(1)[0][0] for k, v in row_votes.items()}
    cols = {k: v.most_common(1)[0][0] for k, v in col_votes.items()}
    return rows, cols


def _locate(rows: Grid, keys: Mapping[str, list[Position]], tp: _TablePlan, plan: _Plan, sheet: str) -> _Located:
    """Find a table whose labels are not all where the layout puts them (moved, altered or mis-typed)."""
    texts = tp.texts
    placed: dict[int, Position] = {}
    kinds: dict[int, MismatchKind | None] = {}
    for t in texts:
        value = _at(rows, t.sheet_row, t.sheet_col)
        if value == t.text or (isinstance(value, str) and label_key(value) in t.accept):
            placed[t.index] = (t.sheet_row, t.sheet_col)
            kinds[t.index] = None if value == t.text or label_key(value) == t.key else "variant"
    claimed = set(placed.values())
    # texts elsewhere: unique ones first give the overall shift, which then guides the ambiguous ones
    candidates = {
        t.index: [p for k in t.accept for p in keys.get(k, ()) if p not in claimed]
        for t in texts
        if t.index not in placed
    }
    shift: Counter[Position] = Counter()
    shift[(0, 0)] += len(placed)
    for i, found in candidates.items():
        if len(found) == 1:
            shift[(found[0][0] - texts[i].sheet_row, found[0][1] - texts[i].sheet_col)] += 1
    dr, dc = shift.most_common(1)[0][0] if shift else (0, 0)
    for i in sorted(candidates, key=lambda i: (len(candidates[i]), i)):
        t = texts[i]
        er, ec = t.sheet_row + dr, t.sheet_col + dc
        near = [
            p
            for p in candidates[i]
            if p not in claimed
            and abs(p[0] - t.sheet_row) <= MAX_ROW_SHIFT
            and abs(p[1] - t.sheet_col) <= MAX_COL_SHIFT
        ]
        if near:
            best = min(near, key=lambda p: (abs(p[0] - er) + abs(p[1] - ec), p))
            placed[i] = best
            claimed.add(best)
            value = _at(rows, *best)
            kinds[i] = None if label_key(value) == t.key else "variant"
    row_shift, col_shift = _vote(placed, texts)
    # labels still unplaced: look where their row and column went, for a mis-typed, old or altered text
    unplaced_at: dict[int, tuple[Position, MismatchKind, Any]] = {}
    for t in texts:
        if t.index in placed:
            continue
        options: list[tuple[int, Position, MismatchKind | None, Any]] = []
        for rs in _neighbours(row_shift, t.row):
            for cs in _neighbours(col_shift, t.col):
                p = (t.sheet_row + rs, t.sheet_col + cs)
                if p in claimed:
                    options.append((3, p, "missing", ""))
                    continue
                value = _at(rows, *p)
                kind = _classify(value, t, plan.tell_tales, tp.keys)
                options.append((_RANK[kind], p, kind, value))
        rank, p, best_kind, value = min(options, key=lambda o: o[0])
        if rank == 0:
            placed[t.index] = p
            claimed.add(p)
            kinds[t.index] = best_kind
        else:
            unplaced_at[t.index] = (p, best_kind or "missing", value)
    located = len(placed) >= max(1, LOCATED_SHARE * len(texts))
    row_shift, col_shift = _vote(placed, texts)
    height, width = tp.table.height, tp.table.width
    rows_out, rows_sure = _fill(row_shift, height)
    cols_out, cols_sure = _fill(col_shift, width)
    if not located:
        return _Located([0] * height, [0] * width, [], False)
    # a row (column) whose own labels are all gone and whose place is another row's: it was deleted
    owner_rows = {t.sheet_row + row_shift[t.row] for i, t in enumerate(texts) if i in placed and t.row in row_shift}
    owner_cols = {t.sheet_col + col_shift[t.col] for i, t in enumerate(texts) if i in placed and t.col in col_shift}
    own_rows = {t.row for t in texts}
    own_cols = {t.col for t in texts}
    for g in range(height):
        shift_r = rows_out[g]
        if not rows_sure[g] and g in own_rows and shift_r is not None and tp.top + g + shift_r in owner_rows:
            rows_out[g] = None
    for g in range(width):
        shift_c = cols_out[g]
        if not cols_sure[g] and g in own_cols and shift_c is not None and tp.left + g + shift_c in owner_cols:
            cols_out[g] = None
    # a group printed without its sub-rows (the 2019 single （六） row): those rows cannot be read
    mismatches: list[LabelMismatch] = []
    for group, members in tp.groups:
        if group.index in placed and not any(m.index in placed for m in members):
            for m in members:
                rows_out[m.row] = None
            r, c = placed[group.index]
            mismatches.append(
                LabelMismatch(sheet, _a1(r, c), f"{group.text}（含 {len(members)} 个分项）", group.text, "obsolete")
            )
    for t in texts:
        if t.index in placed:
            seen = kinds.get(t.index)
            if seen is not None:
                r, c = placed[t.index]
                mismatches.append(LabelMismatch(sheet, _a1(r, c), t.text, field_text(_at(rows, r, c)), seen))
        else:
            (r, c), lost, value = unplaced_at[t.index]
            mismatches.append(LabelMismatch(sheet, _a1(r, c), t.text, field_text(value), lost))
    reported = {(m.sheet, m.cell) for m in mismatches}
    for key, label in plan.tell_tales.items():
        for r, c in keys.get(key, ()):
            if (r, c) not in claimed and (sheet, _a1(r, c)) not in reported:
                mismatches.append(LabelMismatch(sheet, _a1(r, c), "", label, "obsolete"))
    return _Located(rows_out, cols_out, mismatches, True, placed)


@dataclass
class _TableRead:
    cells: dict[str, CellValue]
    stored: dict[str, StoredTotal]
    mismatches: list[LabelMismatch]
    move: TableMove | None
    layouts: list[ValueLayout] = field(default_factory=list)


def _input_value(cp: _CellPlan, place: Place, raw: Any) -> CellValue:
    if raw == "":
        return CellValue(cp.key, place, None, None, "blank")
    parsed = parse_value(raw, cp.type, cp.maximum)
    return CellValue(cp.key, place, raw, parsed.value, parsed.state, parsed.normalisations, parsed.note)


def _stored_value(cp: _CellPlan, place: Place, raw: Any, has_formula: bool | None) -> StoredTotal:
    parsed = parse_value(raw, cp.type, cp.maximum)
    return StoredTotal(cp.key, place, parsed.value, has_formula, parsed.state)


MEMO_LIMIT: Final = 256  # distinct values remembered per cell


def _memo_key(raw: Any) -> Any:
    # floats (what calamine returns for xlsx numbers) key themselves; other types keep their type apart,
    # since 1 == 1.0 == True would otherwise share an entry and lose the raw value as filed
    return raw if type(raw) is float else (type(raw), raw)


def _input_at_home(cp: _CellPlan, raw: Any) -> CellValue:
    """The reading of ``raw`` at the cell's layout place; values repeat from file to file (mostly 0), so the
    immutable results are shared."""
    memo = cp.memo
    key = _memo_key(raw)
    found = memo.get(key)
    if found is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        found = memo[key] = _input_value(cp, cp.place, raw)
    return found


def _stored_at_home(cp: _CellPlan, raw: Any, has_formula: bool | None) -> StoredTotal:
    memo = cp.memo
    key = (_memo_key(raw), has_formula)
    found = memo.get(key)
    if found is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        found = memo[key] = _stored_value(cp, cp.place, raw, has_formula)
    return found


def _in_place(rows: Grid, tp: _TablePlan) -> bool:
    """Whether every fixed text of the table stands, verbatim, where the layout puts it."""
    for r, c, text in tp.expected:
        try:
            if rows[r][c] != text:
                return False
        except IndexError:
            return False
    return True


def _read_table(book: _Book, tp: _TablePlan, plan: _Plan, sheet: str) -> _TableRead:
    rows = book.grid(sheet)
    located = None if _in_place(rows, tp) else _locate(rows, book.keys(sheet), tp, plan, sheet)
    xml = book.sheet_xml(sheet) if book.is_ooxml else None
    errors = xml.errors if xml is not None else {}
    cells: dict[str, CellValue] = {}
    stored: dict[str, StoredTotal] = {}
    move = None
    row_shift: Sequence[int | None] | None = None
    col_shift: Sequence[int | None] | None = None
    if located is not None and not located.located:
        move = TableMove(tp.table.key, sheet, 0, 0, False)
    elif located is not None:
        moved_r = next((located.rows[g] for g in tp.data_rows if located.rows[g]), 0)
        moved_c = next((located.cols[g] for g in tp.data_cols if located.cols[g]), 0)
        if moved_r or moved_c:
            move = TableMove(tp.table.key, sheet, moved_r or 0, moved_c or 0, True)
        if moved_r or moved_c or None in located.rows or None in located.cols:
            row_shift, col_shift = located.rows, located.cols
    if row_shift is None and col_shift is None and sheet == tp.sheet:
        # the common case: everything where the layout puts it
        read = _input_at_home
        for r, c, key, cp in tp.input_slots:
            try:
                raw = rows[r][c]
            except IndexError:
                raw = ""
            if errors and cp.ref in errors:
                cells[key] = CellValue(key, cp.place, errors[cp.ref], None, "error")
            else:
                cells[key] = read(cp, raw)
        with_formula = xml.formulas_among(tp.derived_refs) if xml is not None else None
        for cp in tp.derived:
            place = cp.place
            try:
                raw = rows[place.row][place.col]
            except IndexError:
                raw = ""
            has_formula = (cp.ref in with_formula) if with_formula is not None else None
            if errors and cp.ref in errors:
                stored[cp.key] = StoredTotal(cp.key, place, None, has_formula, "error")
            else:
                stored[cp.key] = _stored_at_home(cp, raw, has_formula)
        # a table not found at all is read where the layout puts it, unjudged: its layout is not the file's
        lost = located is not None and not located.located
        layouts = _read_spans(book, tp, sheet, cells, errors, None, None, located) if tp.spans and not lost else []
        return _TableRead(cells, stored, located.mismatches if located is not None else [], move, layouts)
    places: dict[str, Place | None] = {}
    for cp in tp.inputs + tp.derived:
        dr = row_shift[cp.row] if row_shift is not None else 0
        dc = col_shift[cp.col] if col_shift is not None else 0
        # a cell whose row or column was deleted has nothing to read
        places[cp.key] = None if dr is None or dc is None else Place(sheet, cp.place.row + dr, cp.place.col + dc)
    moved = sorted((p.row, p.col, p.a1.encode()) for cp in tp.derived if (p := places[cp.key]) is not None)
    with_formula = xml.formulas_among([ref for _, _, ref in moved]) if xml is not None else None
    for cp in tp.inputs + tp.derived:
        derived = cp.key in tp.derived_keys
        found = places[cp.key]
        if found is None:
            place = Place(sheet, cp.place.row, cp.place.col)
            if derived:
                stored[cp.key] = StoredTotal(cp.key, place, None, None, "blank")
            else:
                cells[cp.key] = CellValue(cp.key, place, None, None, "blank")
            continue
        raw = _at(rows, found.row, found.col)
        ref = found.a1.encode()
        error = errors.get(ref)
        if derived:
            has_formula = (ref in with_formula) if with_formula is not None else None
            if error is not None:
                stored[cp.key] = StoredTotal(cp.key, found, None, has_formula, "error")
            else:
                stored[cp.key] = _stored_value(cp, found, raw, has_formula)
        elif error is not None:
            cells[cp.key] = CellValue(cp.key, found, error, None, "error")
        else:
            cells[cp.key] = _input_value(cp, found, raw)
    layouts = _read_spans(book, tp, sheet, cells, errors, row_shift, col_shift, located) if tp.spans else []
    return _TableRead(cells, stored, located.mismatches if located is not None else [], move, layouts)


def _filled(raw: Any, error: str | None, cell_type: CellType) -> bool:
    """Whether a slot holds something that may be a value: an error value, or anything not read as blank (a blank
    word such as "—" or "无" in a spare column holds none)."""
    return error is not None or (raw != "" and parse_value(raw, cell_type).state != "blank")


def _range_a1(row: int, first: int, last: int) -> str:
    return _a1(row, first) if first == last else f"{_a1(row, first)}:{_a1(row, last)}"


def _read_spans(
    book: _Book,
    tp: _TablePlan,
    sheet: str,
    cells: dict[str, CellValue],
    errors: Mapping[bytes, str],
    row_shift: Sequence[int | None] | None,
    col_shift: Sequence[int | None] | None,
    located: _Located | None,
) -> list[ValueLayout]:
    """Read again the rows whose values share their columns unevenly (see :mod:`.spans`), each value from where the
    file's merges and headers put it; record every such row laid out otherwise than the template."""
    rows = book.grid(sheet)
    merges = book.merges(sheet)
    in_place = located is None and row_shift is None and col_shift is None
    out = []
    for sp in tp.spans:
        span = sp.span
        if (
            in_place
            and all(_at(rows, r, c) == "" and ref not in errors for r, c, ref in sp.spares)
            and (merges is None or sp.merged.issubset(merges))
        ):
            continue  # the common case, kept cheap: nothing beside the values and the template's merges intact
        dr = row_shift[span.row] if row_shift is not None else 0
        shifts = [col_shift[g] if col_shift is not None else 0 for g in range(span.first, span.last + 1)]
        if dr is None or any(dc is None for dc in shifts):
            continue  # a row or column of it was deleted: read as the table is
        row = tp.top + span.row + dr
        cols = [tp.left + span.first + p + (dc or 0) for p, dc in enumerate(shifts)]
        refs = [_a1(row, c).encode() for c in cols]
        types = [cp.type for cp, (a, b) in zip(sp.cells, span.template, strict=True) for _ in range(a, b + 1)]
        filled = [_filled(_at(rows, row, c), errors.get(ref), t) for c, ref, t in zip(cols, refs, types, strict=True)]
        homes = [home for home, _ in span.template]
        found: tuple[tuple[int, int], ...] | None = None
        hidden: list[bool] = []
        if merges is not None:
            merged = _merged_positions(merges, row, cols)
            found = segments_of(merged, span.width)
            hidden = hidden_positions(merged, span.width)
        header_at = _header_positions(sp, tp, cols, row_shift, located, merges or ())
        header_segs = header_segments([p for p, _ in header_at], span.width) if header_at is not None else None
        spare = any(filled[p] for p in range(span.width) if p not in homes or (hidden and hidden[p]))
        moved_headers = header_segs is not None and header_segs != span.template
        if not spare and not moved_headers and found in (None, span.template):
            continue  # the template's layout (or one that cannot differ from it in what is read)
        observed = [s for s in (found, header_segs) if s is not None]
        readings = resolve(span.template, observed, filled, hidden)
        read_from: list[tuple[str, str]] = []
        ambiguous: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
        for cp, (home, _), reading in zip(sp.cells, span.template, readings, strict=True):
            home_place = Place(sheet, row, cols[home])
            if reading.outcome == "ambiguous":
                texts = tuple(errors.get(refs[p]) or field_text(_at(rows, row, cols[p])) for p in reading.positions)
                cells[cp.key] = CellValue(cp.key, home_place, None, None, "ambiguous")
                ambiguous.append((cp.key, tuple(_a1(row, cols[p]) for p in reading.positions), texts))
                continue
            p = reading.positions[0]
            if p == home:
                continue
            place = Place(sheet, row, cols[p])
            error = errors.get(refs[p])
            raw = _at(rows, row, cols[p])
            if error is not None:
                cells[cp.key] = CellValue(cp.key, place, error, None, "error")
            else:
                cells[cp.key] = _input_value(cp, place, raw)
            if reading.outcome == "at":
                read_from.append((cp.key, place.a1))
        out.append(
            ValueLayout(
                table=tp.table.key,
                row=span.row_key,
                sheet=sheet,
                cells=span.cells,
                template=tuple(_range_a1(row, cols[a], cols[b]) for a, b in span.template),
                found=None if found is None else tuple(_range_a1(row, cols[a], cols[b]) for a, b in found),
                headers=None if not moved_headers or header_at is None else tuple(h for _, h in header_at),
                read_from=tuple(read_from),
                ambiguous=tuple(ambiguous),
                hidden=tuple(_a1(row, cols[p]) for p in range(span.width) if hidden and hidden[p] and filled[p]),
            )
        )
    return out


def _merged_positions(
    merges: Sequence[tuple[int, int, int, int]], row: int, cols: Sequence[int]
) -> list[tuple[int, int]]:
    """The merged ranges crossing one row of a span, as positions of the span."""
    out = []
    for r1, c1, r2, c2 in merges:
        if r1 <= row <= r2:
            inside = [p for p, c in enumerate(cols) if c1 <= c <= c2]
            if inside:
                out.append((inside[0], inside[-1]))
    return out


def _header_positions(
    sp: _SpanPlan,
    tp: _TablePlan,
    cols: Sequence[int],
    row_shift: Sequence[int | None] | None,
    located: _Located | None,
    merges: Sequence[tuple[int, int, int, int]],
) -> list[tuple[int, str]] | None:
    """Where the file prints each value's header over the span: (position, its cell or merged range); None unless
    every one is found in the header row, within the span's columns."""
    if sp.headers is None:
        return None
    header_row = sp.headers[0].row
    dr = row_shift[header_row] if row_shift is not None else 0
    if dr is None:
        return None
    row = tp.top + header_row + dr
    out = []
    for t in sp.headers:
        if located is None:  # every text where the layout puts it
            at: Position | None = (t.sheet_row, t.sheet_col)
        else:
            at = located.placed.get(t.index)
        if at is None or at[0] != row or at[1] not in cols:
            return None
        last = next((c2 for r1, c1, _, c2 in merges if (r1, c1) == at), at[1])
        out.append((cols.index(at[1]), _range_a1(row, at[1], last)))
    return out


# ---------------------------------------------------------------------------------------------- cover, texts


def _find_label(key: str, place: Place, index: Mapping[str, list[Position]]) -> Position | None:
    """Where a field's label is on a sheet whose rows moved (the occurrence nearest the layout's row)."""
    found = index.get(key)
    if not found:
        return None
    return min(found, key=lambda p: (abs(p[0] - place.row), p[1]))


def _read_cover(book: _Book, plan: _Plan, sheet: str | None) -> dict[str, str]:
    meta = {key: "" for key, *_ in plan.fields}
    if sheet is None:
        return meta
    rows = book.grid(sheet)
    for key, label, label_k, place in plan.fields:
        at_label = _at(rows, place.row, 0)
        if at_label == label or label_key(at_label) == label_k:
            meta[key] = field_text(_at(rows, place.row, place.col))
            continue
        found = _find_label(label_k, place, book.keys(sheet))
        if found is not None:
            meta[key] = field_text(_at(rows, found[0], found[1] + place.col))
    return meta


def _read_texts(book: _Book, plan: _Plan, sheet: str | None) -> dict[str, str]:
    texts = {key: "" for key, *_ in plan.parts}
    if sheet is None:
        return texts
    rows = book.grid(sheet)
    for key, title, title_k, place in plan.parts:
        at_title = _at(rows, place.row, 0)
        if at_title == title or (isinstance(at_title, str) and label_key(at_title) == title_k):
            texts[key] = field_text(_at(rows, place.row, place.col))
            continue
        found = _find_label(title_k, place, book.keys(sheet))
        if found is not None:
            texts[key] = field_text(_at(rows, found[0], found[1] + place.col))
        else:
            texts[key] = field_text(_at(rows, place.row, place.col))
    return texts


# ---------------------------------------------------------------------------------------------- entry points


def read_workbook(path: str | Path) -> Submission:
    """Read a returned workbook; a file that cannot be read at all raises :class:`IntakeError` (F001–F007)."""
    return read_intake(admit(path, documents=True))


def read_intake(intake: Intake) -> Submission:
    """Read a file that already passed :func:`giptemplate.files.intake.admit` (a published report is read by
    :mod:`giptemplate.published` into the same kind of submission)."""
    if intake.file_format in DOCUMENT_FORMATS:
        from giptemplate.published import (
            read_document,  # lazy: the published-report readers only for documents, not workbooks
        )

        return read_document(intake)
    book = _Book(intake)
    props, application, saved_at = book.properties()
    spec, identity = _identify(book, props)
    identified_by: Literal["identity", "labels"] = "identity"
    if spec is None:
        spec = _spec_from_labels(book)
        identified_by = "labels"
    plan = _plan(spec)
    mapping = _map_sheets(book, plan)
    wanted = [spec.cover_sheet, spec.narrative_sheet, *(tp.sheet for tp in plan.tables)]

    meta = _read_cover(book, plan, mapping.get(spec.cover_sheet))
    for key in META_IDENTITY_KEYS:
        meta[key] = identity.get(key, "")
    submission = Submission(
        path=intake.path,
        sha256=intake.sha256,
        spec=spec,
        file_format=intake.file_format,
        meta=meta,
        year=parse_year(meta.get("year", "")),
        identified_by=identified_by,
        application=application,
        saved_at=saved_at,
        texts=_read_texts(book, plan, mapping.get(spec.narrative_sheet)),
        sheet_names=tuple(book.names),
        renamed_sheets={k: v for k, v in mapping.items() if k != v},
        missing_sheets=tuple(n for n in wanted if n not in mapping),
    )
    for tp in plan.tables:
        sheet = mapping.get(tp.sheet)
        if sheet is None:
            continue
        read = _read_table(book, tp, plan, sheet)
        submission.cells.update(read.cells)
        submission.stored.update(read.stored)
        submission.label_mismatches.extend(read.mismatches)
        submission.value_layouts.extend(read.layouts)
        if read.move is not None:
            submission.moves.append(read.move)
    submission.unprotected_sheets = book.unprotected(mapping[n] for n in wanted if n in mapping)
    return submission
