"""Saved times as clerks read them: Beijing time, minutes, no ISO letters."""

from __future__ import annotations

import datetime

BEIJING = datetime.timezone(datetime.timedelta(hours=8), "北京时间")


def beijing_time(stamp: str) -> str:
    """A saved time as clerks read it: Beijing time, "2022-01-10 20:30" (a stamp without a zone is UTC, as
    workbooks store it); anything unparseable is shown as it is."""
    try:
        moment = datetime.datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
