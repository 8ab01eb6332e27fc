"""The catalogue of finding codes and the families of checks that emit them: every code a family can emit is in the
catalogue and declared by that family, and the catalogue holds no code that nothing emits."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

import giptemplate
from giptemplate.checks.checker import FAMILIES, check_file
from giptemplate.findings import (
    CODES,
    DECLARED,
    FINDING_ROW,
    RELATION_TEMPLATES,
    ErrorCode,
    FileStatus,
    TemplateFieldsError,
    declare_code,
    error_code,
    finding_columns,
    finding_row,
    make,
    render,
    template_fields,
)
from giptemplate.format.spec import Spec, all_specs
from giptemplate.format.wording import relation_fields

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
    fields = {"lhs_name": "「（七）总计」自然人列", "lhs": "4", "rhs_title": "各项之和", "rhs": "3", "gap": "1"}
    finding = make(
        "A301", fields, variant="=", file="a.xlsx", sheet="表三", cell="C9", expected="3", actual="4", diff="1"
    )
    row = finding_row(finding)
    assert set(row) == set(headings)
    assert row["severity"] == "错误" and row["title"] == CODES["A301"].title and row["location"] == "'表三'!C9"
    assert row["message"] == "「（七）总计」自然人列为 4，各项之和为 3，相差 1。"
    assert finding_columns("code", "message") == (("code", "代码"), ("message", "说明"))


# ---------------------------------------------------------------------------------------------- message templates


def _entries() -> list[ErrorCode]:
    for spec in all_specs():  # the specs' declared relation codes join DECLARED as they load
        assert spec.relations
    return [*CODES.values(), *DECLARED.values()]


@pytest.mark.parametrize("entry", _entries(), ids=lambda e: e.code)
def test_every_code_has_templates_whose_fields_parse_and_render(entry: ErrorCode) -> None:
    assert entry.templates, entry.code
    for variant, template in entry.templates.items():
        parsed = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        assert all(name.isidentifier() for name in parsed), (entry.code, variant, parsed)
        assert entry.fields(variant) == frozenset(parsed)
        # each field lands where its template puts it, and no brace is left over
        values = {name: f"<{name}>" for name in parsed}
        text = entry.render(variant, **values)
        assert all(f"<{name}>" in text for name in parsed) and "{" not in text and "}" not in text
        literal = "".join(text for text, _, _, _ in string.Formatter().parse(template))
        assert re.search(r"[\u3000-\u9fff\uff00-\uffef]", literal), (entry.code, variant)  # a Chinese sentence


def test_rendering_with_a_missing_extra_or_unknown_field_fails_at_once() -> None:
    fields = {"cell": "「规章」本年制发件数", "typed": ""}
    assert make("V203", fields).message.startswith("「规章」本年制发件数未填写；没有发生的请填 0")
    with pytest.raises(TemplateFieldsError, match="missing \\['typed'\\]"):
        make("V203", {"cell": "「规章」本年制发件数"})
    with pytest.raises(TemplateFieldsError, match="extra \\['raw'\\]"):
        make("V203", {**fields, "raw": "无"})
    with pytest.raises(TemplateFieldsError, match="no message variant 'spelled'"):
        make("V203", fields, variant="spelled")
    with pytest.raises(TemplateFieldsError):
        render("V201", "spelled", cell="x")
    with pytest.raises(TemplateFieldsError, match="plain name"):
        template_fields("{0}为 {value!r}")


def test_a_finding_keeps_its_fields_and_variant_and_json_carries_them() -> None:
    finding = make("V201", {"cell": "「规章」本年制发件数", "raw": "三件"}, variant="spelled", file="a.xlsx")
    assert finding.message == "「规章」本年制发件数填写为“三件”，不是有效数字。"
    data = json.loads(json.dumps(finding.as_dict(), ensure_ascii=False))
    assert data["extra"] == {"fields": {"cell": "「规章」本年制发件数", "raw": "三件"}, "variant": "spelled"}
    assert render(data["code"], data["extra"]["variant"], **data["extra"]["fields"]) == data["message"]


def test_spec_declared_relation_codes_take_the_relation_templates_by_operator() -> None:
    declare_code("A999", "warning", "测试关系")
    entry = DECLARED.pop("A999")
    assert entry.templates == RELATION_TEMPLATES and set(RELATION_TEMPLATES) == {"=", "≥", "≥ constant"}
    spec = all_specs()[0]
    for relation in spec.relations:
        variant, fields = relation_fields(spec, relation, "5", "3", "2")
        assert variant in RELATION_TEMPLATES
        text = render(relation.code, variant, **fields)
        assert "5" in text and ("3" in text or variant == "≥ constant")


def test_every_finding_of_a_faulty_file_renders_again_from_its_fields(spec: Spec) -> None:
    from submission_factory import build

    sub = build(spec, meta={"unit_name": "", "year": "1999", "unit_code": "9141010000000000XX", "scope": "别的"})
    sub.cells.pop(spec.input_cells[0].key)
    sub.texts = {}
    findings = check_file(sub, previous_expected=True).findings
    assert len({f.code for f in findings}) >= 5
    for f in findings:
        assert render(f.code, f.extra["variant"], **f.extra["fields"]) == f.message, f.code


def _is_chinese_text(node: ast.AST) -> bool:
    """A string constant or f-string in ``node`` (anywhere in it) that holds Chinese words (a separator such as
    "、" joining a list is no sentence)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and re.search(r"[\u4e00-\u9fff]", sub.value):
            return True
    return False


def _message_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls of ``make(...)``, ``rendered_again(...)`` and of a check context's ``ctx.add(...)``."""
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id in ("make", "rendered_again")) or (
            isinstance(func, ast.Attribute)
            and func.attr == "add"
            and isinstance(func.value, ast.Name)
            and func.value.id == "ctx"
        ):
            out.append(node)
    return out


def test_no_call_site_builds_a_finding_message() -> None:
    """Messages come from the catalogue's templates: a call of make or ctx.add passes fields, never a sentence
    (an f-string, a concatenation, a Chinese literal), and no field value is Chinese text written at the call."""
    calls = 0
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for call in _message_calls(ast.parse(path.read_text(encoding="utf-8"))):
            calls += 1
            given = [*call.args[1:], *(k.value for k in call.keywords if k.arg in ("fields", "message"))]
            for arg in given:
                sentence = isinstance(arg, (ast.JoinedStr, ast.BinOp)) or (
                    isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                )
                if sentence or _is_chinese_text(arg):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
    assert calls > 60  # the scan sees the call sites
    assert not offenders, offenders


# The calls that refuse a file (F0xx, P801/P802): the intake's, the reader's and the published readers' helpers and
# the exception itself; each passes the code, the catalogue's variant and the fields, and an English detail.
REFUSERS = ("_refuse", "not_a_report", "IntakeError")


def _refusal_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REFUSERS
    ]


def test_no_refusal_builds_its_sentence() -> None:
    """A refused file's sentence is its code's variant in the catalogue: no argument of a refusal call (the
    variant, a field, the English detail) is Chinese text or a sentence built at the call."""
    calls = 0
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for call in _refusal_calls(ast.parse(path.read_text(encoding="utf-8"))):
            calls += 1
            if any(_is_chinese_text(arg) for arg in (*call.args, *(k.value for k in call.keywords))):
                offenders.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
    assert calls > 45  # the scan sees the refusals of intake, the reader, the published readers and long data
    assert not offenders, offenders


def test_a_refusal_renders_its_variant_and_the_finding_renders_it_again(tmp_path: Path) -> None:
    from giptemplate.errors import IntakeError
    from giptemplate.files.intake import admit
    from giptemplate.pipeline import read_path

    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(IntakeError) as caught:
        admit(empty)
    refusal = caught.value
    assert (refusal.code, refusal.variant, refusal.fields) == ("F005", "empty", {})
    assert refusal.message == "空.xlsx：文件为空（0 字节） (empty file)"
    assert "{" not in render("F003", "too_many_entries", count=70000)
    assert render("F003", "too_many_entries", count=70000) == "压缩包条目过多（70000 个），拒绝处理"
    report = read_path(empty).report()
    (finding,) = report.findings
    assert finding.message == "文件为空（0 字节）" and finding.extra == {"fields": {}, "variant": "empty"}
    assert report.detail() == refusal.message  # the verdict keeps the refusal's one line
    with pytest.raises(TemplateFieldsError):
        IntakeError("F003", "too_many_entries", {}, name="a.xlsx")


def test_every_kind_of_foreign_file_and_of_document_without_a_report_has_its_sentence() -> None:
    from giptemplate.files.intake import FOREIGN_FORMATS
    from giptemplate.published import FOREIGN_KINDS

    for kind, (code, _) in FOREIGN_FORMATS.items():
        assert not error_code(code).fields("" if kind == "unknown" else kind), kind
    for kind in (*FOREIGN_KINDS.values(), "text"):
        assert error_code("F001").fields(f"{kind}+unparsable") == {"error"}
        assert not error_code("F001").fields(f"{kind}+no_tables")


def test_the_scan_catches_a_sentence_at_a_call_site() -> None:
    bad = [
        'make("M401", f"{name} 报送了多份文件")',
        'ctx.add("V203", name + "未填写")',
        'make("M408", {"file": f, "code": code or "无单位代码"})',
        'ctx.add("S110", "工作表的保护被取消。")',
    ]
    for source in bad:
        (call,) = _message_calls(ast.parse(source))
        arg = call.args[1]
        assert isinstance(arg, (ast.JoinedStr, ast.BinOp, ast.Constant)) or _is_chinese_text(arg), source
    for source in (
        '_refuse("F005", path, f"文件已损坏（{name} 编码错误）", "bad UTF-16 part")',
        'raise _refuse("F003", "ratio", path, "zip bomb", part=name + "（疑似）")',
        'IntakeError("F006", f"{name} 不是本工具写出的长表数据")',
    ):
        (call,) = _refusal_calls(ast.parse(source))
        assert any(_is_chinese_text(arg) for arg in (*call.args, *(k.value for k in call.keywords))), source
