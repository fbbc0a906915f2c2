"""The cleaning step's hand-off: the cleaned tables every later step reads instead of the plates.

    raw/ plate files --assay.clean--> <cache_dir>/concentrations.csv   one result per (sample, analyte)
                                      <cache_dir>/well_accounting.csv  every well, used or excluded and why
                                      <cache_dir>/plate_qc.csv         every plate's curve, limits and QC
                                      <cache_dir>/inputs.json          the content hash of their inputs

The tables are written once (`store`), with the content hash of their inputs (`input_hash`:
every plate file under raw/, the cleaning code and keep_failed_plates). `cleaned_tables` reads
them back, and cleans first only when they are missing or their hash no longer matches, so a
notebook opened on its own still runs. A lock file keeps two processes from cleaning into the
same folder at once. Only cleaning parses plate exports, so only it imports allotropy.
Floats are written at full precision: the tables read back equal the tables written.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import assay, cleaning_report, plates

FILES = {"concentrations": "concentrations.csv", "wells": "well_accounting.csv", "plate_qc": "plate_qc.csv"}
KEY_FILE = "inputs.json"
CODE = ("assay.py", "plates.py", "instruments.py", "cleaning_report.py", "cleaning.py")  # code the tables depend on
_TYPES = {  # table -> {column: float / int / bool}; every other column is text ('' where empty)
    "concentrations": dict.fromkeys(["value_pg_ml", "value_for_stats_pg_ml", "lod_pg_ml", "lloq_pg_ml",
                                     "uloq_pg_ml", "dilution", "cv_percent"], float) | {"detectable": bool},
    "wells": {"dilution": float, "signal": float},
    "plate_qc": dict.fromkeys(["f_test_p", "r_squared", "max_abs_residual_percent", "blank_mean", "blank_sd",
                               "lod_pg_ml", "lloq_pg_ml", "uloq_pg_ml", "control_recovery_percent",
                               "control_cv_percent"], float)
                | dict.fromkeys(["levels_acceptable", "levels_total"], int)
                | dict.fromkeys(["standards_ok", "control_ok", "plate_ok"], bool),
}


@dataclass(frozen=True)
class CleanedTables:
    """The cleaned hand-off of one cohort directory."""

    concentrations: pd.DataFrame  # cleaning_report.tidy_concentrations: one result per (sample_id, analyte)
    wells: pd.DataFrame  # assay.CleanedAssays.wells: every well, used or excluded, and why
    plate_qc: pd.DataFrame  # cleaning_report.plate_qc_table: one row per plate

    def lowest_lloq(self, analyte: str) -> float:
        """The lowest in-well LLOQ (pg/ml) among the analyte's plates."""
        return float(self.plate_qc.loc[self.plate_qc["analyte"] == analyte, "lloq_pg_ml"].min())


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table with the column types of _TYPES, whether built in memory or read from text."""
    out = frame.copy()
    for col in out.columns:
        kind = _TYPES[name].get(col, str)
        if kind is float:
            out[col] = pd.to_numeric(out[col].replace("", None)).astype(float)
        elif kind is bool:
            out[col] = out[col].map({True: True, False: False, "True": True, "False": False}).astype(bool)
        elif kind is int:
            out[col] = out[col].astype(int)
        else:
            out[col] = out[col].fillna("").astype(str)
    return out.reset_index(drop=True)


def to_tables(cleaned: assay.CleanedAssays) -> CleanedTables:
    """The cleaned tables of a cleaning result."""
    qc = cleaning_report.plate_qc_table(cleaned.plates)
    return CleanedTables(_typed("concentrations", cleaning_report.tidy_concentrations(cleaned.concentrations, qc)),
                         _typed("wells", cleaned.wells), _typed("plate_qc", qc))


def input_hash(data_dir, keep_failed_plates: bool = False) -> str:
    """SHA-256 of what the cleaned tables depend on: every file under `<data_dir>/raw` but
    the clinical table, the cleaning code (CODE) and keep_failed_plates."""
    raw = Path(data_dir) / "raw"
    digest = hashlib.sha256(f"keep_failed_plates={bool(keep_failed_plates)}\n".encode())
    files = [(p.relative_to(raw).as_posix(), p) for p in sorted(raw.rglob("*"))
             if p.is_file() and p.relative_to(raw) != Path("clinical.csv")]
    files += [(f"helpers/{name}", Path(__file__).parent / name) for name in CODE]
    for name, path in files:
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(cache_dir: Path):
    """Hold the folder's lock file (exclusive) for the block."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _stored_hash(cache_dir: Path) -> str | None:
    try:
        return json.loads((cache_dir / KEY_FILE).read_text(encoding="utf-8"))["input_hash"]
    except (OSError, ValueError, KeyError):
        return None


def _write(cache_dir: Path, tables: CleanedTables, key: str) -> None:
    """Each file written whole and renamed into place; the hash last, so it vouches for them."""
    def atomic(path: Path, write) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        write(tmp)
        tmp.replace(path)

    for name, file in FILES.items():
        atomic(cache_dir / file, lambda p, f=getattr(tables, name): f.to_csv(p, index=False, lineterminator="\n"))
    atomic(cache_dir / KEY_FILE, lambda p: p.write_text(json.dumps({"input_hash": key}) + "\n", encoding="utf-8"))


def _read(cache_dir: Path) -> CleanedTables:
    return CleanedTables(**{name: _typed(name, pd.read_csv(cache_dir / file, dtype=str, keep_default_na=False))
                            for name, file in FILES.items()})


def store(tables: CleanedTables, data_dir, cache_dir, keep_failed_plates: bool = False) -> dict:
    """Write the cleaned tables of `<data_dir>/raw` into `cache_dir`, unless the tables there
    already come from the same inputs; return {table: path}."""
    cache_dir = Path(cache_dir)
    key = input_hash(data_dir, keep_failed_plates)
    with _locked(cache_dir):
        if _stored_hash(cache_dir) != key:
            _write(cache_dir, tables, key)
    return {name: cache_dir / file for name, file in FILES.items()}


def cleaned_tables(data_dir, cache_dir=None, keep_failed_plates: bool = False) -> CleanedTables:
    """The cleaned tables of `<data_dir>/raw`: read from `cache_dir` when they are there and
    their inputs have not changed, else cleaned (plates.load_plates, assay.clean) and stored
    there first. Without `cache_dir` the plates are cleaned and nothing is kept. Bad plate
    files raise helpers.errors.InputError."""
    if cache_dir is None:
        return to_tables(assay.clean(plates.load_plates(Path(data_dir) / "raw"), keep_failed_plates))
    cache_dir = Path(cache_dir)
    key = input_hash(data_dir, keep_failed_plates)
    with _locked(cache_dir):
        if _stored_hash(cache_dir) != key:
            cleaned = assay.clean(plates.load_plates(Path(data_dir) / "raw"), keep_failed_plates)
            _write(cache_dir, to_tables(cleaned), key)
        return _read(cache_dir)
