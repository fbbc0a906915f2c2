"""The check command's summary and its --strict exit status."""
import pandas as pd

from helpers import check
from helpers.study import load_study


def card(verdicts, expected):
    ids = [f"R0{i}" for i in range(1, len(verdicts) + 1)]
    return pd.DataFrame({"reported": "x", "reproduced": 1.0, "verdict": verdicts, "reason": "why",
                         "expected_verdict": expected, "note": ["", "a note", ""][: len(ids)]},
                        index=pd.Index(ids, name="id"))


def test_summary_counts_and_explains_what_is_not_reproduced():
    text = check.summary(card(["reproduced", "not reproduced", "direction only"], ["reproduced"] * 3))
    lines = text.splitlines()
    assert lines[0] == "1 reproduced, 1 direction only, 1 not reproduced, 0 not computable"
    assert lines[1:] == ["  R02 (not reproduced): a note", "  R03 (direction only): why"]


def test_strict_fails_only_on_unexpected_verdicts(monkeypatch, capsys):
    study = load_study()
    monkeypatch.setattr(check, "run", lambda study_file, keep=False, cache_dir=None, cutoff=None: (study, card(
        ["reproduced", "not reproduced"], ["reproduced", "not reproduced"])))
    assert check.main(["--strict"]) == 0
    monkeypatch.setattr(check, "run", lambda study_file, keep=False, cache_dir=None, cutoff=None: (study, card(
        ["reproduced", "not reproduced"], ["reproduced", "reproduced"])))
    assert check.main([]) == 0
    assert check.main(["--strict"]) == 1
    assert "Unexpected verdicts: R02" in capsys.readouterr().err
