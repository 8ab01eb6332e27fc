"""Benchmark: reading published reports (extract + check) against the floor, pdfplumber's bare extract_tables.

Uses the real fixtures (../shared/fixtures/published/, 2019 and 2021 formats) as web pages, the Word documents drafted
from their hand transcriptions (tests/published_cases.py) and those documents exported to PDF by LibreOffice,
then times, in CPU seconds:
  HTML: giptemplate read + check, documents per second;
  Word: giptemplate read + check, documents per second;
  PDF:  giptemplate read + check, pages per second, against pdfplumber's extract_tables() on the same pages.

    python scripts/bench_extract.py --rounds 5
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pdfplumber

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/published_cases.py drafts the Word files

from giptemplate.checks.checker import check
from giptemplate.workbook.reader import read_workbook
from tests.published_cases import FIXTURES, draft_docx, spec_of, transcriptions


def cpu(fn: Callable[[], object], rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        fn()
    return (time.process_time() - start) / rounds


def read_all(paths: Sequence[Path]) -> None:
    for path in paths:
        check(read_workbook(path))


def bare_tables(paths: Sequence[Path]) -> None:
    for path in paths:
        with pdfplumber.open(io.BytesIO(path.read_bytes())) as pdf:
            for page in pdf.pages:
                page.extract_tables()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cases = transcriptions()  # both format versions
    html = [FIXTURES / c["source"] for c in cases]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        docx = [draft_docx(spec_of(c), c, folder / f"{c['name']}.docx") for c in cases]
        soffice = shutil.which("soffice")
        if soffice is None:
            sys.exit("LibreOffice (soffice) is needed to make the PDFs")
        subprocess.run(
            [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(folder), *map(str, docx)],
            capture_output=True,
            check=True,
        )
        pdfs = [p.with_suffix(".pdf") for p in docx]
        pages = 0
        for path in pdfs:
            with pdfplumber.open(path) as pdf:
                pages += len(pdf.pages)
        read_all(html + docx + pdfs)  # warm imports and caches
        t_html = cpu(lambda: read_all(html), args.rounds)
        t_docx = cpu(lambda: read_all(docx), args.rounds)
        t_pdf = cpu(lambda: read_all(pdfs), args.rounds)
        t_floor = cpu(lambda: bare_tables(pdfs), args.rounds)
    print(
        f"HTML  {len(html)} documents: {len(html) / t_html:8.1f} documents/s ({t_html / len(html) * 1000:.0f} ms each)"
    )
    print(
        f"Word  {len(docx)} documents: {len(docx) / t_docx:8.1f} documents/s ({t_docx / len(docx) * 1000:.0f} ms each)"
    )
    print(f"PDF   {len(pdfs)} documents, {pages} pages: {pages / t_pdf:8.1f} pages/s (read + check)")
    print(f"floor pdfplumber extract_tables on the same pages: {pages / t_floor:8.1f} pages/s")
    print(f"ratio giptemplate / floor (time): {t_pdf / t_floor:.2f}")


if __name__ == "__main__":
    main()
