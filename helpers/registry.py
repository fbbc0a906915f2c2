"""The registry of reported results (data/reported/registry.csv) and verdicts against it.

Each row is one number (or one qualitative claim) the paper reports. `kind` says how a
computed value is judged:
- count: must equal the reported count exactly;
- rounded: must lie in [low, high), the interval of values that print as reported;
- below / above: must be < high / > low (a printed bound such as "P < 0.05", or a direction);
- at_least: must be >= low ("no correlation" read as no P below 0.05).
A value that misses its interval but keeps the reported direction (the `direction`
column, e.g. "> R07b") is "direction only"; anything else that misses is "not reproduced".
A value the data cannot support (helpers.registry.not_computable) is "not computable".

Each row has one owner, the notebook named in its `notebook` column: only that notebook
submits the row's value (helpers.notebook.save_results); others may show it.
"""
from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from helpers import ROOT
from helpers.errors import InputError, Problem, display_name

REGISTRY = ROOT / "data" / "reported" / "registry.csv"
VERDICTS = ("reproduced", "direction only", "not reproduced", "not computable")
KINDS = ("count", "rounded", "below", "above", "at_least")
COLUMNS = ("id", "quantity", "result", "reported", "kind", "low", "high", "direction", "replication", "expected_verdict",
           "notebook", "note")
NOT_COMPUTABLE = "not computable: "
REPLICATION_VERDICTS = ("replicated", "not contradicted", "not replicated", "not testable here", "descriptive")
_CONDITION = re.compile(r"([A-Za-z]\w*)\s*(<=|>=|<|>)\s*([A-Za-z]\w*|[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?)")
_MIN = re.compile(r"min\((.+)\)")


def not_computable(reason: str) -> str:
    """The value of a registry row that the data cannot support, carrying the reason."""
    return NOT_COMPUTABLE + reason


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _row_problems(rec: dict, ids: set) -> list[tuple[str, str]]:
    """(column, message) for each structural problem of one registry row."""
    out = []
    if rec["kind"] not in KINDS:
        out.append(("kind", f"{rec['kind']!r} is not one of {', '.join(KINDS)}"))
    bounds = {}
    for col in ("low", "high"):
        try:
            bounds[col] = float(rec[col]) if rec[col] else math.nan
        except ValueError:
            out.append((col, f"{rec[col]!r} is not a number"))
    needs = {"count": ("low",), "rounded": ("low", "high"), "below": ("high",), "above": ("low",),
             "at_least": ("low",)}.get(rec["kind"], ())
    out += [(col, f"a {rec['kind']} row needs {col}") for col in needs if math.isnan(bounds.get(col, 0.0))]
    if bounds.get("low", math.nan) > bounds.get("high", math.nan):
        out.append(("high", f"low {rec['low']} is above high {rec['high']}"))
    if rec["direction"]:
        parts = rec["direction"].split()
        if len(parts) != 2 or parts[0] not in ("<", ">"):
            out.append(("direction", f"{rec['direction']!r} is not '< X' or '> X'"))
        elif parts[1][0].isalpha() and parts[1] not in ids:
            out.append(("direction", f"{rec['direction']!r} refers to an id not in the registry"))
        elif not parts[1][0].isalpha() and not _is_number(parts[1]):
            out.append(("direction", f"{rec['direction']!r}: {parts[1]!r} is neither a registry id nor a number"))
    if not rec["result"] or not all(k.strip() for k in _result_keys(rec["result"])):
        out.append(("result", "names no result (a key of helpers.findings, or min(key, key, ...))"))
    for cond in filter(None, (c.strip() for c in rec["replication"].split(";"))):
        m = _CONDITION.fullmatch(cond)
        if not m:
            out.append(("replication", f"{cond!r} is not 'ID < number', 'ID > ID' or the like"))
        elif any(x not in ids for x in (m[1], m[3]) if x[0].isalpha()):
            out.append(("replication", f"{cond!r} refers to an id not in the registry"))
    if rec["expected_verdict"] and rec["expected_verdict"] not in VERDICTS:
        out.append(("expected_verdict", f"{rec['expected_verdict']!r} is not one of {', '.join(VERDICTS)}"))
    if not rec["notebook"]:
        out.append(("notebook", "names no notebook that owns the row"))
    return out


def load_registry(path: Path = REGISTRY) -> pd.DataFrame:
    """The registry, indexed by id, with low / high as floats (NaN where not used).
    Structural problems (unknown kinds, low above high, duplicate ids, unknown direction
    operators or partners, missing columns) are an InputError naming line and column."""
    path = Path(path)
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError) as err:
        raise InputError.at(path, f"is not a readable UTF-8 CSV file ({err})") from None
    ragged = [Problem(display_name(path), f"has {len(row)} fields where the header has {len(rows[0])}",
                      line=line) for line, row in enumerate(rows[1:], start=2) if row and len(row) != len(rows[0])]
    if not rows or ragged:
        raise InputError(ragged or [Problem(display_name(path), "is empty")])
    reg = pd.DataFrame([row for row in rows[1:] if row], columns=rows[0])
    missing = [c for c in COLUMNS if c not in reg.columns]
    if missing:
        raise InputError([Problem(display_name(path), f"missing column {c}", line=1) for c in missing])
    problems = []
    ids = set(reg["id"])
    for line, rec in enumerate(reg.to_dict("records"), start=2):
        if not rec["id"]:
            problems.append(Problem(display_name(path), "empty id", line=line, column="id"))
        problems += [Problem(display_name(path), text, line=line, column=col) for col, text in _row_problems(rec, ids)]
    for line in reg.index[reg["id"].duplicated()] + 2:
        problems.append(Problem(display_name(path), f"duplicate id {reg.at[line - 2, 'id']!r}", line=int(line), column="id"))
    if problems:
        raise InputError(problems)
    reg = reg.set_index("id")
    for col in ("low", "high"):
        reg[col] = pd.to_numeric(reg[col].replace("", None)).astype(float)
    return reg


def reported_value(registry: pd.DataFrame, rid: str) -> float:
    """The number a registry row prints (its `reported` column), for rows that print one."""
    text = registry.loc[rid, "reported"]
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"registry row {rid} prints {text!r}, not a number") from None


def _fmt(x: float, width: float = 0.0) -> str:
    """x to 4 significant digits, or more when needed to tell apart the ends of an interval of `width`."""
    digits = 4 if not width > 0 or x == 0 else max(4, math.ceil(math.log10(abs(x) / width)) + 2)
    return f"{x:.{digits}g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.{digits - 2}e}"


def _direction_holds(direction: str, value: float, values: dict) -> bool:
    op, ref = direction.split()
    other = values.get(ref) if ref[0].isalpha() else float(ref)
    if not isinstance(other, (int, float)) or other != other:  # the partner is missing, NaN or not computable
        return False
    return value > other if op == ">" else value < other


def verdict(row: pd.Series, value: float, values: dict) -> tuple[str, str]:
    """(verdict, reason) for one registry row; `values` holds every computed value by id
    (needed for directions such as "> R07b")."""
    low, high, kind = row["low"], row["high"], row["kind"]
    if isinstance(value, str) and value.startswith(NOT_COMPUTABLE):
        return "not computable", value[len(NOT_COMPUTABLE):]
    if value is None:
        return "not computable", (f"the study computes no result {row.get('result', '')!r} (check the registry's "
                                  "result column and the study file)")
    if isinstance(value, float) and math.isnan(value):
        return "not reproduced", "no value could be computed"
    checks = {
        "count": (value == low, f"{value:g} {'=' if value == low else '!='} {low:g}"),
        "rounded": (low <= value < high, f"{_fmt(value, high - low)} {'in' if low <= value < high else 'outside'} "
                                         f"[{_fmt(low, high - low)}, {_fmt(high, high - low)})"),
        "below": (value < high, f"{_fmt(value)} {'<' if value < high else '>='} {_fmt(high)}"),
        "above": (value > low, f"{_fmt(value)} {'>' if value > low else '<='} {_fmt(low)}"),
        "at_least": (value >= low, f"{_fmt(value)} {'>=' if value >= low else '<'} {_fmt(low)}"),
    }
    ok, reason = checks[kind]
    if ok:
        return "reproduced", reason
    if row["direction"] and _direction_holds(row["direction"], value, values):
        return "direction only", f"{reason}, but {row.name} {row['direction']} holds"
    return "not reproduced", reason


def scorecard(values: dict, ids=None, registry: pd.DataFrame | None = None, left_out: dict | None = None) -> pd.DataFrame:
    """One row per registry id (all, or `ids`): reported, reproduced value, verdict, reason,
    expected verdict and the registry's note; with `left_out` ({id prefix such as 'R11':
    text}, helpers.analysis.left_out_by_row), a column saying which rows lost patients."""
    reg = load_registry() if registry is None else registry
    rows = []
    for rid, row in reg.loc[list(ids) if ids is not None else reg.index].iterrows():
        value = values.get(rid)
        v, reason = verdict(row, value, values)
        rows.append({"id": rid, "quantity": row["quantity"], "reported": row["reported"],
                     "reproduced": value, "verdict": v, "reason": reason,
                     "expected_verdict": row["expected_verdict"], "note": row["note"]})
    columns = ["id", "quantity", "reported", "reproduced", "verdict", "reason", "expected_verdict", "note"]
    card = pd.DataFrame(rows, columns=columns).set_index("id")  # explicit columns: no ids gives an empty card
    card["reproduced"] = pd.Series([r["reproduced"] for r in rows], index=card.index, dtype=object)  # ints stay ints
    if left_out is not None:
        card["left_out"] = [left_out.get(rid[:3], "") for rid in card.index]
    return card


def _result_keys(text: str) -> list[str]:
    m = _MIN.fullmatch(text.strip())
    return [k.strip() for k in m[1].split(",")] if m else [text.strip()]


def registry_values(registry: pd.DataFrame, results: dict) -> dict:
    """{registry id: value} from a study's results (helpers.findings), through each row's
    `result` key; min(a, b, ...) takes the smallest. A key the study's results lack gives
    None (the study does not have what the row needs); a 'not computable' part passes on."""
    values = {}
    for rid, key in registry["result"].items():
        parts = [results.get(k) for k in _result_keys(key)]
        broken = next((p for p in parts if p is None or isinstance(p, str)), False)
        if broken is False and any(p != p for p in parts):  # NaN: no smallest value
            broken = not_computable(f"{key} has no value")
        values[rid] = broken if broken is not False else (min(parts) if len(parts) > 1 else parts[0])
    return values


def replication_verdict(row: pd.Series, values: dict) -> tuple[str, str]:
    """(verdict, reason) of one row read as a claim to replicate: its `replication` conditions
    (e.g. 'R07c < 0.05; R07a > R07b': significant at 0.05 and in the paper's direction) all
    hold: replicated; one fails: not replicated; a value the study cannot give: not testable
    here; no conditions (a count, a description): descriptive. A claim of no association (its
    one condition 'P >= 0.05') that holds is only not contradicted: the absence of evidence,
    not evidence of absence."""
    conditions = [c.strip() for c in row["replication"].split(";") if c.strip()]
    if values.get(row.name) is None:
        return "not testable here", f"the study computes no {row['result']} (see the study file)"
    if not conditions:
        return "descriptive", "no claim to test: shown beside the paper's value"
    failed = []
    for cond in conditions:
        left, op, right = _CONDITION.fullmatch(cond).groups()
        a = values.get(left)
        b = values.get(right) if right[0].isalpha() else float(right)
        for name, v in ((left, a), (right, b)):
            if v is None:
                return "not testable here", f"{name} cannot be computed: the study has nothing for it (see the study file)"
            if isinstance(v, str):
                return "not testable here", v[len(NOT_COMPUTABLE):] if v.startswith(NOT_COMPUTABLE) else v
            if v != v:
                return "not testable here", f"{name} has no value"
        holds = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        if not holds:
            failed.append(f"{left} = {_fmt(a)}, not {op} {right if right[0].isalpha() else _fmt(b)}")
    if failed:
        return "not replicated", "; ".join(failed)
    if all(_CONDITION.fullmatch(c)[2] == ">=" for c in conditions):
        return "not contradicted", "; ".join(conditions) + ": no association at the 5 % level either"
    return "replicated", "; ".join(conditions) + " hold"


def replication_card(values: dict, registry: pd.DataFrame, left_out: dict | None = None) -> pd.DataFrame:
    """One row per claim of the registry read as claims to replicate: the paper's value, this
    cohort's value beside it, the replication verdict and why (replication_verdict)."""
    rows = []
    for rid, row in registry.iterrows():
        v, reason = replication_verdict(row, values)
        rows.append({"id": rid, "quantity": row["quantity"], "reported": row["reported"],
                     "this cohort": values.get(rid), "verdict": v, "reason": reason})
    card = pd.DataFrame(rows, columns=["id", "quantity", "reported", "this cohort", "verdict", "reason"]).set_index("id")
    card["this cohort"] = pd.Series([r["this cohort"] for r in rows], index=card.index, dtype=object)
    if left_out is not None:
        card["left_out"] = [left_out.get(rid[:3], "") for rid in card.index]
    return card


def not_owned(notebook: str, ids, registry: pd.DataFrame | None = None) -> list[str]:
    """The ids among `ids` whose registry row `notebook` does not own (unknown ids included)."""
    reg = load_registry() if registry is None else registry
    owners = reg["notebook"]
    return [rid for rid in ids if owners.get(rid) != notebook]


def gather_results(results_dir: Path, registry: pd.DataFrame | None = None) -> tuple[dict, dict]:
    """Values and their source notebooks from every `<notebook>.json` in `results_dir`
    (helpers.notebook.save_results). A value submitted by a notebook that does not own its
    row is an error naming both."""
    import json

    reg = load_registry() if registry is None else registry
    values, sources = {}, {}
    for path in sorted(Path(results_dir).glob("*.json")):
        submitted = json.loads(path.read_text(encoding="utf-8"))["values"]
        stray = not_owned(path.stem, submitted, reg)
        if stray:
            raise ValueError(f"{path.name} submits {', '.join(stray)}, owned by "
                             f"{', '.join(str(reg['notebook'].get(rid, 'no notebook')) for rid in stray)}")
        values |= submitted
        sources |= dict.fromkeys(submitted, path.stem)
    return values, sources
