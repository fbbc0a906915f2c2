"""Tests of helpers.instruments (reading plate-reader exports through allotropy) and
helpers.instrument_writers (writing them): each vendor's file read back to exactly what was
written, one plate in two formats giving the same concentrations, encodings and line
endings, several plates with a wavelength correction, the software's calculated values,
and the errors for bad cells and unreadable files."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers import assay, instruments
from helpers.errors import InputError
from helpers.instrument_writers import EXTENSIONS, PlateSpec, write_export

READ_AT = dt.datetime(1998, 3, 5, 14, 7, 9)
ROWS = "ABCDEFGH"
WELLS = [f"{r}{c}" for r in ROWS for c in range(1, 13)]
MODES = {"softmax": ("absorbance", "fluorescence", "luminescence"), "gen5": ("absorbance", "luminescence"),
         "magellan": ("absorbance",), "mars": ("absorbance", "luminescence"), "smart_control": ("fluorescence",),
         "envision": ("absorbance", "luminescence"), "kaleido": ("absorbance", "luminescence"),
         "skanit": ("absorbance", "luminescence")}
VENDOR_MODES = [(vendor, mode) for vendor, modes in MODES.items() for mode in modes]
WAVELENGTH = {"absorbance": 450, "fluorescence": 520, "luminescence": 0}
EXCITATION_NM = 485
PLATE_NAME = {"skanit": "Plate 4"}  # allotropy finds SkanIt plates only by names like this
ANALYTE = "IL-6"


def plate_name(vendor: str) -> str:
    return PLATE_NAME.get(vendor, "IL6-P04")


def spec(vendor, mode, grid, name=None, concentrations=None) -> PlateSpec:
    return PlateSpec(name or plate_name(vendor), mode, READ_AT, (WAVELENGTH[mode],), (grid,), concentrations,
                     EXCITATION_NM if mode == "fluorescence" else None)


def write(tmp_path, vendor, plates, stem="plate", **options):
    return write_export(tmp_path / f"{stem}{EXTENSIONS[vendor]}", vendor, plates, **options)


def number_grid(mode, seed=0) -> list[list[str]]:
    """8 x 12 cell texts as readers print them: OD with 4 decimals, light units as integers."""
    rng = np.random.default_rng(seed)
    if mode == "absorbance":
        return [[f"{v:.4f}" for v in rng.uniform(0.04, 3.2, 12)] for _ in ROWS]
    return [[f"{v:.0f}" for v in rng.uniform(900, 2.5e6, 12)] for _ in ROWS]


def by_well(grid) -> dict[str, str]:
    return {f"{r}{c + 1}": grid[i][c] for i, r in enumerate(ROWS) for c in range(12)}


def read_error_of(path, vendor) -> InputError:
    with pytest.raises(InputError) as excinfo:
        instruments.read_export(path, vendor)
    return excinfo.value


# --- every vendor: written, parsed by allotropy, read back ---------------------------------


@pytest.mark.parametrize("vendor, mode", VENDOR_MODES)
def test_round_trip_with_error_codes_and_unread_wells(tmp_path, vendor, mode):
    grid = number_grid(mode)
    for row in range(4, 8):  # a partially read plate: E12-H12 were not read
        grid[row][11] = ""
    codes = instruments.ERROR_CODES[vendor]
    for k, code in enumerate(codes):  # each of the vendor's error codes, in row B
        grid[1][k] = code
    reads = instruments.read_export(write(tmp_path, vendor, [spec(vendor, mode, grid)]), vendor)

    assert len(reads) == 1
    read = reads[0]
    assert (read.plate, read.read_mode) == (plate_name(vendor), mode)
    expected_wavelength = None if mode == "luminescence" or (vendor, mode) == ("envision", "absorbance") \
        else float(WAVELENGTH[mode])
    assert read.wavelength_nm == expected_wavelength
    read_at = dt.datetime.fromisoformat(read.read_at).replace(tzinfo=None)
    assert read_at == (READ_AT.replace(second=0) if vendor == "kaleido" else READ_AT)  # Kaleido prints minutes

    cells = {well: text for well, text in by_well(grid).items() if text}
    assert read.wells["well"].tolist() == [w for w in WELLS if w in cells]
    got = read.wells.set_index("well")
    numbers = {w: float(t) for w, t in cells.items() if t not in codes}
    assert got.loc[list(numbers), "signal"].tolist() == list(numbers.values())
    assert (got.loc[list(numbers), "read_error"] == "").all()
    for k, code in enumerate(codes):
        assert got.loc[f"B{k + 1}", "read_error"] == code
        assert np.isnan(got.loc[f"B{k + 1}", "signal"])
    assert read.calculated is None


# --- the same plate in two formats gives the same concentrations --------------------------

STANDARD_PG_ML = [1000 / 2 ** k for k in range(8)]
SAMPLE_PG_ML = {"S01": 40.0, "S02": 120.0, "S03": 300.0, "S04": 700.0,
                "S05": 25.0, "S06": 60.0, "S07": 220.0, "S08": 500.0}
SAMPLE_DILUTION = 2.0
CURVES = {"absorbance": (0.05, 1.1, 200.0, 3.0), "light": (800.0, 1.1, 200.0, 2.5e6)}


def layout() -> pd.DataFrame:
    """Standards in duplicate in columns 1-2, blanks A3-B3, the control C3-D3, samples in
    duplicate in columns 4-5 at 1:2; the rest of the plate is empty."""
    rows = [{"well": f"{r}{c}", "role": "standard", "nominal_pg_ml": STANDARD_PG_ML[i]}
            for i, r in enumerate(ROWS) for c in (1, 2)]
    rows += [{"well": w, "role": "blank"} for w in ("A3", "B3")]
    rows += [{"well": w, "role": "control", "nominal_pg_ml": 50.0} for w in ("C3", "D3")]
    rows += [{"well": f"{r}{c}", "role": "sample", "sample_id": sid, "dilution": SAMPLE_DILUTION}
             for r, sid in zip(ROWS, SAMPLE_PG_ML) for c in (4, 5)]
    table = pd.DataFrame(rows, columns=["well", "role", "nominal_pg_ml", "sample_id", "dilution"])
    table.loc[table["role"] != "sample", "dilution"] = 1.0
    return table


def signal_grid(plate_layout: pd.DataFrame, mode: str) -> list[list[str]]:
    """Cell texts from a rising 4PL of each well's in-well concentration (0 for blanks and empty wells)."""
    conc = dict.fromkeys(WELLS, 0.0)
    for rec in plate_layout.to_dict("records"):
        if rec["role"] in ("standard", "control"):
            conc[rec["well"]] = rec["nominal_pg_ml"]
        elif rec["role"] == "sample":
            conc[rec["well"]] = SAMPLE_PG_ML[rec["sample_id"]] / rec["dilution"]
    a, b, c, d = CURVES["absorbance" if mode == "absorbance" else "light"]
    fmt = "{:.4f}" if mode == "absorbance" else "{:.0f}"
    return [[fmt.format(assay.four_pl(conc[f"{r}{k}"], a, b, c, d)) for k in range(1, 13)] for r in ROWS]


def wells_table(read, plate_layout: pd.DataFrame) -> pd.DataFrame:
    """The per-well table helpers.assay.clean takes: the read joined with the layout."""
    wells = read.wells.merge(plate_layout, on="well", how="left")
    wells["role"] = wells["role"].fillna("empty")
    wells.insert(0, "analyte", ANALYTE)
    wells.insert(0, "plate_id", "IL6-P04")
    return wells[["plate_id", "analyte", "well", "role", "signal", "read_error",
                  "nominal_pg_ml", "sample_id", "dilution"]]


@pytest.mark.parametrize("vendor", list(MODES))
def test_same_plate_in_two_formats_gives_the_same_concentrations(tmp_path, vendor):
    mode = MODES[vendor][0]
    plate_layout = layout()
    grid = signal_grid(plate_layout, mode)
    results = []
    for fmt in (vendor, "softmax"):
        path = write(tmp_path, fmt, [spec(fmt, mode, grid)], stem=f"as_{fmt}")
        read = instruments.select_read(instruments.read_export(path, fmt), path)
        results.append(assay.clean(wells_table(read, plate_layout)).concentrations)
    pd.testing.assert_frame_equal(results[0], results[1])
    conc = results[0].set_index("sample_id")
    assert (conc["status"] == "quantified").all()
    truth = pd.Series(SAMPLE_PG_ML)
    np.testing.assert_allclose(conc.loc[truth.index, "conc_pg_ml"], truth, rtol=0.02)


# --- encodings and line endings -----------------------------------------------------------

ACCENTED_NAME = "IL6 s\u00e9rum 1"  # a non-ASCII character to show the decoding


@pytest.mark.parametrize("vendor, encoding, newline", [
    *[("softmax", enc, nl) for enc in ("utf-16", "utf-8-sig", "utf-8", "latin-1") for nl in ("\r\n", "\n")],
    *[(vendor, "utf-8-sig", "\n") for vendor in ("gen5", "mars", "envision", "kaleido")],
])
def test_encodings_and_line_endings(tmp_path, vendor, encoding, newline):
    grid = number_grid("absorbance", seed=3)
    path = write(tmp_path, vendor, [spec(vendor, "absorbance", grid, name=ACCENTED_NAME)],
                 encoding=encoding, newline=newline)
    assert ("\r\n" in path.read_bytes().decode(encoding)) == (newline == "\r\n")
    (read,) = instruments.read_export(path, vendor)
    assert read.plate == ACCENTED_NAME
    assert read.wells["signal"].tolist() == [float(by_well(grid)[w]) for w in WELLS]


def test_default_encodings_and_line_endings(tmp_path):
    softmax = write(tmp_path, "softmax", [spec("softmax", "absorbance", number_grid("absorbance"))]).read_bytes()
    assert softmax.startswith(b"\xff\xfe") and "\r\n".encode("utf-16-le") in softmax
    gen5 = write(tmp_path, "gen5", [spec("gen5", "absorbance", number_grid("absorbance"), name=ACCENTED_NAME)])
    assert "s\u00e9rum".encode("latin-1") in gen5.read_bytes()


# --- several plates and wavelengths in one SoftMax file -----------------------------------


@pytest.fixture(scope="module")
def two_plate_file(tmp_path_factory):
    """Plates P1 and P2, each read at 450 and 570 nm, with the software's concentrations.
    P2: B2 out of range at 450, C3 masked at 570, D4 read at 450 only, H12 not read."""
    grids = {"P1": [number_grid("absorbance", 1), number_grid("absorbance", 2)],
             "P2": [number_grid("absorbance", 3), number_grid("absorbance", 4)]}
    at450, at570 = grids["P2"]
    at450[1][1], at570[2][2], at570[3][3] = "Range?", "Masked", ""
    at450[7][11] = at570[7][11] = ""
    concentrations = {name: [[f"{(i * 12 + c) * 1.5:.3f}" for c in range(12)] for i in range(8)] for name in grids}
    concentrations["P2"][0][0] = "Range?"
    plates = [PlateSpec(name, "absorbance", READ_AT + dt.timedelta(minutes=5 * k), (450, 570), tuple(grids[name]),
                        concentrations[name]) for k, name in enumerate(grids)]
    path = write(tmp_path_factory.mktemp("two_plates"), "softmax", plates)
    return path, grids, concentrations, instruments.read_export(path, "softmax")


def test_several_plates_and_wavelengths_in_file_order(two_plate_file):
    path, grids, _, reads = two_plate_file
    assert [(r.plate, r.wavelength_nm) for r in reads] == [("P1", 450.0), ("P1", 570.0), ("P2", 450.0), ("P2", 570.0)]
    p1_570 = instruments.select_read(reads, path, plate="P1", read="570")
    assert p1_570.wells["signal"].tolist() == [float(by_well(grids["P1"][1])[w]) for w in WELLS]


def test_wavelength_correction(two_plate_file):
    path, grids, _, reads = two_plate_file
    corrected = instruments.select_read(reads, path, plate="P2", read="450-570").wells.set_index("well")
    at450, at570 = by_well(grids["P2"][0]), by_well(grids["P2"][1])
    assert "D4" not in corrected.index and "H12" not in corrected.index  # read at one wavelength or neither
    assert corrected.loc["B2", "read_error"] == "Range?" and np.isnan(corrected.loc["B2", "signal"])
    assert corrected.loc["C3", "read_error"] == "Masked" and np.isnan(corrected.loc["C3", "signal"])
    plain = [w for w in corrected.index if w not in ("B2", "C3")]
    assert corrected.loc[plain, "signal"].tolist() == [float(at450[w]) - float(at570[w]) for w in plain]
    assert (corrected.loc[plain, "read_error"] == "").all()


@pytest.mark.parametrize("vendor", ["gen5", "magellan", "skanit"])
def test_two_wavelengths_in_other_formats(tmp_path, vendor):
    at450, at570 = number_grid("absorbance", 5), number_grid("absorbance", 6)
    plate = PlateSpec(plate_name(vendor), "absorbance", READ_AT, (450, 570), (at450, at570))
    path = write(tmp_path, vendor, [plate])
    reads = instruments.read_export(path, vendor)
    assert [r.wavelength_nm for r in reads] == [450.0, 570.0]
    corrected = instruments.select_read(reads, path, read="450-570").wells
    assert corrected["signal"].tolist() == [float(by_well(at450)[w]) - float(by_well(at570)[w]) for w in WELLS]


def test_picking_a_plate_by_name(two_plate_file):
    path, _, _, reads = two_plate_file
    with pytest.raises(InputError, match=r"several plates \('P1', 'P2'\): name one") as excinfo:
        instruments.select_read(reads, path, read="450")
    assert str(path) in str(excinfo.value)
    with pytest.raises(InputError, match=r"no plate 'P9'; the file holds 'P1', 'P2'"):
        instruments.select_read(reads, path, plate="P9", read="450")
    assert instruments.select_read(reads, path, plate="P2", read="450").plate == "P2"


def test_read_choice_errors_list_the_reads(two_plate_file):
    path, _, _, reads = two_plate_file
    with pytest.raises(InputError, match="absorbance at 450 nm; plate P1, absorbance at 570 nm"):
        instruments.select_read(reads, path, plate="P1", read="absorbance")
    with pytest.raises(InputError, match="matches 0 reads"):
        instruments.select_read(reads, path, plate="P1", read="405")
    with pytest.raises(InputError, match="not a read mode"):
        instruments.select_read(reads, path, plate="P1", read="OD")


def test_softmax_group_concentrations_come_back_as_calculated(two_plate_file):
    _, _, concentrations, reads = two_plate_file
    for read in reads:
        calc = read.calculated.set_index("well")
        assert (calc["name"] == "Concentration").all()
        written = by_well(concentrations[read.plate])
        numbers = [w for w in WELLS if written[w] != "Range?"]
        assert calc.loc[numbers, "value"].tolist() == [float(written[w]) for w in numbers]
    p2 = reads[2].calculated.set_index("well")
    assert np.isnan(p2.loc["A1", "value"])  # the software wrote Range? instead of a concentration


def test_gen5_concentration_rows_come_back_as_calculated(tmp_path):
    concentrations = [[f"{(i * 12 + c) * 2.5:.3f}" for c in range(12)] for i in range(8)]
    concentrations[0][5], concentrations[6][6] = "", "<<<<<<<"
    path = write(tmp_path, "gen5", [spec("gen5", "absorbance", number_grid("absorbance"),
                                         concentrations=concentrations)])
    (read,) = instruments.read_export(path, "gen5")
    calc = read.calculated.set_index("well")
    assert (calc["name"] == "Concentration").all()
    written = by_well(concentrations)
    assert "A6" not in calc.index
    assert np.isnan(calc.loc["G7", "value"])
    numbers = [w for w in WELLS if written[w] not in ("", "<<<<<<<")]
    assert calc.loc[numbers, "value"].tolist() == [float(written[w]) for w in numbers]


# --- bad cells and unreadable files -------------------------------------------------------


def bad_cell_file(tmp_path, vendor, cells: dict[str, str]):
    mode = MODES[vendor][0]
    grid = number_grid(mode)
    for well, text in cells.items():
        grid[ROWS.index(well[0])][int(well[1:]) - 1] = text
    return write(tmp_path, vendor, [spec(vendor, mode, grid)])


@pytest.mark.parametrize("vendor", list(MODES))
def test_text_in_a_number_cell_names_file_and_well(tmp_path, vendor):
    path = bad_cell_file(tmp_path, vendor, {"B5": "see notes"})
    err = read_error_of(path, vendor)
    assert [(p.file, p.well) for p in err.problems] == [(str(path), "B5")]
    assert f"{path}:B5: 'see notes'" in str(err)


@pytest.mark.parametrize("vendor", list(MODES))
def test_infinite_value_names_file_and_well(tmp_path, vendor):
    err = read_error_of(bad_cell_file(tmp_path, vendor, {"G11": "inf"}), vendor)
    assert [p.well for p in err.problems] == ["G11"]
    assert "infinite" in str(err)


@pytest.mark.parametrize("vendor", list(MODES))
def test_decimal_comma_or_thousands_separator_names_file_and_well(tmp_path, vendor):
    path = bad_cell_file(tmp_path, vendor, {"B5": "0,532", "C6": "1,234"})
    err = read_error_of(path, vendor)
    assert [(p.file, p.well) for p in err.problems] == [(str(path), "B5"), (str(path), "C6")]
    assert "export with '.' as the decimal mark and no thousands separator" in str(err)


@pytest.mark.parametrize("vendor", list(MODES))
def test_garbage_file_names_file_and_vendor(tmp_path, vendor):
    path = tmp_path / f"garbage{EXTENSIONS[vendor]}"
    path.write_bytes(b"\x00\x17 not a plate \xff\xfe\n" * 20)
    message = str(read_error_of(path, vendor))
    assert str(path) in message and f"({vendor})" in message and "allotropy could not read" in message


def test_unknown_vendor_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="unknown plate reader software 'spectramax'"):
        instruments.read_export(tmp_path / "plate.txt", "spectramax")
    with pytest.raises(InputError, match="no such file"):
        instruments.read_export(tmp_path / "plate.txt", "softmax")


# --- the writers --------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", list(MODES))
def test_writers_are_deterministic(tmp_path, vendor):
    plate = spec(vendor, MODES[vendor][0], number_grid(MODES[vendor][0]))
    first = write(tmp_path, vendor, [plate], stem="first").read_bytes()
    assert write(tmp_path, vendor, [plate], stem="second").read_bytes() == first


def test_writer_refuses_what_the_format_cannot_hold(tmp_path):
    grid = number_grid("absorbance")
    with pytest.raises(ValueError, match="one plate per file"):
        write(tmp_path, "mars", [spec("mars", "absorbance", grid, name=n) for n in ("A", "B")])
    with pytest.raises(ValueError, match="fluorescence"):
        write(tmp_path, "smart_control", [spec("smart_control", "absorbance", grid)])
    with pytest.raises(ValueError, match="Plate 3"):
        write(tmp_path, "skanit", [spec("skanit", "absorbance", grid, name="IL6-P04")])
    with pytest.raises(ValueError, match=".txt files"):
        write_export(tmp_path / "plate.csv", "softmax", [spec("softmax", "absorbance", grid)])


def test_vendors_map_to_allotropy_vendors():
    assert {short: v.name for short, v in instruments.VENDORS.items()} == {
        "softmax": "MOLDEV_SOFTMAX_PRO", "gen5": "AGILENT_GEN5", "magellan": "TECAN_MAGELLAN", "mars": "BMG_MARS",
        "smart_control": "BMG_LABTECH_SMART_CONTROL", "envision": "PERKIN_ELMER_ENVISION",
        "kaleido": "REVVITY_KALEIDO", "skanit": "THERMO_SKANIT"}
