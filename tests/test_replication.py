"""Replication verdicts: a cohort that takes the paper's claims as its registry is judged claim by
claim (same direction and P < 0.05: replicated). Two cohorts built for the purpose: the
reconstructed patients as they are (built to show every claim), and the same patients with
their IL-6 ranking turned upside down (built to contradict every IL-6 claim). A study without
CRP and response finds those claims not testable. Sentences built from the results say the
opposite on the two cohorts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import ROOT, analysis, prose
from helpers.cohort import load_study_cohort
from helpers.registry import load_registry, registry_values, replication_card, replication_verdict
from helpers.study import load_study

PAPER = ROOT / "data"
CLAIMS = ("R05", "R07", "R08", "R09", "R10", "R11", "R12", "R13", "R14")


def study_text(markers: str, extra: str = "") -> str:
    """The paper's study file, on the committed clinical table, with markers from a
    concentrations table and the paper's registry as claims to replicate."""
    text = (PAPER / "study.yaml").read_text()
    text = text.replace("file: raw/clinical.csv", f"file: {PAPER / 'raw' / 'clinical.csv'}")
    text = text.replace("source: plates ", f"source: concentrations\n  file: {markers}\n ")
    text = text.replace("reconstructed: true", "reconstructed: false").replace("label: Reconstructed cohort (synthetic "
                                                                               "data, not the original patients)",
                                                                               "label: A replication test cohort")
    text = text.replace("{file: reported/registry.csv, mode: reproduce}",
                        f"{{file: {PAPER / 'reported' / 'registry.csv'}, mode: replicate}}")
    return text + extra


def write_markers(path, table: pd.DataFrame, invert_il6: bool) -> None:
    """The cohort's cleaned results as a concentrations table; with `invert_il6`, IL-6 becomes
    100 / IL-6 (every ranking reversed, all values quantified)."""
    rows = []
    for m in ("IL6", "TNFA", "IL1B", "IL2"):
        a = m.lower()
        for rec in table[["sample_id", a, f"{a}_censored", f"{a}_lloq", f"{a}_uloq"]].to_dict("records"):
            value, censoring = rec[a], {"left": "below_lloq", "right": "above_uloq"}.get(rec[f"{a}_censored"], "")
            lloq, uloq = rec[f"{a}_lloq"], rec[f"{a}_uloq"]
            if m == "IL6" and invert_il6:
                value, censoring, lloq, uloq = 100 / value, "", np.nan, np.nan
            rows.append({"sample_id": rec["sample_id"], "analyte": m,
                         "value": "" if censoring == "below_lloq" else repr(float(value)), "unit": "pg/ml",
                         "censoring": censoring, "lloq": "" if np.isnan(lloq) else repr(float(lloq)),
                         "uloq": "" if np.isnan(uloq) else repr(float(uloq))})
    pd.DataFrame(rows).to_csv(path, index=False)


@pytest.fixture(scope="module")
def paper_table():
    return load_study_cohort(load_study(PAPER / "study.yaml")).table


def replication(tmp_path, table, invert_il6: bool, extra: str = "", drop=()):
    write_markers(tmp_path / "markers.csv", table, invert_il6)
    text = study_text("markers.csv", extra)
    for section in drop:
        text = "\n".join(line for line in text.splitlines() if not line.startswith(section + ":"))
    (tmp_path / "study.yaml").write_text(text)
    study = load_study(tmp_path / "study.yaml")
    cohort = load_study_cohort(study)
    return study, analysis.study_scorecard(study, cohort)


def test_the_reconstructed_patients_replicate_every_claim(tmp_path, paper_table):
    study, card = replication(tmp_path, paper_table, invert_il6=False)
    claims = card[card.index.str[:3].isin(CLAIMS)].drop(index=["R05", "R14e"])
    assert (claims["verdict"] == "replicated").all(), claims[claims["verdict"] != "replicated"]
    # claims of no association hold, which is only the absence of evidence
    assert set(card.loc[["R05", "R14e"], "verdict"]) == {"not contradicted"}
    assert set(card.loc[["R01", "R02", "R03", "R04", "R06a", "R06b"], "verdict"]) == {"descriptive"}
    assert card.loc["R07a", "this cohort"] == pytest.approx(paper_table.loc[paper_table["n_sites"] > 1, "il6"].median())
    assert card.loc["R07a", "reported"] == "6.9"  # the paper's value stands beside it


def test_the_inverted_cohort_replicates_no_il6_claim(tmp_path, paper_table):
    _, card = replication(tmp_path, paper_table, invert_il6=True)
    il6 = card[card.index.str[:3].isin(["R07", "R08", "R09", "R10", "R11", "R12", "R13"]) | card.index.isin(
        ["R14a", "R14b"])]
    assert (il6["verdict"] == "not replicated").all(), il6[il6["verdict"] != "not replicated"]
    assert "R07a = " in card.loc["R07a", "reason"] and "not > R07b" in card.loc["R07a", "reason"]
    # claims about other variables still hold
    assert card.loc["R05", "verdict"] == "not contradicted" and card.loc["R14c", "verdict"] == "replicated"


def test_claims_without_their_variables_are_not_testable_here(tmp_path, paper_table):
    _, card = replication(tmp_path, paper_table, invert_il6=False, drop=("correlate", "response"))
    for rid in ("R11a", "R11b", "R12a", "R12b"):
        assert card.loc[rid, "verdict"] == "not testable here", card.loc[rid]
    assert card.loc["R11a", "this cohort"] is None
    assert card.loc["R07a", "verdict"] == "replicated"


def test_replication_rule_by_hand():
    reg = load_registry()
    values = {"R07a": 5.0, "R07b": 2.0, "R07c": 0.01}
    assert replication_verdict(reg.loc["R07a"], values)[0] == "replicated"
    assert replication_verdict(reg.loc["R07a"], values | {"R07c": 0.06})[0] == "not replicated"
    assert replication_verdict(reg.loc["R07a"], values | {"R07a": 1.0})[0] == "not replicated"
    assert replication_verdict(reg.loc["R07a"], values | {"R07c": None})[0] == "not testable here"
    assert replication_verdict(reg.loc["R05"], {"R05": 0.3})[0] == "not contradicted"  # a claim of no association
    assert replication_verdict(reg.loc["R05"], {"R05": 0.01})[0] == "not replicated"
    assert replication_verdict(reg.loc["R01"], {"R01": 99})[0] == "descriptive"


def test_registry_values_follow_the_result_column():
    reg = load_registry()
    results = {"cox.sites.p": 0.4, "cox.visceral.p": 0.2, "cox.er.p": 0.9, "cox.age_per_10.p": 0.5, "patients": 7}
    values = registry_values(reg, results)
    assert values["R14e"] == 0.2 and values["R01"] == 7 and values["R11a"] is None
    card = replication_card(values, reg)
    assert card.loc["R14e", "verdict"] == "not contradicted"
    assert replication_verdict(reg.loc["R07a"], {"R07a": 5.0, "R07b": 2.0, "R07c": float("nan")})[0] == \
        "not testable here"


def test_sentences_follow_the_data(tmp_path, paper_table):
    """The same sentence builder says 'higher' on one cohort and 'lower' on the other."""
    study = load_study(PAPER / "study.yaml")
    results = analysis.findings.findings(study, paper_table)
    inverted = paper_table.assign(il6=100 / paper_table["il6"], il6_censored="")
    flipped = analysis.findings.findings(study, inverted)
    first, second = prose.comparisons(study, results), prose.comparisons(study, flipped)
    sites = paper_table.loc[paper_table["n_sites"] > 1, "il6"].median()
    assert f"median IL-6 {sites:.3g} against" in first and first.count("higher in the first group") == 4
    assert second.count("lower in the first group") == 4
    assert "tended to have higher CRP" in prose.correlate(study, results)
    assert "tended to have lower CRP" in prose.correlate(study, flipped)
    assert "had a higher hazard" in prose.survival(study, results)
    assert "had a lower hazard" in prose.survival(study, flipped)
