"""Tests of helpers.sensitivity: assumption overrides, rebuilding under a scenario, failed
builds as outcomes, and the verdict matrix."""


import pandas as pd
import pytest
import yaml

from helpers import ROOT, reconstruct, sensitivity
from helpers.registry import load_registry

DATA = ROOT / "data"
BASE = yaml.safe_load(reconstruct.ASSUMPTIONS.read_text(encoding="utf-8"))


# --- overrides ------------------------------------------------------------------------


def test_override_writes_the_value_and_keeps_the_why(tmp_path):
    before = reconstruct.ASSUMPTIONS.read_bytes()
    path = sensitivity.scenario_assumptions(reconstruct.ASSUMPTIONS, {
        "cohort.n_liver": 9, "survival.hazard_ratios.il6_high": 1.5, "seed": 7}, tmp_path / "a.yaml")
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert written["cohort"]["n_liver"] == {"value": 9, "why": BASE["cohort"]["n_liver"]["why"]}
    assert written["survival"]["hazard_ratios"]["value"] == {"il6_high": 1.5, "dfi_short": 2.6}
    assert written["survival"]["hazard_ratios"]["why"] == BASE["survival"]["hazard_ratios"]["why"]
    assert written["seed"]["value"] == 7
    # nothing else moved, and the base file is untouched
    written["cohort"]["n_liver"]["value"] = BASE["cohort"]["n_liver"]["value"]
    written["survival"]["hazard_ratios"]["value"]["il6_high"] = 3.0
    written["seed"]["value"] = BASE["seed"]["value"]
    assert written == BASE
    assert reconstruct.ASSUMPTIONS.read_bytes() == before
    # and the generator reads it
    a = reconstruct.load_assumptions(path)
    assert a["cohort"]["n_liver"] == 9 and a["survival"]["hazard_ratios"]["il6_high"] == 1.5 and a["seed"] == 7


def test_override_returns_a_copy_without_out():
    doc = sensitivity.scenario_assumptions(BASE, {"response.counts.NE": 2})
    assert doc["response"]["counts"]["value"]["NE"] == 2
    assert BASE["response"]["counts"]["value"]["NE"] == 3  # the input is not mutated


@pytest.mark.parametrize("key", ["cohort.n_livr", "cohort", "survival.hazard_ratios.il6_hgh", "nothing.here"])
def test_unknown_override_key_is_an_error(key):
    with pytest.raises(KeyError):
        sensitivity.scenario_assumptions(BASE, {key: 1})


def test_assumption_problems_explain_impossible_sizes():
    a = reconstruct.load_assumptions()
    assert reconstruct.assumption_problems(a) == []
    a["cohort"]["n_effusion"] = 13
    a["response"]["counts"]["NE"] = 2
    problems = " | ".join(reconstruct.assumption_problems(a))
    assert "sum to 45" in problems
    assert "10 effusion patients without liver" in problems


# --- running scenarios ----------------------------------------------------------------


def test_base_scenario_reproduces_the_committed_cohort_and_verdicts(tmp_path):
    matrix = sensitivity.run_scenarios({"base": {}}, tmp_path)
    expected = load_registry()["expected_verdict"]
    assert list(matrix.columns) == list(expected.index)
    assert (matrix.loc["base"] == expected).all(), matrix.loc["base"][matrix.loc["base"] != expected]
    assert (tmp_path / "base" / "raw" / "clinical.csv").read_bytes() == (DATA / "raw" / "clinical.csv").read_bytes()


def test_impossible_scenario_is_a_failed_build_not_an_error(tmp_path):
    outcome = sensitivity.run_scenario("NE 2", {"response.counts.NE": 2}, tmp_path)  # counts sum to 45
    assert outcome.status == sensitivity.BUILD_FAILED and outcome.scorecard is None
    assert outcome.reason.startswith("InputError: ") and "sum to 45" in outcome.reason
    row = sensitivity.verdict_matrix([outcome]).loc["NE 2"]
    assert len(row) == len(load_registry())
    assert row.map(sensitivity.outcome).eq(sensitivity.BUILD_FAILED).all()
    assert row.str.contains("sum to 45").all()


def test_generator_runtime_error_is_a_failed_build(tmp_path):
    outcome = sensitivity.run_scenario("no draws", {"survival.acceptance.max_attempts": 0}, tmp_path)
    assert outcome.status == sensitivity.BUILD_FAILED
    assert outcome.reason.startswith("RuntimeError: no survival draw matched")
    assert outcome.survival_draws is None


def test_bad_key_in_a_scenario_raises(tmp_path):
    with pytest.raises(KeyError, match="n_livr"):
        sensitivity.run_scenarios({"typo": {"cohort.n_livr": 9}}, tmp_path)


# --- matrix and shares (no builds) ------------------------------------------------------


def _card(verdicts: dict) -> pd.DataFrame:
    return pd.DataFrame({"verdict": verdicts}).rename_axis("id")


def test_matrix_and_reproduced_share():
    ids = ["R01", "R07c", "R11b"]
    outcomes = [
        sensitivity.ScenarioOutcome("a", {}, "built", scorecard=_card(
            {"R01": "reproduced", "R07c": "reproduced", "R11b": "not reproduced"})),
        sensitivity.ScenarioOutcome("b", {}, "built", scorecard=_card(
            {"R01": "reproduced", "R07c": "direction only", "R11b": "not reproduced"})),
        sensitivity.ScenarioOutcome("c", {"x": 1}, sensitivity.BUILD_FAILED, reason="RuntimeError: no"),
    ]
    matrix = sensitivity.verdict_matrix(outcomes, ids)
    assert matrix.shape == (3, 3) and list(matrix.index) == ["a", "b", "c"]
    assert (matrix.loc["c"] == "build failed: RuntimeError: no").all()
    share = sensitivity.reproduced_share(matrix)
    assert share.loc["R01", "share reproduced"] == pytest.approx(2 / 3)
    assert share.loc["R07c", "share reproduced"] == pytest.approx(1 / 3)
    assert share.loc["R11b", "share reproduced"] == 0
    assert share.loc["R07c", "direction only"] == 1 and share.loc["R11b", "not reproduced"] == 2
    assert (share["build failed"] == 1).all() and "check failed" not in share
    summary = sensitivity.summary(outcomes)
    assert summary.loc["a", "reproduced"] == 2 and summary.loc["c", "status"] == "build failed"


def test_outcomes_are_kept_by_the_content_of_their_inputs(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = sensitivity.run_scenario("NE 2", {"response.counts.NE": 2}, tmp_path / "a", cache_dir=cache)
    assert first.status == sensitivity.BUILD_FAILED and len(list(cache.glob("scenario-*.pkl"))) == 1

    def rebuilt(*args):
        raise AssertionError("rebuilt although nothing changed")
    monkeypatch.setattr(sensitivity, "_build_and_check", rebuilt)
    again = sensitivity.run_scenario("two not evaluable", {"response.counts.NE": 2}, tmp_path / "b", cache_dir=cache)
    assert again.name == "two not evaluable" and (again.status, again.reason) == (first.status, first.reason)
    with pytest.raises(AssertionError, match="rebuilt"):  # another assumption: another key
        sensitivity.run_scenario("NE 1", {"response.counts.NE": 1}, tmp_path / "c", cache_dir=cache)


def test_kept_outcomes_depend_on_the_code_the_build_and_check_run():
    names = {p.stem for p in sensitivity.code_files()}
    assert {"__init__", "sensitivity", "reconstruct", "instrument_writers", "plates", "instruments", "assay",
            "cleaning", "cohort", "analysis", "stats", "survival", "registry"} <= names
    assert not names & {"figures", "site", "report", "notebook", "explorer", "appraisal"}
