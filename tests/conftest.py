"""Shared fixtures only."""

from pathlib import Path

import pytest

from helpers.cohort import load_cohort


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The committed cohort directory (raw/ and generator_truth/)."""
    return Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def cohort(data_dir):
    """The committed cohort loaded once: parsing its 8 plate exports takes a few seconds."""
    return load_cohort(data_dir)
