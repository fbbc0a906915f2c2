"""The analyses a study defines (helpers.findings) on small hand-made cohorts: what is skipped and
why, groups too small to test, the cut-off rule, the groups' membership; the generic clinical
table; the GBSG2 demo's tables and command line."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest

from helpers import ROOT, findings, gbsg2, prose
from helpers.clinical import load_study_table
from helpers.cohort import load_study_cohort
from helpers.errors import InputError
from helpers.notebook import nothing_to_do
from helpers.study import Column, Compare, Group, load_study

CLINICAL = "pid,arm,size,months,event\n" + "".join(
    f"P{i},{'B' if i < 3 else 'A'},{10 + i},{5 + i},{i % 2}\n" for i in range(12))
MARKERS = "sample_id,analyte,value,unit,censoring,lloq,uloq\n" + "".join(
    f"P{i},M1,{i * 1.5 + (3 if i < 3 else 0)},ng/ml,,,\n" for i in range(12))
STUDY = """\
name: small
label: A small cohort
clinical:
  file: clinical.csv
  id: pid
  columns:
    arm: {type: category, levels: [A, B]}
    size: {type: integer, unit: mm}
    months: {type: number, min: 0}
    event: {type: integer, levels: [0, 1]}
markers:
  source: concentrations
  file: markers.csv
  list:
    M1: {name: marker one, unit: ng/ml}
groups:
  arm: {column: arm, a: [B], b: [A], labels: [arm B, arm A]}
  large: {column: size, a: "> 15", b: "<= 15", labels: [large, small]}
comparisons: [arm, large]
"""


@pytest.fixture
def small(tmp_path):
    (tmp_path / "clinical.csv").write_text(CLINICAL)
    (tmp_path / "markers.csv").write_text(MARKERS)
    (tmp_path / "study.yaml").write_text(STUDY)
    study = load_study(tmp_path / "study.yaml")
    return study, load_study_cohort(study).table


def test_analyses_the_study_does_not_define_are_skipped_with_a_sentence(small):
    study, table = small
    results = findings.findings(study, table)
    assert not any(k.startswith(("correlate.", "response.", "survival.", "cox.", "detectability.")) for k in results)
    assert findings.skipped(study) == {
        "detectability": "The study names no markers to test for detectability against the groups.",
        "correlate": "The study defines no correlate of marker one (such as CRP).",
        "response": "The study defines no response to treatment.",
        "survival": "The study defines no survival outcome.",
        "cox": "The study defines no multivariable Cox model."}
    assert prose.correlate(study, results) == findings.skipped(study)["correlate"]
    for notebook in ("04_marker_and_correlate", "05_marker_and_response", "06_survival", "A1_reconstruction"):
        assert nothing_to_do(notebook, study)
    assert not nothing_to_do("03_marker_by_group", study)


def test_a_group_too_small_to_test_says_so_instead_of_a_p(small):
    study, table = small
    results = findings.findings(study, table)
    # arm B has 3 patients: tested; 'large' (size > 15) has P6..P11: tested too
    assert isinstance(results["comparison.arm.p"], float)
    smaller = table[table["patient_id"] != "P0"]  # arm B down to 2 patients
    results = findings.findings(study, smaller)
    assert results["comparison.arm.n_a"] == 2
    assert results["comparison.arm.p"] == ("not computable: arm B has 2 patient(s), fewer than 3: too small to test")
    assert "arm B against arm A: not tested (arm B has 2 patient(s)" in prose.comparisons(study, results).replace("**", "")


def test_comparison_by_hand(small):
    study, table = small
    results = findings.findings(study, table)
    # arm B: P0..P2 -> 3, 4.5, 6; arm A: P3..P11 -> 4.5 .. 16.5 (median P7 = 10.5)
    assert (results["comparison.arm.median_a"], results["comparison.arm.median_b"]) == (4.5, 10.5)
    assert (results["comparison.arm.n_a"], results["comparison.arm.n_b"]) == (3, 9)


def test_cutoff_rule_and_survival_need_a_cutoff(small):
    study, table = small
    t = pd.DataFrame({"m": [1.0, 10.0, 10.5, None]})
    assert findings.marker_high(t, "m", 10).tolist() == [False, False, True, pd.NA]
    assert findings.marker_high(t, "m", 10, at_or_above=True).tolist() == [False, True, True, pd.NA]
    surv = replace(study, survival={"time": "months", "event": "event", "unit": "months", "origin": "entry",
                                    "endpoint": "death"})
    assert "no cut-off fixed in advance" in findings.skipped(surv)["survival"]
    assert "survival.logrank_p" in findings.findings(surv.with_cutoff(8.0), table)


def test_group_membership_rules():
    t = pd.DataFrame({"x": [0.0, 1.0, 2.0, None], "c": ["a", "b", "z", None]})
    by_value = Group("g", "c", ("a",), ("b",), ("A", "B"))
    assert findings.membership(t, by_value).tolist() == [True, False, pd.NA, pd.NA]  # 'z' is in neither
    by_rule = Group("g", "x", Compare(">", 0.5), Compare("<=", 0.5), ("A", "B"))
    assert findings.membership(t, by_rule).tolist() == [False, True, True, pd.NA]


def test_study_table_checks_every_declared_cell(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("extra,id,n,kind,when\nq,1,2,x,\nq,2,-1,y,3\nq,2,x,z,4\n")
    columns = {"n": Column("n", "integer", min=0), "kind": Column("kind", "category", levels=("x", "y")),
               "when": Column("when", "number", missing=True)}
    with pytest.raises(InputError) as err:
        load_study_table(path, "id", "id", columns)
    assert [str(p) for p in err.value.problems] == [
        f"{path}:3: n: value '-1' is below the minimum 0",
        f"{path}:4: id: value '2' is duplicated",
        f"{path}:4: n: value 'x' is not an integer",
        f"{path}:4: kind: value 'z' is not one of x, y"]
    path.write_text("extra,id,n,kind,when\nq,1,2,x,\nr,2,0,y,3\n")
    table = load_study_table(path, "id", "id", columns)
    assert list(table.columns) == ["patient_id", "sample_id", "extra", "id", "n", "kind", "when"]
    assert table["n"].tolist() == [2.0, 0.0] and pd.isna(table.loc[0, "when"])


def test_gbsg2_tables_are_rebuilt_identically(tmp_path):
    gbsg2.write(tmp_path)
    for name in ("clinical.csv", "markers.csv"):
        assert (tmp_path / name).read_bytes() == (ROOT / "data" / "gbsg2" / name).read_bytes()


def run_check(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.check", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_check_labels_a_real_cohort_by_its_study_and_takes_a_cutoff(tmp_path):
    run = run_check("--study", str(ROOT / "data" / "gbsg2" / "study.yaml"), "--cutoff", "20", "--out", str(tmp_path),
                    "--strict")
    assert run.returncode == 0, run.stderr
    first = run.stdout.splitlines()[:2]
    assert first[0].startswith("GBSG2 trial: 686 real patients")
    assert first[1].startswith("oestrogen receptor cut-off: 20 fmol/mg (chosen for this run; the study fixes 10 fmol/mg")
    assert "Reconstructed" not in run.stdout and "21 reproduced" in run.stdout
    bad = run_check("--study", str(ROOT / "data" / "gbsg2" / "study.yaml"), "--cutoff", "nan")
    assert bad.returncode == 2 and "argument --cutoff: the cut-off 'nan' must be a finite number, 0 or more" in bad.stderr


def test_check_names_a_bad_study_file_and_exits_2(tmp_path):
    bad = tmp_path / "study.yaml"
    bad.write_text((ROOT / "data" / "gbsg2" / "study.yaml").read_text().replace("comparisons: [grade,",
                                                                                 "comparisons: [grades,"))
    (tmp_path / "registry.csv").write_bytes((ROOT / "data" / "gbsg2" / "registry.csv").read_bytes())
    run = run_check("--study", str(bad), "--out", str(tmp_path))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "comparisons[1]: 'grades' is not a group of the study" in run.stderr


def test_numeric_list_rules_and_responders_match_numbers():
    t = pd.DataFrame({"nodes": [1.0, 2.0, 4.0, None], "event": [0.0, 1.0, 1.0, 0.0]})
    rule = Group("g", "nodes", (1, 2, 3), (4, 5), ("1-3", "4-5"))
    assert findings.membership(t, rule).tolist() == [True, True, False, pd.NA]
    assert findings.responder(t, {"column": "event", "responders": (0,), "non_responders": (1,)}).tolist() == [
        True, False, False, True]


def test_right_censored_at_a_uloq_on_the_cutoff_is_above_it():
    t = pd.DataFrame({"m": [4.0, 4.0, 2.0], "m_censored": ["right", "", "left"], "m_lloq": [1.0, 1.0, 4.0],
                      "m_uloq": [4.0, 50.0, 50.0]})
    # above a ULOQ of 4: truly above 4; exactly 4 measured: not above; below an LLOQ of 4: not above
    assert findings.marker_high(t, "m", 4.0).tolist() == [True, False, False]


def test_comparison_p_and_direction_by_hand(small):
    from scipy.stats import mannwhitneyu

    study, table = small
    results = findings.findings(study, table)
    a, b = table.loc[table["arm"] == "B", "m1"], table.loc[table["arm"] == "A", "m1"]
    expected = mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    assert results["comparison.arm.p"] == pytest.approx(expected.pvalue, rel=1e-12)
    assert results["comparison.arm.rank_biserial"] == pytest.approx(2 * expected.statistic / (3 * 9) - 1)


def test_equal_medians_take_the_direction_from_the_ranks():
    study = load_study(ROOT / "data" / "study.yaml")
    results = {"comparison.sites.n_a": 20, "comparison.sites.n_b": 20, "comparison.sites.median_a": 1.0,
               "comparison.sites.median_b": 1.0, "comparison.sites.rank_biserial": 0.73, "comparison.sites.p": 1e-5}
    text = prose._compare(study.primary, results, "comparison.sites", "more sites", "one site")
    assert "median IL-6 1 against 1 pg/ml" in text and "values tend to be higher in the first group" in text


def test_a_constant_correlate_is_not_computable(small):
    study, table = small
    with_crp = replace(study, correlate={"column": "size", "name": "size", "unit": "mm"})
    results = findings.findings(with_crp, table.assign(size=5.0))
    assert results["correlate.r"] == "not computable: size takes one value for every patient with both values"
    assert "cannot be computed: size takes one value" in prose.correlate(with_crp, results)


def test_detectability_without_any_detection_limit_is_not_computable(small):
    study, table = small
    detect = replace(study, detectability={"markers": ("M1",), "against": ("arm",)})
    results = findings.findings(detect, table)
    assert results["detectability.min_p"].startswith("not computable: every 2x2 table has an empty row or column")
