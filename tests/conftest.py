"""Shared fixtures, and one warning filter for a third-party deprecation we cannot act on."""

import contextlib
import fcntl
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT
from helpers.cohort import load_cohort


def pytest_configure(config):
    # allotropy imports dateutil.zoneinfo, which dateutil deprecates; not ours to fix
    config.addinivalue_line("filterwarnings", "ignore:The `dateutil.zoneinfo` module:DeprecationWarning")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The committed cohort directory (raw/ and generator_truth/)."""
    return ROOT / "data"


@pytest.fixture(scope="session")
def cohort(data_dir):
    """The committed cohort loaded once: parsing its plate exports takes a second or two."""
    return load_cohort(data_dir)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory, worker_id) -> Path:
    """A folder of this test session that every pytest-xdist worker sees."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@contextlib.contextmanager
def holding(shared: Path, name: str):
    """`<shared>/<name>`, with the session-wide lock `<shared>/<name>.lock` held: the first
    worker to get it builds what the others then read."""
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield shared / name


def run_report(study: Path, out: Path, done_dir: Path) -> None:
    """`python -m helpers.report --study <study> --out <out>`, as `make reproduce` runs it; its
    exit status and output go to `<done_dir>/done.json`."""
    done_dir.mkdir(parents=True, exist_ok=True)
    run = subprocess.run([sys.executable, "-m", "helpers.report", "--study", str(study), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=1500)
    (done_dir / "done.json").write_text(json.dumps({"returncode": run.returncode, "stdout": run.stdout,
                                                    "stderr": run.stderr[-5000:]}))


@pytest.fixture(scope="session")
def report(shared_dir) -> Path:
    """The output folder of one `python -m helpers.report` run on the committed cohort, built by
    the first worker that asks and shared by every test that reads executed notebooks (the
    notebook tests, tests/test_site.py): each notebook runs once per cohort. `done.json` holds
    the command's exit status and output."""
    with holding(shared_dir, "report") as out:
        if not (out / "done.json").is_file():
            run_report(ROOT / "data" / "study.yaml", out, out)
    return out


@pytest.fixture(scope="session")
def gbsg2_report(shared_dir) -> Path:
    """The output folder of one `python -m helpers.report` run on the GBSG2 study file (what
    `make reproduce STUDY=gbsg2` runs after rebuilding its tables), shared like `report`."""
    with holding(shared_dir, "gbsg2_report") as out:
        if not (out / "done.json").is_file():
            run_report(ROOT / "data" / "gbsg2" / "study.yaml", out, out)
    return out


@pytest.fixture(scope="session")
def resampled_report(shared_dir) -> Path:
    """One report run on a 300-patient cohort resampled from the reconstructed one (the paper's
    clinical format, markers from a concentrations table, no registry: a user's cohort in the
    paper's form), in `<folder>/run`; the cohort is `<folder>/cohort`."""
    from helpers.resample import resample

    with holding(shared_dir, "resampled") as folder:
        if not (folder / "done.json").is_file():
            run_report(resample(300, 3, folder / "cohort"), folder / "run", folder)
    return folder
