"""What every notebook shares: the cohort label, figure stamping and publishing, results files."""
from __future__ import annotations

import base64
import io
import json
import math
from pathlib import Path

import pandas as pd

from helpers.registry import not_owned, scorecard
from helpers.style import STAMP_FONTSIZE, plain_log_axes

RECONSTRUCTED_LABEL = "Reconstructed cohort (synthetic data, not the original patients)"


def stamp(fig, label: str = RECONSTRUCTED_LABEL, y: float | None = None):
    """Write the cohort label on a figure, so no figure can pass for real data.

    By default the layout is computed and frozen and the label goes below everything the figure
    draws, right-aligned, so it never covers an axis; a figure saved with a tight bounding box
    (as `publish` and the inline backend do) grows to hold it. A figure saved at a fixed size
    instead reserves a strip and passes its height `y` (figure fraction) there."""
    if y is None:
        fig.draw_without_rendering()  # runs the layout engine once ...
        fig.set_layout_engine("none")  # ... and keeps that layout
        box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
        x, y, va = box.x1 / fig.get_figwidth(), (box.y0 - 0.06) / fig.get_figheight(), "top"
    else:
        x, va = 0.995, "bottom"
    fig.text(x, y, label, ha="right", va=va, fontsize=STAMP_FONTSIZE, color="0.2", style="italic")
    return fig


def publish(fig, name: str, caption: str, output_dir, label: str = RECONSTRUCTED_LABEL) -> dict:
    """Finish a notebook figure and show it: plain-number log axes, the cohort label (stamp),
    `<output_dir>/figures/<name>.png` (300 dpi) and `.svg` for slides, then the figure inline
    with `caption` as its alt text (display metadata "alt", read by the report and handout
    templates, with "figure": name). Closes the figure; returns the two paths."""
    import matplotlib.pyplot as plt
    from IPython.display import publish_display_data

    plain_log_axes(fig)
    stamp(fig, label)
    folder = Path(output_dir) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"png": folder / f"{name}.png", "svg": folder / f"{name}.svg"}
    tight = {"bbox_inches": "tight", "pad_inches": 0.08}
    fig.savefig(paths["png"], dpi=300, metadata={"Software": None}, **tight)
    with plt.rc_context({"svg.hashsalt": name}):  # stable ids: identical files on every run
        fig.savefig(paths["svg"], metadata={"Date": None}, **tight)
    inline = io.BytesIO()
    fig.savefig(inline, format="png", dpi=100, **tight)
    plt.close(fig)
    publish_display_data({"image/png": base64.b64encode(inline.getvalue()).decode("ascii"),
                          "text/plain": f"Figure: {caption}"},
                         metadata={"image/png": {"alt": caption, "figure": name}})
    return paths


def _plain(value):
    """JSON-safe value at full precision (numpy scalars to Python, NaN/inf to strings)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def save_results(output_dir, notebook: str, values: dict, parameters: dict, details: dict | None = None) -> Path:
    """Write `<output_dir>/results/<notebook>.json`: parameters, computed values (full
    precision), and each registry row's verdict. Keys are sorted so reruns give identical files.
    `values` holds only rows the notebook owns (the registry's `notebook` column): a value
    another notebook owns belongs in `details`, and passing it is a ValueError."""
    stray = not_owned(notebook, values)
    if stray:
        raise ValueError(f"{notebook} does not own registry row(s) {', '.join(stray)}; show them, put them in details")
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
