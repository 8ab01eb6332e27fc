"""Two shortcuts into xlsxwriter's private inner loops, used only with the xlsxwriter versions they are tested on.

xlsxwriter runs ~30 regular expressions over every formula; a template repeats the same ~130 formulas in every
personalised copy, so memoising the preparation makes writing a roster about five times faster. A formula that
none of those expressions matches (all of ours: they name no dynamic-array function) is only stripped of its
``=``, found by one search for all of them together; a sheet of ~1,700 distinct formulas, such as the summary's
校验 sheet, is then prepared in 0.02 s instead of 0.25 s. Saving's innermost
loop writes formatted blanks, strings and numbers (~90% of a template's cells) directly, exactly as xlsxwriter
would. Both replace private methods (``Worksheet._prepare_formula``, ``Worksheet._write_cell``), which a new
xlsxwriter may change: under any version outside :data:`TESTED` the writer uses the stock :class:`Worksheet`
(the public API only), and the tests compare the two paths' files.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import textwrap
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

# (major, minor) releases whose private methods the shortcuts were checked against (tests/test_writer.py compares
# the files with the stock methods'). pyproject's xlsxwriter range covers them and older and newer releases,
# which write through the public API only.
TESTED = ((3, 3),)


def _release(version: str) -> tuple[int, int] | None:
    parts = version.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def supported(version: str = xlsxwriter.__version__) -> bool:
    """Whether the shortcuts may replace xlsxwriter's private methods under ``version``."""
    return _release(version) in TESTED


@functools.cache
def _any_substitution() -> re.Pattern[str] | None:
    """One expression matching wherever any ``re.sub`` of the stock ``_prepare_formula`` would (and possibly
    elsewhere): the patterns read from its source. None (every formula takes the stock method) unless every
    substitution's pattern is a literal."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(Worksheet._prepare_formula)))
    except (OSError, TypeError, SyntaxError):
        return None
    patterns = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sub":
            pattern = node.args[0] if node.args else None
            if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)):
                return None
            patterns.append(pattern.value)
    # Without a leading \b or \S each pattern matches wherever it did and more (only a wider screen), and the
    # alternatives then start with letters, which lets the engine skip most positions of a formula at once.
    cores = sorted({re.sub(r"^\\[bS]", "", p) for p in patterns})
    return re.compile("|".join(f"(?:{core})" for core in cores)) if cores else None


def _stripped(formula: str) -> str:
    """What the stock method keeps of a formula when no substitution applies: without array braces and ``=``."""
    if formula.startswith("{"):
        formula = formula[1:]
    if formula.startswith("="):
        formula = formula[1:]
    if formula.endswith("}"):
        formula = formula[:-1]
    return formula


@functools.lru_cache(maxsize=4096)
def _prepared_formula(formula: str, expand_future_functions: bool, use_future_functions: bool) -> str:
    # Each substitution leaves a formula unchanged unless its pattern matches; when none does, nothing is
    # substituted and the stock method returns the stripped formula (compared with it in tests/test_writer.py).
    screen = _any_substitution()
    if screen is not None and screen.search(formula) is None:
        return _stripped(formula)
    worksheet = Worksheet()
    worksheet.use_future_functions = use_future_functions
    return str(Worksheet._prepare_formula(worksheet, formula, expand_future_functions))


_FAST_CELLS = frozenset((CellBlankTuple, CellStringTuple, CellNumberTuple))


class FastWorksheet(Worksheet):  # type: ignore[misc]
    """A worksheet that memoises formula preparation and writes plain formatted cells directly."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return _prepared_formula(formula, expand_future_functions, bool(self.use_future_functions))

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        kind = type(cell)
        if kind in _FAST_CELLS and cell.format is not None:
            head = f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{cell.format._get_xf_index()}"'
            if kind is CellBlankTuple:
                self.fh.write(f"{head}/>")
            elif kind is CellStringTuple:
                self.fh.write(f'{head} t="s"><v>{cell.string}</v></c>')
            else:
                self.fh.write(f"{head}><v>{cell.number:.16G}</v></c>")
            return
        super()._write_cell(row, col, cell)


def worksheet_class(fast: bool | None = None) -> type[Worksheet]:
    """The worksheet class to write with: the shortcuts when ``fast`` (default: when the version is tested)."""
    use = supported() if fast is None else fast
    return FastWorksheet if use else Worksheet
