"""Plate files: the manifest `raw/plates.csv`, instrument exports (read through
helpers.instruments) and wellmap TOML layouts, joined into one table of wells.

Each manifest row makes one plate: `plate_id`, `analyte`, `export_file` and `layout_file`
(paths inside the data directory's `raw/`), and optionally `vendor` (a key of
helpers.instruments.VENDORS; default softmax), `plate` (the plate's name inside the export,
needed when the file holds several plates; default the plate_id) and `read` (which read to
use: a wavelength such as 450, a read mode, or a correction such as 450-570). Columns may
come in any order; extra columns are ignored.

What each analyte's assay is read with is declared in ASSAYS; a plate read another way (an
absorbance read on the CLEIA, an ELISA read at 405 nm) is refused, not analysed.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import replace
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from helpers.errors import InputError, Problem, display_name

ROWS = "ABCDEFGH"
COLS = range(1, 13)
WELLS = [f"{r}{c}" for r in ROWS for c in COLS]
ROLES = ("standard", "blank", "control", "sample")
MANIFEST_REQUIRED = ("plate_id", "analyte", "export_file", "layout_file")
MANIFEST_OPTIONAL = {"vendor": "softmax", "plate": "", "read": ""}
LAYOUT_FIELDS = ("role", "nominal_pg_ml", "sample_id", "dilution")
WELLMAP_COLUMNS = ("well", "well0", "row", "col", "row_i", "col_j", "plate", "path")
NOT_READ = "not read"  # read_error of a layout well that the export does not contain

# analyte -> (technique, read mode, wavelength in nm or None); the reconstructed study's assays
ASSAYS = {
    "IL6": ("CLEIA", "luminescence", None),
    "TNFA": ("ELISA", "absorbance", 450.0),
    "IL1B": ("ELISA", "absorbance", 450.0),
    "IL2": ("ELISA", "absorbance", 450.0),
}


# ---------------------------------------------------------------- layouts
def write_layout(path: Path, plate_id: str, analyte: str, wells: pd.DataFrame) -> None:
    """Write a wellmap layout as people write them: calibrator columns and one block per
    calibrator level, blanks and controls as blocks, one block per sample's replicate wells.
    `wells` has well, role, nominal_pg_ml, sample_id, dilution; wells not listed are empty."""
    out = ["# Plate layout (wellmap TOML). Wells not listed are empty.",
           "[expt]", f'plate_id = "{plate_id}"', f'analyte = "{analyte}"', ""]
    w = wells.assign(row=wells["well"].str[0], col=wells["well"].str[1:].astype(int))
    std = w[w["role"] == "standard"]
    std_cols = sorted(set(std["col"]))
    by_column = bool(std_cols) and set(std["well"]) == {f"{r}{c}" for r in set(w["row"]) for c in std_cols}
    if by_column:  # calibrators fill whole columns: say so once
        out += ["# Calibrators: one level per row, replicates across columns",
                f"[col.'{','.join(map(str, std_cols))}']", 'role = "standard"', ""]
    keys = ["role", "nominal_pg_ml", "sample_id", "dilution"]
    for _, g in w.groupby(keys, dropna=False, sort=False):
        rec = g.iloc[0]
        rows, cols = sorted(set(g["row"])), sorted(set(g["col"]))
        if len(rows) * len(cols) != len(g) or "".join(rows) not in ROWS or cols != list(range(cols[0], cols[-1] + 1)):
            raise ValueError(f"{plate_id}: wells {list(g['well'])} do not form a block")
        out.append(f"[block.{len(cols)}x{len(rows)}.{rows[0]}{cols[0]}]")
        if rec["role"] != "standard" or not by_column:
            out.append(f'role = "{rec["role"]}"')
        if not pd.isna(rec["nominal_pg_ml"]):
            out.append(f"nominal_pg_ml = {float(rec['nominal_pg_ml'])!r}")
        if not pd.isna(rec["sample_id"]):
            out += [f'sample_id = "{rec["sample_id"]}"', f"dilution = {int(rec['dilution'])}"]
        out.append("")
    Path(path).write_text("\n".join(out), encoding="utf-8")


_WELL_KEY = re.compile(r"^([A-Za-z])0*([0-9]+)$")


def _well_spellings(path: Path, doc: dict) -> list[Problem]:
    """Two keys of the [well] table naming one well (A4 and A04), and wells outside A1-H12."""
    problems, seen = [], {}
    text = path.read_text(encoding="utf-8")
    for key in doc.get("well", {}):
        m = _WELL_KEY.match(key)
        line = _line_of(text, rf"\[\s*well\.['\"]?{re.escape(key)}['\"]?\s*\]")
        if not m:
            continue  # wellmap reports malformed names itself
        canonical = f"{m[1].upper()}{int(m[2])}"
        if canonical in seen:
            problems.append(Problem(display_name(path), f"[well.{key}] and [well.{seen[canonical]}] are the same "
                                    f"well {canonical}: write each well once", line=line, well=canonical))
        seen.setdefault(canonical, key)
    return problems


def _line_of(text: str, pattern: str) -> int | None:
    m = re.search(pattern, text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def read_layout(path: Path) -> tuple[dict, pd.DataFrame]:
    """Read a wellmap layout; returns ([expt] fields, wells with role, nominal_pg_ml,
    sample_id, dilution). Every problem is an InputError naming the file and the well."""
    import wellmap

    path = Path(path)
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
        if text.startswith("\ufeff"):
            raise InputError.at(path, "starts with a byte-order mark, which TOML forbids: save it as UTF-8 "
                                      "without BOM", line=1)
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        raise InputError.at(path, f"TOML syntax error: {str(err).split(' (at')[0]}",
                            line=int(m[1]) if m else None) from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError.at(path, f"cannot read the layout ({err})") from None
    problems = _well_spellings(path, doc)
    if problems:
        raise InputError(problems)
    expt = doc.get("expt", {})
    for key in ("plate_id", "analyte"):
        if key not in expt:
            raise InputError.at(path, f"[expt] must set {key}", column=key)
    try:
        df = wellmap.load(path)
    except Exception as exc:  # wellmap raises its own LayoutError and others; name the file either way
        raise InputError.at(path, f"not a readable wellmap layout ({exc})") from None
    unknown = [c for c in df.columns if c not in LAYOUT_FIELDS + WELLMAP_COLUMNS + tuple(expt)]
    if unknown:  # a misspelt field (dillution) would otherwise be ignored and misread the plate
        raise InputError([Problem(name, f"unknown field {key!r}; a layout sets only {', '.join(LAYOUT_FIELDS)}",
                                  line=_line_of(text, rf"(?m)^\s*{re.escape(key)}\s*="), column=key)
                          for key in unknown])
    for col in LAYOUT_FIELDS:
        if col not in df:
            df[col] = np.nan
    for rec in df.to_dict("records"):
        well = rec["well"]
        if well not in WELLS:
            problems.append(Problem(name, "is outside a 96-well plate (rows A-H, columns 1-12)", well=well))
        elif rec["role"] not in ROLES:
            problems.append(Problem(name, f"{rec['role']!r} is not one of {', '.join(ROLES)}", well=well,
                                    column="role"))
        elif rec["role"] in ("standard", "control") and not _number(rec["nominal_pg_ml"]) > 0:
            problems.append(Problem(name, f"a {rec['role']} needs a positive number", well=well,
                                    column="nominal_pg_ml"))
        elif rec["role"] == "sample" and (pd.isna(rec["sample_id"]) or str(rec["sample_id"]).strip() == ""):
            problems.append(Problem(name, "a sample needs a sample_id", well=well, column="sample_id"))
        elif rec["role"] == "sample" and not _number(1 if pd.isna(rec["dilution"]) else rec["dilution"]) >= 1:
            problems.append(Problem(name, f"dilution {rec['dilution']!r} is not a number >= 1", well=well,
                                    column="dilution"))
    if problems:
        raise InputError(problems)
    df["dilution"] = pd.to_numeric(df["dilution"]).fillna(1.0).astype(float)
    df["nominal_pg_ml"] = pd.to_numeric(df["nominal_pg_ml"]).astype(float)
    df["sample_id"] = df["sample_id"].where(df["sample_id"].isna(), df["sample_id"].astype(str).str.strip())
    return expt, df[["well", "role", "nominal_pg_ml", "sample_id", "dilution"]]


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


# ---------------------------------------------------------------- manifest
def load_manifest(raw_dir: Path, analytes=tuple(ASSAYS)) -> pd.DataFrame:
    """Read and check raw/plates.csv. Returns one row per plate with the optional columns
    filled in and `line` (its spreadsheet line). Paths must stay inside `raw_dir`."""
    from helpers.instruments import VENDORS

    raw_dir = Path(raw_dir)
    path = raw_dir / "plates.csv"
    name = display_name(path)
    if not path.is_file():
        raise InputError.at(path, "no plate manifest (plates.csv) in the data directory's raw/ folder")
    try:
        manifest = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError.at(path, f"is not a readable CSV file ({err})") from None
    manifest.columns = [c.strip() for c in manifest.columns]
    missing = [c for c in MANIFEST_REQUIRED if c not in manifest.columns]
    if missing:
        raise InputError([Problem(name, f"missing column {c}", line=1) for c in missing])
    if manifest.empty:
        raise InputError.at(path, "lists no plates")
    for col, default in MANIFEST_OPTIONAL.items():
        manifest[col] = manifest[col].str.strip().replace("", default) if col in manifest else default
    manifest = manifest.apply(lambda c: c.str.strip())
    for col in ("export_file", "layout_file"):  # a Windows path names the same file
        drive = manifest[col].str.match(r"^[A-Za-z]:")
        manifest[col] = manifest[col].where(drive, manifest[col].str.replace("\\", "/"))
    manifest["line"] = range(2, len(manifest) + 2)
    problems = []
    for rec in manifest.to_dict("records"):
        def problem(col, text):
            problems.append(Problem(name, text, line=rec["line"], column=col))
        for col in MANIFEST_REQUIRED:
            if not rec[col]:
                problem(col, "empty")
        if rec["analyte"] and rec["analyte"] not in analytes:
            problem("analyte", f"{rec['analyte']!r} is not an analyte of this study ({', '.join(analytes)})")
        if rec["vendor"] not in VENDORS:
            problem("vendor", f"{rec['vendor']!r} is not one of {', '.join(VENDORS)}")
        for col in ("export_file", "layout_file"):
            if rec[col]:
                text = _path_problem(raw_dir, rec[col])
                if text:
                    problem(col, text)
    for col in ("plate_id",):
        keys = manifest[col].map(lambda v: unicodedata.normalize("NFKC", v))
        for line in manifest.loc[keys.duplicated() & (manifest[col] != ""), "line"]:
            problems.append(Problem(name, f"duplicate plate {manifest.set_index('line').at[line, col]!r}",
                                    line=line, column=col))
    if problems:
        raise InputError(problems)
    return manifest


def _path_problem(raw_dir: Path, text: str) -> str:
    """Why a manifest path is not usable ('' when it is): absolute, leaving raw/, or missing."""
    posix = PurePosixPath(text)
    if posix.is_absolute() or re.match(r"^[A-Za-z]:", text):
        return f"{text!r} is an absolute path; give it relative to raw/"
    if ".." in posix.parts:
        return f"{text!r} leaves the data directory; keep files inside raw/"
    if not (raw_dir / posix).is_file():
        return f"no file {text!r} in raw/"
    return ""


# ---------------------------------------------------------------- plates
def _check_read_fits(entry: dict, read, export: str) -> None:
    """Refuse a read that does not fit the analyte's assay (mode, and wavelength for absorbance)."""
    technique, mode, wavelength = ASSAYS[entry["analyte"]]
    primary = read.wavelength_nm
    if read.read_mode != mode or (wavelength is not None and primary != wavelength):
        got = read.read_mode + (f" at {primary:g} nm" if primary else "")
        want = mode + (f" at {wavelength:g} nm" if wavelength else "")
        raise InputError.at(export, f"plate {entry['plate_id']} was read as {got}, but the {entry['analyte']} "
                                    f"{technique} is read as {want} (raw/plates.csv line {entry['line']})",
                            column="read")


def load_plate(raw_dir: Path, entry: dict, reads: list) -> pd.DataFrame:
    """Join one plate's selected read and its layout into a table of all 96 wells
    (role 'empty' for wells the layout does not list; read_error NOT_READ for layout wells
    the export does not contain; reader_conc the reader software's concentration, if any).
    `reads` are the export's PlateReads."""
    from helpers.instruments import select_read

    export = Path(raw_dir) / entry["export_file"]
    try:
        read = select_read(reads, export, plate=entry["plate"] or entry["plate_id"], read=entry["read"])
    except InputError as err:  # name the manifest row that asked for it too
        where = f" (asked for by raw/plates.csv line {entry['line']}, columns plate and read)"
        raise InputError([replace(p, message=p.message + where) for p in err.problems]) from None
    _check_read_fits(entry, read, export)
    expt, layout = read_layout(Path(raw_dir) / entry["layout_file"])
    where = f"raw/plates.csv line {entry['line']}"
    if str(expt["plate_id"]) != entry["plate_id"]:
        raise InputError.at(Path(raw_dir) / entry["layout_file"], f"says plate {expt['plate_id']!r}, but {where} "
                            f"gives this layout to plate {entry['plate_id']!r}", column="plate_id")
    if str(expt["analyte"]) != entry["analyte"]:
        raise InputError.at(Path(raw_dir) / entry["layout_file"], f"says analyte {expt['analyte']!r}, but {where} "
                            f"says {entry['analyte']!r}", column="analyte")
    wells = pd.DataFrame({"well": WELLS}).merge(read.wells, on="well", how="left") \
        .merge(layout, on="well", how="left").merge(_reader_concentrations(read), on="well", how="left")
    unread = wells["signal"].isna() & wells["read_error"].isna()
    wells["read_error"] = wells["read_error"].fillna("").mask(unread & wells["role"].notna(), NOT_READ)
    wells["role"] = wells["role"].fillna("empty")
    wells.insert(0, "analyte", entry["analyte"])
    wells.insert(0, "plate_id", entry["plate_id"])
    wells["read_mode"], wells["read_at"] = read.read_mode, read.read_at
    wells["export_file"], wells["layout_file"] = entry["export_file"], entry["layout_file"]
    return wells


def _reader_concentrations(read) -> pd.DataFrame:
    """The reader software's own concentration per well (column reader_conc), when the export
    carries one; shown beside ours, never used by the cleaning."""
    calc = read.calculated
    if calc is None or calc.empty:
        return pd.DataFrame({"well": pd.Series(dtype=str), "reader_conc": pd.Series(dtype=float)})
    calc = calc[calc["name"].str.contains("conc", case=False)].drop_duplicates("well")
    return calc[["well", "value"]].rename(columns={"value": "reader_conc"})


def _identical_grids(plates: list[pd.DataFrame], manifest: pd.DataFrame) -> list[Problem]:
    """Two plates whose signal grids are identical: a file exported twice, not two plates."""
    seen, problems = {}, []
    for wells in plates:
        key = tuple(np.nan_to_num(wells["signal"].to_numpy(float), nan=-1.0).round(9).tolist())
        plate_id = wells["plate_id"].iloc[0]
        if wells["signal"].notna().any() and key in seen:
            line = int(manifest.loc[manifest["plate_id"] == plate_id, "line"].iloc[0])
            problems.append(Problem("raw/plates.csv", f"plate {plate_id} has exactly the same signals as plate "
                                    f"{seen[key]}: the same read was listed twice", line=line, column="export_file"))
        seen.setdefault(key, plate_id)
    return problems


def load_plates(raw_dir: Path, analytes=tuple(ASSAYS)) -> pd.DataFrame:
    """Every well of every plate listed in raw/plates.csv, as one table. Problems in all
    plates are collected and raised together."""
    from helpers.instruments import read_export

    raw_dir = Path(raw_dir)
    manifest = load_manifest(raw_dir, analytes)
    exports, plates, problems = {}, [], []
    for entry in manifest.to_dict("records"):
        key = (entry["export_file"], entry["vendor"])
        try:
            if key not in exports:
                exports[key] = read_export(raw_dir / entry["export_file"], entry["vendor"])
            plates.append(load_plate(raw_dir, entry, exports[key]))
        except InputError as err:
            problems += err.problems
    problems += _identical_grids(plates, manifest)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    return pd.concat(plates, ignore_index=True)
