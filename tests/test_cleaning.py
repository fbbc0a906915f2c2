"""The cleaned hand-off (helpers.cleaning): tables written once with the hash of their inputs,
read back unchanged, cleaned again only when an input changes, and read without allotropy."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers import ROOT, assay, cleaning, plates
from helpers.cohort import load_cohort


@pytest.fixture(scope="module")
def cleaned(data_dir):
    return assay.clean(plates.load_plates(data_dir / "raw"))


@pytest.fixture
def data_copy(tmp_path, data_dir):
    shutil.copytree(data_dir / "raw", tmp_path / "data" / "raw")
    return tmp_path / "data"


def assert_same_tables(a: cleaning.CleanedTables, b: cleaning.CleanedTables):
    for name in cleaning.FILES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_tables_read_back_equal_the_tables_written(cleaned, data_dir, tmp_path):
    tables = cleaning.to_tables(cleaned)
    paths = cleaning.store(tables, data_dir, tmp_path)
    assert {p.name for p in paths.values()} == set(cleaning.FILES.values())
    assert_same_tables(cleaning.cleaned_tables(data_dir, tmp_path), tables)
    stored = json.loads((tmp_path / cleaning.KEY_FILE).read_text())
    assert stored == {"input_hash": cleaning.input_hash(data_dir)}


def test_store_writes_once_for_the_same_inputs(cleaned, data_dir, tmp_path):
    tables = cleaning.to_tables(cleaned)
    cleaning.store(tables, data_dir, tmp_path)
    stamp = (tmp_path / "concentrations.csv").stat().st_mtime_ns
    cleaning.store(tables, data_dir, tmp_path)
    assert (tmp_path / "concentrations.csv").stat().st_mtime_ns == stamp


def test_input_hash_follows_plate_files_and_options_but_not_the_clinical_table(data_copy):
    before = cleaning.input_hash(data_copy)
    clinical = data_copy / "raw" / "clinical.csv"
    clinical.write_text(clinical.read_text() + "\n")
    assert cleaning.input_hash(data_copy) == before
    assert cleaning.input_hash(data_copy, keep_failed_plates=True) != before
    layout = data_copy / "raw" / "layouts" / "IL6-P1.toml"
    layout.write_text(layout.read_text() + "\n# a comment\n")
    assert cleaning.input_hash(data_copy) != before


def test_stale_tables_are_cleaned_again(data_copy, tmp_path):
    cache = tmp_path / "cleaned"
    first = cleaning.cleaned_tables(data_copy, cache)
    (cache / "concentrations.csv").write_text("sample_id\n")  # not what cleaning writes ...
    layout = data_copy / "raw" / "layouts" / "IL6-P1.toml"
    layout.write_text(layout.read_text() + "\n# a comment\n")  # ... and an input changed: cleaned again
    assert_same_tables(cleaning.cleaned_tables(data_copy, cache), first)
    assert json.loads((cache / cleaning.KEY_FILE).read_text())["input_hash"] == cleaning.input_hash(data_copy)


def test_cohort_from_stored_tables_equals_a_fresh_cleaning(cohort, data_dir, tmp_path):
    cached = load_cohort(data_dir, cache_dir=tmp_path)
    again = load_cohort(data_dir, cache_dir=tmp_path)
    for c in (cached, again):
        pd.testing.assert_frame_equal(c.table, cohort.table)
        pd.testing.assert_frame_equal(c.excluded, cohort.excluded)
        assert_same_tables(c.assays, cohort.assays)


def test_reading_stored_tables_does_not_import_allotropy(data_dir, tmp_path):
    load_cohort(data_dir, cache_dir=tmp_path)
    code = ("import sys; from pathlib import Path; from helpers.cohort import load_cohort; "
            f"load_cohort(Path({str(data_dir)!r}), cache_dir=Path({str(tmp_path)!r})); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'allotropy', 'jsonschema', 'wellmap'}))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_lowest_lloq(cohort):
    qc = cohort.assays.plate_qc
    assert cohort.assays.lowest_lloq("IL6") == qc.loc[qc["analyte"] == "IL6", "lloq_pg_ml"].min() > 0
