"""Plate-reader endpoint exports from eight vendors, read through allotropy into one
normalized table per read.

`read_export(path, vendor)` parses a file with allotropy (0.1.134) and returns one
`PlateRead` per (plate, read) in file order: plate name, read mode, wavelength, read time,
the wells (well 'A1'..'H12', signal, read_error) and the reader software's own calculated
values. `select_read` picks one plate and read, or a wavelength correction such as
'450-570'. `VENDORS` maps the short names below to allotropy's Vendor. Every problem with a file is an `InputError` naming the file (and the well
where there is one); allotropy's own failures are wrapped with the vendor and its message.

What allotropy 0.1.134 gives per vendor (modes listed are the ones tested here; writers for
all of them are in helpers.instrument_writers):

- softmax (SoftMax Pro .txt): several plates and wavelengths; absorbance, fluorescence,
  luminescence; plate names; error codes Range?, Masked, Error; Group-section values come
  back as calculated values.
- gen5 (Gen5 .txt): one plate per file (allotropy refuses multi-plate exports); absorbance
  (one or more wavelengths) and luminescence; the plate name is the 'Plate Number' line,
  unless the file is named like Gen5's 'yymmdd_hhmmss_<plate>_....txt'; error codes OVRFLW,
  MISSED; result rows such as '[Concentration]' come back as calculated values (brackets dropped).
- magellan (Magellan .xlsx): absorbance only; plate name from the 'Plate' column; error code OVER.
- mars (MARS .csv): absorbance and luminescence; plate name is ID1; no error codes (allotropy
  fails on text). allotropy reads a 'Raw Data (450 1)' header as 1 nm.
- smart_control (SMART Control .xlsx): fluorescence only; plate name is ID3; no error codes;
  allotropy logs a warning for a file without blank-corrected values.
- envision (EnVision .csv): absorbance and luminescence, several plates; plate name is the
  barcode ('Plate N' without one); no error codes (allotropy fails on text); the wavelength
  of an absorbance read is lost (allotropy drops the excitation filter that carries it).
- kaleido (Kaleido .csv): absorbance and luminescence; plate name is the barcode; no error
  codes; the read time has minute resolution.
- skanit (SkanIt .xlsx): absorbance and luminescence, several plates and wavelengths; only
  plate names like 'Plate 3' are recognised; error code '****' (assumed, not verified against
  SkanIt). allotropy takes a cell reading exactly 0 for an error: that well is an InputError.

allotropy's own check of its document against the ASM JSON schema is skipped (`_document`):
it tests allotropy's output rather than the file, takes most of the parse time (and the schema
module most of allotropy's import time), and every value used here is checked below anyway.

Where allotropy fails on text in a number cell, the raw file is searched for the cell so
the error can name the well. Numbers written with a decimal comma or a thousands
separator ('0,532', '1,234'), which allotropy would read as 0.532 and 1.234, are refused.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.errors import InputError, Problem, display_name

_ALLOTROPY = {  # short name -> (allotropy Vendor member, the software's name)
    "softmax": ("MOLDEV_SOFTMAX_PRO", "SoftMax Pro"),
    "gen5": ("AGILENT_GEN5", "Gen5"),
    "magellan": ("TECAN_MAGELLAN", "Magellan"),
    "mars": ("BMG_MARS", "MARS"),
    "smart_control": ("BMG_LABTECH_SMART_CONTROL", "SMART Control"),
    "envision": ("PERKIN_ELMER_ENVISION", "EnVision"),
    "kaleido": ("REVVITY_KALEIDO", "Kaleido"),
    "skanit": ("THERMO_SKANIT", "SkanIt"),
}
ERROR_CODES = {"softmax": ("Range?", "Masked", "Error"), "gen5": ("OVRFLW", "MISSED"),
               "magellan": ("OVER",), "skanit": ("****",),
               "mars": (), "smart_control": (), "envision": (), "kaleido": ()}
TEXT_DELIMITERS = {"softmax": "\t", "gen5": "\t", "mars": ",", "envision": ",", "kaleido": ","}
READ_MODES = ("absorbance", "fluorescence", "luminescence")
NOT_READ = "nan"  # what allotropy's SoftMax parser reports for an empty cell
NO_TIME = "1970-01-01"  # allotropy's stand-in for a file without a read time
WELL = re.compile(r"([A-Z]{1,2})0*([1-9]\d*)")
ROW_LETTERS = "ABCDEFGHIJKLMNOP"
COMMA_NUMBER = re.compile(r"[-+]?\d+(?:,\d+)+(?:\.\d*)?")
DECIMAL_MARK_ADVICE = "export with '.' as the decimal mark and no thousands separator"


def __getattr__(name):
    """`VENDORS` (short name -> allotropy Vendor) is built on first use: importing allotropy
    takes seconds, which a module that only names vendors should not cost."""
    if name == "VENDORS":
        from allotropy.parser_factory import Vendor

        return {short: Vendor[member] for short, (member, _) in _ALLOTROPY.items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class PlateRead:
    """One read of one plate. `wells` has columns well, signal (NaN where the reader wrote
    an error code) and read_error (the code, else ''); `calculated` has well, name, value
    for the reader software's own per-well results, or is None when the file has none."""

    plate: str
    read_mode: str
    wavelength_nm: float | None
    read_at: str
    wells: pd.DataFrame
    calculated: pd.DataFrame | None

    def describe(self) -> str:
        """'plate P1, absorbance at 450 nm' (the plate part only when it has a name)."""
        read = self.read_mode + (f" at {self.wavelength_nm:g} nm" if self.wavelength_nm is not None else "")
        return f"plate {self.plate}, {read}" if self.plate else read


def read_export(path, vendor: str) -> list[PlateRead]:
    """Every (plate, read) in a plate-reader export, in file order, read with allotropy.
    Raises InputError for an unreadable file, a number written with a decimal comma, text
    that is neither a number nor one of the vendor's error codes, or an infinite value."""
    path = Path(path)
    if vendor not in _ALLOTROPY:
        raise InputError.at(path, f"unknown plate reader software {vendor!r}; known: {', '.join(_ALLOTROPY)}")
    if not path.is_file():
        raise InputError.at(path, "no such file")
    member, software = _ALLOTROPY[vendor]
    encoding = _encoding(path.read_bytes()) if vendor in TEXT_DELIMITERS else None
    try:
        asm = _document(path, member, encoding)
    except Exception as exc:  # allotropy raises its own errors and bare ValueError/KeyError/IndexError
        rows = None
        with contextlib.suppress(Exception):  # only to locate the cause; allotropy's message stands otherwise
            rows = _raw_rows(path, vendor, encoding)
        if rows is not None:
            _check_decimal_marks(path, rows)
            _check_text_in_grids(path, vendor, rows, exc)
        said = "".join(c if c.isprintable() else "?" for c in str(exc))[:300]
        raise InputError.at(path, f"allotropy could not read this {software} export ({vendor}): "
                                  f"{type(exc).__name__}: {said}. Check that raw/plates.csv names the "
                                  f"software that wrote this file, and that the file is complete") from exc
    _check_decimal_marks(path, _raw_rows(path, vendor, encoding))
    return _plate_reads(path, vendor, asm)


def _document(path: Path, member: str, encoding: str | None) -> dict:
    """allotropy's Allotrope Simple Model document of an export, as allotropy.to_allotrope's
    allotrope_from_file builds it (same parser, same extension check), without the schema check."""
    from allotropy.allotrope.converter import unstructure
    from allotropy.exceptions import AllotropeConversionError
    from allotropy.named_file_contents import NamedFileContents
    from allotropy.parser_factory import Vendor

    vendor = Vendor[member]
    with open(path, "rb") as f:
        named = NamedFileContents(f, str(path), encoding)
        if named.extension not in vendor.supported_extensions:
            raise AllotropeConversionError(f"Unsupported file extension '{named.extension}' for parser "
                                           f"'{vendor.display_name}', expected one of "
                                           f"'{vendor.supported_extensions}'.")
        return unstructure(vendor.get_parser().to_allotrope(named))


def select_read(reads: list[PlateRead], path, plate: str = "", read: str = "") -> PlateRead:
    """The read to use from `read_export(path, ...)`. `plate` names the plate (needed when
    the file holds several). `read` is '' (the plate's only read), a read mode
    ('absorbance'), a wavelength ('450') or a wavelength correction '450-570': the signal
    at 450 minus the signal at 570 well by well; a well with an error code in either read
    keeps that code, a well read at only one of the two is dropped."""
    plates = list(dict.fromkeys(r.plate for r in reads))
    if plate:
        if plate not in plates:
            raise InputError.at(path, f"no plate {plate!r}; the file holds {_listing(plates)}")
    elif len(plates) > 1:
        raise InputError.at(path, f"the file holds several plates ({_listing(plates)}): name one")
    else:
        plate = plates[0] if plates else ""
    candidates = [r for r in reads if r.plate == plate]
    correction = re.fullmatch(r"(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", read)
    if correction:
        signal, reference = (_one_read(candidates, path, wavelength) for wavelength in correction.groups())
        return _corrected(signal, reference)
    return _one_read(candidates, path, read)


# ---------------------------------------------------------------- selecting reads
def _listing(names) -> str:
    return ", ".join(repr(n) for n in names) or "no plates"


def _one_read(candidates: list[PlateRead], path, read: str) -> PlateRead:
    if read == "":
        chosen = candidates
    elif read in READ_MODES:
        chosen = [r for r in candidates if r.read_mode == read]
    elif re.fullmatch(r"\d+(?:\.\d+)?", read):
        chosen = [r for r in candidates if r.wavelength_nm == float(read)]
    else:
        raise InputError.at(path, f"read {read!r} is not a read mode ({', '.join(READ_MODES)}), "
                                  f"a wavelength such as '450' or a correction such as '450-570'")
    if len(chosen) != 1:
        found = "; ".join(r.describe() for r in candidates) or "none"
        wanted = f"read {read!r}" if read else "a read"
        raise InputError.at(path, f"{wanted} matches {len(chosen)} reads, not one; the reads are: {found}")
    return chosen[0]


def _corrected(signal: PlateRead, reference: PlateRead) -> PlateRead:
    both = signal.wells.merge(reference.wells, on="well", suffixes=("", "_reference"))
    both["signal"] = both["signal"] - both["signal_reference"]
    both["read_error"] = both["read_error"].where(both["read_error"] != "", both["read_error_reference"])
    both.loc[both["read_error"] != "", "signal"] = float("nan")
    return PlateRead(signal.plate, signal.read_mode, signal.wavelength_nm, signal.read_at,
                     both[["well", "signal", "read_error"]], signal.calculated)


# ---------------------------------------------------------------- from allotropy's document
def _plate_reads(path, vendor: str, asm: dict) -> list[PlateRead]:
    """Group allotropy's measurement documents into reads and check every cell."""
    aggregate = asm["plate reader aggregate document"]
    reads: dict[tuple, dict] = {}
    sources: dict[str, tuple[str, str]] = {}  # measurement identifier -> (plate, well)
    failed_calculations: dict[tuple[str, str, str], str] = {}
    problems = []
    for document in aggregate["plate reader document"]:
        group = document["measurement aggregate document"]
        time = group.get("measurement time", "")
        read_at = "" if time.startswith(NO_TIME) else time
        for m in group["measurement document"]:
            sample = m["sample document"]
            plate, well = str(sample.get("well plate identifier", "")), _canonical_well(sample["location identifier"])
            mode = next((key for key in READ_MODES if key in m), None)
            if mode is None:
                raise InputError.at(path, "allotropy found no endpoint value (absorbance, fluorescence or "
                                          "luminescence) in this file: only endpoint reads can be used")
            sources[m["measurement identifier"]] = (plate, well)
            key = (plate, mode, _wavelength(m))
            read = reads.setdefault(key, {"read_at": read_at, "wells": []})
            errors = m.get("error aggregate document", {}).get("error document", [])
            for e in errors:
                if e["error feature"].lower() != mode:
                    failed_calculations[(plate, well, _calculation_name(e["error feature"]))] = e["error"]
            read_errors = [e["error"] for e in errors if e["error feature"].lower() == mode]
            cell, problem = _cell(path, vendor, well, m[mode]["value"], read_errors)
            if problem:
                problems.append(problem)
            elif cell:
                read["wells"].append({"well": well, **cell})
    if problems:
        raise InputError(problems)
    calculated = _calculated(aggregate, sources, failed_calculations)
    out = []
    for (plate, mode, wavelength), read in reads.items():
        wells = pd.DataFrame(read["wells"], columns=["well", "signal", "read_error"])
        repeated = wells.loc[wells["well"].duplicated(), "well"].tolist()
        if repeated:
            raise InputError.at(path, f"well {repeated[0]} appears twice in one read ({mode}, {wavelength} nm); "
                                      "the reads cannot be told apart", well=repeated[0])
        wells = wells.sort_values("well", key=lambda s: s.map(_well_order), ignore_index=True)
        out.append(PlateRead(plate, mode, wavelength, read["read_at"], wells, calculated.get(plate)))
    return out


def _cell(path, vendor: str, well: str, value, read_errors: list[str]) -> tuple[dict | None, Problem | None]:
    """One well of one read: ({signal, read_error} or None when not read, problem or None)."""
    where = {"file": display_name(path), "well": well}
    if read_errors and (isinstance(value, str) or value == 0 or math.isnan(value)):  # allotropy writes -0.0
        code = "; ".join(dict.fromkeys(read_errors))
        if code == NOT_READ:
            return None, None
        if _as_number(code) is not None:
            return None, Problem(message=f"allotropy reported the number {code} as a reader error (allotropy "
                                         f"0.1.134 does this for a SkanIt cell reading exactly 0)", **where)
        if code not in ERROR_CODES[vendor]:
            known = ", ".join(ERROR_CODES[vendor]) or "none"
            return None, Problem(message=f"{code!r} is neither a number nor a reader error code "
                                         f"(known for {vendor}: {known})", **where)
        return {"signal": float("nan"), "read_error": code}, None
    try:
        signal = float(value)
    except (TypeError, ValueError):
        return None, Problem(message=f"{value!r} is not a number", **where)
    if math.isinf(signal):
        return None, Problem(message=f"infinite value {value!r}", **where)
    if math.isnan(signal):
        return None, None
    return {"signal": signal, "read_error": ""}, None


def _calculated(aggregate: dict, sources: dict, failed: dict) -> dict[str, pd.DataFrame]:
    """Per plate: the software's calculated values that belong to exactly one well (values
    over several wells, such as curve parameters, are left out); NaN where it wrote an error."""
    rows = []
    documents = aggregate.get("calculated data aggregate document", {}).get("calculated data document", [])
    for doc in documents:
        wells = {sources[s["data source identifier"]]
                 for s in doc["data source aggregate document"]["data source document"]
                 if s["data source identifier"] in sources}
        if len(wells) == 1:
            (plate, well), name = wells.pop(), _calculation_name(doc["calculated data name"])
            value = float("nan") if (plate, well, name) in failed else doc["calculated result"]["value"]
            rows.append({"plate": plate, "well": well, "name": name, "value": float(value)})
    known = {(r["plate"], r["well"], r["name"]) for r in rows}
    rows += [{"plate": p, "well": w, "name": n, "value": float("nan")}
             for p, w, n in failed if (p, w, n) not in known]
    if not rows:
        return {}
    table = pd.DataFrame(rows).drop_duplicates(["plate", "well", "name"])
    table = table.sort_values("well", key=lambda s: s.map(_well_order), kind="stable")
    return {plate: t[["well", "name", "value"]].reset_index(drop=True)
            for plate, t in table.groupby("plate", sort=False)}


def _calculation_name(name: str) -> str:
    return name.strip().removeprefix("[").removesuffix("]")


def _wavelength(measurement: dict) -> float | None:
    """Detector wavelength (emission for fluorescence); None when unset or 0 nm."""
    control = measurement["device control aggregate document"]["device control document"][0]
    value = control.get("detector wavelength setting", {}).get("value")
    return float(value) if value else None


def _canonical_well(location: str) -> str:
    match = WELL.fullmatch(str(location).strip().upper())
    return f"{match[1]}{int(match[2])}" if match else str(location)


def _well_order(well: str) -> tuple:
    match = WELL.fullmatch(well)
    return (len(match[1]), match[1], int(match[2])) if match else (9, well, 0)


# ---------------------------------------------------------------- the raw file
def export_text(path) -> str:
    """A text export decoded as read_export decodes it ('' for a spreadsheet export)."""
    raw = Path(path).read_bytes()
    if raw.startswith(b"PK"):  # .xlsx: a zip archive, no text to show
        return ""
    return raw.decode(_encoding(raw)).lstrip("\ufeff")


def _encoding(raw: bytes) -> str:
    """UTF-16 when the file starts with its byte-order mark, else UTF-8 when it decodes
    as such (a UTF-8 mark is dropped by allotropy), else Latin-1."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _raw_rows(path: Path, vendor: str, encoding: str | None) -> list[list[str]]:
    """The file as rows of cell texts: split text lines, or every sheet of a workbook."""
    if vendor in TEXT_DELIMITERS:
        text = path.read_bytes().decode(encoding).lstrip("\ufeff")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if TEXT_DELIMITERS[vendor] == "\t":
            return [line.split("\t") for line in lines]
        return list(csv.reader(lines))
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [["" if v is None else str(v) for v in row]
                for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _header_starts(row: list[str]) -> list[int]:
    """Where a run of column numbers 1..12 starts in a row (several for SoftMax's side-by-side wavelengths)."""
    numbers = [_as_number(c.strip()) for c in row]
    return [j for j in range(len(row) - 11) if numbers[j:j + 12] == [float(k) for k in range(1, 13)]]


def _grids(rows: list[list[str]]) -> Iterator[list[tuple[str, str]]]:
    """Each plate grid in the raw rows as (well, cell text) pairs: the cells under a 1..12
    column header, in rows labelled A, B, ... (a row with an empty label continues the one
    above, as in Gen5) or, without labels, counted from A (SoftMax)."""
    for i, row in enumerate(rows):
        starts = _header_starts(row)
        if not starts:
            continue
        body = []
        for below in rows[i + 1:]:
            if not any(c.strip() for c in below) or _header_starts(below):
                break
            body.append(below)
        label_at = starts[0] - 1
        labels = [r[label_at].strip() if 0 <= label_at < len(r) else "" for r in body]
        lettered = any(label in ROW_LETTERS for label in labels if label)
        cells, letter = [], None
        for n, (below, label) in enumerate(zip(body, labels)):
            filled = [c.strip() for c in below if c.strip()]
            if filled and filled[-1].startswith("[") and filled[-1].endswith("]"):
                continue  # a row of the software's calculated values (Gen5 '[Concentration]'), not signals
            if lettered:
                if label and label not in ROW_LETTERS:
                    break
                letter = label or letter
            else:
                letter = ROW_LETTERS[n] if n < len(ROW_LETTERS) else None
            if letter is None:
                continue
            cells += [(f"{letter}{k + 1}", below[s + k] if s + k < len(below) else "")
                      for s in starts for k in range(12)]
        yield cells


def _well_rows(rows: list[list[str]]) -> Iterator[tuple[str, str]]:
    """(well, cell text) for list layouts: the other cells of a row that names one well."""
    for row in rows:
        named = {_canonical_well(c) for c in row if WELL.fullmatch(c.strip())}
        if len(named) == 1:
            well = named.pop()
            yield from ((well, c) for c in row if c.strip() and not WELL.fullmatch(c.strip()))


def _check_decimal_marks(path, rows: list[list[str]]) -> None:
    """Refuse numbers written with a decimal comma or thousands separator."""
    cells = [c for grid in _grids(rows) for c in grid] + list(_well_rows(rows))
    problems = [Problem(display_name(path), f"{text.strip()!r} has a comma in a number (a decimal comma or a "
                                            f"thousands separator, which allotropy misreads): {DECIMAL_MARK_ADVICE}",
                        well=well)
                for well, text in cells if COMMA_NUMBER.fullmatch(text.strip())]
    if problems:
        raise InputError(list({p.well: p for p in problems}.values()))


def _check_text_in_grids(path, vendor: str, rows: list[list[str]], exc: Exception) -> None:
    """After allotropy failed: name the wells of number grids that hold text instead of a number."""
    problems = []
    for grid in _grids(rows):
        filled = [(well, text.strip()) for well, text in grid if text.strip()]
        numbers = sum(_as_number(text) is not None for _, text in filled)
        if numbers * 2 > len(filled):  # a grid of numbers, not a plate map of names
            problems += [Problem(display_name(path), f"{text!r} is not a number (allotropy reads no reader error "
                                                     f"codes in {_ALLOTROPY[vendor][1]} exports)", well=well)
                         for well, text in filled if _as_number(text) is None]
    if problems:
        raise InputError(problems) from exc
