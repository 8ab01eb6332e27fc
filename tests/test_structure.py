"""The package's structure: no import cycles, lazy imports only for start-up speed and saying so, every module
importable on its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import giptemplate

PACKAGE = Path(giptemplate.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package's modules an import statement loads (a ``from pkg import name`` loads pkg.name when that is a
    module)."""
    found: set[str] = set()
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            is_package = MODULES[module].name == "__init__.py"
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([base] if base else [])])
        names = [base, *(f"{base}.{a.name}" for a in node.names)]
    for name in names:
        if name in MODULES:
            found.add(name)
    return found


def _top_level_imports(module: str, tree: ast.Module) -> set[str]:
    """Modules imported when ``module`` is imported: statements at module level (also inside try/if), not the
    ``if TYPE_CHECKING`` block and not inside functions or classes' methods."""
    out: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                out.update(_targets(module, node))
            elif isinstance(node, ast.If):
                if not _is_type_checking(node):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.ClassDef):
                visit(node.body)

    visit(tree.body)
    out.discard(module)
    return out


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        # Only explicit imports: a package's __init__ that imports its own module is no cycle (the package is
        # already initialising when the module runs), a module importing names from its package's __init__ is.
        graph[module] = _top_level_imports(module, ast.parse(path.read_text(encoding="utf-8")))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None (iterative depth-first search)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(graph[nxt])))
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_among_top_level_imports() -> None:
    graph = _graph()
    assert "giptemplate.pipeline" in graph["giptemplate.merge.collect"]  # the graph sees real edges
    cycle = _cycle(graph)
    assert cycle is None, " → ".join(cycle or [])


def _function_imports() -> list[tuple[str, int, str]]:
    """Import statements inside functions: (file, line, the line and the one above it)."""
    found = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            run_start: int | None = None
            previous_end = -1
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    first = node.lineno
                    if run_start is None or first > previous_end + 1:
                        run_start = first  # a new run of consecutive import lines
                    previous_end = node.end_lineno or first
                    block = lines[run_start - 2 : previous_end]
                    found.append((module, first, "\n".join(block)))
    return found


def test_every_import_inside_a_function_says_it_is_lazy_and_why() -> None:
    """No import inside a function dodges a cycle: each is there for start-up speed (a one-file check must start
    fast) or to load a heavy optional library only when used, and says so with a ``# lazy:`` comment on its run of
    import lines (or the line above it)."""
    found = _function_imports()
    assert found, "the scan found no function-level import at all: it is not looking"
    silent = [f"{module}:{line}" for module, line, block in found if "# lazy:" not in block]
    assert not silent, "imports inside functions without a '# lazy:' reason: " + ", ".join(silent)


def test_every_module_imports_on_its_own_in_a_fresh_interpreter() -> None:
    """Each module imported first, alone, in a new interpreter: a cycle hidden by import order would fail here."""
    names = [m for m in MODULES if not m.endswith("__main__")]
    script = (
        "import importlib, subprocess, sys\n"
        "bad = []\n"
        "for name in sys.argv[1:]:\n"
        "    r = subprocess.run([sys.executable, '-c', f'import {name}'], capture_output=True, text=True)\n"
        "    if r.returncode: bad.append(name + ': ' + r.stderr.strip().splitlines()[-1])\n"
        "print('\\n'.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_a_one_file_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    """`giptemplate check FILE` must start fast (issue 13: within 0.25 s of importing the reader's engine): checking
    one workbook loads neither the published-document reader, the report, the long data, the summary workbook's
    writer, rich's progress bar nor the data libraries (all of which it once did, through top-level imports of
    modules it shares with merge)."""
    import random

    from giptemplate.format.sample import consistent_values
    from giptemplate.format.spec import spec_for_year
    from giptemplate.workbook.writer import write_template

    workbook, seen = tmp_path / "one.xlsx", tmp_path / "modules.txt"
    values = consistent_values(spec_for_year(2024), random.Random(1))
    write_template(workbook, year=2024, unit_name="某局", values=values)
    script = (
        "import atexit, pathlib, sys\n"
        "seen = pathlib.Path(sys.argv[2])\n"
        "atexit.register(lambda: seen.write_text('\\n'.join(sorted(sys.modules))))\n"
        "sys.argv = ['giptemplate', 'check', sys.argv[1]]\n"
        "from giptemplate.cli import main\n"
        "main()\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(workbook), str(seen)], capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr  # checked: its empty narratives are errors
    assert "N601" in run.stdout
    loaded = set(seen.read_text().split())
    assert {"giptemplate.checks.checker", "giptemplate.workbook.reader"} <= loaded  # the check did run
    unwanted = (
        "giptemplate.published",
        "giptemplate.report",
        "giptemplate.merge.longframe",
        "giptemplate.merge.summary",
        "giptemplate.workbook.writer",
        "rich.progress",
        "openpyxl",
        "pandas",
        "numpy",
        "pyarrow",
    )
    found = sorted(m for m in loaded if any(m == u or m.startswith(u + ".") for u in unwanted))
    assert not found, "a one-file check imported " + ", ".join(found)
