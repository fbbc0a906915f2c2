"""Tests of helpers.registry: the registry file itself, the verdict rules on hand-made rows,
the scorecard, and the arithmetic behind the R11b note."""

import math
import re
from decimal import Decimal

import pandas as pd
import pytest

from helpers import stats
from helpers.registry import (KINDS, REGISTRY, VERDICTS, gather_results, load_registry, not_owned, scorecard,
                             verdict)

PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?%?$")


def printed_interval(text: str) -> tuple[float, float]:
    """[low, high) of the values that print as `text`: half a unit in the last printed digit."""
    d = Decimal(text.strip().rstrip("%"))
    half = Decimal(1).scaleb(d.as_tuple().exponent) / 2
    return float(d - half), float(d + half)


def row(kind, low=math.nan, high=math.nan, direction="", name="X"):
    return pd.Series({"kind": kind, "low": low, "high": high, "direction": direction}, name=name)


# --- the registry file ----------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("6.9", (6.85, 6.95)), ("2", (1.5, 2.5)), ("0.0006", (0.00055, 0.00065)), ("48%", (47.5, 48.5)),
])
def test_printed_interval_known_answers(text, expected):
    assert printed_interval(text) == pytest.approx(expected, rel=1e-12)


def test_registry_ids_kinds_and_bounds():
    reg = load_registry()
    assert reg.index.is_unique
    assert set(reg["kind"]) <= set(KINDS)
    assert set(reg["expected_verdict"]) <= set(VERDICTS)
    for rid, r in reg.iterrows():
        if r["kind"] == "count":
            assert r["low"] == r["high"] == int(r["low"]), rid
        elif r["kind"] == "rounded":
            assert r["low"] < r["high"], rid
        elif r["kind"] == "below":
            assert not math.isnan(r["high"]), rid
        else:  # above, at_least
            assert not math.isnan(r["low"]), rid


def test_rounded_intervals_are_the_rounding_intervals_of_the_printed_values():
    reg = load_registry()
    rounded = reg[(reg["kind"] == "rounded") & reg["reported"].str.match(PLAIN_NUMBER)]
    assert len(rounded) >= 10
    for rid, r in rounded.iterrows():
        assert (r["low"], r["high"]) == pytest.approx(printed_interval(r["reported"]), rel=1e-12), rid


def test_directions_refer_to_existing_ids_or_numbers():
    reg = load_registry()
    for rid, d in reg["direction"].items():
        if d:
            op, ref = d.split()
            assert op in "<>"
            assert ref in reg.index or re.fullmatch(r"-?\d+(\.\d+)?", ref), (rid, d)


def test_unknown_kind_is_rejected(tmp_path):
    df = pd.read_csv(REGISTRY, dtype=str, keep_default_na=False)
    df.to_csv(tmp_path / "ok.csv", index=False)
    assert len(load_registry(tmp_path / "ok.csv")) == len(df)  # the round trip itself loads
    df.loc[df["id"] == "R06b", "kind"] = "approx"
    df.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="approx"):
        load_registry(tmp_path / "bad.csv")


# --- verdict --------------------------------------------------------------------------


@pytest.mark.parametrize("r, value, expected", [
    (row("count", 22, 22), 22, "reproduced"),
    (row("count", 22, 22), 21, "not reproduced"),
    (row("count", 22, 22), 23, "not reproduced"),
    (row("rounded", 6.85, 6.95), 6.85, "reproduced"),      # low edge is in
    (row("rounded", 6.85, 6.95), 6.9, "reproduced"),
    (row("rounded", 6.85, 6.95), 6.95, "not reproduced"),  # high edge is out
    (row("rounded", 6.85, 6.95), 6.8499, "not reproduced"),
    (row("below", high=0.05), 0.049, "reproduced"),
    (row("below", high=0.05), 0.05, "not reproduced"),
    (row("below", high=0.05), 0.2, "not reproduced"),
    (row("above", low=1.0), 1.01, "reproduced"),
    (row("above", low=1.0), 1.0, "not reproduced"),
    (row("above", low=1.0), 0.5, "not reproduced"),
    (row("at_least", low=0.05), 0.05, "reproduced"),
    (row("at_least", low=0.05), 0.3, "reproduced"),
    (row("at_least", low=0.05), 0.0499, "not reproduced"),
])
def test_verdict_by_kind(r, value, expected):
    assert verdict(r, value, {})[0] == expected


@pytest.mark.parametrize("kind", KINDS)
def test_missing_value_is_not_reproduced(kind):
    r = row(kind, 0.0, 1.0, direction="> 0")  # a direction that any number above 0 would meet
    assert verdict(r, math.nan, {})[0] == "not reproduced"
    # no value at all: the study computes no such result
    assert verdict(r, None, {})[0] == "not computable"


@pytest.mark.parametrize("r, value, values, expected", [
    (row("rounded", 6.85, 6.95, "> R07b", "R07a"), 7.0, {"R07b": 1.1}, "direction only"),
    (row("rounded", 6.85, 6.95, "> R07b", "R07a"), 1.0, {"R07b": 1.1}, "not reproduced"),
    (row("rounded", 6.85, 6.95, "> R07b", "R07a"), 6.9, {"R07b": 10.0}, "reproduced"),  # interval first
    (row("rounded", 1.05, 1.15, "< R07a", "R07b"), 1.3, {"R07a": 6.9}, "direction only"),
    (row("rounded", 1.05, 1.15, "< R07a", "R07b"), 7.0, {"R07a": 6.9}, "not reproduced"),
    (row("rounded", 0.465, 0.475, "> 0", "R11a"), 0.3, {}, "direction only"),
    (row("rounded", 0.465, 0.475, "> 0", "R11a"), -0.3, {}, "not reproduced"),
])
def test_verdict_direction(r, value, values, expected):
    assert verdict(r, value, values)[0] == expected


# --- scorecard ------------------------------------------------------------------------


def test_scorecard_one_row_per_registry_id():
    reg = load_registry()
    values = {"R01": 46, "R06a": 21, "R07a": 7.0, "R07b": 1.1, "R11a": math.nan}
    card = scorecard(values)
    assert list(card.index) == list(reg.index)
    assert (card["expected_verdict"] == reg["expected_verdict"]).all()
    assert card.loc["R01", "verdict"] == "reproduced"
    assert card.loc["R06a", "verdict"] == "not reproduced"
    assert card.loc["R07a", "verdict"] == "direction only"
    assert card.loc["R07b", "verdict"] == "reproduced"
    assert card.loc["R11a", "verdict"] == "not reproduced"
    assert card["verdict"].value_counts().to_dict() == {
        "not computable": len(reg) - 5, "not reproduced": 2, "reproduced": 2, "direction only": 1}


def test_scorecard_uses_the_registry_given():
    reg = load_registry().loc[["R01", "R09b"]]
    card = scorecard({"R01": 45, "R09b": 2.0}, registry=reg)
    assert card["verdict"].to_dict() == {"R01": "not reproduced", "R09b": "reproduced"}


def test_scorecard_of_no_ids_is_empty():
    """A notebook that reproduces no row (the A1 appendix) saves results with values {}."""
    card = scorecard({}, ids=[])
    assert card.empty and card.index.name == "id"
    assert {"verdict", "reason", "expected_verdict"} <= set(card.columns)


# --- the R11b note ----------------------------------------------------------------------


def test_r11b_note_bounds_and_inconsistency():
    reg = load_registry()
    note = reg.loc["R11b", "note"]
    printed = dict((m, (lo, hi)) for lo, hi, m in
                   re.findall(r"([\d.]+) and ([\d.]+) \((t|Fisher z)\)", note))
    assert printed == {"t": ("0.00085", "0.00113"), "Fisher z": ("0.00071", "0.00096")}
    r_low, r_high = reg.loc["R11a", ["low", "high"]]
    p_high = reg.loc["R11b", "high"]
    for label, method in (("t", "t"), ("Fisher z", "fisher_z")):
        p_min, p_max = stats.correlation_p_range(r_low, r_high, 46, method)
        for p, text in zip((p_min, p_max), printed[label]):
            lo, hi = printed_interval(text)
            assert lo <= p < hi, (label, p, text)
        assert p_high <= p_min  # every P that prints as 0.0006 is below what r = 0.47 allows
    p_min, p_max = stats.correlation_p_range(r_low, r_high, 46, "t")
    assert not p_min <= 0.0006 <= p_max


def test_gather_results_merges_notebooks_and_names_sources(tmp_path):
    import json

    (tmp_path / "01_assay_cleaning.json").write_text(json.dumps({"values": {"R02": 0, "R03": 2}}))
    (tmp_path / "02_cohort_and_markers.json").write_text(json.dumps({"values": {"R01": 46}}))
    (tmp_path / "00_overview.json").write_text(json.dumps({"values": {}}))
    values, sources = gather_results(tmp_path)
    assert values == {"R01": 46, "R02": 0, "R03": 2}
    assert sources == {"R01": "02_cohort_and_markers", "R02": "01_assay_cleaning", "R03": "01_assay_cleaning"}


def test_gather_results_refuses_a_row_from_a_notebook_that_does_not_own_it(tmp_path):
    import json

    (tmp_path / "01_assay_cleaning.json").write_text(json.dumps({"values": {"R03": 2}}))
    (tmp_path / "09_cutoff_explorer.json").write_text(json.dumps({"values": {"R06a": 22, "R99": 1}}))
    with pytest.raises(ValueError, match="09_cutoff_explorer.json submits R06a, R99, owned by "
                                         "02_cohort_and_markers, no notebook"):
        gather_results(tmp_path)


def test_every_row_has_one_owner_among_the_notebooks():
    from helpers.report import notebooks

    owners = load_registry()["notebook"]
    assert owners.ne("").all()
    assert set(owners) <= {p.stem for p in notebooks()}
    assert not_owned("04_marker_and_correlate", ["R11a", "R11b", "R10c"]) == ["R10c"]


def test_save_results_refuses_rows_the_notebook_does_not_own(tmp_path):
    import json

    from helpers.notebook import save_results

    with pytest.raises(ValueError, match=r"09_cutoff_explorer does not own registry row\(s\) R06a"):
        save_results(tmp_path, "09_cutoff_explorer", {"R06a": 22}, parameters={})
    path = save_results(tmp_path, "02_cohort_and_markers", {"R06a": 22}, parameters={})
    assert json.loads(path.read_text())["verdicts"]["R06a"]["verdict"] == "reproduced"
