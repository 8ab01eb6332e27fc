"""The unit and year a published report names in its title ("XX局2023年度政府信息公开工作年度报告")."""

from __future__ import annotations

import re
from collections.abc import Iterable

_TITLE = re.compile(r"^(?P<unit>.*?)\s*(?P<year>(?:19|20)\d{2})\s*年度?\s*政府信息公开(?:工作)?(?:年度)?报告")


def unit_and_year(candidates: Iterable[str]) -> tuple[str, int | None]:
    """The first candidate line that reads as a report title gives (unit, year); ("", None) when none does."""
    unit_only = ""
    for text in candidates:
        line = re.sub(r"\s+", " ", text).strip()
        found = _TITLE.search(line)
        if found:
            unit = found.group("unit").strip(" ：:_-|")
            return unit or unit_only, int(found.group("year"))
        if not unit_only and 2 < len(line) <= 40 and re.search(r"(局|委|办|院|府|会|处|中心|街道|镇|乡|所|队)$", line):
            unit_only = line
    return unit_only, None
