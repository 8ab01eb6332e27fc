"""The catalogue of finding codes and the families of checks that emit them: every code a family can emit is in the
catalogue and declared by that family, and the catalogue holds no code that nothing emits."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import giptemplate
from giptemplate.checks.checker import FAMILIES, check_file
from giptemplate.findings import CODES, DECLARED, FINDING_ROW, FileStatus, finding_columns, finding_row, make
from giptemplate.format.spec import Spec, all_specs

PACKAGE = Path(giptemplate.__file__).parent
CODE = re.compile(r"^[A-Z]\d{3}$")


def _literal_codes(path: Path) -> set[str]:
    """Every string constant of a module that is spelled like a finding code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    strings = (n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return {s for s in strings if CODE.match(s)}


def _family_module(name: str) -> Path:
    module = {"cross-year": "crossyear"}.get(name, name)
    return PACKAGE / "checks" / f"{module}.py"


def test_the_scan_sees_the_codes_a_module_spells() -> None:
    assert {"C701", "C702", "C703", "C704", "C705"} <= _literal_codes(_family_module("cover"))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_code_a_family_spells_is_declared_by_it_and_in_the_catalogue(family: object) -> None:
    from giptemplate.checks.common import Family

    assert isinstance(family, Family)
    spelled = _literal_codes(_family_module(family.name))
    assert spelled <= family.codes, f"{family.name} emits codes it does not declare: {sorted(spelled - family.codes)}"
    assert family.codes <= CODES.keys(), f"{family.name} declares codes missing from the catalogue"


def test_no_two_families_declare_the_same_code() -> None:
    seen: dict[str, str] = {}
    for family in FAMILIES:
        for code in family.codes:
            assert code not in seen, f"{code} declared by {seen[code]} and {family.name}"
            seen[code] = family.name


@pytest.mark.parametrize("spec_id", [s.id for s in all_specs()])
def test_codes_a_spec_declares_are_emitted_by_a_family_and_known(spec_id: str) -> None:
    spec = next(s for s in all_specs() if s.id == spec_id)
    from_spec = {r.code for r in spec.relations}
    if spec.cross_year.carry_code is not None:
        from_spec.add(spec.cross_year.carry_code)
    from_spec |= {rule.code for rule in spec.cross_year.stock}
    emitted = set().union(*(f.emits(spec) for f in FAMILIES))
    assert from_spec <= emitted
    assert all(code in CODES or code in DECLARED for code in from_spec)


def test_the_catalogue_has_no_code_that_nothing_emits() -> None:
    """Each catalogue code comes from a family (or a spec's rule run by one), the merge, or the reading of a file
    (intake, reader, published documents, the pipeline)."""
    emitted: set[str] = set()
    for spec in all_specs():
        for family in FAMILIES:
            emitted |= family.emits(spec)
    readers = [
        *(PACKAGE / "merge").glob("*.py"),
        *(PACKAGE / "files").glob("*.py"),
        *(PACKAGE / "published").glob("*.py"),
        PACKAGE / "workbook" / "reader.py",
        PACKAGE / "pipeline.py",
    ]
    for path in readers:
        emitted |= _literal_codes(path)
    unused = sorted(set(CODES) - emitted)
    assert not unused, f"catalogue codes nothing emits: {unused}"


def test_every_finding_of_a_faulty_file_comes_from_a_family_that_declares_it(spec: Spec) -> None:
    from submission_factory import build

    sub = build(spec, meta={"unit_name": "", "year": "1999", "unit_code": "9141010000000000XX", "scope": "别的"})
    first_input = spec.input_cells[0].key
    sub.cells.pop(first_input)  # a blank input: V203
    sub.texts = {}
    findings = check_file(sub, previous_expected=True).findings
    codes = {f.code for f in findings}
    assert {"C701", "C702", "V203", "N601", "Y590"} <= codes
    by_family = {code: f.name for f in FAMILIES for code in f.emits(spec)}
    assert codes <= by_family.keys(), sorted(codes - by_family.keys())


def test_file_statuses_are_one_enum_that_reads_as_its_chinese_text() -> None:
    assert FileStatus.PASSED == "通过" and FileStatus.HAS_ERRORS == "有错误" and FileStatus.UNREADABLE == "无法读取"
    assert f"{FileStatus.UNREADABLE}" == "无法读取"
    assert len({s.value for s in FileStatus}) == len(FileStatus)


def test_one_finding_row_serves_every_output() -> None:
    from giptemplate.checks.render import FINDING_COLUMNS
    from giptemplate.merge.lower import FINDING_COLUMNS as READ_BACK
    from giptemplate.merge.lower import FINDING_HEADER

    headings = dict(FINDING_ROW)
    for key, heading in (*FINDING_COLUMNS, *FINDING_HEADER, *READ_BACK.items()):
        assert key == "status" or headings[key] == heading, key
    finding = make("A301", "合计不符。", file="a.xlsx", sheet="表三", cell="C9", expected="3", actual="4", diff="1")
    row = finding_row(finding)
    assert set(row) == set(headings)
    assert row["severity"] == "错误" and row["title"] == CODES["A301"][1] and row["location"] == "'表三'!C9"
    assert finding_columns("code", "message") == (("code", "代码"), ("message", "说明"))
