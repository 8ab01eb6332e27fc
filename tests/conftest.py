from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from giptemplate.spec import Spec, spec_for_year


@pytest.fixture(scope="session")
def spec() -> Spec:
    return spec_for_year(2024)
