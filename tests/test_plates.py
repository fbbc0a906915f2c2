"""Tests of helpers.plates: SoftMax Pro exports, wellmap layouts, the plate manifest and
joining one plate's files, including the error messages for malformed input."""

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from helpers import plates
from helpers.clinical import DataValidationError

SAVED = dt.datetime(1998, 3, 5, 14, 7, 9)
ABSORBANCE = [f"{v:.4f}" for v in np.random.default_rng(0).uniform(0.04, 3.5, 96)]  # 4 decimals
LUMINESCENCE = [str(v) for v in np.random.default_rng(1).integers(900, 400000, 96)]  # integers


def grid_of(cells) -> list[list[str]]:
    """8 x 12 cell texts, row by row (A1, A2, ..., H12)."""
    return [list(cells[i * 12:(i + 1) * 12]) for i in range(8)]


def absorbance_grid():
    return grid_of(ABSORBANCE)


def write_export(path, grid, read_mode="Absorbance", wavelength=450, plate_id="X-1"):
    plates.write_softmax_export(path, plate_id, read_mode, wavelength, SAVED, grid)
    return path


def read_error_message(reader, path) -> str:
    with pytest.raises(DataValidationError) as excinfo:
        reader(path)
    return str(excinfo.value)


# --- SoftMax Pro exports ----------------------------------------------------------------


@pytest.mark.parametrize("read_mode, wavelength, cells", [
    ("Absorbance", 450, ABSORBANCE),
    ("Luminescence", 477, LUMINESCENCE),
])
def test_export_round_trip(tmp_path, read_mode, wavelength, cells):
    path = write_export(tmp_path / "p.txt", grid_of(cells), read_mode, wavelength, plate_id="IL6-P7")
    meta, wells = plates.read_softmax_export(path)
    assert (meta["plate_id"], meta["read_mode"], meta["wavelength_nm"]) == ("IL6-P7", read_mode, wavelength)
    assert dt.datetime.fromisoformat(meta["read_at"]).replace(tzinfo=None) == SAVED
    assert sorted(wells["well"]) == sorted(plates.WELLS)
    got = wells.set_index("well")
    assert got.loc[plates.WELLS, "signal"].tolist() == [float(c) for c in cells]
    assert (got["read_error"] == "").all()


def test_export_error_code_reads_as_nan(tmp_path):
    grid = absorbance_grid()
    grid[2][3] = "Range?"
    _, wells = plates.read_softmax_export(write_export(tmp_path / "p.txt", grid))
    bad = wells[wells["read_error"] != ""]
    assert bad["well"].tolist() == ["C4"] and bad["read_error"].tolist() == ["Range?"]
    assert np.isnan(bad["signal"]).all() and wells["signal"].notna().sum() == 95


def test_export_bad_cell_names_file_row_and_column(tmp_path):
    grid = absorbance_grid()
    grid[2][3] = "abc"
    message = read_error_message(plates.read_softmax_export, write_export(tmp_path / "bad.txt", grid))
    assert message.startswith("bad.txt:")
    assert "row C, column 4" in message and "'abc'" in message


def test_export_truncated(tmp_path):
    path = write_export(tmp_path / "short.txt", absorbance_grid())
    path.write_text("\n".join(path.read_text().splitlines()[:6]) + "\n")
    assert read_error_message(plates.read_softmax_export, path).startswith("short.txt:")


def test_export_not_softmax(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("plate,well,od\nX-1,A1,0.1\n")
    assert read_error_message(plates.read_softmax_export, path).startswith("notes.txt:")


# --- layouts ----------------------------------------------------------------------------

LAYOUT = pd.DataFrame({
    "well": ["A1", "A2", "A3", "E3", "C4", "C5", "G3"],
    "role": ["standard", "standard", "blank", "control", "sample", "sample", "sample"],
    "nominal_pg_ml": [300.0, 33.33, np.nan, 20.0, np.nan, np.nan, np.nan],
    "sample_id": [np.nan, np.nan, np.nan, np.nan, "S01", "S01", "S02"],
    "dilution": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 10.0],
})
HEADER = '[expt]\nplate_id = "X-1"\nanalyte = "IL6"\n\n'


def test_layout_round_trip(tmp_path):
    path = tmp_path / "x.toml"
    plates.write_layout(path, "X-1", "IL6", LAYOUT)
    expt, wells = plates.read_layout(path)
    assert expt == {"plate_id": "X-1", "analyte": "IL6"}
    pd.testing.assert_frame_equal(wells.sort_values("well").reset_index(drop=True),
                                  LAYOUT.sort_values("well").reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("well, body, row, col", [
    ("C4", 'role = "smaple"\nsample_id = "S01"\ndilution = 1', "C", 4),
    ("B2", 'role = "standard"', "B", 2),
    ("E3", 'role = "control"\nnominal_pg_ml = 0.0', "E", 3),
    ("D11", 'role = "sample"\ndilution = 1', "D", 11),
    ("H7", 'role = "sample"\nsample_id = "S01"\ndilution = 0', "H", 7),
])
def test_layout_bad_well_names_file_row_and_column(tmp_path, well, body, row, col):
    path = tmp_path / "bad.toml"
    path.write_text(HEADER + f'[well.A3]\nrole = "blank"\n\n[well.{well}]\n{body}\n')
    message = read_error_message(plates.read_layout, path)
    assert message.startswith(f"bad.toml: row {row}, column {col} (well {well})")
    assert "A3" not in message


@pytest.mark.parametrize("text", [
    '[expt]\nplate_id = "X-1"\n\n[well.A3]\nrole = "blank"\n',  # no analyte
    HEADER + '[well.A3\nrole = "blank"\n',  # not TOML
])
def test_layout_unreadable_names_file(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert read_error_message(plates.read_layout, path).startswith("bad.toml:")


# --- manifest and joining one plate -----------------------------------------------------


@pytest.fixture
def raw(tmp_path, data_dir):
    """A copy of the committed raw/ directory to edit."""
    return shutil.copytree(data_dir / "raw", tmp_path / "raw")


def edit_manifest(raw, line: int, column: str, value: str):
    manifest = pd.read_csv(raw / "plates.csv", dtype=str)
    manifest.loc[line - 2, column] = value
    manifest.to_csv(raw / "plates.csv", index=False)


def test_manifest_loads(data_dir):
    manifest = plates.load_manifest(data_dir / "raw")
    assert tuple(manifest.columns) == plates.MANIFEST_COLUMNS
    assert manifest["plate_id"].is_unique and len(manifest) == 8


def test_manifest_wrong_columns(raw):
    text = (raw / "plates.csv").read_text()
    (raw / "plates.csv").write_text(text.replace("layout_file", "layout", 1))
    message = read_error_message(plates.load_manifest, raw)
    assert message.startswith("plates.csv: columns must be plate_id, analyte, export_file, layout_file")
    assert "found plate_id, analyte, export_file, layout" in message


@pytest.mark.parametrize("line, column, value, expected", [
    (3, "export_file", "plates/missing.txt", "plates.csv line 3, column export_file: no file 'plates/missing.txt'"),
    (4, "layout_file", "layouts/none.toml", "plates.csv line 4, column layout_file: no file 'layouts/none.toml'"),
    (5, "plate_id", "IL6-P1", "plates.csv line 5, column plate_id: duplicate 'IL6-P1'"),
    (2, "analyte", "", "plates.csv line 2, column analyte: empty"),
])
def test_manifest_errors_name_line_and_column(raw, line, column, value, expected):
    edit_manifest(raw, line, column, value)
    assert read_error_message(plates.load_manifest, raw) == expected


def entry(plate_id="IL6-P1", analyte="IL6", export="IL6-P1", layout="IL6-P1"):
    return {"plate_id": plate_id, "analyte": analyte, "export_file": f"plates/{export}.txt",
            "layout_file": f"layouts/{layout}.toml"}


def test_load_plate_joins_export_and_layout(data_dir):
    raw = data_dir / "raw"
    wells = plates.load_plate(raw, entry())
    assert len(wells) == 96 and wells["well"].is_unique
    assert set(wells["plate_id"]) == {"IL6-P1"} and set(wells["analyte"]) == {"IL6"}
    # independent read of the export's 8 x 12 grid: lines 4-11, cells 3-14 of each tab-separated line
    lines = (raw / "plates" / "IL6-P1.txt").read_text().splitlines()[3:11]
    grid = {f"{r}{c}": float(line.split("\t")[c + 1]) for r, line in zip(plates.ROWS, lines) for c in plates.COLS}
    assert wells.set_index("well")["signal"].to_dict() == grid
    _, layout = plates.read_layout(raw / "layouts" / "IL6-P1.toml")
    joined = wells.set_index("well")
    assert (joined.loc[layout["well"], "role"].to_numpy() == layout["role"].to_numpy()).all()
    assert set(joined.drop(index=layout["well"])["role"]) == {"empty"}


@pytest.mark.parametrize("fields, expected", [
    ({"export": "IL6-P2"}, "plates.csv plate IL6-P1: export plates/IL6-P2.txt says plate 'IL6-P2'"),
    ({"layout": "IL6-P2"}, "plates.csv plate IL6-P1: layout layouts/IL6-P2.toml says plate 'IL6-P2'"),
    ({"analyte": "TNFA"}, "layouts/IL6-P1.toml: analyte 'IL6', plates.csv says 'TNFA'"),
])
def test_load_plate_mismatch(data_dir, fields, expected):
    assert read_error_message(lambda raw: plates.load_plate(raw, entry(**fields)), data_dir / "raw") == expected
