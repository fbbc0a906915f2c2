"""What every notebook shares: the study it runs on, whether it has anything to do there, the
cohort label, figure stamping and publishing, results files."""
from __future__ import annotations

import base64
import functools
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.errors import InputError
from helpers.registry import load_registry, not_owned, scorecard
from helpers.style import STAMP_FONTSIZE, plain_log_axes

RECONSTRUCTED_LABEL = "Reconstructed cohort (synthetic data, not the original patients)"


@dataclass(frozen=True)
class Session:
    """What a notebook works on: the study (helpers.study), its cohort (helpers.cohort), the
    analysis variables (helpers.findings.derive) and every result (helpers.findings.findings)."""
    study: object
    cohort: object
    derived: object
    results: dict

    @property
    def table(self) -> pd.DataFrame:
        return self.cohort.table

    @property
    def label(self) -> str:
        return self.study.label

    @functools.cached_property
    def registry(self) -> pd.DataFrame | None:
        return load_registry(self.study.registry_file) if self.study.registry_file else None

    @property
    def paper_layout(self) -> bool:
        """The paper's clinical table and plate files: the paper's own detailed analyses apply."""
        return self.study.clinical_format == "zhang1999" and self.study.marker_source == "plates" \
            and self.study.primary.id == "IL6"


def open_study(study_file, output_dir, keep_failed_plates: bool = False, cutoff: float | None = None) -> Session:
    """Load a study file and its cohort (cleaned tables kept in `<output_dir>/cleaned`), with the
    primary marker's cut-off replaced by `cutoff` when it is given, and compute every result."""
    from helpers import findings
    from helpers.cohort import load_study_cohort
    from helpers.study import load_study

    study = load_study(study_file)
    if cutoff is not None:
        try:
            study = study.with_cutoff(cutoff)
        except ValueError as err:
            raise InputError.at("the cutoff parameter", str(err)) from None
    cohort = load_study_cohort(study, Path(output_dir) / "cleaned", keep_failed_plates)
    return Session(study, cohort, findings.derive(study, cohort.table), findings.findings(study, cohort.table))


def nothing_to_do(notebook: str, study) -> str:
    """Why a notebook of the set has nothing to do for a study ('' when it has)."""
    m = study.primary
    reasons = {
        "01_assay_cleaning": "" if study.marker_source == "plates" else
        f"The markers of this study come from a concentrations table ({study.concentrations_file.name}), "
        "not from plate-reader files, so there are no plates to clean.",
        "03_marker_by_group": "" if study.comparisons else f"The study defines no groups to compare {m.name} across.",
        "04_marker_and_correlate": "" if study.correlate else f"The study defines no correlate of {m.name} (such as CRP).",
        "05_marker_and_response": "" if study.response else "The study defines no response to treatment.",
        "06_survival": "" if study.survival else "The study defines no survival outcome.",
        "08_appraisal": "" if study.reconstructed else
        "This notebook appraises the statistics the 1999 paper printed; it has nothing to say about another study.",
        "09_cutoff_explorer": "" if (study.clinical_format == "zhang1999" and m.id == "IL6" and study.survival) else
        "The cut-off explorer is built for IL-6 in the paper's table format; this study is in another form.",
        "A1_reconstruction": "" if study.reconstructed else
        "This appendix explains how the reconstructed cohort was built; this study holds real (or your own) data.",
    }
    return reasons.get(notebook, "")


def applies(notebook: str, session: Session) -> None:
    """Show the cohort banner; when the notebook has nothing to do for the study, say why and
    stop the notebook here (a clean stop: papermill and the report treat it as done)."""
    from IPython.display import Markdown, display

    display(Markdown(banner(session.study)))
    reason = nothing_to_do(notebook, session.study)
    if reason:
        display(Markdown(f"**Nothing to do for this study.** {reason}"))
        raise SystemExit(0)


def paper_details(session: Session, reconstructed_only: bool = False) -> None:
    """Before the sections that examine the paper's own analyses in detail: stop here, saying
    why, unless the study is in the paper's form (its clinical table and plate files), or,
    with `reconstructed_only`, unless it is the reconstructed cohort."""
    from IPython.display import Markdown, display

    if reconstructed_only and not session.study.reconstructed:
        display(Markdown("**The rest of this notebook is about the reconstructed cohort**: how it was built and "
                         "what it had to assume. This study holds other data, so it stops here."))
        raise SystemExit(0)
    if not session.paper_layout:
        display(Markdown("**The rest of this notebook examines the paper's analyses in detail** on the paper's "
                         "clinical table and plate files; this study is in another form, so it stops here."))
        raise SystemExit(0)


# which results (helpers.findings keys, by prefix) each notebook reports when a study has no registry
NOTEBOOK_RESULTS = {"02_cohort_and_markers": ("patients", "measured.", "detectable.", "above_cutoff", "classified.",
                                                "detectability."),
                    "03_marker_by_group": ("comparison.",), "04_marker_and_correlate": ("correlate.",),
                    "05_marker_and_response": ("response.",), "06_survival": ("survival.", "cox.")}


def owned_values(session: Session, notebook: str) -> dict:
    """The registry values this notebook owns (the registry's `notebook` column), computed
    from the session's results; {} when the study has no registry."""
    from helpers.registry import registry_values

    reg = session.registry
    if reg is None:
        return {}
    values = registry_values(reg, session.results)
    return {rid: values[rid] for rid in reg.index[reg["notebook"] == notebook]}


def closing(session: Session, notebook: str, output_dir, parameters: dict, details: dict | None = None) -> pd.DataFrame:
    """Save the notebook's results file and return its closing table: with a registry in
    reproduce mode, reported / reproduced / verdict; in replicate mode, the paper's value beside
    this cohort's and the replication verdict; without a registry, this notebook's results."""
    from helpers.registry import replication_card

    values = owned_values(session, notebook)
    mine = {k: v for k, v in session.results.items() if k.startswith(NOTEBOOK_RESULTS.get(notebook, ("-",)))}
    replicate = session.study.registry_mode == "replicate"
    save_results(output_dir, notebook, values, parameters,
                 (details or {}) | {"results": mine}, session.registry, replicate)
    if session.registry is None:
        from helpers.findings import result_label
        return pd.DataFrame({"result": list(mine), "what": [result_label(session.study, k) for k in mine],
                             "value": [shown(v) for v in mine.values()]}).set_index("result")
    if session.study.registry_mode == "replicate":
        from helpers.registry import registry_values
        card = replication_card(registry_values(session.registry, session.results), session.registry)
        return card.loc[list(values)].assign(**{"this cohort": lambda c: c["this cohort"].map(shown)})
    return results_table(values, session.registry)


def shown(v) -> str:
    """A value as a results table shows it: 4 significant digits, or what stands for it."""
    return f"{v:.4g}" if isinstance(v, float) else "not testable here" if v is None else str(v)


def banner(study) -> str:
    """The line every notebook opens with: the cohort and what kind of data it is, and a cut-off
    chosen for this run instead of the study's."""
    m = study.primary
    chosen = ("" if m.fixed_in_advance else
              f"\n>\n> **Cut-off chosen for this run:** {m.name} {m.cutoff:g} {m.unit} ({m.cutoff_source}).")
    if study.reconstructed:
        return (f"> **{study.label}.** The original patient data were never published; every number below comes "
                "from a cohort rebuilt to match the paper's printed results." + chosen)
    return f"> **Cohort: {study.label}** (study file `{study.path.name}` in `{study.directory.name}/`)." + chosen


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


def save_results(output_dir, notebook: str, values: dict, parameters: dict, details: dict | None = None,
                 registry: pd.DataFrame | None = None, replicate: bool = False) -> Path:
    """Write `<output_dir>/results/<notebook>.json`: parameters, computed values (full
    precision), and each registry row's verdict. Keys are sorted so reruns give identical files.
    `values` holds only rows the notebook owns (the registry's `notebook` column): a value
    another notebook owns belongs in `details`, and passing it is a ValueError."""
    stray = not_owned(notebook, values, registry)
    if stray:
        raise ValueError(f"{notebook} does not own registry row(s) {', '.join(stray)}; show them, put them in details")
    if replicate:  # claims to replicate (a claim's conditions name rows of the same notebook)
        from helpers.registry import replication_card
        card = replication_card(values, registry).loc[list(values)].assign(expected_verdict="")
    else:
        card = scorecard(values, ids=[k for k in values], registry=registry)
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


def results_table(values: dict, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """The small closing table of a notebook: reported, reproduced, verdict (and why)."""
    card = scorecard(values, ids=list(values), registry=registry)
    reproduced = card["reproduced"].map(lambda v: f"{v:.4g}" if isinstance(v, float) else v)
    return pd.DataFrame({"quantity": card["quantity"], "reported": card["reported"], "reproduced": reproduced,
                         "verdict": card["verdict"], "reason": card["reason"]})


def save_scorecard(output_dir, card: pd.DataFrame) -> Path:
    """Write the full scorecard as `<output_dir>/scorecard.csv` (values at full precision)."""
    path = Path(output_dir) / "scorecard.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    value = next(c for c in ("reproduced", "this cohort", "value") if c in card)
    card.assign(**{value: card[value].map(repr)}).to_csv(path, lineterminator="\n")
    return path
