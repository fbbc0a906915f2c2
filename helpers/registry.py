"""The registry of reported results (data/reported/registry.csv) and verdicts against it.

Each row is one number (or one qualitative claim) the paper reports. `kind` says how a
computed value is judged:
- count: must equal the reported count exactly;
- rounded: must lie in [low, high), the interval of values that print as reported;
- below / above: must be < high / > low (a printed bound such as "P < 0.05", or a direction);
- at_least: must be >= low ("no correlation" read as no P below 0.05).
A value that misses its interval but keeps the reported direction (the `direction`
column, e.g. "> R07b") is "direction only"; anything else that misses is "not reproduced".
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

REGISTRY = Path(__file__).resolve().parent.parent / "data" / "reported" / "registry.csv"
VERDICTS = ("reproduced", "direction only", "not reproduced")
KINDS = ("count", "rounded", "below", "above", "at_least")


def load_registry(path: Path = REGISTRY) -> pd.DataFrame:
    """The registry, indexed by id, with low / high as floats (NaN where not used)."""
    reg = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    bad = sorted(set(reg["kind"]) - set(KINDS))
    if bad:
        raise ValueError(f"{Path(path).name}: unknown kind(s) {bad}; allowed {KINDS}")
    for col in ("low", "high"):
        reg[col] = pd.to_numeric(reg[col].replace("", None)).astype(float)
    return reg


def _fmt(x: float) -> str:
    return f"{x:.4g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _direction_holds(direction: str, value: float, values: dict) -> bool:
    op, ref = direction.split()
    other = values.get(ref) if ref[0].isalpha() else float(ref)
    if other is None or other != other:  # the partner value is missing or NaN
        return False
    return value > other if op == ">" else value < other


def verdict(row: pd.Series, value: float, values: dict) -> tuple[str, str]:
    """(verdict, reason) for one registry row; `values` holds every computed value by id
    (needed for directions such as "> R07b")."""
    low, high, kind = row["low"], row["high"], row["kind"]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not reproduced", "no value could be computed"
    checks = {
        "count": (value == low, f"{value:g} {'=' if value == low else '!='} {low:g}"),
        "rounded": (low <= value < high, f"{_fmt(value)} {'in' if low <= value < high else 'outside'} "
                                         f"[{_fmt(low)}, {_fmt(high)})"),
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


def scorecard(values: dict, ids=None, registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per registry id (all, or `ids`): reported, reproduced value, verdict, reason,
    expected verdict and the registry's note."""
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
    return card


def gather_results(results_dir: Path, exclude: tuple = ()) -> tuple[dict, dict]:
    """Values and their source notebooks from every `<notebook>.json` in `results_dir`
    (helpers.notebook.save_results). Two notebooks reporting different values for the
    same id is an error naming both."""
    import json

    values, sources = {}, {}
    for path in sorted(Path(results_dir).glob("*.json")):
        if path.stem in exclude:
            continue
        for rid, value in json.loads(path.read_text(encoding="utf-8"))["values"].items():
            if rid in values and values[rid] != value:
                raise ValueError(f"{rid}: {sources[rid]} reports {values[rid]!r} but {path.stem} reports {value!r}")
            values[rid] = value
            sources[rid] = f"{sources[rid]}, {path.stem}" if rid in sources else path.stem
    return values, sources
