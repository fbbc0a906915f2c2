import numpy as np
import pandas as pd
import pytest

from helpers.clinical import (
    CLINICAL_COLUMNS,
    DataValidationError,
    load_clinical,
    responder,
)


VALID_ROWS = """\
P01,S01,54,24.0,2,bone;liver,visceral,true,false,positive,0.8,PR,30.5,1
P02,S02,61,60.5,1,bone,bone,false,false,positive,0.2,NC,48,0
P03,S03,47,0,3,lymph_node;soft_tissue;pleura,visceral,FALSE,TRUE,negative,1.5,NE,9.25,1
"""


@pytest.fixture
def rows() -> pd.DataFrame:
    """A valid 3-patient table as CSV text cells (data rows are on lines 2-4)."""
    return pd.DataFrame([line.split(",") for line in VALID_ROWS.splitlines()], columns=CLINICAL_COLUMNS)


def write(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "raw" / "clinical.csv"
    path.parent.mkdir(exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def problem_lines(path) -> list[str]:
    with pytest.raises(ValueError) as excinfo:  # DataValidationError is a ValueError
        load_clinical(path)
    assert isinstance(excinfo.value, DataValidationError)
    assert str(path) in str(excinfo.value)
    return str(excinfo.value).splitlines()[1:]


def test_valid_file_loads_typed(tmp_path, rows):
    df = load_clinical(write(tmp_path, rows))
    assert tuple(df.columns) == CLINICAL_COLUMNS
    assert isinstance(df.index, pd.RangeIndex) and len(df) == 3
    expected = {"age": "int64", "n_sites": "int64", "death": "int64", "dfi_months": "float64",
                "crp_mg_dl": "float64", "os_months": "float64", "liver_metastasis": "bool",
                "pleural_effusion": "bool", "patient_id": "object", "sites": "object"}
    assert {c: str(df[c].dtype) for c in expected} == expected
    assert df["liver_metastasis"].tolist() == [True, False, False]
    assert df["pleural_effusion"].tolist() == [False, False, True]
    assert df["os_months"].tolist() == [30.5, 48.0, 9.25]


def test_blank_lines_keep_line_numbers(tmp_path, rows):
    path = write(tmp_path, rows.assign(age=["54", "61", "abc"]))
    text = path.read_text().splitlines()
    path.write_text("\n".join(text[:2] + [""] + text[2:]) + "\n\n")
    assert problem_lines(path) == ["clinical.csv line 5, column age: value 'abc' is not an integer"]


@pytest.mark.parametrize(
    "row, column, value, message",
    [
        (1, "age", "abc", "value 'abc' is not an integer"),
        (2, "age", "17", "value '17' is outside 20..95 years"),
        (0, "dfi_months", "n/a", "value 'n/a' is not a number"),
        (0, "os_months", "0", "value '0' is not positive"),
        (1, "sample_id", "X02", "value 'X02' is not 'S' + 2 digits"),
        (1, "sites", "bone;brain", "value 'bone;brain' is not a ';'-separated list"),
        (1, "sites", "bone;bone", "value 'bone;bone' is not a ';'-separated list"),
        (0, "n_sites", "3", "value '3' does not equal the number of sites listed in sites"),
        (1, "dominant_site", "visceral", "value 'visceral' contradicts sites"),
        (2, "dominant_site", "lung", "value 'lung' is not one of visceral, bone, soft_tissue"),
        (0, "liver_metastasis", "false", "value 'false' disagrees with 'liver' in sites"),
        (2, "pleural_effusion", "false", "value 'false' disagrees with 'pleura' in sites"),
        (0, "liver_metastasis", "yes", "value 'yes' is not true or false"),
        (1, "er_status", "pos", "value 'pos' is not one of positive, negative"),
        (2, "response", "SD", "value 'SD' is not one of CR, PR, NC, PD, NE"),
        (2, "death", "2", "value '2' is not 0 or 1"),
        (1, "crp_mg_dl", "", "missing value"),
        (0, "patient_id", "", "missing value"),
    ],
)
def test_bad_cell_is_reported_once(tmp_path, rows, row, column, value, message):
    rows.loc[row, column] = value
    lines = problem_lines(write(tmp_path, rows))
    assert len(lines) == 1 and lines[0].startswith(f"clinical.csv line {row + 2}, column {column}: {message}"), lines


def test_duplicate_patient_id_reports_both_lines(tmp_path, rows):
    rows.loc[2, "patient_id"] = "P01"
    assert problem_lines(write(tmp_path, rows)) == [
        "clinical.csv line 2, column patient_id: value 'P01' is duplicated",
        "clinical.csv line 4, column patient_id: value 'P01' is duplicated",
    ]


def test_bad_patient_id_pattern(tmp_path, rows):
    rows.loc[1, "patient_id"] = "P2"
    assert problem_lines(write(tmp_path, rows)) == [
        "clinical.csv line 3, column patient_id: value 'P2' is not 'P' + 2 digits"
    ]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.drop(columns="age"), "clinical.csv line 1: missing column age"),
        (lambda f: f.assign(extra="x"), "clinical.csv line 1: unexpected column 'extra'"),
        (lambda f: f.rename(columns={"death": "dead"}), "clinical.csv line 1: missing column death"),
        (lambda f: f[["sample_id", "patient_id", *CLINICAL_COLUMNS[2:]]], "clinical.csv line 1: columns out of order"),
    ],
)
def test_column_problems(tmp_path, rows, change, message):
    lines = problem_lines(write(tmp_path, change(rows)))
    assert any(line.startswith(message) for line in lines), lines


def test_all_problems_collected_and_truncated(tmp_path, rows):
    many = pd.concat([rows.iloc[[1]]] * 25, ignore_index=True)
    many["patient_id"] = [f"P{i:02d}" for i in range(25)]
    many["sample_id"] = [f"S{i:02d}" for i in range(25)]
    many["age"] = "old"
    with pytest.raises(DataValidationError) as excinfo:
        load_clinical(write(tmp_path, many))
    lines = str(excinfo.value).splitlines()
    assert lines[0].startswith("25 problem(s) in ") and lines[0].endswith("clinical.csv:")
    assert lines[1] == "clinical.csv line 2, column age: value 'old' is not an integer"
    assert lines[20] == "clinical.csv line 21, column age: value 'old' is not an integer"
    assert lines[21:] == ["... and 5 more"]


def test_ragged_row(tmp_path, rows):
    path = write(tmp_path, rows)
    path.write_text(path.read_text() + "P04,S04,50,extra" + ",x" * 13 + "\n")
    assert problem_lines(path)[0].startswith("clinical.csv is not a valid CSV file")


def test_empty_and_header_only_files(tmp_path, rows):
    path = write(tmp_path, rows.iloc[:0])
    assert problem_lines(path) == ["clinical.csv has no data rows"]
    path.write_text("")
    assert problem_lines(path) == ["clinical.csv is empty"]


def test_responder():
    r = responder(pd.DataFrame({"response": ["CR", "PR", "NC", "PD", "NE"]}))
    assert r.iloc[:4].tolist() == [True, True, False, False]
    assert np.isnan(r.iloc[4])
