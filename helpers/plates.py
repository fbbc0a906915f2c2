"""Plate files: SoftMax Pro text exports (read with allotropy) and wellmap TOML layouts.

A plate is described by a row of `raw/plates.csv` (plate_id, analyte, export_file,
layout_file). The export holds the reader's 8 x 12 grid of raw signals (OD450 for the
ELISAs, relative light units for the CLEIA); the layout says what each well holds.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.clinical import DataValidationError

ROWS = "ABCDEFGH"
COLS = range(1, 13)
WELLS = [f"{r}{c}" for r in ROWS for c in COLS]
ROLES = ("standard", "blank", "control", "sample")
MANIFEST_COLUMNS = ("plate_id", "analyte", "export_file", "layout_file")
READ_MODES = {"Absorbance": "absorbance", "Luminescence": "luminescence"}
KNOWN_READ_ERRORS = ("Range?", "Masked")


# ---------------------------------------------------------------- writing (generator)
def write_softmax_export(path: Path, plate_id: str, read_mode: str, wavelength_nm: int,
                         saved: dt.datetime, grid: list[list[str]]) -> None:
    """Write an 8 x 12 endpoint read as a SoftMax Pro 'Plate:' block text export.
    `grid` holds the cell texts as the reader prints them (numbers or an error code)."""
    if read_mode == "Absorbance":
        header = ["Plate:", plate_id, "1.3", "PlateFormat", "Endpoint", "Absorbance", "Raw", "FALSE", "1",
                  "", "", "", "", "", "1", f"{wavelength_nm} ", "1", "12", "96", "1", "8", "", ""]
    else:
        header = ["Plate:", plate_id, "1.3", "PlateFormat", "Endpoint", "Luminescence", "Raw", "FALSE", "1",
                  "", "", "", "", "", "1", f"{wavelength_nm}", "1", "12", "96", "", "", "", "", "",
                  "1", "", "", "", "1", "8", ""]
    lines = ["##BLOCKS= 1", "\t".join(header),
             "\tTemperature(C)\t" + "\t".join(str(c) for c in COLS) + "\t\t"]
    for i, row in enumerate(grid):
        lines.append(("\t23.0\t" if i == 0 else "\t\t") + "\t".join(row) + "\t\t")
    stamp = f"{saved.month}/{saved.day}/{saved.year} {saved.strftime('%I:%M:%S %p').lstrip('0')}"
    lines += ["", "~End", f"Original Filename: {plate_id}; Date Last Saved: {stamp}"]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_layout(path: Path, plate_id: str, analyte: str, wells: pd.DataFrame) -> None:
    """Write a wellmap layout: one [well.X] table per used well (role, and where relevant
    nominal_pg_ml, sample_id, dilution). Empty wells are simply not listed."""
    out = ["# Plate layout (wellmap TOML). Wells not listed are empty.",
           "[expt]", f'plate_id = "{plate_id}"', f'analyte = "{analyte}"', ""]
    for rec in wells.to_dict("records"):
        out.append(f"[well.{rec['well']}]")
        out.append(f'role = "{rec["role"]}"')
        if not pd.isna(rec.get("nominal_pg_ml")):
            out.append(f"nominal_pg_ml = {rec['nominal_pg_ml']!r}")
        if not pd.isna(rec.get("sample_id")):
            out.append(f'sample_id = "{rec["sample_id"]}"')
            out.append(f"dilution = {int(rec['dilution'])}")
        out.append("")
    Path(path).write_text("\n".join(out), encoding="utf-8")


# ---------------------------------------------------------------- reading (cleaning)
def read_softmax_export(path: Path) -> tuple[dict, pd.DataFrame]:
    """Read a SoftMax Pro export with allotropy. Returns (meta, wells) where meta has
    plate_id, read_mode, wavelength_nm, read_at and wells has well, signal, read_error."""
    from allotropy.parser_factory import Vendor
    from allotropy.to_allotrope import allotrope_from_file

    path = Path(path)
    try:
        asm = allotrope_from_file(str(path), Vendor.MOLDEV_SOFTMAX_PRO)
        docs = asm["plate reader aggregate document"]["plate reader document"]
    except Exception as exc:  # allotropy raises many types; name the file either way
        raise DataValidationError(f"{path.name}: not a readable SoftMax Pro plate export ({exc})") from exc
    records, metas = [], set()
    for doc in docs:
        agg = doc["measurement aggregate document"]
        for m in agg["measurement document"]:
            control = m["device control aggregate document"]["device control document"][0]
            mode = control["detection type"]
            metas.add((m["sample document"]["well plate identifier"], mode,
                       control["detector wavelength setting"]["value"], agg["measurement time"]))
            errors = [e["error"] for e in m.get("error aggregate document", {}).get("error document", [])]
            value = m[READ_MODES.get(mode, "absorbance")]["value"] if not errors else np.nan
            records.append({"well": m["sample document"]["location identifier"], "signal": float(value),
                            "read_error": "; ".join(errors)})
    if len(metas) != 1:
        raise DataValidationError(f"{path.name}: expected one plate block with one read, found {len(metas)}")
    plate_id, mode, wavelength, read_at = metas.pop()
    if mode not in READ_MODES:
        raise DataValidationError(f"{path.name}: read type {mode!r} is not one of {sorted(READ_MODES)}")
    wells = pd.DataFrame(records)
    missing = sorted(set(WELLS) - set(wells["well"]), key=WELLS.index)
    if missing or len(wells) != 96:
        raise DataValidationError(f"{path.name}: expected 96 wells (rows A-H, columns 1-12); missing {missing}")
    for rec in wells[wells["read_error"] != ""].to_dict("records"):
        if rec["read_error"] not in KNOWN_READ_ERRORS:
            raise DataValidationError(
                f"{path.name}: row {rec['well'][0]}, column {rec['well'][1:]} (well {rec['well']}): "
                f"value {rec['read_error']!r} is neither a number nor a reader error code {KNOWN_READ_ERRORS}")
    meta = {"plate_id": plate_id, "read_mode": mode, "wavelength_nm": wavelength, "read_at": read_at}
    return meta, wells


def read_layout(path: Path) -> tuple[dict, pd.DataFrame]:
    """Read a wellmap layout; returns (expt fields, wells with role, nominal_pg_ml, sample_id, dilution)."""
    import tomllib

    import wellmap

    path = Path(path)
    try:
        expt = tomllib.loads(path.read_text(encoding="utf-8")).get("expt", {})
        df = wellmap.load(path)
    except Exception as exc:
        raise DataValidationError(f"{path.name}: not a readable wellmap layout ({exc})") from exc
    for key in ("plate_id", "analyte"):
        if key not in expt:
            raise DataValidationError(f"{path.name}: [expt] must set {key}")
    for col in ("nominal_pg_ml", "sample_id", "dilution"):
        if col not in df:
            df[col] = np.nan
    problems = []
    for rec in df.to_dict("records"):
        where = f"{path.name}: row {rec['row']}, column {rec['col']} (well {rec['well']})"
        if rec.get("role") not in ROLES:
            problems.append(f"{where}: role {rec.get('role')!r} is not one of {ROLES}")
        elif rec["role"] in ("standard", "control") and not rec["nominal_pg_ml"] > 0:
            problems.append(f"{where}: a {rec['role']} needs a positive nominal_pg_ml")
        elif rec["role"] == "sample" and (pd.isna(rec["sample_id"]) or not rec["dilution"] >= 1):
            problems.append(f"{where}: a sample needs sample_id and a dilution >= 1")
    if problems:
        raise DataValidationError("\n".join(problems))
    df["dilution"] = df["dilution"].fillna(1.0)
    return expt, df[["well", "role", "nominal_pg_ml", "sample_id", "dilution"]]


def load_plate(raw_dir: Path, entry: dict) -> pd.DataFrame:
    """Join one plate's export and layout into a per-well table (all 96 wells;
    role 'empty' for wells the layout does not list)."""
    meta, reads = read_softmax_export(raw_dir / entry["export_file"])
    expt, layout = read_layout(raw_dir / entry["layout_file"])
    for source, value in (("export " + entry["export_file"], meta["plate_id"]),
                          ("layout " + entry["layout_file"], expt["plate_id"])):
        if value != entry["plate_id"]:
            raise DataValidationError(f"plates.csv plate {entry['plate_id']}: {source} says plate {value!r}")
    if expt["analyte"] != entry["analyte"]:
        raise DataValidationError(f"{entry['layout_file']}: analyte {expt['analyte']!r}, plates.csv says "
                                  f"{entry['analyte']!r}")
    wells = reads.merge(layout, on="well", how="left")
    wells["role"] = wells["role"].fillna("empty")
    wells.insert(0, "analyte", entry["analyte"])
    wells.insert(0, "plate_id", entry["plate_id"])
    wells["read_mode"], wells["read_at"] = meta["read_mode"], meta["read_at"]
    return wells


def load_manifest(raw_dir: Path) -> pd.DataFrame:
    """Read and check raw/plates.csv."""
    path = Path(raw_dir) / "plates.csv"
    if not path.is_file():
        raise DataValidationError(f"{path}: no plate manifest (plates.csv) in the data directory")
    manifest = pd.read_csv(path, dtype=str, keep_default_na=False)
    if tuple(manifest.columns) != MANIFEST_COLUMNS:
        raise DataValidationError(f"{path.name}: columns must be {', '.join(MANIFEST_COLUMNS)}; "
                                  f"found {', '.join(manifest.columns)}")
    for i, rec in enumerate(manifest.to_dict("records"), start=2):
        for col in MANIFEST_COLUMNS:
            if not rec[col]:
                raise DataValidationError(f"{path.name} line {i}, column {col}: empty")
        for col in ("export_file", "layout_file"):
            if not (Path(raw_dir) / rec[col]).is_file():
                raise DataValidationError(f"{path.name} line {i}, column {col}: no file {rec[col]!r}")
    dup = manifest["plate_id"].duplicated()
    if dup.any():
        line = int(np.flatnonzero(dup)[0]) + 2
        raise DataValidationError(f"{path.name} line {line}, column plate_id: duplicate {manifest.plate_id[dup].iloc[0]!r}")
    return manifest


def load_plates(raw_dir: Path) -> pd.DataFrame:
    """Every well of every plate listed in raw/plates.csv, as one table."""
    raw_dir = Path(raw_dir)
    manifest = load_manifest(raw_dir)
    return pd.concat([load_plate(raw_dir, e) for e in manifest.to_dict("records")], ignore_index=True)
