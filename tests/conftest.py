from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from giptemplate.format.spec import Spec, all_specs, spec_by_id, spec_for_year


@pytest.fixture(scope="session")
def spec() -> Spec:
    return spec_for_year(2024)


@pytest.fixture(params=[s.id for s in all_specs()])
def any_spec(request: pytest.FixtureRequest) -> Spec:
    """Each format version in turn (2019 试行, 2021): for tests that hold for every spec file."""
    return spec_by_id(request.param)
