"""helpers.resample: a synthetic cohort of any size drawn from the reconstructed cohort."""
import numpy as np
import pytest

from helpers import resample
from helpers.cohort import load_study_cohort
from helpers.study import load_study


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    base = tmp_path_factory.mktemp("resample")
    cache = base / "cleaned"
    paths = [resample.resample(120, 3, base / name, cache_dir=cache) for name in ("a", "b")]
    return base, paths, resample.resample(120, 4, base / "c", cache_dir=cache)


def test_same_seed_gives_the_same_bytes(drawn):
    base, (a, b), c = drawn
    for name in ("clinical.csv", "markers.csv", "study.yaml"):
        assert (a.parent / name).read_bytes() == (b.parent / name).read_bytes()
    assert (a.parent / "clinical.csv").read_bytes() != (c.parent / "clinical.csv").read_bytes()


def test_resampled_cohort_loads_and_copies_source_patients(drawn, tmp_path):
    _, (a, _), _ = drawn
    study = load_study(a)
    assert not study.reconstructed and study.registry_file is None
    assert "not real patients" in study.label and "n = 120" in study.label
    assert study.clinical_format == "zhang1999" and study.marker_source == "concentrations"
    table = load_study_cohort(study, tmp_path / "cleaned").table
    assert len(table) == 120 and table["patient_id"].is_unique
    assert table["patient_id"].iloc[0] == "P00001" and table["sample_id"].iloc[-1] == "S00120"
    source = load_study_cohort(load_study(), tmp_path / "source").table
    keys = ["age", "os_months", "death", "il6", "tnfa", "il1b", "il2"]
    def rows(t):  # missing as -1: NaN never equals itself
        return [tuple(r) for r in np.round(t[keys].astype(float).fillna(-1).to_numpy(), 9)]
    assert set(rows(table)) <= set(rows(source))
    for a_ in ("il6", "tnfa", "il1b", "il2"):
        assert set(table[f"{a_}_censored"]) <= set(source[f"{a_}_censored"])
