"""Tests of helpers.cohort: the committed cohort's per-patient table, the error for samples
that are on plates but not in clinical.csv, and the listing of patients not measured."""

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from helpers.clinical import load_clinical
from helpers.cohort import load_cohort
from helpers.errors import InputError


def test_committed_cohort_table(cohort, data_dir):
    table = cohort.table
    clinical = load_clinical(data_dir / "raw" / "clinical.csv")
    assert len(table) == 46 and table["patient_id"].is_unique and table["sample_id"].is_unique
    assert table["sample_id"].tolist() == clinical["sample_id"].tolist()
    for a in ("il6", "tnfa", "il1b", "il2"):
        assert {a, f"{a}_status", f"{a}_detectable"} <= set(table.columns)
        assert table[f"{a}_detectable"].notna().all()
        assert table[f"{a}_detectable"].tolist() == table[f"{a}_status"].isin(["quantified", "above_uloq"]).tolist()
    assert table["il6"].notna().all() and (table["il6"] > 0).all()


def test_table_values_are_the_chosen_results(cohort):
    conc = cohort.assays.concentrations
    il6 = conc[conc["analyte"] == "IL6"].set_index("sample_id")
    table = cohort.table.set_index("sample_id")
    np.testing.assert_array_equal(table["il6"], il6.loc[table.index, "value_for_stats_pg_ml"].astype(float))
    assert (table["il6_status"] == il6.loc[table.index, "status"]).all()


@pytest.fixture
def data_copy(tmp_path, data_dir):
    shutil.copytree(data_dir / "raw", tmp_path / "raw")
    return tmp_path


def load_error(data_dir) -> str:
    with pytest.raises(InputError) as excinfo:
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
    assert message.startswith(f"raw/{layout}:")
    assert message.endswith(": sample_id: sample 'S99' is not in raw/clinical.csv (column sample_id)")


def test_sample_matching_only_after_normalisation_names_both_files(data_copy):
    layout, sample = sample_on_plate(data_copy, "IL6")
    wide = sample.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})  # full-width digits
    path = data_copy / "raw" / layout
    path.write_text(path.read_text().replace(f'sample_id = "{sample}"', f'sample_id = "{wide}"'))
    message = load_error(data_copy)
    assert f"sample {wide!r} matches {sample!r} (raw/clinical.csv line" in message
    assert message.startswith(f"raw/{layout}:")


def test_clinical_sample_without_result_is_listed_not_dropped(data_copy):
    layout, sample = sample_on_plate(data_copy, "TNFA")
    path = data_copy / "raw" / layout
    blocks = path.read_text().split("\n\n")
    kept = [b for b in blocks if f'sample_id = "{sample}"' not in b]
    assert len(blocks) - len(kept) >= 1  # the sample's wells are gone from the layout
    path.write_text("\n\n".join(kept))
    cohort = load_cohort(data_copy)
    assert len(cohort.table) == 46
    row = cohort.table.set_index("sample_id").loc[sample]
    assert np.isnan(row["tnfa"]) and row["tnfa_status"] == "no result"
    assert cohort.excluded.to_dict("records") == [
        {"patient_id": row["patient_id"], "sample_id": sample, "analyte": "TNFA",
         "reason": "no measurement of this sample on any plate"}]
