"""The analyses a study file defines, run on its cohort table: the one home of every result a
registry row can name.

`derive` turns the cohort table (helpers.cohort) into the variables the analyses use: each
marker above its cut-off, each group of the study (A, B or unknown), responder status,
survival time and event, and the Cox covariates. `findings` computes every result the
study defines, keyed by name (RESULT KEYS below); an analysis the study does not define is
not computed and `skipped` says why in a sentence. Data that cannot support an analysis
(an empty group, no deaths) give "not computable" values with the reason
(helpers.registry.not_computable), never an error.

Result keys:
  patients                                  patients in the clinical table
  measured.<M>, detectable.<M>              patients with a result / a detectable result for marker M
  above_cutoff.<M>, above_cutoff_percent.<M>, classified.<M>
                                            patients above M's cut-off, of those whose class is known
  detectability.<M>.<G>.p, detectability.min_p
                                            Fisher exact P of detectable M against group G, and the smallest
  comparison.<G>.{n_a,n_b,median_a,median_b,rank_biserial,p}
                                            primary marker in group A vs B of G: medians, rank-biserial r
                                            (positive when A tends to be higher), Mann-Whitney P
  correlate.{r,p,n}                         Spearman correlation of the primary marker with the correlate
  response.{n_a,n_b,median_a,median_b,rank_biserial,median_difference,p}
                                            primary marker in non-responders (A) vs responders (B)
  survival.{n,events,logrank_p,hr}          survival above vs at or below the primary marker's cut-off
  cox.{n,events}, cox.<C>.{coef,hr,hr_lower,hr_upper,p}
                                            the multivariable Cox model, per covariate C (Wald CI and P);
                                            cox.<C>.n_smallest: the smaller group of a binary covariate
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lifelines.exceptions import ConvergenceError, ConvergenceWarning

from helpers import stats
from helpers.registry import not_computable
from helpers.study import OPS

MIN_GROUP_SIZE = 3  # a comparison with a group smaller than this is not tested
MAX_ABS_COEF = 15.0  # a Cox coefficient beyond this (hazard ratio above 3e6 or below 3e-7) has run off: separation


def marker_high(t: pd.DataFrame, column: str, cutoff: float, at_or_above: bool = False) -> pd.Series:
    """The marker above the cut-off (or at or above it): True / False, or <NA> when the result
    cannot say. A result below a LLOQ that is itself above the cut-off (or above a ULOQ below
    it) is unknown relative to the cut-off: its substituted value never decides the class."""
    high = (t[column] >= cutoff if at_or_above else t[column] > cutoff).astype("boolean")
    unknown = t[column].isna()
    if {f"{column}_censored", f"{column}_lloq", f"{column}_uloq"} <= set(t.columns):  # limits known
        unknown |= (t[f"{column}_censored"] == "left") & (t[f"{column}_lloq"] > cutoff)
        right = t[f"{column}_censored"] == "right"
        unknown |= right & (t[f"{column}_uloq"] < cutoff)
        high = high.mask(right & (t[f"{column}_uloq"] >= cutoff), True)  # truly above a ULOQ at or above it
    return high.mask(unknown)


def _matches(values: pd.Series, rule) -> pd.Series:
    """Whether each value meets a group rule: a comparison, or a list of values (compared as
    numbers in a numeric column, as true / false in a boolean one, as text otherwise)."""
    if hasattr(rule, "op"):
        return OPS[rule.op](values.astype(float), rule.value).astype("boolean")
    if values.dtype == "boolean" or values.dtype == bool:
        return values.isin([v for v in rule if isinstance(v, bool)]).astype("boolean")
    if pd.api.types.is_numeric_dtype(values):
        return values.isin([float(v) for v in rule]).astype("boolean")
    return values.astype(str).isin([str(v) for v in rule]).astype("boolean")


def membership(t: pd.DataFrame, group) -> pd.Series:
    """True in group A, False in group B, <NA> when the value is missing or in neither."""
    values = t[group.column]
    a, b = _matches(values, group.a), _matches(values, group.b)
    out = pd.Series(pd.NA, index=t.index, dtype="boolean")
    out[a.fillna(False)] = True
    out[b.fillna(False)] = False
    return out.mask(values.isna())


def responder(t: pd.DataFrame, response: dict) -> pd.Series:
    """True for a responder, False for a non-responder, <NA> otherwise (not evaluable, missing)."""
    values = t[response["column"]]
    out = pd.Series(pd.NA, index=t.index, dtype="boolean")
    out[_matches(values, response["responders"]).fillna(False).astype(bool)] = True
    out[_matches(values, response["non_responders"]).fillna(False).astype(bool)] = False
    return out.mask(values.isna())


@dataclass(frozen=True)
class Derived:
    table: pd.DataFrame  # the cohort table
    high: pd.DataFrame  # per marker with a cut-off: above it (boolean, <NA> unknown)
    groups: pd.DataFrame  # per group: A True, B False, <NA>
    responder: pd.Series | None
    survival: pd.DataFrame | None  # time, event (floats)
    covariates: pd.DataFrame | None  # per Cox covariate, floats


def derive(study, table: pd.DataFrame, analyses=None) -> Derived:
    """The analysis variables of a study on its cohort table (only those `analyses` need, when
    given: a subset of ANALYSES)."""
    analyses = set(ANALYSES if analyses is None else analyses)
    high = pd.DataFrame({m.id: marker_high(table, m.column, m.cutoff, m.at_or_above) for m in study.markers
                         if m.cutoff is not None}, index=table.index)
    groups = pd.DataFrame({name: membership(table, g) for name, g in study.groups.items()}, index=table.index)
    resp = responder(table, study.response) if study.response and "response" in analyses else None
    surv = None
    if study.survival and analyses & {"survival", "cox"}:
        surv = pd.DataFrame({"time": table[study.survival["time"]].astype(float),
                             "event": table[study.survival["event"]].astype(float)}, index=table.index)
    cov = None
    if study.cox and "cox" in analyses:
        cols = {}
        for c in study.cox:
            if c.kind == "marker":
                cols[c.name] = high[c.source].astype(float)
            elif c.kind == "marker_value":
                cols[c.name] = table[study.marker(c.source).column].astype(float) / c.per
            elif c.kind == "group":
                cols[c.name] = groups[c.source].astype(float)
            else:
                cols[c.name] = table[c.source].astype(float) / c.per
        cov = pd.DataFrame(cols, index=table.index)
    return Derived(table, high, groups, resp, surv, cov)


def _guarded(keys, compute) -> dict:
    """compute() or each key 'not computable' with the reason the data could not support it."""
    try:
        return compute()
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError) as err:
        return {k: not_computable(str(err)) for k in keys}


def _too_small(labels, x, y) -> str:
    small = [f"{name} has {len(v)} patient(s)" for name, v in zip(labels, (x, y)) if len(v) < MIN_GROUP_SIZE]
    return "; ".join(small) + (f", fewer than {MIN_GROUP_SIZE}: too small to test" if small else "")


def split(values: pd.Series, in_a: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The values of group A (in_a True) and group B (False), patients with a value only."""
    known = values.notna()
    return values[in_a.fillna(False).astype(bool) & known], values[(in_a == False).fillna(False).astype(bool) & known]  # noqa: E712


def compare(values: pd.Series, in_a: pd.Series, labels, prefix: str) -> dict:
    """The marker in group A against group B (in_a True / False): sizes, medians, the
    rank-biserial correlation (positive when A tends to be higher) and the two-sided
    Mann-Whitney P (stats.mann_whitney); 'not computable' when a group is too small."""
    x, y = split(values, in_a)
    out = {f"{prefix}.n_a": len(x), f"{prefix}.n_b": len(y)}
    small = _too_small(labels, x, y)
    keys = [f"{prefix}.{k}" for k in ("median_a", "median_b", "rank_biserial", "p")]
    if small:
        return out | {k: not_computable(small) for k in keys}
    mw = stats.mann_whitney(x, y)
    return out | dict(zip(keys, (mw.median_x, mw.median_y, mw.rank_biserial, mw.p)))


def marker_counts(study, d: Derived) -> dict:
    out = {"patients": len(d.table)}
    for m in study.markers:
        measured = d.table[m.column].notna()
        out[f"measured.{m.id}"] = int(measured.sum())
        det = d.table.get(f"{m.column}_detectable")
        known = det.dropna() if det is not None else pd.Series(dtype="boolean")
        out[f"detectable.{m.id}"] = (int(known.sum()) if len(known) else
                                     not_computable(f"no patient has a result for {m.name}") if not measured.any()
                                     else not_computable(f"no {m.name} result has a detection limit"))
        if m.cutoff is not None:
            cls = d.high[m.id].dropna()
            n_high = int(cls.sum())
            out[f"above_cutoff.{m.id}"], out[f"classified.{m.id}"] = n_high, len(cls)
            out[f"above_cutoff_percent.{m.id}"] = (stats.proportion(n_high, len(cls))[1] if len(cls) else
                                                   not_computable(f"no {m.name} result"))
    return out


def fisher_tests(study, d: Derived) -> pd.DataFrame:
    """Detectable against each group (Fisher exact), for the markers the study names."""
    rows = []
    for mid in study.detectability["markers"]:
        m = study.marker(mid)
        for g in study.detectability["against"]:
            both = pd.DataFrame({"det": d.table[f"{m.column}_detectable"], "grp": d.groups[g]}).dropna()
            det, grp = both["det"].astype(bool), both["grp"].astype(bool)
            table = [[int((det & grp).sum()), int((det & ~grp).sum())], [int((~det & grp).sum()),
                                                                         int((~det & ~grp).sum())]]
            empty = not (det.any() and (~det).any() and grp.any() and (~grp).any())
            res = stats.fisher_exact(table) if not empty else None
            rows.append({"marker": mid, "group": g, "table": table, "odds_ratio": res.odds_ratio if res else np.nan,
                         "p": res.p if res else np.nan,
                         "note": "a row or column of the table is empty: nothing to test" if empty else ""})
    return pd.DataFrame(rows, columns=["marker", "group", "table", "odds_ratio", "p", "note"])


def detectability(study, d: Derived) -> dict:
    def compute():
        tests = fisher_tests(study, d)
        testable = tests.dropna(subset=["p"])
        if testable.empty:
            raise ValueError("every 2x2 table has an empty row or column (no patient detectable, or all of them, "
                             "or a group without patients): nothing to test")
        return {f"detectability.{r.marker}.{r.group}.p": r.p for r in testable.itertuples()} | {
            "detectability.min_p": float(testable["p"].min())}
    return _guarded(["detectability.min_p"], compute)


def comparisons(study, d: Derived) -> dict:
    out = {}
    values = d.table[study.primary.column]
    for name in study.comparisons:
        out |= compare(values, d.groups[name], study.groups[name].labels, f"comparison.{name}")
    return out


def correlate(study, d: Derived) -> dict:
    both = pd.DataFrame({"m": d.table[study.primary.column], "c": d.table[study.correlate["column"]]}).dropna()
    if len(both) < 3:
        reason = f"{len(both)} patients have both {study.primary.name} and {study.correlate['name']}"
        return {"correlate.n": len(both), "correlate.r": not_computable(reason), "correlate.p": not_computable(reason)}
    corr = stats.correlation(both["m"], both["c"], method="spearman")
    if corr.r != corr.r:  # NaN: one of the two takes a single value
        constant = study.primary.name if both["m"].nunique() < 2 else study.correlate["name"]
        reason = f"{constant} takes one value for every patient with both values"
        return {"correlate.n": len(both), "correlate.r": not_computable(reason), "correlate.p": not_computable(reason)}
    return {"correlate.n": len(both), "correlate.r": corr.r, "correlate.p": corr.p}


def response(study, d: Derived) -> dict:
    out = compare(d.table[study.primary.column], ~d.responder, ("non-responders", "responders"), "response")
    a, b = out["response.median_a"], out["response.median_b"]
    out["response.median_difference"] = a - b if isinstance(a, float) else a
    return out


def survival(study, d: Derived) -> dict:
    """Log-rank P and univariable hazard ratio, high against not high by the primary marker's
    cut-off (above it, or at or above it, as the study says)."""
    from helpers.survival import univariable_cox
    m = study.primary
    frame = d.survival.assign(high=d.high[m.id]).dropna()
    out = {"survival.n": len(frame), "survival.events": int(frame["event"].sum())}
    keys = ["survival.logrank_p", "survival.hr"]
    if frame["high"].nunique() < 2:
        reason = f"no patient has a {m.name} class" if frame.empty else f"every patient is in one {m.name} group"
        return out | {k: not_computable(reason) for k in keys}
    if frame["event"].sum() == 0:
        return out | {k: not_computable("there are no events among these patients") for k in keys}

    def compute():
        hr = float(univariable_cox(frame, ["high"], "time", "event").loc["high", "hr"])
        return {keys[0]: stats.logrank(frame["time"], frame["event"], frame["high"].astype(bool)).p,
                keys[1]: hr if np.isfinite(hr) else not_computable(
                    f"no finite hazard ratio: the events fall in one {m.name} group, or the fit does not converge")}
    return out | _guarded(keys, compute)


def cox_frame(d: Derived) -> pd.DataFrame:
    """time, event and the Cox covariates, complete cases."""
    return pd.concat([d.survival, d.covariates], axis="columns").dropna()


def cox(study, d: Derived) -> dict:
    frame = cox_frame(d)
    names = list(d.covariates.columns)
    out = {"cox.n": len(frame), "cox.events": int(frame["event"].sum())}
    keys = [f"cox.{c}.{k}" for c in names for k in ("coef", "hr", "hr_lower", "hr_upper", "p")]

    def compute():
        if len(frame) <= len(names):
            raise ValueError(f"{len(frame)} patient(s) have every covariate of the model, too few for "
                             f"{len(names)} coefficient(s)")
        constant = [covariate_labels(study)[c] for c in names if frame[c].nunique() < 2]
        if len(constant) == 1:
            raise ValueError(f"{constant[0]} takes one value for every patient in the model")
        if constant:
            raise ValueError(f"each of these takes one value for every patient in the model: {'; '.join(constant)}")
        if frame["event"].sum() == 0:
            raise ValueError("there are no events among these patients")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # judged below, by the estimates themselves
            try:
                model = stats.cox(frame, "time", "event", names)
            except ConvergenceError as err:
                raise ValueError(f"the Cox model does not converge ({str(err).splitlines()[0]})") from None
        runaway = [covariate_labels(study)[c] for c in names if not abs(model.loc[c, "coef"]) < MAX_ABS_COEF]
        if runaway:
            raise ValueError(f"no finite estimate for {'; '.join(runaway)}: the events separate (almost) completely "
                             "on it, so its hazard ratio runs off to 0 or infinity")
        binary = [c.name for c in study.cox if c.kind in ("marker", "group")]
        return {f"cox.{c}.{k}": float(model.loc[c, k]) for c in names for k in ("coef", "hr", "hr_lower", "hr_upper", "p")} \
            | {f"cox.{c}.n_smallest": int(min((frame[c] == 1).sum(), (frame[c] == 0).sum())) for c in binary}
    return out | _guarded(keys, compute)


ANALYSES = ("markers", "detectability", "comparisons", "correlate", "response", "survival", "cox")


def skipped(study) -> dict:
    """{analysis: the sentence saying why it is not run} for the analyses the study does not define."""
    m = study.primary
    why = {
        "detectability": None if study.detectability else "The study names no markers to test for detectability "
                                                          "against the groups.",
        "comparisons": None if study.comparisons else f"The study defines no groups to compare {m.name} across.",
        "correlate": None if study.correlate else f"The study defines no correlate of {m.name} (such as CRP).",
        "response": None if study.response else "The study defines no response to treatment.",
        "survival": (None if study.survival and m.cutoff is not None else
                     "The study defines no survival outcome." if not study.survival else
                     f"{m.name} has no cut-off fixed in advance, so there are no groups to compare survival between."),
        "cox": None if study.cox else "The study defines no multivariable Cox model.",
    }
    return {k: v for k, v in why.items() if v}


def findings(study, table: pd.DataFrame, analyses=None) -> dict:
    """Every result the study defines, {result key: value}, or those of `analyses` (a subset of
    ANALYSES); floats as Python floats."""
    analyses = ANALYSES if analyses is None else analyses
    d = derive(study, table, analyses)
    skip = skipped(study)
    out = marker_counts(study, d) if "markers" in analyses else {}
    steps = {"detectability": detectability, "comparisons": comparisons, "correlate": correlate,
             "response": response, "survival": survival, "cox": cox}
    for name, step in steps.items():
        if name not in skip and name in analyses:
            out |= step(study, d)
    return {k: (float(v) if isinstance(v, (float, np.floating)) else int(v) if isinstance(v, np.integer) else v)
            for k, v in out.items()}


def covariate_labels(study) -> dict:
    """{Cox covariate name: how a reader names it}."""
    labels = {}
    for c in study.cox:
        if c.label:
            labels[c.name] = c.label
        elif c.kind == "marker":
            m = study.marker(c.source)
            labels[c.name] = f"{m.name} {'at or above' if m.at_or_above else 'above'} {m.cutoff:g} {m.unit}".strip()
        elif c.kind == "group":
            a, b = study.groups[c.source].labels
            labels[c.name] = f"{a} (vs {b})"
        else:
            unit = study.marker(c.source).unit if c.kind == "marker_value" else study.columns[c.source].unit
            name = study.marker(c.source).name if c.kind == "marker_value" else c.source
            labels[c.name] = f"{name}, per {c.per:g} {unit}".strip() if c.per != 1 else f"{name} ({unit})" if unit else name
    return labels


def comparison_table(study, d: Derived, names=None) -> pd.DataFrame:
    """One row per comparison of the primary marker (the study's, or `names`): group labels,
    n, median and quartiles of each group (stats.median_iqr), the two-sided Mann-Whitney P
    (normal approximation, tie-corrected, continuity-corrected: stats.mann_whitney); P is
    NaN when a group is too small to test (fewer than MIN_GROUP_SIZE)."""
    values = d.table[study.primary.column]
    rows = []
    for name in names or study.comparisons:
        g = study.groups[name]
        x, y = split(values, d.groups[name])
        row = {"group": name, "group_a": g.labels[0], "group_b": g.labels[1]}
        for side, v in (("a", x), ("b", y)):
            s = stats.median_iqr(v) if len(v) else {"n": 0, "median": np.nan, "q1": np.nan, "q3": np.nan}
            row |= {f"n_{side}": s["n"], f"median_{side}": s["median"], f"q1_{side}": s["q1"], f"q3_{side}": s["q3"]}
        small = _too_small(g.labels, x, y)
        row["p"] = np.nan if small else stats.mann_whitney(x, y).p
        row["note"] = small
        rows.append(row)
    return pd.DataFrame(rows).set_index("group")


def accounting(study, d: Derived, excluded: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each analysis the study defines: the patients it used and those it left out, with
    why (a missing value, a value in neither group, a marker result the cleaning excluded:
    `excluded` is helpers.cohort.Cohort.excluded)."""
    m = study.primary
    t = d.table
    value = t[m.column].notna().rename(f"a result for {m.name}")
    needs = {f"{m.name}: {' vs '.join(study.groups[g].labels)}": [value, d.groups[g].notna().rename(
        f"a value of {study.groups[g].column} in either group")] for g in study.comparisons}
    if study.correlate:
        needs[f"{m.name} and {study.correlate['name']}"] = [value, t[study.correlate["column"]].notna().rename(
            f"a value of {study.correlate['column']}")]
    if study.response:
        needs[f"{m.name} by response"] = [value, d.responder.notna().rename("an evaluable response")]
    if study.survival and m.cutoff is not None:
        needs[f"survival by {m.name} group"] = [d.high[m.id].notna().rename(f"a {m.name} class relative to the cut-off"),
                                               d.survival.notna().all(axis="columns").rename("survival time and event")]
    if study.cox:
        labels = covariate_labels(study)
        needs["multivariable Cox model"] = [d.survival.notna().all(axis="columns").rename("survival time and event")] + [
            d.covariates[c].notna().rename(labels[c]) for c in d.covariates]
    reasons = (excluded[excluded["analyte"] == m.id].set_index("patient_id")["reason"]
               if excluded is not None and len(excluded) else pd.Series(dtype=str))
    rows = []
    for name, masks in needs.items():
        used = pd.concat(masks, axis="columns").all(axis="columns")
        why = [f"{int((~mask).sum())} without {mask.name}" for mask in masks if (~mask).any()]
        lost = reasons[reasons.index.isin(t.loc[~value & ~used, "patient_id"])]
        why += [f"{reason}: {', '.join(sorted(g.index))}" for reason, g in lost.groupby(lost, sort=True)]
        rows.append({"analysis": name, "patients": int(used.sum()), "left_out": int((~used).sum()),
                     "why": "; ".join(why)})
    return pd.DataFrame(rows, columns=["analysis", "patients", "left_out", "why"]).set_index("analysis")


def result_label(study, key: str) -> str:
    """What a result key (module docstring) means, in words, e.g. 'comparison.liver.p' ->
    'Mann-Whitney P: liver metastasis vs no liver metastasis'."""
    m, parts = study.primary, key.split(".")
    unit = f" ({m.unit})" if m.unit else ""
    words = {"n": "patients", "events": "events", "p": "P", "hr": "hazard ratio", "coef": "log hazard ratio",
             "n_smallest": "patients in its smaller group",
             "hr_lower": "hazard ratio, lower 95 % limit", "hr_upper": "hazard ratio, upper 95 % limit"}
    head = parts[0]
    if head == "patients":
        return "patients in the clinical table"
    if head in ("measured", "detectable", "above_cutoff", "classified", "above_cutoff_percent"):
        x = study.marker(parts[1])
        cut = f"{'at or above' if x.at_or_above else 'above'} {x.cutoff:g} {x.unit}" if x.cutoff is not None else ""
        return {"measured": f"{x.name}: patients with a result", "detectable": f"{x.name}: patients detectable",
                "above_cutoff": f"{x.name}: patients {cut}",
                "classified": f"{x.name}: patients whose class relative to the cut-off is known",
                "above_cutoff_percent": f"{x.name}: % of them {cut}"}[head]
    if head == "detectability":
        if parts[1] == "min_p":
            return "smallest Fisher P of detectability against the groups"
        a, b = study.groups[parts[2]].labels
        return f"Fisher P: detectable {study.marker(parts[1]).name} against {a} vs {b}"
    if head in ("comparison", "response"):
        a, b = study.groups[parts[1]].labels if head == "comparison" else ("non-responders", "responders")
        what = parts[-1]
        return {"n_a": f"{a}: patients", "n_b": f"{b}: patients", "median_a": f"{a}: median {m.name}{unit}",
                "median_b": f"{b}: median {m.name}{unit}", "rank_biserial": f"rank-biserial r, {a} vs {b}",
                "median_difference": f"difference in median {m.name}{unit}, {a} minus {b}",
                "p": f"Mann-Whitney P, {a} vs {b}"}[what]
    if head == "correlate":
        c = study.correlate["name"]
        return {"n": f"patients with {m.name} and {c}", "r": f"Spearman r, {m.name} and {c}",
                "p": f"P of Spearman r, {m.name} and {c}"}[parts[1]]
    if head == "survival":
        return {"n": f"patients whose {m.name} class is known", "events": "events",
                "logrank_p": f"log-rank P, by {m.name} group", "hr": f"hazard ratio, high vs not high {m.name}"}[parts[1]]
    if head == "cox":
        if len(parts) == 2:
            return f"Cox model: {words[parts[1]]}"
        return f"Cox model: {covariate_labels(study)[parts[1]]}, {words[parts[2]]}"
    return key
