import numpy as np
import pandas as pd
import pytest

from helpers.clinical import CLINICAL_COLUMNS, load_clinical, responder
from helpers.errors import InputError


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
    """Every problem, as printed ("file:line: column: message")."""
    with pytest.raises(InputError) as excinfo:
        load_clinical(path)
    return [str(p) for p in excinfo.value.problems]


def test_valid_file_loads_typed(tmp_path, rows):
    df = load_clinical(write(tmp_path, rows))
    assert tuple(df.columns) == CLINICAL_COLUMNS
    assert isinstance(df.index, pd.RangeIndex) and len(df) == 3
    expected = {"age": "float64", "n_sites": "int64", "death": "int64", "dfi_months": "float64",
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
    assert problem_lines(path) == ["raw/clinical.csv:5: age: value 'abc' is not an integer"]


@pytest.mark.parametrize(
    "row, column, value, message",
    [
        (1, "age", "abc", "value 'abc' is not an integer"),
        (2, "age", "17", "value '17' is outside 18..110 years"),
        (0, "dfi_months", "n/a", "value 'n/a' is not a number"),
        (0, "os_months", "0", "value '0' is not positive"),
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
        (1, "os_months", "", "missing value"),
        (1, "crp_mg_dl", "0,8", "value '0,8' is not a number (use '.' for decimals)"),
        (0, "patient_id", "", "missing value"),
    ],
)
def test_bad_cell_is_reported_once(tmp_path, rows, row, column, value, message):
    rows.loc[row, column] = value
    lines = problem_lines(write(tmp_path, rows))
    assert len(lines) == 1 and lines[0].startswith(f"raw/clinical.csv:{row + 2}: {column}: {message}"), lines


def test_duplicate_patient_id_reports_both_lines(tmp_path, rows):
    rows.loc[2, "patient_id"] = "P01"
    assert problem_lines(write(tmp_path, rows)) == [
        "raw/clinical.csv:2: patient_id: value 'P01' is duplicated",
        "raw/clinical.csv:4: patient_id: value 'P01' is duplicated",
    ]


def test_identifiers_in_any_script_are_welcome(tmp_path, rows):
    rows["patient_id"] = ["患者-1", "Пациент 2", "patient/3"]
    assert load_clinical(write(tmp_path, rows))["patient_id"].tolist() == ["患者-1", "Пациент 2", "patient/3"]


def test_identifiers_equal_only_after_normalisation(tmp_path, rows):
    rows.loc[2, "sample_id"] = "S\uff10\uff11"  # full-width digits: S０１ normalises to S01
    assert problem_lines(write(tmp_path, rows)) == [
        "raw/clinical.csv:4: sample_id: value 'S０１' equals 'S01' on line 2 only after Unicode normalisation; "
        "write both the same way"]


def test_columns_in_any_order_extra_columns_kept(tmp_path, rows):
    shuffled = rows[list(reversed(CLINICAL_COLUMNS))].assign(hospital=["a", "b", "c"])
    df = load_clinical(write(tmp_path, shuffled))
    assert list(df.columns) == [*CLINICAL_COLUMNS, "hospital"] and df["hospital"].tolist() == ["a", "b", "c"]


def test_optional_values_may_be_missing(tmp_path, rows):
    rows.loc[1, ["crp_mg_dl", "response", "dfi_months", "er_status", "age"]] = ""
    df = load_clinical(write(tmp_path, rows))
    assert df.loc[1, ["crp_mg_dl", "dfi_months", "age"]].isna().all()
    assert pd.isna(df.loc[1, "response"]) and pd.isna(df.loc[1, "er_status"])


def test_scientific_notation(tmp_path, rows):
    rows["crp_mg_dl"] = ["8e-1", "2.0E-1", "1.5e0"]
    assert load_clinical(write(tmp_path, rows))["crp_mg_dl"].tolist() == [0.8, 0.2, 1.5]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.drop(columns="age"), "raw/clinical.csv:1: missing column age"),
        (lambda f: f.rename(columns={"death": "dead"}), "raw/clinical.csv:1: missing column death"),
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
    with pytest.raises(InputError) as excinfo:
        load_clinical(write(tmp_path, many))
    lines = str(excinfo.value).splitlines()
    assert len(excinfo.value.problems) == 25
    assert lines[0] == "raw/clinical.csv:2: age: value 'old' is not an integer"
    assert lines[19] == "raw/clinical.csv:21: age: value 'old' is not an integer"
    assert lines[20:] == ["... and 5 more problem(s)"]


def test_ragged_row(tmp_path, rows):
    path = write(tmp_path, rows)
    path.write_text(path.read_text() + "P04,S04,50,extra" + ",x" * 13 + "\n")
    assert problem_lines(path) == ["raw/clinical.csv:5: has 17 fields where the header has 14: quote cells that "
                                   "hold a comma"]


def test_empty_and_header_only_files(tmp_path, rows):
    path = write(tmp_path, rows.iloc[:0])
    assert problem_lines(path) == ["raw/clinical.csv: has no data rows"]
    path.write_text("")
    assert problem_lines(path) == ["raw/clinical.csv: is empty"]


def test_responder():
    r = responder(pd.DataFrame({"response": ["CR", "PR", "NC", "PD", "NE"]}))
    assert r.iloc[:4].tolist() == [True, True, False, False]
    assert np.isnan(r.iloc[4])
