"""giptemplate: the 政府信息公开工作年度报告 as a locked Excel template, a reader, checks, a merge and a report."""

from __future__ import annotations

__version__ = "0.1.0"
