"""environment.yml, .ci/requirements.in, .ci/requirements.lock and the venv must agree."""

from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from helpers import ROOT
from helpers.envspec import requirements

LOCK = ROOT / ".ci" / "requirements.lock"
REQUIREMENTS_IN = ROOT / ".ci" / "requirements.in"


def _pin(req: Requirement) -> str:
    """The version of an exact `==` pin (fails otherwise)."""
    specs = list(req.specifier)
    assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {req}"
    return specs[0].version


def _lock_lines() -> list[str]:
    lines = (line.strip() for line in LOCK.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _lock() -> dict[str, str]:
    return {canonicalize_name(r.name): _pin(r) for r in map(Requirement, _lock_lines())}


SPEC = [Requirement(r) for r in requirements()]


def test_lock_lines_are_exact_pins():
    for line in _lock_lines():
        req = Requirement(line)
        assert req.url is None and req.marker is None, f"lock line not a plain pin: {line}"
        _pin(req)


def test_requirements_in_matches_environment_yml():
    assert REQUIREMENTS_IN.read_text(encoding="utf-8").split() == requirements(), (
        "environment.yml changed: run `make lock`"
    )


@pytest.mark.parametrize("req", SPEC, ids=str)
def test_lock_matches_environment_yml(req):
    lock = _lock()
    name = canonicalize_name(req.name)
    assert name in lock, f"{req.name} missing from {LOCK.name}: run `make lock`"
    assert lock[name] == _pin(req), f"{req.name}: lock {lock[name]} != environment.yml {_pin(req)}"


def test_lock_key_pins():
    lock = _lock()
    assert lock["lifelines"] == "0.30.3"
    assert Version("2.2") <= Version(lock["pandas"]) < Version("3")


@pytest.mark.parametrize("req", SPEC, ids=str)
def test_installed_version_matches_pin(req):
    try:
        installed = version(req.name)
    except PackageNotFoundError:
        pytest.fail(f"{req.name} not installed: run `make`")
    assert Version(installed) == Version(_pin(req)), (
        f"{req.name} {installed} installed, {_pin(req)} pinned: venv is stale, run `make`"
    )
