"""Load and validate the per-patient clinical table (`<data_dir>/raw/clinical.csv`).

One row per patient, any number of patients, identifiers in any script. Every column of
CLINICAL_COLUMNS must be present, in any order; extra columns are kept as text. Cells of
OPTIONAL_COLUMNS may be empty: such a patient is left out of the analyses that need the
value, and counted there. Loading reads every cell as text, converts the typed columns cell
by cell, then validates the typed frame with a pandera schema (ranges, codes, uniqueness and
the cross-column rules tying `n_sites`, `dominant_site`, `liver_metastasis` and
`pleural_effusion` to `sites`). All problems are raised together as one InputError naming
the file, the spreadsheet line (header = line 1) and the column.
"""

import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrorReason, SchemaErrors

from helpers.errors import InputError, Problem, display_name

CLINICAL_COLUMNS = (
    "patient_id",
    "sample_id",
    "age",
    "dfi_months",
    "n_sites",
    "sites",
    "dominant_site",
    "liver_metastasis",
    "pleural_effusion",
    "er_status",
    "crp_mg_dl",
    "response",
    "os_months",
    "death",
)
SITES = ("bone", "liver", "lung", "pleura", "lymph_node", "soft_tissue")
VISCERAL_SITES = ("liver", "lung", "pleura")
DOMINANT_SITES = ("visceral", "bone", "soft_tissue")
ER_STATUSES = ("positive", "negative")
RESPONSES = ("CR", "PR", "NC", "PD", "NE")  # best response (WHO/UICC); NE = not evaluable
OPTIONAL_COLUMNS = ("age", "dfi_months", "er_status", "crp_mg_dl", "response")
ID_COLUMNS = ("patient_id", "sample_id")
# Typed columns: (full-match pattern of the CSV text, error text, dtype while validating, dtype returned).
_INT = (r"[+-]?[0-9]+", "is not an integer", "Int64", "int64")
_FLOAT = (r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", "is not a number (use '.' for decimals)", "Float64",
          "float64")
_BOOL = (r"(?i:true|false)", "is not true or false", "boolean", "bool")
_TYPED = {
    "age": _INT,
    "dfi_months": _FLOAT,
    "n_sites": _INT,
    "liver_metastasis": _BOOL,
    "pleural_effusion": _BOOL,
    "crp_mg_dl": _FLOAT,
    "os_months": _FLOAT,
    "death": _INT,
}


def _valid_sites(text: str) -> bool:
    names = text.split(";")
    return len(set(names)) == len(names) and set(names) <= set(SITES)


def dominant_site(sites: list[str]) -> str:
    """The dominant site of a patient's metastatic sites: visceral if liver, lung or pleura is
    involved, else bone if bone is, else soft tissue."""
    if set(sites) & set(VISCERAL_SITES):
        return "visceral"
    return "bone" if "bone" in sites else "soft_tissue"


def _agrees_with_sites(column: str, rule, error: str) -> pa.Check:
    """Frame-level check blaming `column` where rule(site list, value) is false.

    Rows with `sites` or the value missing, or with invalid `sites`, pass: those cells are reported by
    the column checks (which also win over this check when both fail in one cell).
    """

    def check(df: pd.DataFrame) -> pd.Series:
        # each distinct (sites, value) pair is judged once: a cohort has few of them, however large
        pairs = pd.DataFrame({"sites": df["sites"], "value": df[column]}).astype(object)
        verdicts = {pair: pd.isna(pair[1]) or pd.isna(pair[0]) or not _valid_sites(pair[0])
                    or rule(pair[0].split(";"), pair[1]) for pair in set(zip(pairs["sites"], pairs["value"]))}
        return pd.Series([verdicts[pair] for pair in zip(pairs["sites"], pairs["value"])], index=df.index)

    return pa.Check(check, name=column, error=error)


def _isin(values: tuple[str, ...]) -> pa.Check:
    return pa.Check.isin(values, error="is not one of " + ", ".join(values))


# Nullable dtypes so that unparsable cells (already reported) can be left missing while validating.
CLINICAL_SCHEMA = pa.DataFrameSchema(
    {
        "patient_id": pa.Column(str, unique=True),
        "sample_id": pa.Column(str, unique=True),
        "age": pa.Column("Int64", pa.Check.in_range(18, 110, error="is outside 18..110 years"), nullable=True),
        "dfi_months": pa.Column("Float64", pa.Check.ge(0, error="is negative"), nullable=True),
        "n_sites": pa.Column("Int64", pa.Check.ge(1, error="is less than 1")),
        "sites": pa.Column(
            str,
            pa.Check(
                _valid_sites,
                element_wise=True,
                error="is not a ';'-separated list of distinct sites from " + ", ".join(SITES),
            ),
        ),
        "dominant_site": pa.Column(str, _isin(DOMINANT_SITES)),
        "liver_metastasis": pa.Column("boolean"),
        "pleural_effusion": pa.Column("boolean"),
        "er_status": pa.Column(str, _isin(ER_STATUSES), nullable=True),
        "crp_mg_dl": pa.Column("Float64", pa.Check.ge(0, error="is negative"), nullable=True),
        "response": pa.Column(str, _isin(RESPONSES), nullable=True),
        "os_months": pa.Column("Float64", pa.Check.gt(0, error="is not positive")),
        "death": pa.Column("Int64", pa.Check.isin([0, 1], error="is not 0 or 1")),
    },
    checks=[
        _agrees_with_sites("n_sites", lambda s, n: len(s) == n, "does not equal the number of sites listed in sites"),
        _agrees_with_sites(
            "dominant_site",
            lambda s, d: dominant_site(s) == d,
            "contradicts sites (visceral if liver/lung/pleura, else bone if bone, else soft_tissue)",
        ),
        _agrees_with_sites("liver_metastasis", lambda s, v: v == ("liver" in s), "disagrees with 'liver' in sites"),
        _agrees_with_sites("pleural_effusion", lambda s, v: v == ("pleura" in s), "disagrees with 'pleura' in sites"),
    ],
)


def _read_cells(path: Path, required=CLINICAL_COLUMNS) -> pd.DataFrame:
    """All cells as text, stripped ('' when empty), indexed by spreadsheet line number; blank
    lines and unnamed empty columns (trailing separators) dropped; `required` columns checked."""
    def fail(message, line=None):
        return InputError.at(path, message, line=line)
    try:
        head = Path(path).read_bytes()[:4]
    except FileNotFoundError:
        raise fail("no such file" + (": the data directory needs raw/clinical.csv"
                                     if required == CLINICAL_COLUMNS else "")) from None
    if head.startswith(b"PK"):
        raise fail("is an Excel workbook, not CSV text: save it as 'CSV UTF-8 (comma delimited)'")
    first = Path(path).read_bytes().split(b"\n", 1)[0]
    if first.count(b";") >= 2 and b"," not in first:
        raise fail("uses ';' as separator: save it comma-separated with '.' for decimals", line=1)
    try:
        cells = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False,
                            encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        data = Path(path).read_bytes()
        kind = "UTF-16 text" if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:200] else "UTF-8 text"
        raise fail(f"is {kind}: save it as 'CSV UTF-8'" if kind == "UTF-16 text" else
                   "is not UTF-8 text (a character here is in another encoding, such as Latin-1): save it as "
                   "'CSV UTF-8'", line=data[:err.start].count(b"\n") + 1) from None
    except pd.errors.EmptyDataError:
        raise fail("is empty") from None
    except pd.errors.ParserError as err:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if m:
            raise fail(f"has {m[3]} fields where the header has {m[1]}: quote cells that hold a comma",
                       line=int(m[2])) from None
        raise fail(f"is not a valid CSV file: {err}") from None
    header = [name.strip() for name in cells.iloc[0]]
    cells = cells.apply(lambda col: col.str.strip()).set_axis(header, axis="columns")
    unnamed_empty = [i for i, name in enumerate(header) if name == "" and (cells.iloc[1:, i] == "").all()]
    cells = cells.drop(columns=cells.columns[unnamed_empty])
    header = list(cells.columns)
    counts = Counter(header)
    lower = {name.lower(): name for name in counts}
    problems = [f"missing column {name}" + (f" (there is a column {lower[name.lower()]!r}: names are case-sensitive)"
                                            if name.lower() in lower else "") for name in required if name not in counts]
    problems += [f"duplicate column {name!r}" for name, n in counts.items() if n > 1]
    problems += ["a column has no name" for name in counts if name == ""]
    if problems:
        raise InputError([Problem(display_name(path), text, line=1) for text in problems])
    cells = cells.iloc[1:]
    cells.index += 1  # row 0 is the header on line 1
    cells = cells[(cells != "").any(axis="columns")]
    if cells.empty:
        raise fail("has no data rows")
    return cells


def normalized_id(text: str) -> str:
    """An identifier as compared across files: Unicode NFKC (full-width digits become ASCII)."""
    return unicodedata.normalize("NFKC", text)


def _id_collisions(cells: pd.DataFrame, id_columns=ID_COLUMNS) -> dict:
    """Identifiers that differ as written but become equal after NFKC normalisation."""
    problems = {}
    for column in dict.fromkeys(id_columns):
        seen = {}
        for line, value in cells[column].items():
            key = normalized_id(value)
            if key in seen and cells.at[seen[key], column] != value:
                problems[(line, column)] = (f"value {value!r} equals {cells.at[seen[key], column]!r} on line "
                                            f"{seen[key]} only after Unicode normalisation; write both the same way")
            seen.setdefault(key, line)
    return problems


def load_clinical(path) -> pd.DataFrame:
    """Read and validate clinical.csv; return it typed (Int64 / float64 / bool / str, missing
    values as NaN or <NA> in OPTIONAL_COLUMNS) with a RangeIndex, CLINICAL_COLUMNS first.

    Raises InputError listing every problem as "<file>:<line>: <column>: ...".
    """
    path = Path(path)
    cells = _read_cells(path)
    problems = _id_collisions(cells)  # (line, column) -> text; only the first problem in a cell is kept
    frame = cells.mask(cells == "")
    for column, (pattern, error, dtype, _) in _TYPED.items():
        values = frame[column]
        bad = ~values.str.fullmatch(pattern, na=True)
        if dtype != "boolean":  # a number too large for its type (1e400) is as bad as text
            bad |= values.where(~bad).map(lambda v: not (pd.isna(v) or abs(float(v)) < 1e15))
        for line, value in values[bad].items():
            problems.setdefault((line, column), f"value {value!r} {error}")
        values = values.mask(bad)  # left missing, so the schema checks the rest of the column
        if dtype == "boolean":
            frame[column] = values.str.lower().map({"true": True, "false": False}).astype(dtype)
        else:
            frame[column] = pd.to_numeric(values).astype(dtype)
    try:
        CLINICAL_SCHEMA.validate(frame, lazy=True)
    except SchemaErrors as errors:
        for err in errors.schema_errors:
            column = err.schema.name if isinstance(err.schema, pa.Column) else err.check.name
            for line in err.failure_cases["index"].unique():
                value = cells.at[line, column]
                if err.reason_code == SchemaErrorReason.SERIES_CONTAINS_NULLS:
                    text = "missing value" + (" (bad values are reported above)" if value else "")
                elif err.reason_code == SchemaErrorReason.SERIES_CONTAINS_DUPLICATES:
                    text = f"value {value!r} is duplicated"
                else:
                    text = f"value {value!r} {err.check.error}"
                problems.setdefault((line, column), text)
    if problems:
        order = {c: i for i, c in enumerate(cells.columns)}
        in_order = sorted(problems.items(), key=lambda item: (item[0][0], order[item[0][1]]))
        raise InputError([Problem(display_name(path), text, line=line, column=c) for (line, c), text in in_order])
    typed = {column: spec[3] for column, spec in _TYPED.items() if column not in OPTIONAL_COLUMNS}
    typed |= {column: "float64" for column, spec in _TYPED.items() if column in OPTIONAL_COLUMNS}
    frame = frame.astype(typed)
    extra = [c for c in frame.columns if c not in CLINICAL_COLUMNS]
    return frame[[*CLINICAL_COLUMNS, *extra]].reset_index(drop=True)


def responder(df: pd.DataFrame) -> pd.Series:
    """Objective response (WHO/UICC): True for CR or PR, False for NC or PD, NaN for NE (not evaluable)."""
    return df["response"].map({"CR": True, "PR": True, "NC": False, "PD": False, "NE": np.nan}).rename("responder")


def load_study_table(path, id_column: str, sample_column: str, columns: dict) -> pd.DataFrame:
    """Read a clinical table described by a study file (helpers.study): the identifier columns
    (unique, never empty) and every declared column (helpers.study.Column: number, integer,
    category, boolean or text; levels, min, max; empty cells only where missing is allowed)
    are checked cell by cell; other columns are kept as text. Returns the typed table with
    `patient_id` and `sample_id` (copies of the study's identifier columns) first.
    Raises InputError listing every problem as "<file>:<line>: <column>: ...".
    """
    path = Path(path)
    ids = list(dict.fromkeys([id_column, sample_column]))
    cells = _read_cells(path, [*ids, *columns])
    problems = _id_collisions(cells, ids)
    for col in ("patient_id", "sample_id"):
        if col in cells.columns and col not in ids:
            problems[(1, col)] = (f"this name is reserved for the study's identifier columns ({', '.join(ids)}); "
                                  "rename the column")
    for col in ids:
        for line, value in cells[col].items():
            if value == "":
                problems.setdefault((line, col), "missing identifier")
        for line in cells.index[cells[col].duplicated() & (cells[col] != "")]:
            problems.setdefault((line, col), f"value {cells.at[line, col]!r} is duplicated")
    frame = cells.copy()
    patterns = {"number": _FLOAT, "integer": _INT, "boolean": _BOOL}
    for name, spec in columns.items():
        values = cells[name]
        empty = values == ""
        if not spec.missing:
            for line in values.index[empty]:
                problems.setdefault((line, name), "missing value (the study does not allow it here)")
        if spec.type in patterns:
            pattern, error = patterns[spec.type][:2]
            bad = ~empty & ~values.str.fullmatch(pattern)
            for line, value in values[bad].items():
                problems.setdefault((line, name), f"value {value!r} {error}")
            good = values.mask(empty | bad)
            if spec.type == "boolean":
                typed = good.str.lower().map({"true": True, "false": False}).astype("boolean")
            else:
                typed = pd.to_numeric(good).astype(float)
                for line, x in typed.dropna().items():
                    if not abs(x) < 1e15:
                        problems.setdefault((line, name), f"value {values[line]!r} is too large")
                    elif spec.min is not None and x < spec.min:
                        problems.setdefault((line, name), f"value {values[line]!r} is below the minimum {spec.min:g}")
                    elif spec.max is not None and x > spec.max:
                        problems.setdefault((line, name), f"value {values[line]!r} is above the maximum {spec.max:g}")
                    elif spec.type == "integer" and spec.levels and x not in spec.levels:
                        problems.setdefault((line, name), f"value {values[line]!r} is not one of "
                                                          f"{', '.join(map(str, spec.levels))}")
            frame[name] = typed
        else:
            frame[name] = values.mask(empty)
            if spec.type == "category":
                levels = [str(v) for v in spec.levels]
                for line, value in values[~empty & ~values.isin(levels)].items():
                    problems.setdefault((line, name), f"value {value!r} is not one of {', '.join(levels)}")
    if problems:
        order = {c: i for i, c in enumerate(cells.columns)}
        in_order = sorted(problems.items(), key=lambda item: (item[0][0], order[item[0][1]]))
        raise InputError([Problem(display_name(path), text, line=line, column=c) for (line, c), text in in_order])
    ident = pd.DataFrame({"patient_id": cells[id_column], "sample_id": cells[sample_column]})
    rest = frame.drop(columns=[c for c in ident.columns if c in frame.columns])
    return pd.concat([ident, rest], axis="columns").reset_index(drop=True)
