"""Shared fixtures, and one warning filter for a third-party deprecation we cannot act on."""

from pathlib import Path

import pytest

from helpers.cohort import load_cohort


def pytest_configure(config):
    # allotropy imports dateutil.zoneinfo, which dateutil deprecates; not ours to fix
    config.addinivalue_line("filterwarnings", "ignore:The `dateutil.zoneinfo` module:DeprecationWarning")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The committed cohort directory (raw/ and generator_truth/)."""
    return Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def cohort(data_dir):
    """The committed cohort loaded once: parsing its 8 plate exports takes a few seconds."""
    return load_cohort(data_dir)
