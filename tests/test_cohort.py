"""Tests of helpers.cohort: the committed cohort's per-patient table, and the errors for
samples that are on plates but not in clinical.csv, or in clinical.csv but not measured."""

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from helpers.clinical import DataValidationError, load_clinical
from helpers.cohort import load_cohort


def test_committed_cohort_table(cohort, data_dir):
    table = cohort.table
    clinical = load_clinical(data_dir / "raw" / "clinical.csv")
    assert len(table) == 46 and table["patient_id"].is_unique and table["sample_id"].is_unique
    assert table["sample_id"].tolist() == clinical["sample_id"].tolist()
    for a in ("il6", "tnfa", "il1b", "il2"):
        assert {a, f"{a}_status", f"{a}_detectable"} <= set(table.columns)
        assert table[f"{a}_detectable"].dtype == bool
        assert table[f"{a}_detectable"].tolist() == table[f"{a}_status"].isin(["quantified", "above_uloq"]).tolist()
    assert table["il6"].notna().all() and (table["il6"] > 0).all()


def test_table_values_are_the_chosen_results(cohort):
    conc = cohort.assays.concentrations
    il6 = conc[conc["analyte"] == "IL6"].set_index("sample_id")
    table = cohort.table.set_index("sample_id")
    np.testing.assert_array_equal(table["il6"], il6.loc[table.index, "value_for_stats"].astype(float))
    assert (table["il6_status"] == il6.loc[table.index, "status"]).all()


@pytest.fixture
def data_copy(tmp_path, data_dir):
    shutil.copytree(data_dir / "raw", tmp_path / "raw")
    return tmp_path


def load_error(data_dir) -> str:
    with pytest.raises(DataValidationError) as excinfo:
        load_cohort(data_dir)
    return str(excinfo.value)


def sample_on_plate(data_dir, analyte: str) -> tuple[str, str]:
    """(layout file name, a sample id) of the first plate of `analyte`."""
    manifest = pd.read_csv(data_dir / "raw" / "plates.csv")
    layout = manifest.loc[manifest["analyte"] == analyte, "layout_file"].iloc[0]
    sample = re.search(r'sample_id = "([^"]+)"', (data_dir / "raw" / layout).read_text()).group(1)
    return layout, sample


def test_sample_not_in_clinical(data_copy):
    layout, sample = sample_on_plate(data_copy, "IL6")
    path = data_copy / "raw" / layout
    path.write_text(path.read_text().replace(f'sample_id = "{sample}"', 'sample_id = "S99"'))
    message = load_error(data_copy)
    assert "not in clinical.csv" in message and message.endswith(": S99")


def test_clinical_sample_without_result(data_copy):
    layout, sample = sample_on_plate(data_copy, "TNFA")
    path = data_copy / "raw" / layout
    blocks = path.read_text().split("\n\n")
    kept = [b for b in blocks if f'sample_id = "{sample}"' not in b]
    assert len(blocks) - len(kept) >= 2  # the sample's wells are gone from the layout
    path.write_text("\n\n".join(kept))
    message = load_error(data_copy)
    assert "without an assay result" in message and message.endswith(f": {sample} (TNFA)")
