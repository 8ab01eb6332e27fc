"""A structured mutation fuzzer for returned files: valid workbooks mutated at the zip, XML and cell level.

Used by tests/test_fuzz.py (a fixed-seed run in the test command) and scripts/fuzz.py (a long run). Each mutant is
read and checked by :func:`giptemplate.merge.collect.process_file` (the one per-file pipeline) in a child process
whose address space is limited, so a crash, an abort or a hang is caught and blamed on the mutant that caused it.

Property: every mutant gets a verdict (readable, or an F0xx refusal) with no internal error (X000, or a 内部错误
finding), in bounded time and memory.
"""

from __future__ import annotations

import io
import multiprocessing
import random
import re
import resource
import struct
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT = 512 * 2**20  # per file, the whole child process included
TIME_LIMIT = 20.0  # seconds for one file (the slowest legitimate read is well under a second)

HUGE_NUMBERS = ("1E+308", "-1E+308", "9" * 401, "NaN", "INF", "1e-320", "99999999999999999999", "-0", "4.9E-324")
ODD_TEXT = ("\u202e甲局", "=cmd|' /C calc'!A0", "\x00", "\ud800", "&amp;#0;", "]]>", "<b>x</b>", "🧨" * 50, "a" * 40000)
ODD_NAMES = (
    "报表.xlsx",
    "\u202e.xlsx",
    "~$锁.xlsx",
    ".隐藏.xlsx",
    "无后缀",
    "报表.pdf",
    "报表.xls",
    "报表.ods",
    "CON.xlsx",
    "a" * 200 + ".xlsx",
)
XML_MEMBER = re.compile(r"\.(xml|rels)$")


@dataclass(frozen=True)
class Mutant:
    name: str
    data: bytes
    how: str  # the mutations applied, for the failure report


@dataclass(frozen=True)
class Outcome:
    name: str
    how: str
    verdict: str  # "ok", an F0xx code, or "" when it failed
    seconds: float
    failure: str = ""  # what went wrong (empty: the property holds)
    peak_mib: float = 0.0  # peak resident memory of the reading process so far


# ---------------------------------------------------------------------------------------------- zip helpers


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [(info, archive.read(info)) for info in archive.infolist()]
    except Exception:
        return None


def _zip(parts: Sequence[tuple[str, bytes]], rng: random.Random) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as archive:
        warnings.simplefilter("ignore")  # duplicate members are one of the mutations
        for name, body in parts:
            method = zipfile.ZIP_STORED if name == "mimetype" or rng.random() < 0.1 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), body, compress_type=method)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- mutations


def _column(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _far_ref(rng: random.Random) -> tuple[int, str]:
    row = rng.choice([1048576, 65536, 100000, rng.randint(1, 1048576), 5000])
    col = rng.choice([16384, 256, 1024, rng.randint(1, 16384), 27])
    return row, f"{_column(col)}{row}"


def _xml_mutation(xml: bytes, rng: random.Random, name: str) -> tuple[bytes, str]:
    """One change to an XML part: structure, numbers, types, entities, far cells, huge strings."""
    choice = rng.randrange(12)
    if choice == 0 and b"</sheetData>" in xml:
        row, ref = _far_ref(rng)
        cell = f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>'.encode()
        return xml.replace(b"</sheetData>", cell + b"</sheetData>", 1), f"far cell {ref}"
    if choice == 1 and b"<dimension" in xml:
        return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml, count=1), "dimension"
    if choice == 2:
        head = xml.find(b"?>")
        decl = rng.choice(
            [
                b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
                b'<!DOCTYPE x SYSTEM "file:///etc/passwd">',
                b"<!DOCTYPE x>",
            ]
        )
        at = head + 2 if head >= 0 else 0
        return xml[:at] + decl + xml[at:], "doctype"
    values = list(re.finditer(rb"<v>([^<]*)</v>", xml))
    if choice in (3, 4) and values:
        target = rng.choice(values)
        new = rng.choice(HUGE_NUMBERS).encode()
        return xml[: target.start(1)] + new + xml[target.end(1) :], f"value {new[:20]!r}"
    cells = list(re.finditer(rb'<c r="([A-Z]+[0-9]+)"([^>]*)>', xml))
    if choice == 5 and cells:
        target = rng.choice(cells)
        kind = rng.choice([b' t="b"', b' t="e"', b' t="s"', b' t="str"', b' t="inlineStr"', b' t="n"', b' t="d"'])
        attrs = re.sub(rb'\s*t="[^"]*"', b"", target.group(2)) + kind
        return xml[: target.start(2)] + attrs + xml[target.end(2) :], f"type {kind!r}"
    if choice == 6 and b"<t" in xml:
        texts = list(re.finditer(rb"<t(?: [^>]*)?>([^<]*)</t>", xml))
        if texts:
            target = rng.choice(texts)
            new = rng.choice(ODD_TEXT).encode("utf-8", "surrogatepass")
            if rng.random() < 0.2:
                new = b"x" * rng.choice([100_000, 2_000_000])
            return xml[: target.start(1)] + new + xml[target.end(1) :], "text"
    if choice == 7 and len(xml) > 10:
        a = rng.randrange(len(xml))
        b = min(len(xml), a + rng.randint(1, 200))
        return xml[:a] + xml[b:], "cut"
    if choice == 8 and len(xml) > 10:
        a = rng.randrange(len(xml))
        return xml[:a] + rng.choice([b"<", b">", b"&", b'"', b"</c>", b"<c>", b"\x00", b"\xff\xfe"]) + xml[a:], "insert"
    if choice == 9:
        swapped = re.sub(
            rb'name="[^"]*"', lambda m: b'name="' + bytes(rng.choice(ODD_TEXT[:3]).encode()) + b'"', xml, count=1
        )
        return swapped, "rename"
    if choice == 10 and cells:
        # many cells without references: calamine places them one after another
        target = rng.choice(cells)
        extra = b"<c><v>1</v></c>" * rng.choice([10, 1000, 20000])
        end = xml.find(b"</row>", target.end())
        if end > 0:
            return xml[:end] + extra + xml[end:], "unreferenced cells"
    if choice == 11 and b"table:table-row" in xml:
        repeated = rng.choice([b"1048576", b"65536", b"16384", b"1000000000"])
        attr = rng.choice([b"table:number-rows-repeated", b"table:number-columns-repeated"])
        tag = b"<table:table-row" if attr.endswith(b"rows-repeated") else b"<table:table-cell"
        hits = [m.start() for m in re.finditer(re.escape(tag), xml)]
        if hits:
            at = rng.choice(hits) + len(tag)
            value = b' office:value-type="float" office:value="1"' if rng.random() < 0.5 else b""
            return xml[:at] + b" " + attr + b'="' + repeated + b'"' + value + xml[at:], "ods repeat"
    data = bytearray(xml)
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data), "xml bytes"


def _zip_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    parts = _members(data)
    if parts is None:
        return _byte_mutation(data, rng)
    named = [(info.filename, body) for info, body in parts]
    choice = rng.randrange(6)
    if choice == 0 and named:
        i = rng.randrange(len(named))
        return _zip([*named[:i], *named[i + 1 :]], rng), f"drop {named[i][0]}"
    if choice == 1 and named:
        i = rng.randrange(len(named))
        return _zip([*named, named[i]], rng), f"duplicate {named[i][0]}"
    if choice == 2:
        rng.shuffle(named)
        return _zip(named, rng), "shuffle"
    if choice == 3:
        bomb = zlib.compress(b"\x00" * 50_000_000)[:10]  # a member claiming much more than it holds
        return _zip([*named, ("xl/media/big.bin", bomb * 10)], rng), "extra member"
    xml = [i for i, (name, _) in enumerate(named) if XML_MEMBER.search(name)]
    if not xml:
        return _byte_mutation(data, rng)
    how = []
    for _ in range(rng.randint(1, 3)):
        i = rng.choice(xml)
        body, what = _xml_mutation(named[i][1], rng, named[i][0])
        named[i] = (named[i][0], body)
        how.append(f"{named[i][0]}: {what}")
    return _zip(named, rng), "; ".join(how)


_BIFF_CELLS = (0x0203, 0x00FD, 0x027E, 0x0205, 0x0204, 0x0006)


def _xls_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Patch the row and column of a BIFF cell record (found by its type) to somewhere far, or flip bytes."""
    if rng.random() < 0.5:
        return _byte_mutation(data, rng)
    out = bytearray(data)
    hits = [m.start() for kind in _BIFF_CELLS for m in re.finditer(re.escape(struct.pack("<H", kind)), data)]
    if not hits:
        return _byte_mutation(data, rng)
    for _ in range(rng.randint(1, 4)):
        at = rng.choice(hits)
        if at + 8 <= len(out):
            struct.pack_into("<HH", out, at + 4, rng.choice([65535, rng.randrange(65536)]), rng.choice([255, 16383]))
    return bytes(out), "biff far cells"


def _byte_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    choice = rng.randrange(3)
    if choice == 0 and data:
        return data[: rng.randrange(len(data))], "truncate"
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    if choice == 1:
        return bytes(out), "flip bytes"
    return bytes(out) + rng.randbytes(rng.randint(1, 4096)), "flip and append"


def mutants(seeds: Sequence[tuple[str, bytes]], seed: int) -> Iterator[Mutant]:
    """An endless stream of mutants of the seed files (name, bytes), reproducible from ``seed``."""
    rng = random.Random(seed)
    n = 0
    while True:
        name, data = rng.choice(seeds)
        how = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if data.startswith(b"PK"):
                data, what = _zip_mutation(data, rng) if rng.random() < 0.85 else _byte_mutation(data, rng)
            elif data.startswith(b"\xd0\xcf\x11\xe0"):
                data, what = _xls_mutation(data, rng)
            else:
                data, what = _byte_mutation(data, rng)
            how.append(what)
        suffix = Path(name).suffix
        shown = f"m{n:05d}{suffix}"
        if rng.random() < 0.05:
            shown = f"m{n:05d}_{rng.choice(ODD_NAMES)}"
        yield Mutant(shown, data, f"{name}: {' | '.join(how)}")
        n += 1


# ---------------------------------------------------------------------------------------------- checking


def _worker(connection: multiprocessing.connection.Connection, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from giptemplate.merge.collect import INTERNAL_ERROR, process_file

    while True:
        path = connection.recv()
        if path is None:
            return
        started = time.perf_counter()
        result = process_file(path)
        seconds = time.perf_counter() - started
        failure = ""
        if result.error_code == INTERNAL_ERROR:
            failure = result.error_message
        internal = [f.message for f in result.findings if "内部错误" in f.message]
        if internal:
            failure = internal[0]
        verdict = result.error_code or "ok"
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        connection.send((verdict, seconds, failure, peak))


def check_files(
    paths: Sequence[tuple[Path, str]],
    *,
    memory: int = MEMORY_LIMIT,
    time_limit: float = TIME_LIMIT,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Read and check each (path, description) in a memory-limited child; a child that dies or overruns is
    blamed on the file it was reading, and a new one goes on with the rest."""
    context = multiprocessing.get_context("forkserver")
    outcomes: list[Outcome] = []
    child = parent_end = None

    def start() -> tuple[multiprocessing.process.BaseProcess, multiprocessing.connection.Connection]:
        here, there = context.Pipe()
        process = context.Process(target=_worker, args=(there, memory), daemon=True)
        process.start()
        there.close()
        return process, here

    for path, how in paths:
        if child is None or not child.is_alive():
            child, parent_end = start()
        assert parent_end is not None
        started = time.perf_counter()
        parent_end.send(str(path))
        if parent_end.poll(time_limit):
            try:
                verdict, seconds, failure, peak = parent_end.recv()
                outcome = Outcome(path.name, how, verdict, seconds, failure, peak)
            except EOFError:
                child.join(5)
                outcome = Outcome(
                    path.name, how, "", time.perf_counter() - started, f"reader died (exit {child.exitcode})"
                )
                child = None
        else:
            child.kill()
            child.join(5)
            outcome = Outcome(path.name, how, "", time_limit, f"no verdict within {time_limit:.0f} s")
            child = None
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    if child is not None and parent_end is not None:
        parent_end.send(None)
        child.join(5)
    return outcomes


def write_mutants(folder: Path, stream: Iterator[Mutant], count: int) -> list[tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for mutant in (next(stream) for _ in range(count)):
        path = folder / mutant.name
        path.write_bytes(mutant.data)
        written.append((path, mutant.how))
    return written


def failures(outcomes: Sequence[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.failure]


def seed_files(folder: Path, *, libreoffice: bool = True, documents: bool = False) -> list[tuple[str, bytes]]:
    """Valid returned files to mutate: two written by giptemplate (filled, and as a unit returns it) and, with
    ``libreoffice``, the same saved by LibreOffice as .xlsx, .xls and .ods. With ``documents``, published reports
    too (the .docx and .html that ``giptemplate report`` renders of the first, and with ``libreoffice`` that .docx
    printed to PDF), which the intake hands to the published-document readers."""
    from hostile import unit_file
    from soffice import convert

    folder.mkdir(parents=True, exist_ok=True)
    originals = [unit_file(folder / "seed1.xlsx", 1), unit_file(folder / "seed2.xlsx", 2, sparse=True)]
    seeds = [(p.name, p.read_bytes()) for p in originals]
    if libreoffice:
        for to in ("xlsx", "xls", "ods"):
            for path in convert([originals[0]], folder / to, to):
                seeds.append((f"lo.{to}", path.read_bytes()))
    if documents:
        from giptemplate.report.model import ReportData
        from giptemplate.report.render import render
        from giptemplate.workbook.reader import read_workbook

        data = ReportData.from_submission(read_workbook(originals[0]))
        for fmt in ("docx", "html"):
            seeds.append((f"report.{fmt}", render(data, fmt)))
        if libreoffice:
            docx = folder / "report.docx"
            docx.write_bytes(render(data, "docx"))
            for path in convert([docx], folder / "pdf", "pdf"):
                seeds.append(("report.pdf", path.read_bytes()))
    return seeds


__all__ = ["Mutant", "Outcome", "check_files", "failures", "mutants", "seed_files", "write_mutants"]
