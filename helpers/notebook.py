"""What every notebook shares: the cohort label, loading, figure stamping and results files."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from helpers.registry import scorecard

RECONSTRUCTED_LABEL = "Reconstructed cohort (synthetic data, not the original patients)"


def stamp(fig, label: str = RECONSTRUCTED_LABEL):
    """Write the cohort label on a figure (bottom right), so no figure can pass for real data."""
    fig.text(0.995, 0.005, label, ha="right", va="bottom", fontsize=7, color="0.35", style="italic")
    return fig


def _plain(value):
    """JSON-safe value at full precision (numpy scalars to Python, NaN/inf to strings)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def save_results(output_dir, notebook: str, values: dict, parameters: dict, details: dict | None = None) -> Path:
    """Write `<output_dir>/results/<notebook>.json`: parameters, computed values (full
    precision), and each registry row's verdict. Keys are sorted so reruns give identical files."""
    card = scorecard(values, ids=[k for k in values])
    payload = {
        "notebook": notebook,
        "parameters": {k: _plain(v) for k, v in parameters.items()},
        "values": {k: _plain(v) for k, v in values.items()},
        "verdicts": {rid: {"verdict": row["verdict"], "reason": row["reason"],
                           "expected_verdict": row["expected_verdict"]} for rid, row in card.iterrows()},
        "details": details or {},
    }
    path = Path(output_dir) / "results" / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, sort_keys=True, default=_plain) + "\n", encoding="utf-8")
    return path


def results_table(values: dict) -> pd.DataFrame:
    """The small closing table of a notebook: reported, reproduced, verdict (and why)."""
    card = scorecard(values, ids=list(values))
    shown = card["reproduced"].map(lambda v: f"{v:.4g}" if isinstance(v, float) else v)
    return pd.DataFrame({"quantity": card["quantity"], "reported": card["reported"], "reproduced": shown,
                         "verdict": card["verdict"], "reason": card["reason"]})


def save_scorecard(output_dir, card: pd.DataFrame) -> Path:
    """Write the full scorecard as `<output_dir>/scorecard.csv` (values at full precision)."""
    path = Path(output_dir) / "scorecard.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    card.assign(reproduced=card["reproduced"].map(repr)).to_csv(path, lineterminator="\n")
    return path
