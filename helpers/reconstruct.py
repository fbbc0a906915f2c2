"""Build the reconstructed cohort: clinical table, raw plate exports and layouts.

The paper's patient data were never published. This generator makes a synthetic cohort
whose analysis, done as the paper did, gives back the reported numbers. It works at the
level of the *measured* values: IL-6 values are designed so that group medians, the
cut-off count and the Mann-Whitney P values hit the registry, then each sample's true
concentration is found by inverting the simulated assay (4PL curve + well noise + the
cleaning helpers' own standard-curve fit), so that cleaning the raw plates returns the
designed values while the truth differs from them by realistic assay error.

    python -m helpers.reconstruct --out data [--seed N] [--assumptions data/assumptions.yaml]
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import optimize

from helpers import ROOT, analysis, assay, plates, stats, survival
from helpers.clinical import dominant_site
from helpers.errors import InputError, Problem, cli_errors, display_name
from helpers.registry import REGISTRY, load_registry, reported_value
from helpers.study import PAPER_STUDY

ASSUMPTIONS = ROOT / "data" / "assumptions.yaml"
N = int(reported_value(load_registry(), "R01"))  # the paper's number of patients
SAMPLE_SLOTS = [(r, c) for c in (4, 6, 8) for r in plates.ROWS]  # duplicate pairs: columns c, c+1
RETEST_WELLS = ("G3", "H3")


def read_yaml(path: Path):
    """A YAML file's content; a syntax error is an InputError naming the file and line."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        raise InputError.at(path, f"YAML syntax error: {err.problem}", line=mark.line + 1 if mark else None) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError.at(path, f"cannot read the file ({err})") from None


def load_assumptions(path: Path = ASSUMPTIONS) -> dict:
    """Nested dict of assumption values; every leaf must carry `value` and `why`."""
    problems = []

    def values(node, where):
        if isinstance(node, dict) and "value" in node:
            if not str(node.get("why", "")).strip():
                problems.append(Problem(display_name(path), "has no 'why'", column=where))
            return node["value"]
        if isinstance(node, dict) and node:
            return {k: values(v, f"{where}.{k}" if where else k) for k, v in node.items()}
        problems.append(Problem(display_name(path), "must be {value: ..., why: ...}", column=where or "(top)"))
        return None
    result = values(read_yaml(path), "")
    if not problems and Path(path).resolve() != ASSUMPTIONS.resolve():
        problems = [Problem(display_name(path), text, column=where)
                    for where, text in _shape_problems(result, load_assumptions(ASSUMPTIONS), "")]
    if problems:
        raise InputError(problems)
    return result


def _shape_problems(value, reference, where: str) -> list[tuple[str, str]]:
    """(key path, message) where `value` departs from the committed assumptions' shape: a
    missing or unknown key, another type, or a negative number where the committed one is not."""
    def kind(v):
        return "an integer" if isinstance(v, int) and not isinstance(v, bool) else \
            "a number" if isinstance(v, float) else "a list" if isinstance(v, list) else \
            "a mapping" if isinstance(v, dict) else "text" if isinstance(v, str) else type(v).__name__
    if isinstance(reference, dict) and isinstance(value, dict):
        out = [(f"{where}.{k}".lstrip("."), "missing") for k in reference if k not in value]
        out += [(f"{where}.{k}".lstrip("."), f"unknown key (expected one of {', '.join(map(str, reference))})")
                for k in value if k not in reference]
        for k in reference.keys() & value.keys():
            out += _shape_problems(value[k], reference[k], f"{where}.{k}".lstrip("."))
        return out
    if isinstance(reference, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # 2 for 2.0 is fine
    if kind(value) != kind(reference):
        return [(where, f"{value!r} is {kind(value)}, expected {kind(reference)} (like {reference!r})")]
    if isinstance(reference, (int, float)) and reference >= 0 and value < 0:
        return [(where, f"{value!r} is negative")]
    if isinstance(reference, list) and reference and value:
        return [p for v in value for p in _shape_problems(v, reference[0], where)][:1]
    return []


# ---------------------------------------------------------------- rank-level statistics
def _midranks(n: int, n_tied_bottom: int) -> np.ndarray:
    """Ranks of slots 0..n-1 (ascending values) when the lowest n_tied_bottom values tie."""
    m = np.arange(1.0, n + 1)
    m[:n_tied_bottom] = (n_tied_bottom + 1) / 2
    return m


def _mw_p(member_ranks: np.ndarray, n: int, n_tied: int) -> tuple[float, float]:
    """The Mann-Whitney P (stats.mann_whitney_normal_p, as stats.mann_whitney reports it) of a
    group with the given midranks among n values whose lowest n_tied tie, and U - mean
    (positive: group higher). Works on ranks so the design search can call it per swap."""
    n1 = len(member_ranks)
    u = member_ranks.sum() - n1 * (n1 + 1) / 2
    return stats.mann_whitney_normal_p(u, n1, n - n1, (n_tied,)), u - n1 * (n - n1) / 2


def _log_distance(p: float, low: float, high: float) -> float:
    """How far P lies outside [low, high], in decades (0 inside)."""
    lp = math.log10(p)
    return max(0.0, math.log10(low) - lp, lp - math.log10(high))


def _target(row: pd.Series, margin: float) -> tuple[float, float]:
    """The range a designed value aims at: half a printed bound, or the middle of an interval."""
    if row["kind"] == "below":
        return 1e-300, row["high"] * margin
    width = (row["high"] - row["low"]) * (1 - margin) / 2 * 0.8
    return row["low"] + width, row["high"] - width


# ---------------------------------------------------------------- clinical attributes
def _clinical_attributes(a: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Sites, dominant site, liver / effusion flags with the assumed group sizes."""
    c = a["cohort"]
    order = rng.permutation(N)
    one_site = np.zeros(N, bool)
    one_site[order[: c["n_one_site"]]] = True
    multi = np.flatnonzero(~one_site)
    visceral_multi = rng.choice(multi, c["n_visceral"] - c["n_one_site_visceral"], replace=False)
    liver = rng.choice(visceral_multi, c["n_liver"], replace=False)
    rest = np.setdiff1d(visceral_multi, liver)
    both = rng.choice(liver, c["n_liver_and_effusion"], replace=False)
    effusion = np.concatenate([both, rng.choice(rest, c["n_effusion"] - len(both), replace=False)])
    single = np.flatnonzero(one_site)
    single_lung = rng.choice(single, c["n_one_site_visceral"], replace=False)
    sites = []
    for i in range(N):
        if one_site[i]:
            s = {"lung"} if i in single_lung else {rng.choice(["bone", "bone", "bone", "lymph_node", "soft_tissue"])}
        else:
            s = set()
            if i in liver:
                s.add("liver")
            if i in effusion:
                s.add("pleura")
            if i in visceral_multi and not s or i in visceral_multi and rng.random() < 0.3:
                s.add("lung")
            if i not in visceral_multi:
                s |= set(rng.choice(["bone", "lymph_node", "soft_tissue"], 2, replace=False, p=[0.5, 0.3, 0.2]))
            for site, p in (("bone", 0.6), ("lymph_node", 0.35)):
                if rng.random() < p:
                    s.add(site)
            if len(s) < 2:
                s.add("bone" if "bone" not in s else "lymph_node")
        sites.append(sorted(s, key=["bone", "liver", "lung", "pleura", "lymph_node", "soft_tissue"].index))
    df = pd.DataFrame({"sites": [";".join(s) for s in sites], "n_sites": [len(s) for s in sites]})
    df["liver_metastasis"] = df["sites"].str.contains("liver")
    df["pleural_effusion"] = df["sites"].str.contains("pleura")
    df["dominant_site"] = [dominant_site(s) for s in sites]
    return df


# ---------------------------------------------------------------- IL-6 design
MEDIAN_ANCHORS = [("R07b", "one"), ("R09b", "noliver"), ("R10b", "noeff"), ("R08b", "nonvisc"),
                  ("R07a", "multi"), ("R08a", "visc"), ("R10a", "eff"), ("R09a", "liver")]


def _il6_order(attrs: pd.DataFrame, reg: pd.DataFrame, a: dict, rng: np.random.Generator) -> np.ndarray:
    """Slot (0 = lowest IL-6) of every patient, found by a seeded swap search so that the
    Mann-Whitney P values hit their registry targets and the group medians fall on slots
    whose order matches the reported medians and the 4 pg/ml cut-off."""
    groups = {
        "multi": attrs["n_sites"].to_numpy() > 1,
        "visc": (attrs["dominant_site"] == "visceral").to_numpy(),
        "liver": attrs["liver_metastasis"].to_numpy(),
        "eff": attrs["pleural_effusion"].to_numpy(),
    }
    groups |= {"one": ~groups["multi"], "nonvisc": ~groups["visc"], "noliver": ~groups["liver"],
               "noeff": ~groups["eff"]}
    for name, g in groups.items():
        if g.sum() % 2 == 0:
            raise ValueError(f"group '{name}' has an even size ({g.sum()}); odd sizes make each median one value")
    n_tied = len(a["il6"]["below_lloq_values_pg_ml"])
    n_low = N - int(reg.loc["R06a", "low"])
    margin = a["il6"]["search_margin"]
    ranks = _midranks(N, n_tied)
    p_targets = {g: _target(reg.loc[rid], margin) for g, rid in
                 (("multi", "R07c"), ("visc", "R08c"), ("liver", "R09c"), ("eff", "R10c"))}
    anchor_values = [reg.loc[rid, "low"] + (reg.loc[rid, "high"] - reg.loc[rid, "low"]) / 2 for rid, _ in MEDIAN_ANCHORS]

    def cost(slot):
        total = 0.0
        for g, (lo, hi) in p_targets.items():
            p, dev = _mw_p(ranks[slot[groups[g]]], N, n_tied)
            total += _log_distance(p, lo, hi) + (dev < 0) * 10
        med = [np.sort(slot[groups[g]])[groups[g].sum() // 2] for _, g in MEDIAN_ANCHORS]
        for i, (s, v) in enumerate(zip(med, anchor_values)):
            total += max(0, n_tied + 1 - s) + max(0, s - (N - 3))
            total += max(0, s - (n_low - 1)) if v <= 4 else max(0, n_low - s)
            if i and s <= med[i - 1]:
                total += med[i - 1] - s + 1
        return total

    latent = (1.2 * groups["multi"] + 0.9 * groups["liver"] + 0.6 * groups["eff"] + 0.4 * groups["visc"]
              + rng.normal(size=N))
    slot = np.empty(N, int)
    slot[np.argsort(latent, kind="stable")] = np.arange(N)
    current = cost(slot)
    for step in range(40000):
        if current == 0:
            return slot
        i, j = rng.choice(N, 2, replace=False)
        slot[i], slot[j] = slot[j], slot[i]
        new = cost(slot)
        if new <= current or rng.random() < math.exp((current - new) / max(0.02, 0.3 * (1 - step / 40000))):
            current = new
        else:
            slot[i], slot[j] = slot[j], slot[i]
    raise RuntimeError("IL-6 design search did not meet every registry target; change the seed or assumptions")


def _il6_values(slot: np.ndarray, attrs: pd.DataFrame, reg: pd.DataFrame, a: dict,
                rng: np.random.Generator) -> np.ndarray:
    """Designed measured IL-6 per patient: medians exactly at the reported values, the
    cut-off between the 24th and 25th value, log-spaced jittered values in between."""
    il6 = a["il6"]
    groups = {"one": attrs["n_sites"] == 1, "multi": attrs["n_sites"] > 1,
              "visc": attrs["dominant_site"] == "visceral", "nonvisc": attrs["dominant_site"] != "visceral",
              "liver": attrs["liver_metastasis"], "noliver": ~attrs["liver_metastasis"],
              "eff": attrs["pleural_effusion"], "noeff": ~attrs["pleural_effusion"]}
    n_tied, n_low = len(il6["below_lloq_values_pg_ml"]), N - int(reg.loc["R06a", "low"])
    fixed = {n_tied: il6["lowest_quantified_pg_ml"], n_low - 1: il6["below_cutoff_edge_pg_ml"][0],
             n_low: il6["below_cutoff_edge_pg_ml"][1], N - 2: il6["second_highest_pg_ml"], N - 1: il6["highest_pg_ml"]}
    for rid, g in MEDIAN_ANCHORS:
        members = np.sort(slot[groups[g].to_numpy()])
        fixed[int(members[len(members) // 2])] = round((reg.loc[rid, "low"] + reg.loc[rid, "high"]) / 2, 6)
    by_slot = np.empty(N)
    by_slot[:n_tied] = il6["below_lloq_values_pg_ml"]
    points = sorted(fixed.items())
    for (s0, v0), (s1, v1) in zip(points, points[1:]):
        if v1 <= v0:
            raise RuntimeError(f"IL-6 design: value at slot {s1} ({v1}) not above slot {s0} ({v0})")
        k = s1 - s0 - 1
        pos = (np.arange(1, k + 1) + rng.uniform(-0.3, 0.3, k)) / (k + 1)
        by_slot[s0] = v0
        by_slot[s0 + 1:s1] = np.exp(np.log(v0) + np.sort(pos) * (np.log(v1) - np.log(v0)))
    by_slot[points[-1][0]] = points[-1][1]
    return np.round(by_slot[slot], 6)


def _responses(slot: np.ndarray, reg: pd.DataFrame, a: dict, rng: np.random.Generator) -> np.ndarray:
    """Best response per patient: non-responders (NC/PD) placed higher on IL-6 by a swap
    search until the Mann-Whitney P hits the registry target."""
    counts = a["response"]["counts"]
    n_tied = len(a["il6"]["below_lloq_values_pg_ml"])
    evaluable = np.sort(rng.choice(N, N - counts["NE"], replace=False))
    sub_slot = slot[evaluable]
    order = np.argsort(np.argsort(sub_slot))
    ranks = _midranks(len(evaluable), int((sub_slot < n_tied).sum()))[order]
    n_tied_e = int((sub_slot < n_tied).sum())
    lo, hi = _target(reg.loc["R12b"], a["il6"]["search_margin"])
    n_nonresp = counts["NC"] + counts["PD"]
    nonresp = np.zeros(len(evaluable), bool)
    nonresp[np.argsort(sub_slot + rng.normal(0, 15, len(evaluable)))[-n_nonresp:]] = True

    def cost(mask):
        p, dev = _mw_p(ranks[mask], len(evaluable), n_tied_e)
        return _log_distance(p, lo, hi) + (dev < 0) * 10

    current = cost(nonresp)
    for _ in range(20000):
        if current == 0:
            break
        i = rng.choice(np.flatnonzero(nonresp))
        j = rng.choice(np.flatnonzero(~nonresp))
        nonresp[i], nonresp[j] = False, True
        new = cost(nonresp)
        if new <= current:
            current = new
        else:
            nonresp[i], nonresp[j] = True, False
    if current:
        raise RuntimeError("response design search did not meet the registry target")
    out = np.full(N, "NE", dtype=object)
    nr, r = evaluable[nonresp], evaluable[~nonresp]
    out[rng.permutation(nr)] = ["NC"] * counts["NC"] + ["PD"] * counts["PD"]
    out[rng.permutation(r)] = ["CR"] * counts["CR"] + ["PR"] * counts["PR"]
    return out


def _crp(slot: np.ndarray, reg: pd.DataFrame, a: dict, rng: np.random.Generator) -> np.ndarray:
    """CRP (mg/dl) whose Spearman correlation with IL-6 hits the registry's r."""
    c = a["crp"]
    n_tied = len(a["il6"]["below_lloq_values_pg_ml"])
    il6_rank = _midranks(N, n_tied)[slot]
    z = (il6_rank - il6_rank.mean()) / il6_rank.std()
    crp = np.maximum(np.round(c["median_mg_dl"] * np.exp(c["log_sd"] * (0.5 * z + 0.85 * rng.normal(size=N))), 2),
                     c["minimum_mg_dl"])
    lo, hi = _target(reg.loc["R11a"], a["il6"]["search_margin"])
    crp_rank = pd.Series(crp).rank().to_numpy()

    for _ in range(20000):
        current = stats.pearson_r(il6_rank, crp_rank)  # Spearman's r: the values' mid-ranks
        if lo <= current <= hi:
            return crp
        i, j = rng.choice(N, 2, replace=False)
        crp_rank[[i, j]], crp[[i, j]] = crp_rank[[j, i]], crp[[j, i]]
        if abs(stats.pearson_r(il6_rank, crp_rank) - (lo + hi) / 2) > abs(current - (lo + hi) / 2):
            crp_rank[[i, j]], crp[[i, j]] = crp_rank[[j, i]], crp[[j, i]]
    raise RuntimeError("CRP design search did not meet the registry target")


def _survival(table: pd.DataFrame, reg: pd.DataFrame, a: dict, rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    """Overall survival from exponential hazards (IL-6 high and short DFI adverse, others
    null) with administrative censoring, redrawn until log-rank and Cox match the registry.
    Returns the times and the number of draws it took."""
    s = a["survival"]
    start, end = (dt.date.fromisoformat(d) for d in s["sampling_window"])
    last = dt.date.fromisoformat(s["last_follow_up"])
    acc = s["acceptance"]
    t = analysis.add_covariates(table)
    log_hr = np.log(s["hazard_ratios"]["il6_high"]) * t["il6_high"] + \
        np.log(s["hazard_ratios"]["dfi_short"]) * t["dfi_short"]
    base = math.log(2) / s["median_os_low_risk_months"]
    for attempt in range(1, acc["max_attempts"] + 1):
        sampled = rng.uniform(0, (end - start).days, N)
        follow = ((last - start).days - sampled) / 30.4375
        event_time = s["minimum_os_months"] + rng.exponential(1 / (base * np.exp(log_hr.to_numpy())))
        t["os_months"] = np.round(np.minimum(event_time, follow), 1)
        t["death"] = (event_time <= follow).astype(int)
        if _survival_matches(t, reg, acc):
            return t[["os_months", "death"]], attempt
    raise RuntimeError("no survival draw matched the registry within max_attempts")


def _survival_matches(t: pd.DataFrame, reg: pd.DataFrame, acc: dict) -> bool:
    if stats.logrank(t["os_months"], t["death"], t["il6_high"]).p > acc["significant_p_max"]:
        return False
    multi = survival.multivariable_cox(t)
    key = multi.loc[["il6_high", "dfi_short"]]
    others = multi.drop(index=["il6_high", "dfi_short"])
    return bool((key["p"] <= acc["significant_p_max"]).all() and (key["hr"] > 1).all()
                and (others["p"] >= acc["others_p_min"]).all())


# ---------------------------------------------------------------- clinical table
def build_clinical(a: dict, seed: int, reg: pd.DataFrame) -> tuple[pd.DataFrame, dict, int]:
    """The clinical table, the designed measured values {analyte: {sample_id: pg/ml}} and
    the number of survival draws it took to match the registry."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    attrs = _clinical_attributes(a, streams[0])
    slot = _il6_order(attrs, reg, a, streams[1])
    il6 = _il6_values(slot, attrs, reg, a, streams[2])
    c = a["cohort"]
    rng = streams[3]
    age = np.clip(np.round(rng.normal(*c["age_mean_sd_years"], N)), *c["age_range_years"]).astype(int)
    dfi = np.clip(np.round(c["dfi_median_months"] * np.exp(c["dfi_log_sd"] * rng.normal(size=N)), 1),
                  *c["dfi_range_months"])
    er = np.where(np.isin(np.arange(N), rng.choice(N, c["n_er_positive"], replace=False)), "positive", "negative")
    table = pd.DataFrame({
        "patient_id": [f"P{i + 1:02d}" for i in range(N)],
        "sample_id": [f"S{k + 1:02d}" for k in streams[4].permutation(N)],
        "age": age, "dfi_months": dfi, "n_sites": attrs["n_sites"], "sites": attrs["sites"],
        "dominant_site": attrs["dominant_site"], "liver_metastasis": attrs["liver_metastasis"],
        "pleural_effusion": attrs["pleural_effusion"], "er_status": er,
        "crp_mg_dl": _crp(slot, reg, a, streams[5]),
        "response": _responses(slot, reg, a, streams[6]),
    })
    table["il6"] = il6
    survival, draws = _survival(table, reg, a, streams[7])
    table[["os_months", "death"]] = survival
    designed = {"IL6": dict(zip(table["sample_id"], il6))} | _detectable(table, a, np.random.default_rng(
        np.random.SeedSequence([seed, 1])))
    return table.drop(columns=["il6"]), designed, draws


def _detectable(table: pd.DataFrame, a: dict, rng: np.random.Generator) -> dict:
    """Which patients have detectable TNF-alpha / IL-1beta / IL-2 (designed values), drawn
    until no Fisher test against the clinical variables comes near significance."""
    values = a["assay"]["detectable_pg_ml"]
    t = table.copy()
    for _ in range(1000):
        chosen = {k: rng.choice(t["sample_id"], len(v), replace=False) for k, v in values.items()}
        for analyte in ("TNFA", "IL1B"):
            t[f"{analyte.lower()}_detectable"] = t["sample_id"].isin(chosen[analyte])
        if analysis.fisher_tests(analysis.add_covariates(t))["p"].min() >= 0.2:
            return {k: dict(zip(chosen[k], v)) for k, v in values.items()}
    raise RuntimeError("no choice of detectable patients avoided a Fisher P below 0.2")


# ---------------------------------------------------------------- plates
def _layout(analyte_cfg: dict, samples: list[str], retest: str | None) -> pd.DataFrame:
    """Standards (cols 1-2, top level in row A), 4 blanks and a duplicate control (col 3),
    samples in duplicate pairs from column 4, an optional 1:10 re-test in G3-H3."""
    top, step = analyte_cfg["top_standard"], analyte_cfg["dilution_step"]
    rows = []
    for i, r in enumerate(plates.ROWS[: analyte_cfg["levels"]]):
        nominal = float(f"{top / step ** i:.4g}")
        rows += [{"well": f"{r}{c}", "role": "standard", "nominal_pg_ml": nominal} for c in (1, 2)]
    rows += [{"well": f"{r}3", "role": "blank"} for r in "ABCD"]
    rows += [{"well": f"{r}3", "role": "control", "nominal_pg_ml": float(analyte_cfg["control_pg_ml"])} for r in "EF"]
    for (r, c), sample in zip(SAMPLE_SLOTS, samples):
        rows += [{"well": f"{r}{cc}", "role": "sample", "sample_id": sample, "dilution": 1} for cc in (c, c + 1)]
    if retest:
        rows += [{"well": w, "role": "sample", "sample_id": retest, "dilution": 10} for w in RETEST_WELLS]
    df = pd.DataFrame(rows)
    return df.reindex(columns=["well", "role", "nominal_pg_ml", "sample_id", "dilution"])


def _format(values: np.ndarray, decimals: int) -> list[str]:
    return [f"{v:.{decimals}f}" for v in values]


def simulate_plate(cfg: dict, layout: pd.DataFrame, truth: dict, designed: dict, defects: list,
                   rng: np.random.Generator) -> tuple[list[list[str]], dict]:
    """Raw signals for one plate. Samples with a designed measured value get the true
    concentration that makes cleaning return it; others use `truth`. Returns the grid and
    the true concentration of every sample on the plate."""
    cur = cfg["curve"]
    a, b = cur["a"], cur["b"]
    c, d = cur["c"] * (1 + cfg["plate_cv"] * rng.normal()), cur["d"] * (1 + cfg["plate_cv"] * rng.normal())
    noise_mult = 1 + cfg["well_cv"] * rng.normal(size=96)
    noise_add = cfg["blank_sd"] * rng.normal(size=96)
    index = {w: i for i, w in enumerate(plates.WELLS)}
    for defect in defects:
        if "signal_factor" in defect:
            noise_mult[index[defect["well"]]] *= defect["signal_factor"]

    def signal(wells, conc):
        idx = [index[w] for w in wells]
        raw = assay.four_pl(np.asarray(conc, float), a, b, c, d) * noise_mult[idx] + noise_add[idx]
        return np.round(raw, cfg["decimals"])

    fixed = layout[layout["role"] != "sample"]
    conc_fixed = fixed["nominal_pg_ml"].fillna(0.0).to_numpy()
    sig = dict(zip(fixed["well"], signal(fixed["well"], conc_fixed)))
    blank = np.mean([sig[w] for w in fixed.loc[fixed["role"] == "blank", "well"]])
    std = fixed[fixed["role"] == "standard"]
    curve = assay.fit_standard_curve(std["nominal_pg_ml"], np.array([sig[w] for w in std["well"]]) - blank)
    failed = {dfc["well"]: dfc["code"] for dfc in defects if "code" in dfc}
    true_conc = {}
    for (sample, dilution), g in layout[layout["role"] == "sample"].groupby(["sample_id", "dilution"], sort=False):
        wells = list(g["well"])
        readable = [w for w in wells if w not in failed]
        lowest = std["nominal_pg_ml"].min()
        if sample in designed and designed[sample] < lowest:  # only needs to read below the curve
            truth[sample] = designed[sample]
        elif sample in designed and (dilution > 1 or sample not in truth):
            target = designed[sample]

            def measured(x):
                return float(np.mean(curve.concentration(signal(readable, [x / dilution] * len(readable)) - blank))
                             * dilution) - target
            try:
                truth[sample] = optimize.brentq(measured, target / 50, target * 50, xtol=1e-10)
            except ValueError as exc:
                raise RuntimeError(f"sample {sample}: no true concentration reads as {target} pg/ml "
                                   f"on this plate") from exc
        true_conc[sample] = truth[sample]
        sig.update(zip(wells, signal(wells, [truth[sample] / dilution] * len(wells))))
    grid = []
    for r in plates.ROWS:
        row = []
        for col in plates.COLS:
            w = f"{r}{col}"
            row.append(failed[w] if w in failed else _format([sig.get(w, signal([w], [0.0])[0])], cfg["decimals"])[0])
        grid.append(row)
    return grid, true_conc


def _reference_read(grid: list[list[str]], decimals: int, rng: np.random.Generator) -> tuple[list, list]:
    """An ELISA's 570 nm reference read (plate and well imperfections) and the 450 nm read
    that carries it, so that 450 minus 570, as labs correct it, gives back `grid`."""
    ref = [[f"{v:.{decimals}f}" for v in rng.uniform(0.035, 0.048, 12)] for _ in grid]
    read450 = [[cell if not _is_number(cell) else f"{float(cell) + float(r):.{decimals}f}"
                for cell, r in zip(row, ref_row)] for row, ref_row in zip(grid, ref)]
    return read450, ref


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def reader_software_concentrations(grid: list[list[str]], layout: pd.DataFrame) -> list[list[str]]:
    """What a reader's software would print for each sample and control well: an unweighted
    4PL through the blank-corrected standards, inverted, times the dilution, 3 significant
    digits ('Range?' outside the curve, '' for other wells). It differs a little from our
    weighted fit, which is the point of showing both."""
    cells = {f"{r}{c}": grid[i][j] for i, r in enumerate(plates.ROWS) for j, c in enumerate(plates.COLS)}
    signal = {w: float(v) for w, v in cells.items() if _is_number(v)}
    role = layout.set_index("well")
    blank = np.mean([signal[w] for w in role.index[role["role"] == "blank"] if w in signal])
    std = role[(role["role"] == "standard") & role.index.isin(list(signal))]
    y = np.array([signal[w] for w in std.index]) - blank
    x = std["nominal_pg_ml"].to_numpy(float)
    p0 = (y.min(), 1.0, float(np.exp(np.log(x).mean())), y.max() * 1.2)
    (a, b, c, d), _ = optimize.curve_fit(assay.four_pl, x, y, p0=p0, maxfev=20000)
    out = [["" for _ in plates.COLS] for _ in plates.ROWS]
    for well, rec in role[role["role"].isin(["sample", "control"])].iterrows():
        if well not in signal:
            continue
        yy = signal[well] - blank
        text = "Range?"
        if min(a, d) < yy < max(a, d):
            conc = c * ((a - d) / (yy - d) - 1) ** (1 / b) * (rec["dilution"] if rec["role"] == "sample" else 1)
            text = f"{conc:.3g}"
        out[plates.ROWS.index(well[0])][int(well[1:]) - 1] = text
    return out


def build_plates(a: dict, seed: int, clinical: pd.DataFrame, designed: dict, out: Path) -> pd.DataFrame:
    """Write every plate export and layout; return the generator's truth per sample and analyte.
    Each analyte's plates go into one export of its reader (assay.exports): SoftMax Pro keeps
    both plates in one experiment file, other readers write one file per plate."""
    from helpers.instrument_writers import EXTENSIONS, PlateSpec, write_export

    raw = out / "raw"
    (raw / "plates").mkdir(parents=True, exist_ok=True)
    (raw / "layouts").mkdir(parents=True, exist_ok=True)
    samples = sorted(clinical["sample_id"])
    n_per_plate = math.ceil(N / a["assay"]["plates_per_analyte"])
    above = max(designed["IL6"], key=designed["IL6"].get)
    rng_truth = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    manifest, truth_rows = [], []
    defects = a["assay"]["defects"]
    for k, (analyte, cfg) in enumerate(a["assay"]["analytes"].items()):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 3, k]))
        rng_reference = np.random.default_rng(np.random.SeedSequence([seed, 4, k]))
        vendor = a["assay"]["exports"][analyte]
        lo, hi = a["assay"]["undetectable_true_pg_ml"].get(analyte, [0, 0])
        truth = {s: float(np.exp(rng_truth.uniform(np.log(lo), np.log(hi)))) for s in samples
                 if s not in designed.get(analyte, {})} if analyte != "IL6" else {}
        specs = []
        for p in range(a["assay"]["plates_per_analyte"]):
            plate_id = f"{analyte}-P{p + 1}"
            on_plate = samples[p * n_per_plate:(p + 1) * n_per_plate]
            retest = above if analyte == "IL6" and p == a["assay"]["plates_per_analyte"] - 1 else None
            layout = _layout(cfg, on_plate, retest)
            plate_defects = []
            for name, dfc in defects.items():
                slot = dfc["sample_slot"]
                if dfc["analyte"] == analyte and dfc.get("plate", 1) == p + 1:
                    r, c = SAMPLE_SLOTS[slot]
                    plate_defects.append(dfc | {"well": f"{r}{c + dfc.get('replicate', 2) - 1}"})
            if retest:  # the neat wells of the high sample read from its truth, set by the re-test
                truth.pop(above, None)
            grid, true_conc = simulate_plate(cfg, layout, truth, designed.get(analyte, {}), plate_defects, rng)
            truth.update(true_conc)
            date = dt.datetime.fromisoformat(a["assay"]["run_dates"][analyte][p]) + dt.timedelta(hours=10 + 3 * p)
            mode = cfg["read_mode"].lower()
            if mode == "absorbance":
                reference = a["assay"]["reference_read_nm"]
                grids, wavelengths = _reference_read(grid, cfg["decimals"], rng_reference), \
                    (cfg["wavelength_nm"], reference)
                read = f"{cfg['wavelength_nm']}-{reference}"
            else:
                grids, wavelengths, read = (grid,), (cfg["wavelength_nm"],), ""
            specs.append(PlateSpec(plate_id, mode, date, wavelengths, tuple(grids),
                                   reader_software_concentrations(grid, layout)))
            plates.write_layout(raw / "layouts" / f"{plate_id}.toml", plate_id, analyte, layout)
            manifest.append({"plate_id": plate_id, "analyte": analyte, "vendor": vendor, "plate": plate_id,
                             "read": read, "layout_file": f"layouts/{plate_id}.toml"})
        files = {analyte: specs} if vendor == "softmax" else {spec.name: [spec] for spec in specs}
        for stem, group in files.items():
            export = f"plates/{stem}{EXTENSIONS[vendor]}"
            write_export(raw / export, vendor, group)
            for row in manifest:
                if row["plate"] in {spec.name for spec in group}:
                    row["export_file"] = export
        truth_rows += [{"sample_id": s, "analyte": analyte, "true_pg_ml": truth[s]} for s in samples]
    columns = ["plate_id", "analyte", "vendor", "export_file", "plate", "read", "layout_file"]
    pd.DataFrame(manifest)[columns].to_csv(raw / "plates.csv", index=False, lineterminator="\n")
    return pd.DataFrame(truth_rows)


def assumption_problems(a: dict) -> list[str]:
    """Why assumption values (as load_assumptions returns them) cannot make the cohort, in
    plain words; empty when the sizes fit together."""
    from helpers.instrument_writers import EXTENSIONS

    c, counts = a["cohort"], a["response"]["counts"]
    problems = [f"assay.exports: {analyte} is exported as {vendor!r}, not one of {', '.join(EXTENSIONS)}"
                for analyte, vendor in a["assay"]["exports"].items() if vendor not in EXTENSIONS]
    if sum(counts.values()) != N:
        problems.append(f"response counts sum to {sum(counts.values())}, not {N}")
    for name in ("n_one_site", "n_visceral", "n_liver", "n_effusion"):
        if c[name] % 2 == 0:
            problems.append(f"{name} = {c[name]} is even (odd groups make each median one patient's value)")
    visceral_multi = c["n_visceral"] - c["n_one_site_visceral"]
    if visceral_multi > N - c["n_one_site"]:
        problems.append(f"{visceral_multi} multi-site visceral patients needed but only {N - c['n_one_site']} "
                        f"have more than one site")
    if c["n_liver"] > visceral_multi:
        problems.append(f"n_liver = {c['n_liver']} exceeds the {visceral_multi} multi-site visceral patients")
    effusion_only = c["n_effusion"] - c["n_liver_and_effusion"]
    if c["n_liver"] <= visceral_multi and effusion_only > visceral_multi - c["n_liver"]:
        problems.append(f"{effusion_only} effusion patients without liver metastasis need as many multi-site "
                        f"visceral patients without liver, but there are {visceral_multi - c['n_liver']} "
                        f"({visceral_multi} multi-site visceral - {c['n_liver']} liver)")
    return problems


def build(out: Path, seed: int | None = None, assumptions: Path = ASSUMPTIONS) -> dict:
    """Write `<out>/raw/` (clinical.csv, plates.csv, plates/, layouts/),
    `<out>/generator_truth/concentrations.csv`, and the study file with its registry
    (`<out>/study.yaml`, `<out>/reported/registry.csv`). Returns facts about the build
    ({"survival_draws": n}); raises ValueError when the assumptions cannot fit together and
    RuntimeError when a search cannot meet the registry."""
    a = load_assumptions(assumptions)
    problems = assumption_problems(a)
    if problems:
        raise InputError([Problem(display_name(assumptions), text) for text in problems])
    seed = a["seed"] if seed is None else seed
    reg = load_registry()
    try:
        clinical, designed, draws = build_clinical(a, seed, reg)
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as err:  # values no cohort can meet
        raise InputError.at(assumptions, f"the generator cannot build a cohort from these values "
                                         f"({type(err).__name__}: {err})") from None
    out = Path(out)
    truth = build_plates(a, seed, clinical, designed, out)
    clinical.to_csv(out / "raw" / "clinical.csv", index=False, lineterminator="\n",
                    float_format="%.10g")
    (out / "generator_truth").mkdir(parents=True, exist_ok=True)
    truth = truth.merge(clinical[["sample_id", "patient_id"]], on="sample_id")
    truth[["patient_id", "sample_id", "analyte", "true_pg_ml"]].sort_values(["analyte", "sample_id"]).to_csv(
        out / "generator_truth" / "concentrations.csv", index=False, lineterminator="\n", float_format="%.6g")
    write_study(out)
    return {"survival_draws": draws}


def write_study(out: Path) -> None:
    """The study file and registry beside the cohort (copies of the committed ones), so a
    built cohort is a study of its own: `--study <out>/study.yaml`."""
    for source in (PAPER_STUDY, REGISTRY):
        target = Path(out) / source.relative_to(ROOT / "data")
        if target.resolve() != source.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="cohort directory to write (raw/ and generator_truth/)")
    parser.add_argument("--seed", type=int, default=None, help="overrides the seed in the assumptions file")
    parser.add_argument("--assumptions", type=Path, default=ASSUMPTIONS)
    args = parser.parse_args(argv)
    with cli_errors():
        build(args.out, args.seed, args.assumptions)


if __name__ == "__main__":
    main()


def assumptions_table(path: Path = ASSUMPTIONS) -> pd.DataFrame:
    """Every assumption as a row: name (dotted path, e.g. cohort.n_liver), value, why."""
    rows = []

    def walk(node, where):
        if isinstance(node, dict) and "value" in node:
            rows.append({"name": where, "value": node["value"], "why": str(node.get("why", "")).strip()})
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{where}.{key}" if where else key)
    walk(read_yaml(path), "")
    return pd.DataFrame(rows, columns=["name", "value", "why"])
