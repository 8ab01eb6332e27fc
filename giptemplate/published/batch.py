"""Extract many published reports in parallel, one workbook each; one bad document never stops the batch."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from giptemplate.errors import IntakeError
from giptemplate.files.intake import admit
from giptemplate.files.paths import safe_component

SMALL_BATCH = 4  # below this many documents, starting worker processes costs more than it saves


@dataclass(frozen=True, slots=True)
class Extracted:
    source: str
    output: str = ""  # the workbook written ("" when the document was refused)
    error: str = ""  # one line, when refused
    values: int = 0  # cells printed in the document
    unit_name: str = ""
    year: int | None = None


def extract_one(path: str, out_dir: str) -> Extracted:
    from giptemplate.published import extract
    from giptemplate.published.workbook import write_extraction

    try:
        intake = admit(path, documents=True)
        if intake.file_format not in ("docx", "pdf", "html", "text"):
            return Extracted(path, error=f"{Path(path).name}：是电子表格，不是已发布的报告，无需提取")
        extraction = extract(intake)
    except IntakeError as exc:
        return Extracted(path, error=exc.message)
    except Exception as exc:  # a reader bug must not stop the batch
        return Extracted(path, error=f"{Path(path).name}：提取时发生内部错误（{type(exc).__name__}: {exc}）")
    target = Path(out_dir) / f"{safe_component(Path(path).stem)}.xlsx"
    write_extraction(extraction, target)
    sub = extraction.submission
    return Extracted(path, str(target), "", len(extraction.matched.printed), sub.unit_name, sub.year)


def extract_all(
    paths: Sequence[Path], out_dir: Path, *, jobs: int = 1, on_progress: Callable[[int, int], None] | None = None
) -> list[Extracted]:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [str(p) for p in paths]
    results: dict[str, Extracted] = {}
    if jobs <= 1 or len(names) < SMALL_BATCH:
        for i, name in enumerate(names, start=1):
            results[name] = extract_one(name, str(out_dir))
            if on_progress:
                on_progress(i, len(names))
    else:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("forkserver")) as pool:
            futures = {pool.submit(extract_one, n, str(out_dir)): n for n in names}
            for done, future in enumerate(as_completed(futures), start=1):
                name = futures[future]
                try:
                    results[name] = future.result()
                except Exception as exc:  # a crashed worker: that document is listed, the others go on
                    results[name] = Extracted(name, error=f"{Path(name).name}：提取进程异常退出（{exc}）")
                if on_progress:
                    on_progress(done, len(names))
    return [results[n] for n in names]
