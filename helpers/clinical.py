"""Load and validate the per-patient clinical table (`<data_dir>/raw/clinical.csv`).

One row per patient (46 in the reconstructed cohort); every column is required. Loading reads every
cell as text, converts the typed columns cell by cell, then validates the typed frame with a pandera
schema (ranges, codes, patterns, uniqueness and the cross-column rules tying `n_sites`,
`dominant_site`, `liver_metastasis` and `pleural_effusion` to `sites`). All problems are collected
and raised together as one `DataValidationError` naming the file, the spreadsheet line and the column.
"""

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrorReason, SchemaErrors

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

MAX_LISTED_PROBLEMS = 20


class DataValidationError(ValueError):
    """Invalid input data; the message names the file and, where it can, the line and column.

    Lines are counted as in a spreadsheet (the header is line 1), e.g.
    "clinical.csv line 7, column age: value 'abc' is not an integer".
    """

    @classmethod
    def listing(cls, path, problems: list[str]) -> "DataValidationError":
        """One error for many problems ("line N, column C: ..."), each prefixed with the file name.

        At most MAX_LISTED_PROBLEMS are listed, then "... and N more".
        """
        path = Path(path)
        lines = [f"{path.name} {problem}" for problem in problems[:MAX_LISTED_PROBLEMS]]
        if len(problems) > MAX_LISTED_PROBLEMS:
            lines.append(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more")
        return cls(f"{len(problems)} problem(s) in {path}:\n" + "\n".join(lines))


# Typed columns: (full-match pattern of the CSV text, error text, dtype while validating, dtype returned).
_INT = (r"[+-]?\d+", "is not an integer", "Int64", "int64")
_FLOAT = (r"[+-]?(\d+\.?\d*|\.\d+)", "is not a number", "Float64", "float64")
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


def _dominant_site(sites: list[str]) -> str:
    if set(sites) & set(VISCERAL_SITES):
        return "visceral"
    return "bone" if "bone" in sites else "soft_tissue"


def _agrees_with_sites(column: str, rule, error: str) -> pa.Check:
    """Frame-level check blaming `column` where rule(site list, value) is false.

    Rows with `sites` or the value missing, or with invalid `sites`, pass: those cells are reported by
    the column checks (which also win over this check when both fail in one cell).
    """

    def check(df: pd.DataFrame) -> pd.Series:
        return pd.Series(
            [
                pd.isna(value) or pd.isna(sites) or not _valid_sites(sites) or rule(sites.split(";"), value)
                for sites, value in zip(df["sites"], df[column])
            ],
            index=df.index,
        )

    return pa.Check(check, name=column, error=error)


def _isin(values: tuple[str, ...]) -> pa.Check:
    return pa.Check.isin(values, error="is not one of " + ", ".join(values))


# Nullable dtypes so that unparsable cells (already reported) can be left missing while validating.
CLINICAL_SCHEMA = pa.DataFrameSchema(
    {
        "patient_id": pa.Column(str, pa.Check.str_matches(r"^P\d{2}$", error="is not 'P' + 2 digits"), unique=True),
        "sample_id": pa.Column(str, pa.Check.str_matches(r"^S\d{2}$", error="is not 'S' + 2 digits"), unique=True),
        "age": pa.Column("Int64", pa.Check.in_range(20, 95, error="is outside 20..95 years")),
        "dfi_months": pa.Column("Float64", pa.Check.ge(0, error="is negative")),
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
        "er_status": pa.Column(str, _isin(ER_STATUSES)),
        "crp_mg_dl": pa.Column("Float64", pa.Check.ge(0, error="is negative")),
        "response": pa.Column(str, _isin(RESPONSES)),
        "os_months": pa.Column("Float64", pa.Check.gt(0, error="is not positive")),
        "death": pa.Column("Int64", pa.Check.isin([0, 1], error="is not 0 or 1")),
    },
    checks=[
        _agrees_with_sites("n_sites", lambda s, n: len(s) == n, "does not equal the number of sites listed in sites"),
        _agrees_with_sites(
            "dominant_site",
            lambda s, d: _dominant_site(s) == d,
            "contradicts sites (visceral if liver/lung/pleura, else bone if bone, else soft_tissue)",
        ),
        _agrees_with_sites("liver_metastasis", lambda s, v: v == ("liver" in s), "disagrees with 'liver' in sites"),
        _agrees_with_sites("pleural_effusion", lambda s, v: v == ("pleura" in s), "disagrees with 'pleura' in sites"),
    ],
)


def _read_cells(path: Path) -> pd.DataFrame:
    """All cells as text ('' when empty), indexed by spreadsheet line number; blank lines dropped."""
    try:
        cells = pd.read_csv(
            path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise DataValidationError.listing(path, ["is empty"]) from None
    except pd.errors.ParserError as err:
        raise DataValidationError.listing(path, [f"is not a valid CSV file: {err}"]) from None
    header = list(cells.iloc[0])
    counts = Counter(header)
    problems = [f"line 1: missing column {name}" for name in CLINICAL_COLUMNS if name not in counts]
    problems += [f"line 1: unexpected column {name!r}" for name in counts if name not in CLINICAL_COLUMNS]
    problems += [f"line 1: duplicate column {name}" for name, n in counts.items() if n > 1]
    if not problems and tuple(header) != CLINICAL_COLUMNS:
        problems.append("line 1: columns out of order; expected " + ", ".join(CLINICAL_COLUMNS))
    if problems:
        raise DataValidationError.listing(path, problems)
    cells = cells.iloc[1:].set_axis(header, axis="columns")
    cells.index += 1  # row 0 is the header on line 1
    cells = cells[(cells != "").any(axis="columns")]
    if cells.empty:
        raise DataValidationError.listing(path, ["has no data rows"])
    return cells


def load_clinical(path) -> pd.DataFrame:
    """Read and validate clinical.csv; return it typed (int64, float64, bool, str) with a RangeIndex.

    Raises DataValidationError listing every problem as "<file> line N, column C: ...".
    """
    path = Path(path)
    cells = _read_cells(path)
    problems = {}  # (line, column) -> text; only the first problem found in a cell is kept
    frame = cells.mask(cells == "")
    for column, (pattern, error, dtype, _) in _TYPED.items():
        values = frame[column]
        bad = ~values.str.fullmatch(pattern, na=True)
        problems.update({(line, column): f"value {value!r} {error}" for line, value in values[bad].items()})
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
                    text = "missing value"
                elif err.reason_code == SchemaErrorReason.SERIES_CONTAINS_DUPLICATES:
                    text = f"value {value!r} is duplicated"
                else:
                    text = f"value {value!r} {err.check.error}"
                problems.setdefault((line, column), text)
    if problems:
        in_order = sorted(problems.items(), key=lambda item: (item[0][0], CLINICAL_COLUMNS.index(item[0][1])))
        raise DataValidationError.listing(path, [f"line {line}, column {c}: {text}" for (line, c), text in in_order])
    return frame.astype({column: spec[3] for column, spec in _TYPED.items()}).reset_index(drop=True)


def responder(df: pd.DataFrame) -> pd.Series:
    """Objective response (WHO/UICC): True for CR or PR, False for NC or PD, NaN for NE (not evaluable)."""
    return df["response"].map({"CR": True, "PR": True, "NC": False, "PD": False, "NE": np.nan}).rename("responder")
