"""LibreOffice headless for tests: recalculate a workbook for real and save it as xlsx, xls, ods or pdf.

Recipe A of ../shared/reference/excel-notes.md: a fresh profile whose OOXMLRecalcMode is 0 (always
recalculate), then ``--convert-to``. Under CI=true a missing soffice fails the tests that need it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""

FILTERS = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods", "pdf": "pdf", "docx": "docx"}


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The soffice path; skips the test locally when absent, fails it under CI=true."""
    binary = soffice_binary()
    if binary is None:
        message = "LibreOffice (soffice) is not installed: real-engine test not run"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)
    return binary


def convert(paths: list[Path], out_dir: Path, to: str, timeout: float = 240) -> list[Path]:
    """Recalculate and convert files with one soffice run; returns the output paths in order."""
    binary = require_soffice()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
        result = subprocess.run(
            [
                binary,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                FILTERS.get(to, to),
                "--outdir",
                str(out_dir),
                *map(str, paths),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    outputs = [out_dir / f"{p.stem}.{to}" for p in paths]
    missing = [o for o in outputs if not o.exists()]
    if missing:
        raise RuntimeError(f"soffice did not write {missing}: {result.stderr.decode(errors='replace')[-500:]}")
    return outputs
