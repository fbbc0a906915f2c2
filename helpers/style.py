"""One look for every figure: the colour-blind-safe palette (Okabe & Ito), the colour of each
group wherever it appears, plain-number log axes, and the deuteranopia check of the palette.

Colours are chosen from Okabe & Ito's eight (Color Universal Design, 2008). `simulate_cvd`
applies Machado, Oliveira & Fernandes' (2009) model at full severity in linear RGB, and
`distinguishable` compares colours by their CIELAB distance (CIE76 delta E) after it.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
from matplotlib.ticker import LogFormatter

OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
CYCLE = [OKABE_ITO[k] for k in ("blue", "orange", "bluish green", "reddish purple", "sky blue", "vermillion",
                                "black", "yellow")]
GREY = "#CCCCCC"

# Patient groups: the same colour in every notebook.
HIGH_IL6 = OKABE_ITO["vermillion"]      # IL-6 above the cut-off
LOW_IL6 = OKABE_ITO["blue"]             # IL-6 at or below the cut-off
RESPONDER = OKABE_ITO["bluish green"]   # CR or PR
NON_RESPONDER = OKABE_ITO["orange"]     # NC or PD
NOT_EVALUABLE = GREY
GROUP_COLOURS = {"IL-6 above the cut-off": HIGH_IL6, "IL-6 at or below the cut-off": LOW_IL6,
                 "responder": RESPONDER, "non-responder": NON_RESPONDER, "not evaluable": NOT_EVALUABLE}

VERDICT_COLOURS = {"reproduced": OKABE_ITO["bluish green"], "direction only": OKABE_ITO["yellow"],
                   "not reproduced": OKABE_ITO["vermillion"], "not computable": OKABE_ITO["sky blue"]}
REPLICATION_COLOURS = {"replicated": OKABE_ITO["bluish green"], "not replicated": OKABE_ITO["vermillion"],
                       "not testable here": GREY, "descriptive": OKABE_ITO["sky blue"]}
REPORTING_COLOURS = {"yes": OKABE_ITO["bluish green"], "partly": OKABE_ITO["yellow"], "no": OKABE_ITO["vermillion"]}
ANALYTE_COLOURS = {"IL6": OKABE_ITO["vermillion"], "TNFA": OKABE_ITO["blue"], "IL1B": OKABE_ITO["black"],
                   "IL2": OKABE_ITO["bluish green"]}
ROLE_COLOURS = {"standard": OKABE_ITO["sky blue"], "blank": "#DDDDDD", "control": OKABE_ITO["yellow"],
                "sample": OKABE_ITO["reddish purple"], "empty": "#FFFFFF"}
PALETTES = {"groups": GROUP_COLOURS, "verdicts": VERDICT_COLOURS, "replication": REPLICATION_COLOURS,
            "reporting": REPORTING_COLOURS,
            "analytes": ANALYTE_COLOURS, "plate roles": ROLE_COLOURS}

STAMP_FONTSIZE = 10  # pt: the cohort label, readable on a projected slide

# Machado et al. 2009, severity 1.0, on linear RGB.
CVD_MATRICES = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
}
_SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE = _SRGB_TO_XYZ @ np.ones(3)


def _linear(hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)])
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def simulate_cvd(hex_colour: str, kind: str = "deuteranopia") -> np.ndarray:
    """Linear RGB (0-1) of `hex_colour` as seen with full `kind` colour-vision deficiency."""
    return np.clip(CVD_MATRICES[kind] @ _linear(hex_colour), 0, 1)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear-RGB colour."""
    f = _SRGB_TO_XYZ @ linear_rgb / _WHITE
    f = np.where(f > (6 / 29) ** 3, np.cbrt(f), f / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distinguishable(colours: dict, kind: str | None = "deuteranopia") -> dict:
    """CIE76 delta E of every pair of `colours` (name -> hex), as seen with `kind` (None: normal
    vision); the smallest first."""
    seen = {k: lab(simulate_cvd(c, kind) if kind else _linear(c)) for k, c in colours.items()}
    pairs = {(a, b): float(np.linalg.norm(seen[a] - seen[b])) for a, b in combinations(seen, 2)}
    return dict(sorted(pairs.items(), key=lambda kv: kv[1]))


def plain_number(value: float) -> str:
    """A tick label without powers of ten: 0.001, 0.5, 10, 2000."""
    return np.format_float_positional(float(value), precision=6, trim="-")


class PlainLogFormatter(LogFormatter):
    """matplotlib's log formatter (which ticks get a label), writing plain numbers."""

    def _num_to_string(self, x, vmin, vmax):
        return plain_number(x)


def plain_log_axes(fig) -> None:
    """Label every log-scaled axis of `fig` with plain numbers (10, not 10¹); colour bars too."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_major_formatter(PlainLogFormatter())
                axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def format_p(p: float) -> str:
    """A P value as printed: two significant digits, '< 0.0001' below that, never 0.0000."""
    if p is None or not np.isfinite(p):
        return "n/a"
    return "< 0.0001" if p < 0.0001 else f"{p:.2g}"


def p_text(p: float) -> str:
    """'P = 0.0038', 'P < 0.0001' or 'P n/a'."""
    shown = format_p(p)
    return f"P {shown}" if shown[0] in "<n" else f"P = {shown}"
