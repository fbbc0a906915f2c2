"""Tests of helpers.plates: wellmap layouts (written as people write them, and read back),
the plate manifest, and joining one plate's read and layout into 96 wells. Reading the
instrument exports themselves is tested in test_instruments.py; damaged files in
test_bad_inputs.py."""

import numpy as np
import pandas as pd
import pytest

from helpers import plates
from helpers.errors import InputError
from helpers.instruments import read_export

LAYOUT = pd.DataFrame({
    "well": ["A1", "A2", "B1", "B2", "A3", "B3", "E3", "F3", "C4", "C5", "G3"],
    "role": ["standard"] * 4 + ["blank", "blank", "control", "control", "sample", "sample", "sample"],
    "nominal_pg_ml": [300.0, 300.0, 33.33, 33.33, np.nan, np.nan, 20.0, 20.0, np.nan, np.nan, np.nan],
    "sample_id": [np.nan] * 8 + ["S01", "S01", "患者-2"],
    "dilution": [1.0] * 10 + [10.0],
})


def by_well(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("well").reset_index(drop=True)


def test_layout_round_trip_uses_block_tables(tmp_path):
    path = tmp_path / "x.toml"
    plates.write_layout(path, "X-1", "IL6", LAYOUT)
    text = path.read_text()
    assert "[block.2x1.A1]" in text and "[block.1x2.A3]" in text and "[well." not in text
    expt, wells = plates.read_layout(path)
    assert expt == {"plate_id": "X-1", "analyte": "IL6"}
    pd.testing.assert_frame_equal(by_well(wells), by_well(LAYOUT), check_dtype=False)


def test_committed_layouts_give_calibrator_columns_once(data_dir):
    text = (data_dir / "raw" / "layouts" / "IL6-P1.toml").read_text()
    assert text.count("[col.'1,2']") == 1 and text.count('role = "standard"') == 1


def test_layout_with_per_well_tables_reads_the_same(tmp_path):
    """A layout written one table per well is just as valid."""
    lines = ['[expt]', 'plate_id = "X-1"', 'analyte = "IL6"']
    for rec in LAYOUT.to_dict("records"):
        lines += [f"[well.{rec['well']}]", f'role = "{rec["role"]}"']
        if rec["nominal_pg_ml"] == rec["nominal_pg_ml"]:
            lines.append(f"nominal_pg_ml = {rec['nominal_pg_ml']}")
        if isinstance(rec["sample_id"], str):
            lines += [f'sample_id = "{rec["sample_id"]}"', f"dilution = {int(rec['dilution'])}"]
    path = tmp_path / "x.toml"
    path.write_text("\n".join(lines) + "\n")
    pd.testing.assert_frame_equal(by_well(plates.read_layout(path)[1]), by_well(LAYOUT), check_dtype=False)


def test_layout_problems_are_all_listed(tmp_path):
    path = tmp_path / "raw" / "layouts" / "x.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[expt]\nplate_id = "X-1"\nanalyte = "IL6"\n[well.A1]\nrole = "standard"\n'
                    '[well.B1]\nrole = "smaple"\n')
    with pytest.raises(InputError) as excinfo:
        plates.read_layout(path)
    assert [str(p) for p in excinfo.value.problems] == [
        "raw/layouts/x.toml:A1: nominal_pg_ml: a standard needs a positive number",
        "raw/layouts/x.toml:B1: role: 'smaple' is not one of standard, blank, control, sample"]


def test_manifest_of_the_committed_cohort(data_dir):
    manifest = plates.load_manifest(data_dir / "raw")
    assert manifest["plate_id"].is_unique and len(manifest) == 8
    assert set(manifest["vendor"]) == {"softmax", "gen5"}
    assert manifest["line"].tolist() == list(range(2, 10))


def test_old_four_column_manifest_defaults_to_softmax(tmp_path, data_dir):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "plates").mkdir()
    (raw / "plates" / "x.txt").write_text("")
    (raw / "x.toml").write_text("")
    (raw / "plates.csv").write_text("plate_id,analyte,export_file,layout_file\nX-1,IL6,plates/x.txt,x.toml\n")
    row = plates.load_manifest(raw).iloc[0]
    assert (row["vendor"], row["plate"], row["read"]) == ("softmax", "", "")


def test_load_plate_joins_read_and_layout(data_dir):
    raw = data_dir / "raw"
    entry = plates.load_manifest(raw).set_index("plate_id").loc["TNFA-P1"].to_dict() | {"plate_id": "TNFA-P1"}
    reads = read_export(raw / entry["export_file"], entry["vendor"])
    wells = plates.load_plate(raw, entry, reads)
    assert len(wells) == 96 and wells["well"].tolist() == plates.WELLS
    # independent: the corrected read is the 450 nm read minus the 570 nm read, well by well
    by_wavelength = {r.wavelength_nm: r.wells.set_index("well") for r in reads if r.plate == "TNFA-P1"}
    numeric = by_wavelength[450.0]["read_error"] == ""
    expected = (by_wavelength[450.0]["signal"] - by_wavelength[570.0]["signal"])[numeric]
    got = wells.set_index("well")["signal"]
    np.testing.assert_allclose(got[expected.index], expected, rtol=0, atol=1e-12)
    _, layout = plates.read_layout(raw / entry["layout_file"])
    joined = wells.set_index("well")
    assert (joined.loc[layout["well"], "role"].to_numpy() == layout["role"].to_numpy()).all()
    assert set(joined.drop(index=layout["well"])["role"]) == {"empty"}
