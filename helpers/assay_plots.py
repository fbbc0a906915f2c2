"""Figures of the assay cleaning (notebook 01): a plate map, the standard curves with the
sample wells on them, the standards' back-calculated recovery, and recovery of the
generator's truth. Each function returns the figure; the notebook stamps it."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, LogNorm

from helpers import assay
from helpers.style import ANALYTE_COLOURS, OKABE_ITO, ROLE_COLOURS

STANDARD, SAMPLE = ROLE_COLOURS["standard"], ROLE_COLOURS["sample"]  # as in the plate map


def _well_label(rec: dict) -> str:
    role = rec["role"]
    if role == "standard":
        return f"{rec['nominal_pg_ml']:.4g}"
    if role == "control":
        return f"C {rec['nominal_pg_ml']:.3g}"
    if role == "blank":
        return "B"
    if role == "sample":
        return rec["sample_id"] + (f"\n1:{rec['dilution']:g}" if rec["dilution"] > 1 else "")
    return ""


def _plate_axes(ax, title):
    ax.set_xticks(range(12), [str(c) for c in range(1, 13)])
    ax.set_yticks(range(8), list("ABCDEFGH"))
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    ax.set_title(title, pad=22)


def plot_plate_map(wells: pd.DataFrame, figsize=(15, 5.2)):
    """One plate: the layout's role of every well (labels: standard pg/ml, B = blank, C = control,
    sample id and dilution) beside the raw reader signal on a log colour scale (x = read error)."""
    fig, (ax_role, ax_sig) = plt.subplots(1, 2, figsize=figsize, constrained_layout=True)
    roles = list(ROLE_COLOURS)
    codes = assay.plate_grid(wells.assign(code=wells["role"].map(roles.index)), "code")
    ax_role.imshow(codes.to_numpy(float), cmap=ListedColormap(list(ROLE_COLOURS.values())), vmin=-0.5,
                   vmax=len(roles) - 0.5)
    labels = assay.plate_grid(wells.assign(label=[_well_label(r) for r in wells.to_dict("records")]), "label")
    for i in range(8):
        for j in range(12):
            ax_role.text(j, i, labels.iat[i, j], ha="center", va="center", fontsize=7.5)
    for role, colour in ROLE_COLOURS.items():
        ax_role.scatter([], [], marker="s", s=60, color=colour, edgecolor="0.5", label=role)
    ax_role.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=5, fontsize=8, frameon=False)
    plate_id = wells["plate_id"].iloc[0]
    _plate_axes(ax_role, f"{plate_id}: layout (standards labelled in pg/ml)")

    signal = assay.plate_grid(wells, "signal").to_numpy(float)
    positive = signal[np.isfinite(signal) & (signal > 0)]
    im = ax_sig.imshow(np.where(signal > 0, signal, np.nan), cmap="viridis",
                       norm=LogNorm(positive.min(), positive.max()))
    errors = assay.plate_grid(wells, "read_error")
    for i in range(8):
        for j in range(12):
            if errors.iat[i, j]:
                ax_sig.text(j, i, "x", ha="center", va="center", color=OKABE_ITO["vermillion"], fontsize=12,
                            fontweight="bold")
    mode = wells["read_mode"].iloc[0] if "read_mode" in wells else "signal"
    fig.colorbar(im, ax=ax_sig, shrink=0.85, label=f"raw {mode.lower()} signal (log scale)")
    _plate_axes(ax_sig, f"{plate_id}: raw signal (x = reader error)")
    return fig


def _grid(n, ncols, width=4.0, height=3.4):
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows + 0.4), squeeze=False,
                             constrained_layout=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def plot_standard_curves(plates: list, used_wells: pd.DataFrame | None = None, ncols: int = 4):
    """Per plate, on log-log axes: the standards (blank-corrected signal against nominal), the
    fitted curve, the quantifiable range LLOQ-ULOQ (shaded) and the LOD (dotted), and every
    readable sample well at its back-calculated in-well concentration. Sample wells that read
    at or below the zero-dose signal (or outside the axes) are drawn on the left edge as
    triangles. `used_wells` (the well accounting) marks superseded wells in grey."""
    fig, axes = _grid(len(plates), ncols)
    for ax, p in zip(axes, plates):
        w = p.wells[p.wells["signal"].notna()]
        std = w[w["role"] == "standard"]
        x_lo, x_hi = std["nominal_pg_ml"].min() / 30, std["nominal_pg_ml"].max() * 3
        y_pos = std.loc[std["corrected"] > 0, "corrected"]
        y_lo = y_pos.min() / 10
        ax.axvspan(p.lloq, p.uloq, color="#e8f4e8", zorder=0, label="LLOQ-ULOQ")
        ax.axvline(p.lod, color="0.4", ls=":", lw=1, label="LOD")
        xs = np.logspace(np.log10(x_lo), np.log10(x_hi), 200)
        ax.plot(xs, p.curve.signal(xs), color="0.2", lw=1.2, label=f"{p.curve.model} fit")
        ax.scatter(std["nominal_pg_ml"], std["corrected"].clip(lower=y_lo), s=22, color=STANDARD,
                   zorder=3, label="standards")
        samples = w[w["role"] == "sample"].copy()
        if used_wells is not None:
            use = used_wells[used_wells["plate_id"] == p.plate_id].set_index("well")["use"]
            samples["superseded"] = samples["well"].map(use).eq("excluded")
        else:
            samples["superseded"] = False
        x = samples["well_conc"].to_numpy(float)
        off = ~(x > x_lo) | (samples["corrected"].to_numpy() <= y_lo)
        x_plot = np.where(off, x_lo, np.minimum(x, x_hi))
        y_plot = np.clip(samples["corrected"].to_numpy(float), y_lo, None)
        for mask, style in (
                (~off & ~samples["superseded"], dict(marker="o", s=14, color=SAMPLE, label="sample wells")),
                (off & ~samples["superseded"], dict(marker="<", s=18, color=SAMPLE, label="sample wells off scale")),
                (samples["superseded"].to_numpy(), dict(marker="o", s=18, facecolor="none", edgecolor="0.5",
                                                       label="superseded wells"))):
            if mask.any():
                ax.scatter(x_plot[mask], y_plot[mask], zorder=4, alpha=0.8, **style)
        ax.set(xscale="log", yscale="log", xlim=(x_lo * 0.8, x_hi), ylim=(y_lo * 0.8, None),
               title=f"{p.plate_id} ({p.curve.model}, R² {p.curve.r_squared:.4f})",
               xlabel="in-well concentration (pg/ml)", ylabel="blank-corrected signal")
        ax.title.set_fontsize(10)
    handles = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(handles.values(), handles.keys(), loc="outside upper center", ncol=len(handles), fontsize=9,
               frameon=False)
    return fig


def plot_standard_recovery(standards: pd.DataFrame, ncols: int = 4):
    """Back-calculated standards as % of nominal, one panel per plate: each well (dots) and the
    level mean (line), with the 80-120 % acceptance band. `standards` is assay.standard_wells
    of every plate, concatenated."""
    plates = list(dict.fromkeys(standards["plate_id"]))
    fig, axes = _grid(len(plates), ncols, height=2.8)
    lo, hi = assay.RECOVERY_LIMITS
    for ax, plate_id in zip(axes, plates):
        s = standards[standards["plate_id"] == plate_id]
        level = s.groupby("nominal_pg_ml")["back_calculated_pg_ml"].mean()
        ax.axhspan(lo, hi, color="#e8f4e8", zorder=0)
        ax.axhline(100, color="0.5", lw=0.8)
        ax.scatter(s["nominal_pg_ml"], s["recovery_percent"].clip(0, 200), s=14, color=STANDARD, alpha=0.7)
        ax.plot(level.index, (level / level.index * 100).clip(0, 200), color=STANDARD, lw=1)
        ax.set(xscale="log", ylim=(50, 150), title=plate_id, xlabel="nominal (pg/ml)", ylabel="back-calculated, % of nominal")
        ax.title.set_fontsize(10)
    return fig


def plot_truth_recovery(recovery: pd.DataFrame):
    """Left: reported against true concentration (log-log) for every (sample, analyte);
    quantified results as dots, left-censored ones as downward triangles at their LLOQ,
    right-censored ones as upward triangles at their ULOQ. Right: relative error (%) of the
    quantified results against the true concentration."""
    fig, (ax, ax_err) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    for analyte, g in recovery.groupby("analyte", sort=False):
        colour = ANALYTE_COLOURS.get(analyte)
        q, left, right = (g[g["censoring"] == c] for c in ("none", "left", "right"))
        if len(q):
            ax.scatter(q["true_pg_ml"], q["value_pg_ml"], s=20, color=colour, label=f"{analyte} quantified")
        if len(left):
            ax.scatter(left["true_pg_ml"], left["lloq_pg_ml"], s=20, marker="v", facecolor="none",
                       edgecolor=colour, label=f"{analyte} < LLOQ (drawn at LLOQ)")
        if len(right):
            ax.scatter(right["true_pg_ml"], right["uloq_pg_ml"], s=30, marker="^", color=colour,
                       label=f"{analyte} > ULOQ (drawn at ULOQ)")
        if len(q):
            ax_err.scatter(q["true_pg_ml"], q["relative_error"] * 100, s=20, color=colour, label=analyte)
    lims = [recovery[["true_pg_ml", "value_pg_ml", "lloq_pg_ml"]].min().min() / 2,
            recovery[["true_pg_ml", "value_pg_ml", "uloq_pg_ml"]].max().max() * 2]
    ax.plot(lims, lims, color="0.5", lw=0.8, ls="--", label="reported = true")
    ax.set(xscale="log", yscale="log", xlim=lims, ylim=lims, xlabel="true concentration (pg/ml)",
           ylabel="reported concentration or limit (pg/ml)", title="Reported against true")
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    ax_err.axhline(0, color="0.5", lw=0.8)
    ax_err.set(xscale="log", xlabel="true concentration (pg/ml)", ylabel="relative error (%)",
               title="Quantified results: relative error")
    ax_err.legend(fontsize=8)
    return fig
