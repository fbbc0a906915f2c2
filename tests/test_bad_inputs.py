"""The bad-input suite: damaged copies of the committed cohort's files, one fault each.

Every case either names the problem (file, line or well, column, message) through the one
error type, helpers.errors.InputError, or is accepted with the affected patients, samples
or wells accounted for. Cases use the narrowest loader that reads the damaged file, so the
suite stays fast; the command-line cases at the end go through `python -m helpers.check`.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import ROOT, analysis, plates
from helpers.clinical import load_clinical
from helpers.cohort import load_cohort
from helpers.errors import InputError
from helpers.reconstruct import load_assumptions, write_study
from helpers.registry import REGISTRY, load_registry, scorecard


@pytest.fixture
def data(tmp_path, data_dir) -> Path:
    """A writable copy of the committed cohort's raw/ (tmp_path/raw), with its study file."""
    shutil.copytree(data_dir / "raw", tmp_path / "raw")
    write_study(tmp_path)
    return tmp_path


def problems(load, *args) -> list[str]:
    """The problems `load(*args)` raises, as printed."""
    with pytest.raises(InputError) as excinfo:
        load(*args)
    return [str(p) for p in excinfo.value.problems]


def manifest(data) -> pd.DataFrame:
    return pd.read_csv(data / "raw" / "plates.csv", dtype=str, keep_default_na=False)


def write_manifest(data, frame: pd.DataFrame) -> None:
    frame.to_csv(data / "raw" / "plates.csv", index=False)


def export_of(data, plate_id: str) -> tuple[Path, str]:
    """(path of the export holding `plate_id`, its vendor)."""
    row = manifest(data).set_index("plate_id").loc[plate_id]
    return data / "raw" / row["export_file"], row["vendor"]


def softmax_set_cell(path: Path, plate: str, well: str, text: str) -> None:
    """Replace one cell of the first read of `plate` in a SoftMax text export (UTF-16)."""
    lines = path.read_text(encoding="utf-16").split("\n")
    header = next(i for i, line in enumerate(lines) if line.startswith(f"Plate:\t{plate}\t"))
    row = header + 2 + "ABCDEFGH".index(well[0])
    cells = lines[row].split("\t")
    cells[2 + int(well[1:]) - 1] = text
    lines[row] = "\t".join(cells)
    path.write_text("\n".join(lines), encoding="utf-16", newline="\r\n")


def clinical_frame(data) -> pd.DataFrame:
    return pd.read_csv(data / "raw" / "clinical.csv", dtype=str, keep_default_na=False)


def write_clinical(data, frame: pd.DataFrame) -> Path:
    path = data / "raw" / "clinical.csv"
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------- clinical.csv
CLINICAL_CELLS = [
    ("age", "abc", "is not an integer"),
    ("age", "7", "is outside 18..110 years"),
    ("dfi_months", "n/a", "is not a number"),
    ("crp_mg_dl", "0,47", "is not a number (use '.' for decimals)"),
    ("crp_mg_dl", "-1", "is negative"),
    ("os_months", "0", "is not positive"),
    ("os_months", "", "missing value"),
    ("death", "2", "is not 0 or 1"),
    ("sites", "bone;brain", "is not a ';'-separated list"),
    ("sites", "bone;bone", "is not a ';'-separated list"),
    ("n_sites", "5", "does not equal the number of sites"),
    ("liver_metastasis", "yes", "is not true or false"),
    ("er_status", "pos", "is not one of positive, negative"),
    ("response", "SD", "is not one of CR, PR, NC, PD, NE"),
    ("patient_id", "", "missing value"),
]


@pytest.mark.parametrize("column, value, message", CLINICAL_CELLS)
def test_clinical_bad_cell(data, column, value, message):
    frame = clinical_frame(data)
    frame.loc[3, column] = value
    lines = problems(load_clinical, write_clinical(data, frame))
    assert lines[0].startswith(f"raw/clinical.csv:5: {column}: ") and message in lines[0], lines


def test_clinical_cross_column_rule(data):
    frame = clinical_frame(data)
    frame.loc[0, "dominant_site"] = "bone" if frame.loc[0, "dominant_site"] != "bone" else "visceral"
    assert any(line.startswith("raw/clinical.csv:2: dominant_site: ") and "contradicts sites" in line
               for line in problems(load_clinical, write_clinical(data, frame)))


def test_clinical_duplicate_and_normalised_ids(data):
    frame = clinical_frame(data)
    frame.loc[5, "patient_id"] = frame.loc[4, "patient_id"]
    first = frame.loc[0, "sample_id"]
    frame.loc[9, "sample_id"] = first.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    lines = problems(load_clinical, write_clinical(data, frame))
    assert f"raw/clinical.csv:7: patient_id: value {frame.loc[4, 'patient_id']!r} is duplicated" in lines
    assert any(line.startswith("raw/clinical.csv:11: sample_id: ") and "only after Unicode normalisation" in line
               and "line 2" in line for line in lines)


@pytest.mark.parametrize("damage, expected", [
    (lambda f: f.drop(columns="death"), "raw/clinical.csv:1: missing column death"),
    (lambda f: f.set_axis([*f.columns[:-1], "age"], axis=1), "raw/clinical.csv:1: duplicate column 'age'"),
])
def test_clinical_header(data, damage, expected):
    assert expected in problems(load_clinical, write_clinical(data, damage(clinical_frame(data))))


@pytest.mark.parametrize("content, expected", [
    (b"", "raw/clinical.csv: is empty"),
    (b"patient_id,sample_id\n1,2,3,4\n", "raw/clinical.csv:2: has 4 fields where the header has 2"),
    (b"patient_id;sample_id;age;dfi_months\nP1;S1;50;1,5\n", "raw/clinical.csv:1: uses ';' as separator"),
    (b"PK\x03\x04 workbook", "raw/clinical.csv: is an Excel workbook"),
    ("patient_id,caf\u00e9\n".encode("latin-1"), "raw/clinical.csv:1: is not UTF-8 text"),
])
def test_clinical_unreadable(data, content, expected):
    path = data / "raw" / "clinical.csv"
    path.write_bytes(content)
    assert problems(load_clinical, path)[0].startswith(expected)


def test_clinical_header_only_and_missing_file(data):
    path = data / "raw" / "clinical.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert problems(load_clinical, path) == ["raw/clinical.csv: has no data rows"]
    path.unlink()
    assert problems(load_clinical, path)[0].startswith("raw/clinical.csv: no such file")


def test_clinical_many_problems_are_capped(data):
    frame = clinical_frame(data)
    frame["age"] = "old"
    with pytest.raises(InputError) as excinfo:
        load_clinical(write_clinical(data, frame))
    assert len(excinfo.value.problems) == 46
    assert str(excinfo.value).splitlines()[-1] == "... and 26 more problem(s)"


# ---------------------------------------------------------------- plates.csv
MANIFEST_CELLS = [
    ("analyte", "", "empty"),
    ("analyte", "IL8", "'IL8' is not an analyte of this study"),
    ("vendor", "acme", "'acme' is not one of softmax"),
    ("export_file", "/etc/passwd", "is an absolute path"),
    ("export_file", "C:\\data\\plate.txt", "is an absolute path"),
    ("export_file", "../../outside.txt", "leaves the data directory"),
    ("layout_file", "layouts/nothing.toml", "no file 'layouts/nothing.toml' in raw/"),
]


@pytest.mark.parametrize("column, value, message", MANIFEST_CELLS)
def test_manifest_bad_cell(data, column, value, message):
    frame = manifest(data)
    frame.loc[2, column] = value
    write_manifest(data, frame)
    lines = problems(plates.load_manifest, data / "raw")
    assert any(line.startswith(f"raw/plates.csv:4: {column}: ") and message in line for line in lines), lines


def test_manifest_duplicate_plate(data):
    frame = manifest(data)
    frame.loc[3, "plate_id"] = frame.loc[1, "plate_id"]
    write_manifest(data, frame)
    assert f"raw/plates.csv:5: plate_id: duplicate plate {frame.loc[1, 'plate_id']!r}" in \
        problems(plates.load_manifest, data / "raw")


def test_manifest_missing_column_and_file(data):
    write_manifest(data, manifest(data).drop(columns="layout_file"))
    assert problems(plates.load_manifest, data / "raw") == ["raw/plates.csv:1: missing column layout_file"]
    (data / "raw" / "plates.csv").unlink()
    assert problems(plates.load_manifest, data / "raw")[0].startswith("raw/plates.csv: no plate manifest")


def test_manifest_columns_in_any_order_with_extras(data):
    frame = manifest(data)
    write_manifest(data, frame[list(reversed(frame.columns))].assign(operator="K. T."))
    assert plates.load_manifest(data / "raw")["plate_id"].tolist() == frame["plate_id"].tolist()


# ---------------------------------------------------------------- layouts
def layout_path(data, plate_id="IL6-P1") -> Path:
    return data / "raw" / "layouts" / f"{plate_id}.toml"


@pytest.mark.parametrize("append, message", [
    ("\n[well.I1]\nrole = \"blank\"\n", "I1: is outside a 96-well plate"),
    ("\n[well.H12]\nrole = \"calibrator\"\n", "H12: role: 'calibrator' is not one of standard"),
    ("\n[well.H12]\nrole = \"standard\"\n", "H12: nominal_pg_ml: a standard needs a positive number"),
    ("\n[well.H12]\nrole = \"sample\"\n", "H12: sample_id: a sample needs a sample_id"),
    ("\n[well.H12]\nrole = \"sample\"\nsample_id = \"X\"\ndilution = 0\n", "H12: dilution: dilution 0"),
    ("\n[well.H12]\nrole = \"sample\"\nsample_id = \"X\"\n[well.H012]\nrole = \"blank\"\n",
     "H12: [well.H012] and [well.H12] are the same well H12"),
])
def test_layout_bad_well(data, append, message):
    path = layout_path(data)
    path.write_text(path.read_text() + append)
    lines = problems(plates.read_layout, path)
    assert any(line.startswith("raw/layouts/IL6-P1.toml:") and message in line for line in lines), lines


def test_layout_toml_syntax_error_names_line(data):
    path = layout_path(data)
    lines = path.read_text().splitlines()
    lines[5] = "role = standard"  # a bare word is not a TOML value
    path.write_text("\n".join(lines) + "\n")
    assert problems(plates.read_layout, path)[0].startswith("raw/layouts/IL6-P1.toml:6: TOML syntax error")


def test_layout_without_plate_id(data):
    path = layout_path(data)
    path.write_text(path.read_text().replace('plate_id = "IL6-P1"\n', ""))
    assert problems(plates.read_layout, path) == ["raw/layouts/IL6-P1.toml: plate_id: [expt] must set plate_id"]


@pytest.mark.parametrize("old, new, message", [
    ('plate_id = "IL6-P1"', 'plate_id = "IL6-P9"', "says plate 'IL6-P9', but raw/plates.csv line 2"),
    ('analyte = "IL6"', 'analyte = "IL2"', "says analyte 'IL2', but raw/plates.csv line 2 says 'IL6'"),
])
def test_layout_disagrees_with_manifest(data, old, new, message):
    path = layout_path(data)
    path.write_text(path.read_text().replace(old, new))
    lines = problems(plates.load_plates, data / "raw")
    assert any(line.startswith("raw/layouts/IL6-P1.toml: ") and message in line for line in lines), lines


# ---------------------------------------------------------------- exports
@pytest.mark.parametrize("text, message", [
    ("abc", "abc"),
    ("inf", "infinite"),
    ("1,234", "decimal"),
])
def test_export_bad_number_cell(data, text, message):
    path, _ = export_of(data, "IL6-P1")
    softmax_set_cell(path, "IL6-P1", "B7", text)
    lines = problems(plates.load_plates, data / "raw")
    assert any(line.startswith(f"raw/{path.relative_to(data / 'raw')}") and "B7" in line and message in line
               for line in lines), lines


def test_export_unreadable(data):
    path, _ = export_of(data, "TNFA-P1")
    path.write_bytes(b"\x00\x01 not a plate export at all")
    lines = problems(plates.load_plates, data / "raw")
    assert any(line.startswith(f"raw/{path.relative_to(data / 'raw')}: ") and "softmax" in line.lower()
               for line in lines), lines


@pytest.mark.parametrize("column, value, message", [
    ("plate", "IL6-P7", "IL6-P7"),                    # a plate name the export does not hold
    ("read", "405", "405"),                           # a read the export does not hold
])
def test_manifest_selects_what_the_export_lacks(data, column, value, message):
    frame = manifest(data)
    frame.loc[0, column] = value
    write_manifest(data, frame)
    path, _ = export_of(data, "IL6-P1")
    lines = problems(plates.load_plates, data / "raw")
    assert any(line.startswith(f"raw/{path.relative_to(data / 'raw')}") and message in line for line in lines), lines


def test_read_that_does_not_fit_the_assay(data):
    """An ELISA plate read at its 570 nm reference alone, and an ELISA export given to IL-6."""
    frame = manifest(data)
    tnfa = frame.index[frame["plate_id"] == "TNFA-P1"][0]
    frame.loc[tnfa, "read"] = "570"
    write_manifest(data, frame)
    assert any("TNFA ELISA is read as absorbance at 450 nm" in line for line in problems(plates.load_plates,
                                                                                         data / "raw"))
    frame = manifest(data)
    frame.loc[tnfa, "read"] = frame.loc[0, "read"]
    frame.loc[0, ["export_file", "plate", "read"]] = frame.loc[tnfa, ["export_file", "plate", "read"]].tolist()
    frame.loc[0, "read"] = "450"
    write_manifest(data, frame)
    assert any("IL6 CLEIA is read as luminescence" in line for line in problems(plates.load_plates, data / "raw"))


def test_same_read_listed_twice(data):
    frame = manifest(data)
    frame.loc[1, ["export_file", "plate", "read"]] = frame.loc[0, ["export_file", "plate", "read"]].tolist()
    write_manifest(data, frame)
    lines = problems(plates.load_plates, data / "raw")
    assert "raw/plates.csv:3: export_file: plate IL6-P2 has exactly the same signals as plate IL6-P1: " \
           "the same read was listed twice" in lines


# ---------------------------------------------------------------- across files
def test_layout_sample_missing_from_clinical_names_both_files(data):
    path = layout_path(data)
    sample = clinical_frame(data).loc[0, "sample_id"]
    frame = clinical_frame(data)
    write_clinical(data, frame[frame["sample_id"] != sample])
    if f'"{sample}"' not in path.read_text():
        path = next(p for p in (data / "raw" / "layouts").glob("*.toml") if f'"{sample}"' in p.read_text())
    lines = problems(load_cohort, data)
    assert any(line.startswith(f"raw/layouts/{path.name}:") and f"sample {sample!r} is not in raw/clinical.csv"
               in line for line in lines), lines


# ---------------------------------------------------------------- registry and assumptions
@pytest.mark.parametrize("rid, column, value, message", [
    ("R07c", "kind", "roughly", "'roughly' is not one of count"),
    ("R07a", "high", "0.00001", "low 6.85 is above high 0.00001"),
    ("R07a", "direction", ">> R07b", "is not '< X' or '> X'"),
    ("R07a", "direction", "> R99", "refers to an id not in the registry"),
    ("R07a", "low", "abc", "'abc' is not a number"),
    ("R07c", "high", "", "a below row needs high"),
    ("R07c", "expected_verdict", "fine", "'fine' is not one of reproduced"),
])
def test_registry_structure(tmp_path, rid, column, value, message):
    reg = pd.read_csv(REGISTRY, dtype=str, keep_default_na=False)
    row = reg.index[reg["id"] == rid][0]
    reg.loc[row, column] = value
    path = tmp_path / "registry.csv"
    reg.to_csv(path, index=False)
    lines = problems(load_registry, path)
    assert any(line.startswith(f"{path}:{row + 2}: {column}: ") and message in line for line in lines), lines


def test_registry_duplicate_id(tmp_path):
    reg = pd.read_csv(REGISTRY, dtype=str, keep_default_na=False)
    reg.loc[4, "id"] = reg.loc[3, "id"]
    path = tmp_path / "registry.csv"
    reg.to_csv(path, index=False)
    assert f"{path}:6: id: duplicate id {reg.loc[3, 'id']!r}" in problems(load_registry, path)


def test_assumptions_yaml_syntax_error_names_line(tmp_path):
    text = (ROOT / "data" / "assumptions.yaml").read_text().splitlines()
    text[6] = "  value: [19990601"
    path = tmp_path / "assumptions.yaml"
    path.write_text("\n".join(text))
    line = problems(load_assumptions, path)[0]
    assert line.startswith(f"{path}:8: YAML syntax error")


def test_assumption_without_reason(tmp_path):
    text = (ROOT / "data" / "assumptions.yaml").read_text()
    path = tmp_path / "assumptions.yaml"
    path.write_text(text.replace("  why:", "  because:", 1))
    assert problems(load_assumptions, path) == [f"{path}: seed: has no 'why'"]


# ---------------------------------------------------------------- accepted, and accounted for
def test_missing_crp_and_response_are_left_out_of_those_analyses_only(data):
    frame = clinical_frame(data)
    frame.loc[[1, 2], "crp_mg_dl"] = ""
    frame.loc[[3], "response"] = ""
    write_clinical(data, frame)
    cohort = load_cohort(data)
    t = analysis.add_covariates(cohort.table)
    counts = analysis.analysis_counts(t)
    assert counts.loc["IL-6 and CRP", ["patients", "left_out"]].tolist() == [44, 2]
    assert counts.loc["IL-6 and CRP", "why"] == "2 without CRP"
    assert counts.loc["IL-6 by disease extent", "left_out"] == 0
    values = analysis.reproduce(cohort.table)
    assert isinstance(values["R11a"], float) and values["R01"] == 46


def test_well_never_read_is_accounted(data):
    path, _ = export_of(data, "IL6-P1")
    softmax_set_cell(path, "IL6-P1", "C4", "")
    cohort = load_cohort(data)
    row = cohort.assays.wells.set_index(["plate_id", "well"]).loc[("IL6-P1", "C4")]
    assert row["use"] == "excluded" and row["reason"].startswith("not read")


def test_failed_plate_is_left_out_and_the_scorecard_says_where(data):
    path, _ = export_of(data, "IL6-P2")
    for well in ("E3", "F3"):  # the control reads far above its nominal
        softmax_set_cell(path, "IL6-P2", well, "250000")
    cohort = load_cohort(data)
    lost = cohort.excluded
    assert len(lost) == 23 and set(lost["analyte"]) == {"IL6"}
    assert lost["reason"].str.startswith("plate IL6-P2 failed QC (control").all()
    left = analysis.left_out_by_row(analysis.add_covariates(cohort.table), lost)
    assert left["R07"].startswith("23 patient(s) left out: 23 without an IL-6 result (plate IL6-P2 failed QC")
    kept = load_cohort(data, keep_failed_plates=True)
    assert kept.excluded.empty and kept.table["il6"].notna().all()


def test_no_deaths_makes_survival_rows_not_computable(data):
    frame = clinical_frame(data)
    frame["death"] = "0"
    write_clinical(data, frame)
    card = scorecard(analysis.reproduce(load_cohort(data).table))
    assert set(card.loc[card.index.str.match(r"R1[34]"), "verdict"]) == {"not computable"}
    assert card.loc["R13a", "reason"] == "there are no events among these patients"
    assert card.loc["R07c", "verdict"] == "reproduced"


def test_empty_comparison_group_is_not_computable(data):
    frame = clinical_frame(data)
    has_liver = frame["liver_metastasis"].str.lower() == "true"
    frame.loc[has_liver, "sites"] = frame.loc[has_liver, "sites"].str.replace("liver", "lung")
    frame.loc[has_liver, "sites"] = [";".join(dict.fromkeys(s.split(";"))) for s in frame.loc[has_liver, "sites"]]
    frame["n_sites"] = frame["sites"].str.count(";") + 1
    frame.loc[has_liver, "liver_metastasis"] = "False"
    write_clinical(data, frame)
    card = scorecard(analysis.reproduce(load_cohort(data).table))
    assert card.loc["R09c", "verdict"] == "not computable"
    assert "liver metastasis has 0 patient(s)" in card.loc["R09c", "reason"]


# ---------------------------------------------------------------- the command line
def run_check(data) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.check", "--study", str(data / "study.yaml"),
                           "--out", str(data / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_check_prints_named_problems_without_traceback(data):
    frame = clinical_frame(data)
    frame.loc[3, "age"] = "abc"
    write_clinical(data, frame)
    path = layout_path(data)
    path.write_text(path.read_text() + "\n[well.I1]\nrole = \"blank\"\n")
    result = run_check(data)
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert "raw/clinical.csv:5: age: value 'abc' is not an integer" in lines
    assert any(line.startswith("raw/layouts/IL6-P1.toml:I1: ") for line in lines), lines


def test_reconstruct_reports_bad_assumptions_and_exits_2(tmp_path):
    text = (ROOT / "data" / "assumptions.yaml").read_text()
    path = tmp_path / "assumptions.yaml"
    path.write_text(text.replace("  why:", "  because:", 1))
    result = subprocess.run([sys.executable, "-m", "helpers.reconstruct", "--out", str(tmp_path / "out"),
                             "--assumptions", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == f"{path}: seed: has no 'why'\n"


# ---------------------------------------------------------------- found by trying the set as a new user
def test_extra_clinical_column_may_not_take_a_computed_name(data):
    write_clinical(data, clinical_frame(data).assign(il6="12"))
    assert "raw/clinical.csv:1: il6: this name is reserved for a column the analysis computes; rename the extra " \
           "column" in problems(load_cohort, data)


def test_misspelt_layout_field_is_refused(data):
    path = layout_path(data)
    path.write_text(path.read_text().replace("dilution = 1\n", "dillution = 1\n", 1))
    assert any(line.startswith("raw/layouts/IL6-P1.toml:") and "dillution: unknown field 'dillution'" in line
               for line in problems(plates.read_layout, path))


def test_non_ascii_digits_and_overflow_are_refused(data):
    frame = clinical_frame(data)
    frame.loc[0, "age"] = "\uff16\uff15"  # full-width 65
    frame.loc[1, "crp_mg_dl"] = "1e400"
    lines = problems(load_clinical, write_clinical(data, frame))
    assert lines[0].startswith("raw/clinical.csv:2: age: value '６５' is not an integer")
    assert lines[1].startswith("raw/clinical.csv:3: crp_mg_dl: value '1e400' is not a number")


def test_windows_paths_in_the_manifest_name_the_same_files(data):
    frame = manifest(data)
    frame["export_file"] = frame["export_file"].str.replace("/", "\\")
    write_manifest(data, frame)
    assert plates.load_manifest(data / "raw")["export_file"].str.contains("/").all()


def test_plates_failing_qc_for_a_whole_analyte_make_its_count_not_computable(data):
    for plate in ("IL2-P1", "IL2-P2"):
        manifest_rows = manifest(data)
        manifest_rows = manifest_rows[manifest_rows["analyte"] != "IL2"]
    write_manifest(data, manifest_rows)
    card = scorecard(analysis.reproduce(load_cohort(data).table))
    assert card.loc["R02", "verdict"] == "not computable"
    assert card.loc["R02", "reason"] == "no patient has a result for IL-2"


def test_unusable_wells_give_the_reason_not_a_missing_measurement(data):
    path, _ = export_of(data, "IL6-P1")
    softmax_set_cell(path, "IL6-P1", "C4", "Masked")
    softmax_set_cell(path, "IL6-P1", "C5", "Masked")
    cohort = load_cohort(data)
    reason = cohort.excluded.set_index("analyte").loc["IL6", "reason"]
    assert reason == "no usable well: IL6-P1 C4: reader error 'Masked'; IL6-P1 C5: reader error 'Masked'"


def test_constant_cox_covariate_is_named(data):
    frame = clinical_frame(data)
    frame["er_status"] = "positive"
    write_clinical(data, frame)
    card = scorecard(analysis.reproduce(load_cohort(data).table))
    assert card.loc["R14a", "reason"] == "ER negative (vs ER positive) takes one value for every patient in the model"


def test_assumption_of_the_wrong_type_is_named(tmp_path):
    text = (ROOT / "data" / "assumptions.yaml").read_text()
    path = tmp_path / "assumptions.yaml"
    path.write_text(text.replace("value: 19990601", "value: abc", 1))
    assert problems(load_assumptions, path) == [f"{path}: seed: 'abc' is text, expected an integer (like 19990601)"]
