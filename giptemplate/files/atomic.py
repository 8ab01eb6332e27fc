"""Atomic output: every file giptemplate writes appears under its final name only once it is complete.

A temporary file is made in the destination's own folder (so the final rename never crosses file systems),
written, flushed to disk and renamed into place with :func:`os.replace`. An interrupted run (Ctrl-C, a crash, a
full disk) leaves either the old file or none, never a truncated one under the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_bytes", "write_text", "write_with"]


@contextlib.contextmanager
def atomic_path(destination: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``destination``; renamed onto it when the block ends without an exception.

    For writers that insist on opening a path themselves (xlsxwriter, python-docx, pyarrow). The temporary name
    keeps the destination's suffix because some writers choose their format by it.
    """
    target = Path(destination)
    folder = target.parent if str(target.parent) else Path(".")
    handle, name = tempfile.mkstemp(
        prefix=f".{target.stem[:40]}.", suffix=(suffix if suffix is not None else target.suffix) + ".part", dir=folder
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_bytes(destination: str | Path, data: bytes) -> None:
    with atomic_path(destination) as temporary:
        temporary.write_bytes(data)


def write_text(destination: str | Path, text: str, encoding: str = "utf-8", newline: str | None = None) -> None:
    with atomic_path(destination) as temporary, open(temporary, "w", encoding=encoding, newline=newline) as stream:
        stream.write(text)


def write_with(destination: str | Path, writer: Callable[[Path], object]) -> None:
    """Let ``writer`` produce the file at a temporary path, then rename it into place."""
    with atomic_path(destination) as temporary:
        writer(temporary)


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "rb") as stream:
        os.fsync(stream.fileno())
