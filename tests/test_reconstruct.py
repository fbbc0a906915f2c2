"""Tests of helpers.reconstruct: determinism, the committed cohort's contract with the
registry, other seeds and assumptions, the CLI, and the separation of truth from raw data."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import ROOT, check, reconstruct, stats
from helpers.registry import VERDICTS, load_registry

DATA = ROOT / "data"
OTHER_SEED = 12345


def cohort_files(d: Path) -> dict:
    """{relative path: bytes} of every file under raw/ and generator_truth/."""
    return {p.relative_to(d).as_posix(): p.read_bytes()
            for sub in ("raw", "generator_truth") for p in sorted((d / sub).rglob("*")) if p.is_file()}


def differing(a: dict, b: dict) -> list:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


@pytest.fixture(scope="module")
def default_builds(tmp_path_factory):
    dirs = [tmp_path_factory.mktemp(f"default{i}") for i in range(2)]
    for d in dirs:
        reconstruct.build(d)
    return dirs


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory):
    d = tmp_path_factory.mktemp(f"seed{OTHER_SEED}")
    reconstruct.build(d, OTHER_SEED)
    return d


# --- determinism and the committed cohort ---------------------------------------------


def test_build_is_deterministic_and_regenerates_the_committed_cohort(default_builds):
    first, second = (cohort_files(d) for d in default_builds)
    committed = cohort_files(DATA)
    assert {"raw/clinical.csv", "raw/plates.csv", "generator_truth/concentrations.csv"} <= committed.keys()
    assert sum(k.startswith("raw/plates/") for k in committed) == 5  # 3 SoftMax files of 2 plates, 2 Gen5 files
    assert differing(first, second) == []
    assert differing(first, committed) == []


def test_committed_cohort_meets_the_contract():
    _, card = check.run(DATA / "study.yaml")
    assert list(card.index) == list(load_registry().index)
    assert (card["verdict"] == card["expected_verdict"]).all(), card[card["verdict"] != card["expected_verdict"]]
    assert card.loc["R11b", "verdict"] == "not reproduced"
    assert (card.drop(index="R11b")["verdict"] == "reproduced").all()


def test_other_seed_builds_and_keeps_designed_counts(other_seed, default_builds):
    assert (other_seed / "raw" / "clinical.csv").read_bytes() != \
        (default_builds[0] / "raw" / "clinical.csv").read_bytes()
    _, card = check.run(other_seed / "study.yaml")
    assert list(card.index) == list(load_registry().index)
    assert card["verdict"].isin(VERDICTS).all()
    assert card.loc["R01", "reproduced"] == 46 and card.loc["R01", "verdict"] == "reproduced"
    assert card.loc["R06a", "reproduced"] == 22 and card.loc["R06a", "verdict"] == "reproduced"


# --- assumptions ----------------------------------------------------------------------


def test_every_assumption_leaf_has_value_and_why():
    leaves = []

    def walk(node, where):
        assert isinstance(node, dict), f"{where} is neither a leaf nor a group"
        if "value" in node:
            assert str(node.get("why") or "").strip(), f"{where} has no 'why'"
            leaves.append(where)
        else:
            for k, v in node.items():
                walk(v, f"{where}.{k}" if where else k)

    raw = yaml.safe_load(reconstruct.ASSUMPTIONS.read_text(encoding="utf-8"))
    walk(raw, "")
    assert "cohort.n_liver" in leaves and "seed" in leaves
    a = reconstruct.load_assumptions()
    assert a["seed"] == raw["seed"]["value"]
    assert a["cohort"]["n_liver"] == raw["cohort"]["n_liver"]["value"]


@pytest.mark.parametrize("why", [None, "   "])
def test_assumption_without_why_is_rejected(tmp_path, why):
    doc = yaml.safe_load(reconstruct.ASSUMPTIONS.read_text(encoding="utf-8"))
    if why is None:
        del doc["cohort"]["n_liver"]["why"]
    else:
        doc["cohort"]["n_liver"]["why"] = why
    path = tmp_path / "assumptions.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ValueError, match=r"cohort\.n_liver"):
        reconstruct.load_assumptions(path)


def test_changing_an_assumption_changes_the_cohort(tmp_path):
    doc = yaml.safe_load(reconstruct.ASSUMPTIONS.read_text(encoding="utf-8"))
    assert doc["cohort"]["n_liver"]["value"] == 13
    assert pd.read_csv(DATA / "raw" / "clinical.csv")["liver_metastasis"].sum() == 13
    doc["cohort"]["n_liver"]["value"] = 11
    path = tmp_path / "assumptions.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    reconstruct.build(tmp_path / "out", assumptions=path)
    clinical = pd.read_csv(tmp_path / "out" / "raw" / "clinical.csv")
    assert len(clinical) == 46
    assert clinical["liver_metastasis"].sum() == 11


# --- the CLI --------------------------------------------------------------------------


def test_cli_writes_the_same_cohort_as_build(tmp_path, other_seed):
    out = tmp_path / "cli"
    res = subprocess.run([sys.executable, "-m", "helpers.reconstruct", "--out", str(out), "--seed", str(OTHER_SEED)],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (out / "raw" / "clinical.csv").read_bytes() == (other_seed / "raw" / "clinical.csv").read_bytes()


# --- truth apart from raw data --------------------------------------------------------


def test_generator_truth_is_apart_from_raw_data(default_builds):
    d = default_builds[0]
    truth = pd.read_csv(d / "generator_truth" / "concentrations.csv")
    clinical = pd.read_csv(d / "raw" / "clinical.csv")
    assert list(truth.columns) == ["patient_id", "sample_id", "analyte", "true_pg_ml"]
    assert len(truth) == 46 * 4
    assert truth.groupby("analyte").size().to_dict() == {"IL1B": 46, "IL2": 46, "IL6": 46, "TNFA": 46}
    pairs = set(zip(clinical["patient_id"], clinical["sample_id"]))
    assert set(zip(truth["patient_id"], truth["sample_id"])) == pairs
    assert (truth["true_pg_ml"] > 0).all()
    raw_files = [p for p in (d / "raw").rglob("*") if p.is_file()]
    assert len(raw_files) >= 15
    for p in raw_files:
        # clinical.csv writes booleans as True/False, so look for 'true' as a name, not a literal
        data = p.read_bytes()
        text = data.decode("utf-16") if data[:2] == b"\xff\xfe" else data.decode("latin-1")
        assert not re.search(r"true_|_true|truth", p.relative_to(d).as_posix() + text, re.I), p


def test_exports_look_like_what_instruments_write():
    """SoftMax Pro's default UTF-16 experiment file with both plates of an analyte, and a
    second reader's (Gen5) files for IL-2, read at 450 nm with a 570 nm reference."""
    manifest = pd.read_csv(DATA / "raw" / "plates.csv", dtype=str, keep_default_na=False)
    il6 = (DATA / "raw" / "plates" / "IL6.txt").read_bytes()
    assert il6[:2] == b"\xff\xfe" and b"\r\x00\n\x00" in il6
    text = il6.decode("utf-16")
    assert text.startswith("##BLOCKS= 3") and "Plate:\tIL6-P1\t" in text and "Plate:\tIL6-P2\t" in text
    assert "Group: " in text  # the reader software's own concentrations
    assert set(manifest.loc[manifest["analyte"] == "IL2", "vendor"]) == {"gen5"}
    assert set(manifest.loc[manifest["analyte"] != "IL6", "read"]) == {"450-570"}


def test_design_search_uses_the_mann_whitney_of_stats():
    """The generator's rank-level P (what its searches aim at) is stats.mann_whitney's P."""
    rng = np.random.default_rng(3)
    n, n_tied = 46, 4
    values = np.r_[np.full(n_tied, 0.1), np.sort(rng.uniform(0.2, 50, n - n_tied))]  # the lowest n_tied tie
    ranks = reconstruct._midranks(n, n_tied)
    for size in (5, 17, 29):
        members = rng.choice(n, size, replace=False)
        inside = np.isin(np.arange(n), members)
        p, dev = reconstruct._mw_p(ranks[members], n, n_tied)
        mw = stats.mann_whitney(values[inside], values[~inside])
        assert p == pytest.approx(mw.p, rel=1e-12)
        assert dev == pytest.approx(mw.u - size * (n - size) / 2)
