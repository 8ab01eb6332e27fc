from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from giptemplate.format.spec import Spec, all_specs, spec_by_id, spec_for_year

SPEC_IDS = tuple(s.id for s in all_specs())
DEFAULT_SPEC = spec_for_year(2024).id


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that takes ``spec`` (directly or through its fixtures) runs once per spec file, unless it is
    marked ``spec_ids(...)`` with the specs it is about (a 2021 fixture's values, a label only 2021 prints)."""
    if "spec" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("spec_ids")
    ids = tuple(marker.args) if marker else SPEC_IDS
    metafunc.parametrize("spec", ids, indirect=True, scope="session")


@pytest.fixture(scope="session")
def spec(request: pytest.FixtureRequest) -> Spec:
    """The spec of the run: each spec file in turn (see :func:`pytest_generate_tests`)."""
    return spec_by_id(getattr(request, "param", DEFAULT_SPEC))


@pytest.fixture(params=SPEC_IDS)
def any_spec(request: pytest.FixtureRequest) -> Spec:
    """Each format version in turn (2019 试行, 2021): for tests that hold for every spec file."""
    return spec_by_id(request.param)
