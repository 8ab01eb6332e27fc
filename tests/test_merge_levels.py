"""Merges of merges: a city merges its counties' summary workbooks as the counties merged their units."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from submission_factory import good_texts, unit_code, write_filled, year_for

from giptemplate.cli import main
from giptemplate.format.sample import consistent_values
from giptemplate.format.spec import Spec
from giptemplate.merge import MISSING, merge, write_summary
from giptemplate.roster import RosterEntry
from giptemplate.workbook.reader import read_workbook

COUNTIES = 3
UNITS = 4
UNSENT = (1, 3)  # county 1's unit 3 sends nothing


def county_roster(c: int) -> list[RosterEntry]:
    return [RosterEntry(f"县{c}第{i}局", unit_code(f"1141010{c}MB{i:07d}"), "", i + 2) for i in range(UNITS)]


@pytest.fixture(scope="module")
def counties(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    """Each county's folder of unit workbooks, and its summary workbook merged with its roster."""
    root = tmp_path_factory.mktemp("counties")
    folders, summaries = [], []
    for c in range(COUNTIES):
        folder = root / f"county{c}"
        folder.mkdir()
        roster = county_roster(c)
        for i, entry in enumerate(roster):
            code, name = entry.code, entry.name
            if (c, i) == UNSENT:
                continue
            values = consistent_values(spec, random.Random(c * 10 + i))
            texts = good_texts(spec, seed=c * 10 + i)
            write_filled(folder / f"u{i}.xlsx", spec, values, texts=texts, unit_name=name, unit_code=code)
        result = merge([folder], roster=roster, office=f"第{c}县", jobs=1)
        write_summary(result, root / f"第{c}县汇总.xlsx")
        folders.append(folder)
        summaries.append(root / f"第{c}县汇总.xlsx")
    return folders, summaries


def test_city_of_county_summaries_equals_the_merge_of_all_units(
    counties: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    folders, summaries = counties
    city = tmp_path / "市汇总.xlsx"
    run = CliRunner().invoke(main, ["merge", *map(str, summaries), "-o", str(city), "--office", "某市"])
    assert run.exit_code == 1, run.output  # complete totals, but a county reported a unit as 未报送
    direct = merge(folders, jobs=1)
    # The city's official tables hold the totals of every unit the counties counted.
    city_totals = read_workbook(city).values
    assert {k: city_totals.get(k) for k in direct.totals_values} == direct.totals_values
    assert sum(1 for v in city_totals.values() if v) > 50

    book = openpyxl.load_workbook(city, read_only=True)
    try:
        status_rows = [[str(v or "") for v in r] for r in book["报送情况"].iter_rows(values_only=True)]
        finding_rows = [[str(v or "") for v in r] for r in book["校验问题"].iter_rows(values_only=True)]
    finally:
        book.close()
    unsent = [r for r in status_rows if "县1第3局" in r]
    assert unsent and MISSING in unsent[0] and "第1县" in " ".join(unsent[0])
    assert any("M402" in r and "县1第3局" in " ".join(r) for r in finding_rows)
    # Every unit of every county is listed once, under its county; the counties themselves are the city's units.
    header = next(r for r in status_rows if "单位名称" in r and "状态" in r)
    rows = [dict(zip(header, r, strict=False)) for r in status_rows[status_rows.index(header) + 1 :]]
    for c in range(COUNTIES):
        assert [r["计入汇总"] for r in rows if r["单位名称"] == f"第{c}县"] == ["是"]
        units = [r for r in rows if r["单位名称"].startswith(f"县{c}第")]
        assert len(units) == UNITS and {r["分组"] for r in units} == {f"第{c}县"}


def test_long_data_grows_as_a_dataset_partitioned_by_year_and_region(
    spec: Spec, counties: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    import dataclasses

    import pandas as pd

    from giptemplate.merge import build_result, write_dataset
    from giptemplate.merge.collect import collect

    folders, _ = counties
    dataset = tmp_path / "长表"
    county0 = collect(sorted(folders[0].glob("*.xlsx")), jobs=1)
    year = year_for(spec)  # the files' report year: 2024, or 2020 in the 2019 format
    last_year = build_result([dataclasses.replace(r, year=year - 1) for r in county0])
    write_dataset(last_year, dataset, region="第0县")
    write_dataset(build_result(county0), dataset, region="第0县")
    write_dataset(merge([folders[1]], jobs=1), dataset, region="第1县")
    write_dataset(build_result(county0), dataset, region="第0县")  # a rerun replaces its own partition only
    frame = pd.read_parquet(dataset)
    cells = len(build_result(county0).spec.cells)
    counts = frame.groupby(["year", "region"], observed=True).size().to_dict()
    assert counts == {(year - 1, "第0县"): 4 * cells, (year, "第0县"): 4 * cells, (year, "第1县"): 3 * cells}
    assert {p.name for p in dataset.iterdir()} == {f"year={year - 1}", f"year={year}"}
    # A series across years is one query.
    applications = pd.read_parquet(dataset, filters=[("region", "==", "第0县"), ("cell_key", "==", "t3.R1.c7")])
    assert sorted(applications["year"].astype(int).unique()) == [year - 1, year]


def test_a_roster_column_for_the_level_above_groups_the_subtotals(
    counties: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    from giptemplate.merge.aggregate import aggregate
    from giptemplate.roster import read_roster

    folders, _ = counties
    roster = tmp_path / "名单.csv"
    lines = ["单位名称,单位代码,上级"]
    for c in range(COUNTIES):
        lines += [f"县{c}第{i}局,{unit_code(f'1141010{c}MB{i:07d}')},第{c}县" for i in range(UNITS)]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    province = merge(folders, roster=read_roster(roster), jobs=1)
    assert province.has_groups and set(province.groups) == {f"第{c}县" for c in range(COUNTIES)}
    for c, folder in enumerate(folders):
        members = [u for u, g in zip(province.aggregate.units, province.groups, strict=True) if g == f"第{c}县"]
        assert aggregate(province.spec, members).values == merge([folder], jobs=1).totals_values
    assert province.counts[MISSING] == 1


def test_a_city_merges_its_counties_long_parquet_data_as_it_merges_their_summaries(
    counties: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    from giptemplate.merge import GENERATED, PASSED, write_dataset, write_long

    folders, summaries = counties
    longs = []
    dataset = tmp_path / "长表"
    for c, folder in enumerate(folders):
        longs.append(tmp_path / f"第{c}县长表.parquet")
        county = merge([folder], roster=county_roster(c), office=f"第{c}县", jobs=1)
        write_long(county, longs[-1])
        write_dataset(county, dataset)
    city = tmp_path / "市汇总.xlsx"
    run = CliRunner().invoke(main, ["merge", *map(str, longs), "-o", str(city), "--office", "某市"])
    assert run.exit_code == 1, run.output  # complete totals, but a county reported a unit as 未报送
    from_long = merge(longs, jobs=1)
    from_summaries = merge(summaries, jobs=1)
    direct = merge(folders, jobs=1)
    # The same totals as the counties' summary workbooks give, and as all their units merged at once.
    assert from_long.totals_values == from_summaries.totals_values == direct.totals_values
    city_totals = read_workbook(city).values
    assert {k: city_totals.get(k) for k in direct.totals_values} == direct.totals_values
    # Nothing unaccounted: each county's file is a unit of the city, named by its office, and every row of each
    # county's 报送情况 (its 未报送 unit too) and its findings are carried up under it.
    rows = {(e.unit_name, e.status) for e in from_long.entries}
    assert {(f"第{c}县", PASSED) for c in range(COUNTIES)} <= rows
    assert (f"县{UNSENT[0]}第{UNSENT[1]}局", MISSING) in rows
    for c in range(COUNTIES):
        units = [e for e in from_long.entries if e.unit_name.startswith(f"县{c}第")]
        assert len(units) == UNITS and {e.group for e in units} == {f"第{c}县"}
    assert [(e.unit_name, e.status, e.included) for e in from_long.entries] == [
        (e.unit_name, e.status, e.included) for e in from_summaries.entries
    ]
    unsent = f"县{UNSENT[0]}第{UNSENT[1]}局"
    assert any(f.code == "M402" and unsent in f.message for f in from_long.finding_list)
    # The files of a dataset (year and region in their folders' names) merge the same way.
    parts = sorted(dataset.rglob("*.parquet"))
    from_dataset = merge(parts, jobs=1)
    assert len(parts) == COUNTIES and from_dataset.totals_values == direct.totals_values
    assert from_dataset.year == direct.year and [e.status for e in from_dataset.entries] == [
        e.status for e in from_long.entries
    ]
    # Long data left in a folder that is merged is one of this tool's outputs, never counted a second time.
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "长表.parquet").write_bytes(longs[0].read_bytes())
    (mixed / "u.xlsx").write_bytes(next(folders[0].glob("*.xlsx")).read_bytes())
    again = merge([mixed], jobs=1)
    assert sorted(e.status for e in again.entries) == sorted([GENERATED, PASSED])
