"""Sentences built from computed results (helpers.findings), so a notebook's text stays true on
any cohort: no number that depends on the data is ever typed into a markdown cell.

Each function takes the study (helpers.study.Study) and its results dict and returns Markdown.
Numbers are shown to 3 significant digits, P values to 2 (below 0.0001 as "P < 0.0001").
"""
from __future__ import annotations

from helpers.findings import MIN_GROUP_SIZE, covariate_labels, skipped
from helpers.registry import NOT_COMPUTABLE
from helpers.style import p_text


def number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def patients(n: int) -> str:
    return f"{n:,} patient" + ("" if n == 1 else "s")


def unit_suffix(unit: str) -> str:
    """' pg/ml' after a number, '' for a unitless one."""
    return f" {unit}" if unit else ""


def _unit(m) -> str:
    return unit_suffix(m.unit)


def _missing(value) -> str | None:
    """The reason when a result is 'not computable' (None otherwise)."""
    return value[len(NOT_COMPUTABLE):] if isinstance(value, str) and value.startswith(NOT_COMPUTABLE) else None


def cohort(study, r: dict) -> str:
    """Patients, and each marker's results and cut-off."""
    parts = [f"The cohort has {patients(r['patients'])}."]
    for m in study.markers:
        text = f"**{m.name}**: {r[f'measured.{m.id}']} with a result"
        if _missing(r[f"detectable.{m.id}"]) is None:
            text += f", {r[f'detectable.{m.id}']} of them detectable"
        if m.cutoff is not None:
            rule = "at or above" if m.at_or_above else "above"
            pct = r[f"above_cutoff_percent.{m.id}"]
            text += (f"; {r[f'above_cutoff.{m.id}']} of the {r[f'classified.{m.id}']} patients whose class is known "
                     f"({pct:.0f} %) are {rule} the cut-off of {m.cutoff:g}{_unit(m)}, "
                     + (f"fixed in advance (source: {m.cutoff_source})" if m.fixed_in_advance else m.cutoff_source)
                     if _missing(pct) is None else "; no result to compare with the cut-off")
        parts.append(text + ".")
    return " ".join(parts)


def _compare(m, r: dict, prefix: str, label_a: str, label_b: str) -> str:
    n_a, n_b = r[f"{prefix}.n_a"], r[f"{prefix}.n_b"]
    why = _missing(r[f"{prefix}.p"])
    if why:
        return (f"{label_a} against {label_b}: not tested ({why}; a group needs at least {MIN_GROUP_SIZE} patients "
                f"with a result).")
    a, b, p = r[f"{prefix}.median_a"], r[f"{prefix}.median_b"], r[f"{prefix}.p"]
    shift = r[f"{prefix}.rank_biserial"]  # which group tends to be higher: what the test compares
    tends = (f"values tend to be {'higher' if shift > 0 else 'lower'} in the first group" if shift != 0 else
             "neither group tends to have the higher values")
    if shift * (a - b) < 0:
        tends += " (the medians point the other way: the two groups overlap widely)"
    verdict = ("unlikely to be chance alone at the 5 % level" if p < 0.05 else "which could well be chance")
    return (f"**{label_a}** against **{label_b}**: median {m.name} {number(a)} against {number(b)}{_unit(m)} "
            f"(n = {n_a:,} and {n_b:,}); {tends} (rank-biserial r = {shift:.2f}), two-sided Mann-Whitney "
            f"{p_text(p)}, {verdict}.")


def comparisons(study, r: dict) -> str:
    """One sentence per group comparison of the primary marker."""
    if "comparisons" in skipped(study):
        return skipped(study)["comparisons"]
    m = study.primary
    return "\n\n".join(f"- {_compare(m, r, f'comparison.{g}', *study.groups[g].labels)}" for g in study.comparisons)


def correlate(study, r: dict) -> str:
    if "correlate" in skipped(study):
        return skipped(study)["correlate"]
    m, c = study.primary, study.correlate
    why = _missing(r["correlate.r"])
    if why:
        return f"The correlation of {m.name} with {c['name']} cannot be computed: {why}."
    rho, p = r["correlate.r"], r["correlate.p"]
    head = (f"Across the {patients(r['correlate.n'])} with both values, Spearman's rank correlation of {m.name} with "
            f"{c['name']} is r = {rho:.2f} ({p_text(p)})")
    if rho == 0:
        return head + ": no tendency either way."
    return (head + f": patients with more {m.name} tended to have {'higher' if rho > 0 else 'lower'} {c['name']}"
            + (", a tendency unlikely to be chance alone." if p < 0.05 else ", although a tendency this weak could be chance."))


def response(study, r: dict) -> str:
    if "response" in skipped(study):
        return skipped(study)["response"]
    return _compare(study.primary, r, "response", "non-responders", "responders")


def survival(study, r: dict) -> str:
    if "survival" in skipped(study):
        return skipped(study)["survival"]
    m, s = study.primary, study.survival
    rule = "at or above" if m.at_or_above else "above"
    head = (f"{patients(r['survival.n'])} whose {m.name} class is known, {r['survival.events']:,} events "
            f"({s['endpoint']}, counted from {s['origin']}, in {s['unit']}).")
    why = _missing(r["survival.logrank_p"])
    if why:
        return f"{head} Survival by {m.name} group cannot be compared: {why}."
    hr, p = r["survival.hr"], r["survival.logrank_p"]
    if _missing(hr):
        return f"{head} Log-rank {p_text(p)}; no finite hazard ratio ({_missing(hr)})."
    sense = "a higher hazard" if hr > 1 else "a lower hazard" if hr < 1 else "the same hazard"
    return (f"{head} Patients {rule} the {m.name} cut-off of {m.cutoff:g}{_unit(m)} had {sense} "
            f"(univariable Cox hazard ratio {hr:.2f}); log-rank {p_text(p)}"
            + (", a difference unlikely to be chance alone." if p < 0.05 else ", a difference that could be chance."))


def cox(study, r: dict, labels: dict) -> str:
    """The multivariable model: which covariates are associated with the hazard at the 5 % level."""
    if "cox" in skipped(study):
        return skipped(study)["cox"]
    names = [c.name for c in study.cox]
    why = _missing(r[f"cox.{names[0]}.p"])
    if why:
        return f"The multivariable Cox model cannot be fitted: {why}."
    head = (f"The multivariable Cox model uses {patients(r['cox.n'])} with every covariate known and "
            f"{r['cox.events']:,} events.")
    strong = [f"{labels.get(c, c)} (hazard ratio {r[f'cox.{c}.hr']:.3g}, 95 % CI {r[f'cox.{c}.hr_lower']:.3g} to "
              f"{r[f'cox.{c}.hr_upper']:.3g}, {p_text(r[f'cox.{c}.p'])})" for c in names if r[f"cox.{c}.p"] < 0.05]
    weak = [labels.get(c, c) for c in names if r[f"cox.{c}.p"] >= 0.05]
    text = head + (" Associated with the hazard at the 5 % level, each adjusted for the others: " + "; ".join(strong) + "."
                   if strong else " No covariate is associated with the hazard at the 5 % level.")
    text += f" Not at that level: {'; '.join(weak)}." if weak else ""
    thin = [f"{labels.get(c, c)} ({patients(r[f'cox.{c}.n_smallest'])})" for c in names
            if r.get(f"cox.{c}.n_smallest", MIN_GROUP_SIZE) < MIN_GROUP_SIZE]
    return text + (f" A hazard ratio resting on so few patients in one of its groups is unreliable: {'; '.join(thin)}."
                   if thin else "")


def skipped_sentences(study) -> str:
    """The analyses the study does not define, one sentence each."""
    return "\n".join(f"- {text}" for text in skipped(study).values()) or "The study defines every analysis of the set."


def study_summary(study, r: dict) -> str:
    """What the study file defines, as a Markdown table, with the patients counted."""
    m = study.primary
    rows = [("cohort", study.label), ("patients", str(r["patients"])),
            ("clinical table", f"`{study.clinical_file.name}` ({'the paper format' if study.clinical_format == 'zhang1999' else f'{len(study.columns)} declared columns'})"),
            ("markers", "; ".join(f"{x.name} ({x.unit})" + (f", cut-off {x.cutoff:g} {x.unit}: {x.cutoff_source}"
                                                            if x.cutoff is not None else "") for x in study.markers)),
            ("marker source", "plate-reader files (`raw/plates.csv`)" if study.marker_source == "plates" else
             f"concentrations table `{study.concentrations_file.name}`"),
            ("comparisons of " + m.name, "; ".join(" vs ".join(study.groups[g].labels) for g in study.comparisons) or "none"),
            ("correlate", study.correlate["name"] if study.correlate else "none"),
            ("response", (f"responders {', '.join(map(str, study.response['responders']))}; non-responders "
                          f"{', '.join(map(str, study.response['non_responders']))}") if study.response else "none"),
            ("survival", f"{study.survival['endpoint']} from {study.survival['origin']}, in {study.survival['unit']}"
             if study.survival else "none"),
            ("Cox covariates", "; ".join(covariate_labels(study).values()) or "none"),
            ("registry", f"`{study.registry_file.name}`, mode {study.registry_mode}" if study.registry_file else
             "none: results are listed without verdicts")]
    table = "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v.replace('|', '/')} |" for k, v in rows)
    return table + "\n\n" + skipped_sentences(study)
