"""Plate-reader endpoint exports as each vendor's software writes them, for tests and the
cohort generator. `helpers.instruments.read_export` reads every file written here.

A plate is a `PlateSpec`: its name, read mode, read time and, per read (wavelength), an
8 x 12 grid of cell texts as the reader prints them: a formatted number, an error code
such as 'Range?', or '' for a well that was not read. `write_export` writes one file in a
vendor's layout, encoding and line endings; the output depends only on the inputs.

What each writer can hold (limits of the format as allotropy 0.1.134 reads it):

- softmax (.txt, UTF-16 with BOM, CRLF): several plates, several wavelengths per plate,
  absorbance / fluorescence / luminescence, and a Group section with the software's
  concentrations.
- gen5 (.txt, Latin-1, CRLF): one plate; absorbance (one or more wavelengths) or
  luminescence; a '[Concentration]' row per plate row for the software's concentrations.
- magellan (.xlsx): one plate, absorbance only, one or more wavelengths.
- mars (.csv, Latin-1, CRLF): one plate, one read, absorbance or luminescence.
- smart_control (.xlsx): one plate, one read, fluorescence only (allotropy reads no other mode).
- envision (.csv, Latin-1, CRLF): one plate, one read, absorbance or luminescence.
- kaleido (.csv, UTF-8, CRLF): one plate, one read, absorbance or luminescence.
- skanit (.xlsx): one plate, absorbance (one or more wavelengths) or luminescence; allotropy
  only recognises plate names of the form 'Plate 3' or 'IL6 plate 3'.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROWS = "ABCDEFGH"
COLUMNS = range(1, 13)
READ_MODES = ("absorbance", "fluorescence", "luminescence")
EXTENSIONS = {"softmax": ".txt", "gen5": ".txt", "magellan": ".xlsx", "mars": ".csv",
              "smart_control": ".xlsx", "envision": ".csv", "kaleido": ".csv", "skanit": ".xlsx"}
TEXT_DEFAULTS = {"softmax": ("utf-16", "\r\n"), "gen5": ("latin-1", "\r\n"), "mars": ("latin-1", "\r\n"),
                 "envision": ("latin-1", "\r\n"), "kaleido": ("utf-8", "\r\n")}
XLSX_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed times in a workbook, so the same inputs give the same bytes
XLSX_DOCUMENT_TIME = b"2000-01-01T00:00:00Z"

Grid = Sequence[Sequence[str]]


@dataclass(frozen=True)
class PlateSpec:
    """One plate as the reader exports it. `wavelengths` and `grids` run in parallel, one
    entry per read; for fluorescence the wavelength is the emission one, for unfiltered
    luminescence use 0. `concentrations` is an optional 8 x 12 grid of the reader
    software's own concentration texts ('' where there is none)."""

    name: str
    read_mode: str
    read_at: dt.datetime
    wavelengths: tuple[int, ...]
    grids: tuple[Grid, ...]
    concentrations: Grid | None = None
    excitation_nm: int | None = None

    def __post_init__(self):
        if self.read_mode not in READ_MODES:
            raise ValueError(f"read_mode must be one of {READ_MODES}, not {self.read_mode!r}")
        if not self.grids or len(self.grids) != len(self.wavelengths):
            raise ValueError("give one grid per wavelength")
        for grid in (*self.grids, *([self.concentrations] if self.concentrations else [])):
            if len(grid) != 8 or any(len(row) != 12 for row in grid):
                raise ValueError("every grid is 8 rows of 12 cell texts")
        if self.read_mode == "fluorescence" and self.excitation_nm is None:
            raise ValueError("a fluorescence read needs excitation_nm")


def write_export(path, vendor: str, plates: list[PlateSpec], encoding: str | None = None,
                 newline: str | None = None) -> Path:
    """Write `plates` as `vendor` software exports them. `encoding` and `newline` override
    a text format's defaults (TEXT_DEFAULTS); spreadsheet formats take neither. Returns the path."""
    path = Path(path)
    if vendor not in EXTENSIONS:
        raise ValueError(f"unknown vendor {vendor!r}; known: {', '.join(EXTENSIONS)}")
    if path.suffix.lower() != EXTENSIONS[vendor]:
        raise ValueError(f"{vendor} exports are {EXTENSIONS[vendor]} files, not {path.name}")
    if not plates:
        raise ValueError("no plates to write")
    if vendor != "softmax" and len(plates) > 1:
        raise ValueError(f"the {vendor} writer holds one plate per file")
    if any(p.concentrations is not None for p in plates) and vendor not in ("softmax", "gen5"):
        raise ValueError("only the softmax and gen5 formats carry the software's concentrations")
    if vendor in TEXT_DEFAULTS:
        default_encoding, default_newline = TEXT_DEFAULTS[vendor]
        lines = _TEXT_WRITERS[vendor](plates)
        text = (newline or default_newline).join(lines) + (newline or default_newline)
        path.write_bytes(text.encode(encoding or default_encoding))
    else:
        if encoding or newline:
            raise ValueError(f"{vendor} exports are spreadsheets: no encoding or newline to choose")
        path.write_bytes(_xlsx_bytes(_SHEET_WRITERS[vendor](plates[0])))
    return path


# ---------------------------------------------------------------- shared pieces
def _us_date(t: dt.datetime) -> str:
    """'3/5/1998', as US-English Windows software prints a date."""
    return f"{t.month}/{t.day}/{t.year}"


def _us_clock(t: dt.datetime) -> str:
    """'2:07:09 PM'."""
    return f"{int(t.strftime('%I'))}:{t:%M:%S %p}"


def _us_time(t: dt.datetime) -> str:
    return f"{_us_date(t)} {_us_clock(t)}"


def _one_read(plate: PlateSpec, vendor: str, modes=("absorbance", "luminescence")) -> Grid:
    if plate.read_mode not in modes:
        raise ValueError(f"the {vendor} writer writes {' or '.join(modes)} reads, not {plate.read_mode}")
    if len(plate.grids) != 1:
        raise ValueError(f"the {vendor} writer holds one read per plate")
    return plate.grids[0]


def _csv_row(cells) -> str:
    """One CSV line; a cell holding a comma or a quote is quoted, as spreadsheet software does."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _number_or_text(cell: str):
    """A spreadsheet cell: a number where the text is a finite one, else the text (None when empty)."""
    if cell == "":
        return None
    try:
        number = float(cell)
    except ValueError:
        return cell
    return number if math.isfinite(number) else cell  # a spreadsheet has no infinite numbers


def _xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx workbook with one sheet per entry (rows of cell values), made byte-for-byte
    reproducible: fixed document times and fixed zip entry times."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":  # openpyxl stamps the time of saving here
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + XLSX_DOCUMENT_TIME, data)
            dst.writestr(zipfile.ZipInfo(item.filename, XLSX_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ---------------------------------------------------------------- SoftMax Pro
def _softmax(plates: list[PlateSpec]) -> list[str]:
    """'##BLOCKS= N', one Plate block per plate (wavelengths side by side, separated by an
    empty column), an optional Group block of concentrations, then the save stamp."""
    names = [p.name for p in plates]
    if len(set(names)) != len(names):
        raise ValueError("SoftMax plate names must differ within a file")
    with_conc = [p for p in plates if p.concentrations is not None]
    lines = [f"##BLOCKS= {len(plates) + bool(with_conc)}"]
    for plate in plates:
        lines += _softmax_plate_block(plate)
    if with_conc:
        lines += _softmax_group_block(with_conc)
    saved = max(p.read_at for p in plates)
    lines.append(f"Original Filename: {plates[0].name}; Date Last Saved: {_us_time(saved)}")
    return lines


def _softmax_plate_block(plate: PlateSpec) -> list[str]:
    n = len(plate.wavelengths)
    waves = " ".join(str(w) for w in plate.wavelengths) + " "
    start = ["Plate:", plate.name, "1.3", "PlateFormat", "Endpoint", plate.read_mode.title()]
    if plate.read_mode == "absorbance":
        header = start + ["Raw", "FALSE", "1", "", "", "", "", "", str(n), waves, "1", "12", "96", "1", "8"]
    elif plate.read_mode == "fluorescence":
        excitation = " ".join(str(plate.excitation_nm) for _ in plate.wavelengths) + " "
        header = start + ["FALSE", "Raw", "FALSE", "1", "", "", "", "", "", str(n), waves, "1", "12", "96",
                          excitation, "Manual", "", "", "", "6", "Medium", "", "", "1", "8"]
    else:
        header = start + ["Raw", "FALSE", "1", "", "", "", "", "", str(n), waves, "1", "12", "96",
                          "", "", "", "", "", "1", "", "", "", "1", "8"]
    numbers = "\t".join(str(c) for c in COLUMNS)
    lines = ["\t".join(header), "\tTemperature(\u00b0C)\t" + "\t\t".join([numbers] * n) + "\t\t"]
    for i in range(8):
        cells = "\t\t".join("\t".join(grid[i]) for grid in plate.grids)
        lines.append(("\t23.1\t" if i == 0 else "\t\t") + cells + "\t\t")
    return lines + ["", "~End"]


def _softmax_group_block(plates: list[PlateSpec]) -> list[str]:
    lines = ["Group: Concentrations", "Sample\tWell\tConcentration\tWellPlateName"]
    for plate in plates:
        for r, row in zip(ROWS, plate.concentrations):
            for c, value in zip(COLUMNS, row):
                if value != "":
                    lines.append(f"{r}{c}\t{r}{c}\t{value}\t{plate.name}")
    return lines + ["", "Group Column\tFormula Name\tFormula\tPrecision\tNotation",
                    "1\tSample\t!SampleNames\t\tText",
                    "2\tWell\t!WellIDs\t\tText",
                    "3\tConcentration\tInterpX(Standard Curve@Standard Curve,!WellValues)\t3 decimal places\tNumeric",
                    "4\tWellPlateName\t!WellPlateName\t\tText", "", "~End"]


# ---------------------------------------------------------------- Gen5
def _gen5(plates: list[PlateSpec]) -> list[str]:
    """Header, Procedure Details, then a Results table: per plate row one line per
    wavelength (labelled with it) and, when given, a '[Concentration]' line."""
    plate = plates[0]
    if plate.read_mode == "absorbance":
        labels = [str(w) for w in plate.wavelengths]
        procedure = ["Read\tAbsorbance Endpoint", "\tFull Plate",
                     "\tWavelengths:  " + ", ".join(labels),
                     "\tRead Speed: Normal,  Delay: 50 msec,  Measurements/Data Point: 8"]
    else:
        _one_read(plate, "gen5")
        labels = ["Lum"]
        procedure = ["Read\tLuminescence Endpoint", "\tFull Plate",
                     "\tIntegration Time: 0:01.00 (MM:SS.ss)", "\tFilter Set 1",
                     "\t    Emission: Full light", "\t    Optics: Top,  Gain: 135",
                     "\tRead Speed: Normal,  Delay: 100 msec", "\tRead Height: 1 mm"]
    t = plate.read_at
    lines = ["", "", "Software Version\t3.11.19", "", "", "",
             "Experiment File Path:\tC:\\Users\\Public\\Documents\\Experiments\\IL6 ELISA.xpt",
             "Protocol File Path:\tC:\\Users\\Public\\Documents\\Protocols\\IL6 ELISA.prt", "", "", "",
             f"Plate Number\t{plate.name}", f"Date\t{_us_date(t)}", f"Time\t{_us_clock(t)}",
             "Reader Type:\tSynergy HTX",
             "Reader Serial Number:\t1904112", "Reading Type\tReader", "",
             "Procedure Details", "", "Plate Type\t96 WELL PLATE", "Eject plate on completion\t",
             *procedure, "", "Results", "\t" + "\t".join(str(c) for c in COLUMNS)]
    for i, r in enumerate(ROWS):
        for k, (label, grid) in enumerate(zip(labels, plate.grids)):
            lines.append(f"{r if k == 0 else ''}\t" + "\t".join(grid[i]) + f"\t{label}")
        if plate.concentrations is not None:
            lines.append("\t" + "\t".join(plate.concentrations[i]) + "\t[Concentration]")
    return lines + [""]


# ---------------------------------------------------------------- BMG MARS
def _mars(plates: list[PlateSpec]) -> list[str]:
    """Key: value header lines, the read mode, 'Raw Data (<filter>)' and a CSV plate grid."""
    plate = plates[0]
    grid = _one_read(plate, "mars")
    mode, filters = ("Absorbance", f"{plate.wavelengths[0]}") if plate.read_mode == "absorbance" \
        else ("Luminescence", "No filter")
    t = plate.read_at
    lines = ["User: USER,Path: C:\\Program Files (x86)\\BMG\\CLARIOstar\\User\\Data,Test run no.: 118",
             f"Test name: IL6 ELISA,Date: {_us_date(t)},Time: {_us_clock(t)}",
             "", f"ID1: {plate.name}", mode, "", f"Raw Data ({filters})", "",
             "," + ",".join(str(c) for c in COLUMNS)]
    lines += [_csv_row([r, *row]) for r, row in zip(ROWS, grid)]
    return lines


# ---------------------------------------------------------------- PerkinElmer EnVision
def _envision(plates: list[PlateSpec]) -> list[str]:
    """Plate information, background information and the result grid, then the assay,
    plate type, plate map, label, filter and instrument sections EnVision appends."""
    plate = plates[0]
    grid = _one_read(plate, "envision")
    if plate.read_mode == "absorbance":
        label, detector = f"A{plate.wavelengths[0]}", "De=1st Ex=Top Em=N/A Wdw=N/A (8)"
    else:
        label, detector = "US LUM 96", "De=USLum Ex=N/A Em=N/A Wdw=N/A (12)"
    stamp = _us_time(plate.read_at)
    lines = ["Plate information",
             "Plate,Repeat,Barcode,Measured height,Chamber temperature at start,Group,Label,ScanX,ScanY,"
             "Measinfo,Kinetics,Measurement date,",
             f'1,1,="{plate.name}",10.00,22.80,1,{label}(1),0,0,{detector},0,{stamp},', "",
             "Background information", "Plate,Label,Result,Signal,Flashes/Time,Meastime,MeasInfo,",
             f"1,{label},0,0,100,00:00:00.000,{detector},", "",
             f"Results for {label}(1)", "," + ",".join(f"{c:02d}" for c in COLUMNS) + ","]
    lines += [_csv_row([r, *row, ""]) for r, row in zip(ROWS, grid)]
    lines += ["", "", "Basic assay information", "Assay ID: ,,,,17", f"Assay Started: ,,,,{stamp}",
              "Protocol ID: ,,,,1042", "Protocol Name: ,,,,IL6 ELISA", "", "Plate type:",
              "Name of the plate type,,,,96 General", "Number of rows,,,,8", "Number of columns,,,,12",
              "Number of the wells in the plate,,,,96", "", "Platemap:", "Plate,,,,1", "Group,,,,1", "",
              "," + ",".join(f"{c:02d}" for c in COLUMNS) + ","]
    lines += [f"{r}," + ",".join(["- "] * 12) for r in ROWS]
    lines += ["", " - - Undefined", "", "Calculations:", "No calculations.", "", "Labels:",
              f"{label},,,,2000010"]
    if plate.read_mode == "absorbance":
        filter_name = f"Photometric {plate.wavelengths[0]}"
        lines += [f"Exc. filter,,,,{filter_name}", "Number of flashes,,,,100", "", "Filters:",
                  f"{filter_name},,,,102", "Filter type,,,,Excitation",
                  f"Description,,,,CWL={plate.wavelengths[0]}nm BW=10nm Tmin=50%", ""]
    else:
        lines += ["Measurement height,,,,0 mm", "Measurement time,,,,0.1 s", ""]
    return lines + ["Instrument:", "Serial number,,,,1040277", "Nickname,,,,EnVision", "", "",
                    "Exported with EnVision Workstation version 1.13.3009.1409"]


# ---------------------------------------------------------------- Revvity Kaleido
def _kaleido(plates: list[PlateSpec]) -> list[str]:
    """A Kaleido 3.x CSV export: result grid with its barcode, measurement information,
    plate map, measurement details and the closing 'Exported with Kaleido' line."""
    plate = plates[0]
    grid = _one_read(plate, "kaleido")
    stamp = f"{_us_date(plate.read_at)} {plate.read_at:%H:%M}"
    if plate.read_mode == "absorbance":
        operation = "Absorbance 1"
        details = ["Measurement Mode,,,Single", f"Excitation Wavelength [nm],,,{plate.wavelengths[0]}",
                   "Number of Flashes,,,10"]
    else:
        operation = "Luminescence 1"
        details = ["Measurement Mode,,,Single", "Distance between Plate and Detector [mm],,,0.1",
                   "Measurement Time [s],,,0.5"]
    lines = ["EnSight Results from", "Protocol Name,IL6 ELISA", f"Measurement Date,{stamp}", "",
             f"Result for {operation}", "Barcode,Repeat,Loop no", f"{plate.name},1,", "",
             "," + ",".join(str(c) for c in COLUMNS)]
    lines += [_csv_row([r, *row]) for r, row in zip(ROWS, grid)]
    lines += ["", "Measurement Information", f"Measurement Started,,{stamp}", f"Measurement Finished,,{stamp}",
              "Measurement Signature,,3f2a9c4e-1b7d-4e0a-9c55-0d6b8e2f7a11", f"Barcode,,{plate.name}", "",
              "Instrument Information", "Instrument Serial Number,,2840117", "Software Version,,Kaleido 3.5", "",
              "Protocol Information", "Protocol Name,,IL6 ELISA",
              "Protocol Signature,,8d04e7b2-55c1-4a3f-b0e9-6a1c2d9f3e40", "",
              "Plate Type Information", "Plate Type Name,,96 General", "Number of Rows,,8",
              "Number of Columns,,12", "", "Platemap", "," + ",".join(str(c) for c in COLUMNS)]
    lines += [f"{r}," + ",".join(["-"] * 12) for r in ROWS]
    return lines + ["", "Measurement Sequence", operation, "", "Details of Measurement Sequence", "",
                    f"Operation,,,{operation}", *details, "", "Post Processing Sequence", "",
                    "Exported with Kaleido 3.5.3082.227"]


_TEXT_WRITERS = {"softmax": _softmax, "gen5": _gen5, "mars": _mars, "envision": _envision, "kaleido": _kaleido}


# ---------------------------------------------------------------- Tecan Magellan
def _magellan(plate: PlateSpec) -> dict[str, list[list]]:
    """One sheet: a table of well, one column per wavelength and the plate, then the
    measurement parameters Magellan lists below it."""
    if plate.read_mode != "absorbance":
        raise ValueError("the magellan writer writes absorbance reads (allotropy reads no other Magellan mode)")
    labels = ["Raw data"] if len(plate.grids) == 1 else [f"Label{i + 1}" for i in range(len(plate.grids))]
    rows = [["Well positions", *labels, "Plate"]]
    for i, r in enumerate(ROWS):
        for c in COLUMNS:
            cells = [grid[i][c - 1] for grid in plate.grids]
            if any(cells):
                rows.append([f"{r}{c}", *(_number_or_text(cell) for cell in cells), plate.name])
    t = plate.read_at
    rows += [[f"Date of measurement: {t:%Y-%m-%d}/Time of measurement: {t:%H:%M:%S}"],
             ["IL6 ELISA.mth"], ["C:\\Users\\Public\\Documents\\Tecan\\Magellan\\mth\\IL6 ELISA.mth"],
             [f"{t:%d%m%Y}-001.wsp"], [f"C:\\Users\\Public\\Documents\\Tecan\\Magellan\\wsp\\{t:%d%m%Y}-001.wsp"],
             *[[f"{w}nm"] for w in plate.wavelengths], ["Lab user"], ["SUNRISE"],
             ["Instrument serial number: 709000412"]]
    for i, wavelength in enumerate(plate.wavelengths):
        if len(labels) > 1:
            rows.append([f"Measurement {i + 1}:"])
        rows += [["Measurement mode: Absorbance"], [f"Measurement wavelength: {wavelength} nm"],
                 ["Number of flashes: 10"], ["Plate definition file: GRE96ft.pdf"], ["Unit: OD"]]
    rows += [[f"Meas. temperature: {label}: 22.6 \u00b0C"] for label in labels]
    rows.append([f"Date: {t:%Y-%m-%d}, Time: {t:%H:%M:%S}"])
    return {"Magellan Sheet 1": rows}


# ---------------------------------------------------------------- BMG SMART Control
def _smart_control(plate: PlateSpec) -> dict[str, list[list]]:
    """Three sheets: the plate view, the table view (one column per well) and the protocol."""
    grid = _one_read(plate, "smart_control", ("fluorescence",))
    excitation, emission = f"{plate.excitation_nm}-10", f"{plate.wavelengths[0]}-20"
    raw_label = f"Raw Data ({excitation}/{emission})"
    t = plate.read_at
    header = [["User: USER"], ["Path: C:\\Program Files (x86)\\BMG\\SMART Control\\User\\Data"],
              ["Test ID: 31"], ["Test Name: IL6 ELISA"], [f"Date: {_us_date(t)}"], [f"Time: {_us_clock(t)}"],
              [f"ID1: {plate.name}"], [f"ID3: {plate.name}"], ["Fluorescence (FI)"], []]
    columns = [None, *(float(c) for c in COLUMNS), None, "Plate: 96 well plate"]
    microplate = header + [[None, f"1. {raw_label}"], columns]
    microplate += [[r, *(_number_or_text(cell) for cell in row)] for r, row in zip(ROWS, grid)]
    wells = [(f"{r}{c:02d}", grid[i][c - 1]) for i, r in enumerate(ROWS) for c in COLUMNS if grid[i][c - 1]]
    table = header + [["Well", *(w for w, _ in wells)], ["Content", *(f"Sample X{n + 1}" for n in range(len(wells)))],
                      [f" {raw_label}", *(_number_or_text(v) for _, v in wells)]]
    protocol = header + [[" Basic settings "], ["Measurement type:", "Fluorescence (FI)"],
                         ["Microplate name:", "GREINER 96"], [], [" Optic settings "],
                         ["Excitation:", excitation], ["Emission:", emission], ["Gain obtained by:", "manual"],
                         ["Focal height  [mm]:", 8.0], [], [" General settings "], ["Top optic used"],
                         ["Settling time [s]:", 0.1]]
    return {"Microplate End point": microplate, "Table End point": table, "Protocol Information": protocol}


# ---------------------------------------------------------------- Thermo SkanIt
def _skanit(plate: PlateSpec) -> dict[str, list[list]]:
    """One results sheet: per wavelength the plate name and its grid ('Abs' or 'RLU' in the
    corner), then the session and instrument sheets."""
    if not re.fullmatch(r"(?:\w+\s+)?plate(?:\s+\d+)?", plate.name, re.IGNORECASE):
        raise ValueError(f"SkanIt plate names read by allotropy look like 'Plate 3', not {plate.name!r}")
    if plate.read_mode == "fluorescence":
        raise ValueError("the skanit writer writes absorbance or luminescence reads")
    if plate.read_mode == "luminescence":
        _one_read(plate, "skanit")
    title, corner = ("Absorbance 1", "Abs") if plate.read_mode == "absorbance" else ("Luminescence 1", "RLU")
    stamp = _us_time(plate.read_at)
    rows = [["Measurement results"], ["IL6 ELISA.skax"], [stamp], [" "], [title]]
    for wavelength, grid in zip(plate.wavelengths, plate.grids):
        rows += [[f"Wavelength: {wavelength} nm"], [" "], [plate.name], [" "], [corner, *(float(c) for c in COLUMNS)]]
        rows += [[r, *(_number_or_text(cell) for cell in row)] for r, row in zip(ROWS, grid)]
    session = [["Session information"], [], [None, "Session name", None, None, "IL6 ELISA.skax"],
               [None, "Execution time", None, None, stamp]]
    instrument = [["Instrument information"], [], [None, "Name", None, None, "Multiskan SkyHigh"],
                  [None, "Serial number", None, None, "1530-80117"]]
    general = [["General information"], [],
               [None, "Report generated with SW version", None, None, "SkanIt Software 7.0.2 RE, ver. 7.0.2.5"]]
    return {f"{title}_01": rows, "General information": general, "Session information": session,
            "Instrument information": instrument}


_SHEET_WRITERS = {"magellan": _magellan, "smart_control": _smart_control, "skanit": _skanit}
