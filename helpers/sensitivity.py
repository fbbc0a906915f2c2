"""Sensitivity of the reconstruction to its assumptions: rebuild the cohort under changed
assumptions (or another seed), run the full check on each rebuild, and collect the verdicts.

A scenario is a name and a dict of overrides keyed by dotted assumption names, e.g.
{"cohort.n_liver": 9} or {"survival.hazard_ratios.il6_high": 1.5} or {"seed": 7}. A key
may go past a leaf into its value (hazard_ratios.il6_high, response.counts.NE). The
overridden leaves keep their `why`, so a scenario's assumptions file stays valid.

A rebuild that fails (the generator's searches cannot meet the registry, or the assumed
sizes cannot coexist) is an outcome, not an error: its row reads "build failed: <reason>".

With a `cache_dir`, each outcome is kept there under the content hash of what decides it (the
scenario's assumptions file, the registry and the source of the helpers the build and the check
run), and a later run with the same inputs reads it instead of rebuilding. A kept outcome
carries the seconds of the run that made it.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import os
import pickle
import re
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import yaml

from helpers import analysis, reconstruct
from helpers.cohort import load_cohort
from helpers.registry import REGISTRY, VERDICTS, load_registry

BUILD_FAILED = "build failed"
CHECK_FAILED = "check failed"
OUTCOMES = (*VERDICTS, BUILD_FAILED, CHECK_FAILED)


# ---------------------------------------------------------------- assumptions with overrides
def _leaf(doc: dict, parts: list[str], key: str) -> tuple[dict, list[str]]:
    """The {value, why} leaf a dotted key starts with, and the rest of the key (inside value)."""
    node = doc
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"{key}: no assumption '{'.'.join(parts[: i + 1])}'")
        node = node[part]
        if isinstance(node, dict) and "value" in node:
            return node, parts[i + 1:]
    raise KeyError(f"{key}: names a group of assumptions, not one assumption")


def override(doc: dict, overrides: dict) -> dict:
    """A deep copy of a raw assumptions document ({value, why} leaves) with `overrides`
    applied. Unknown keys raise KeyError; each leaf keeps its `why`."""
    out = copy.deepcopy(doc)
    for key, value in overrides.items():
        leaf, rest = _leaf(out, key.split("."), key)
        if not rest:
            leaf["value"] = copy.deepcopy(value)
            continue
        target = leaf["value"]
        for part in rest[:-1]:
            if not isinstance(target, dict) or part not in target:
                raise KeyError(f"{key}: no '{part}' in the value")
            target = target[part]
        if not isinstance(target, dict) or rest[-1] not in target:
            raise KeyError(f"{key}: no '{rest[-1]}' in the value")
        target[rest[-1]] = copy.deepcopy(value)
    return out


def scenario_assumptions(base: Path | dict, overrides: dict, out: Path | None = None) -> Path | dict:
    """The base assumptions (a file, or its parsed document) with `overrides` applied.
    With `out`, write them there as YAML and return the path; else return the document."""
    doc = yaml.safe_load(Path(base).read_text(encoding="utf-8")) if isinstance(base, (str, Path)) else base
    new = override(doc, overrides)
    if out is None:
        return new
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(new, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    return out


# ---------------------------------------------------------------- running scenarios
@dataclass
class ScenarioOutcome:
    name: str
    overrides: dict
    status: str                      # "built", BUILD_FAILED or CHECK_FAILED
    reason: str = ""                 # why it failed ("" when built and checked): the exception
    build_seconds: float = 0.0
    check_seconds: float = 0.0
    survival_draws: int | None = None  # survival draws the generator tried before one matched
    check_warnings: list = field(default_factory=list)
    scorecard: pd.DataFrame | None = field(default=None, repr=False)

    def verdicts(self, ids) -> pd.Series:
        """Verdict per registry id, or "<status>: <why>" for every id when it failed."""
        if self.scorecard is None:
            return pd.Series(f"{self.status}: {self.reason}", index=list(ids), name=self.name)
        return self.scorecard["verdict"].reindex(list(ids)).rename(self.name)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "scenario"


def code_files() -> list[Path]:
    """The source the build and the check run: helpers/__init__.py and every helpers module this
    one imports, directly or through others, at the top or inside a function (read from the
    import statements), so that editing, say, a figure does not invalidate kept outcomes."""
    here, todo, seen = Path(__file__).parent, ["sensitivity"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(ast.parse((here / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "helpers":
                todo += [a.name for a in node.names if (here / f"{a.name}.py").is_file()]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers."):
                todo.append(node.module.split(".")[1])
    return [here / "__init__.py", *sorted(here / f"{name}.py" for name in seen)]


def outcome_key(assumptions: Path) -> str:
    """SHA-256 of what decides a scenario's outcome: its assumptions file, the registry and the
    source of the helpers it runs (code_files)."""
    digest = hashlib.sha256()
    for path in [Path(assumptions), REGISTRY, *code_files()]:
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def run_scenario(name: str, overrides: dict, workdir: Path, base: Path = reconstruct.ASSUMPTIONS,
                 cache_dir: Path | None = None) -> ScenarioOutcome:
    """Write the scenario's assumptions into `<workdir>/<name>/`, build the cohort there and
    check it (helpers.cohort.load_cohort, analysis.cohort_scorecard), or read the outcome kept
    in `cache_dir` for the same inputs (outcome_key). Failures of the build or the check are
    returned, not raised; bad override keys (KeyError) are raised, because they are a mistake
    in the scenario, not an outcome."""
    where = Path(workdir) / _slug(name)
    path = scenario_assumptions(base, overrides, where / "assumptions.yaml")
    if cache_dir is None:
        return _build_and_check(name, overrides, where, path)
    kept = Path(cache_dir) / f"scenario-{outcome_key(path)[:24]}.pkl"
    if kept.is_file():
        return replace(pickle.loads(kept.read_bytes()), name=name, overrides=overrides)
    result = _build_and_check(name, overrides, where, path)
    kept.parent.mkdir(parents=True, exist_ok=True)
    tmp = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(result))
    tmp.replace(kept)
    return result


def _build_and_check(name: str, overrides: dict, where: Path, path: Path) -> ScenarioOutcome:
    start = time.perf_counter()
    try:
        # rejected survival draws can make lifelines warn about convergence; they are discarded anyway
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            facts = reconstruct.build(where, assumptions=path)
    except Exception as err:  # noqa: BLE001 -- any failure to build is the scenario's outcome
        return ScenarioOutcome(name, overrides, BUILD_FAILED, f"{type(err).__name__}: {err}",
                               time.perf_counter() - start)
    built = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:  # kept with the outcome, not printed
        warnings.simplefilter("always")
        try:
            card = analysis.cohort_scorecard(load_cohort(where))
        except Exception as err:  # noqa: BLE001
            return ScenarioOutcome(name, overrides, CHECK_FAILED, f"{type(err).__name__}: {err}", built,
                                   time.perf_counter() - start, facts["survival_draws"], _messages(caught))
    return ScenarioOutcome(name, overrides, "built", "", built, time.perf_counter() - start,
                           facts["survival_draws"], _messages(caught), card)


def _messages(caught) -> list[str]:
    """Distinct warnings raised while checking, without library deprecation notices."""
    return sorted({f"{w.category.__name__}: {str(w.message).strip().splitlines()[0]}" for w in caught
                   if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, ImportWarning))})


def run_all(scenarios: dict, workdir: Path, base: Path = reconstruct.ASSUMPTIONS,
            cache_dir: Path | None = None) -> list[ScenarioOutcome]:
    """run_scenario for each {name: overrides}, in order."""
    return [run_scenario(name, overrides, workdir, base, cache_dir) for name, overrides in scenarios.items()]


def verdict_matrix(outcomes: list[ScenarioOutcome], ids=None) -> pd.DataFrame:
    """Scenario x registry id: the verdict, or "build failed: <reason>" across a failed row."""
    ids = list(load_registry().index) if ids is None else list(ids)
    return pd.DataFrame([o.verdicts(ids) for o in outcomes]).rename_axis(index="scenario", columns="id")


def run_scenarios(scenarios: dict, workdir: Path, base: Path = reconstruct.ASSUMPTIONS) -> pd.DataFrame:
    """Build and check every scenario ({name: overrides}); the scenario x registry id matrix."""
    return verdict_matrix(run_all(scenarios, workdir, base))


def outcome(cell: str) -> str:
    """The category of a matrix cell: a verdict, BUILD_FAILED or CHECK_FAILED."""
    return cell.split(":", 1)[0]


def summary(outcomes: list[ScenarioOutcome]) -> pd.DataFrame:
    """One row per scenario: overrides, status, verdict counts, seconds, reason."""
    rows = []
    for o in outcomes:
        counts = o.scorecard["verdict"].value_counts() if o.scorecard is not None else pd.Series(dtype=int)
        rows.append({"scenario": o.name, "overrides": ", ".join(f"{k} = {v}" for k, v in o.overrides.items()) or "-",
                     "status": o.status, **{v: int(counts.get(v, 0)) for v in VERDICTS},
                     "survival draws": o.survival_draws, "check warnings": len(o.check_warnings),
                     "seconds": round(o.build_seconds + o.check_seconds, 1), "reason": o.reason})
    return pd.DataFrame(rows).set_index("scenario")


def reproduced_share(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per registry id: in how many scenarios (and what share of all, failed builds included)
    it was reproduced, and how many scenarios gave each other outcome."""
    cats = matrix.map(outcome)
    table = pd.DataFrame({o: (cats == o).sum() for o in OUTCOMES})
    table = table.loc[:, (table != 0).any() | table.columns.isin(VERDICTS)]
    table.insert(0, "share reproduced", table["reproduced"] / len(matrix))
    return table.rename_axis("id")


def compare_with_expected(matrix: pd.DataFrame) -> pd.DataFrame:
    """Scenario x id: True where the verdict equals the registry's expected verdict."""
    expected = load_registry()["expected_verdict"]
    return matrix.apply(lambda row: row == expected.reindex(row.index), axis=1)


def value_matrix(outcomes: list[ScenarioOutcome], ids) -> pd.DataFrame:
    """Scenario x id: the computed value (NaN where the build failed), for rows whose
    registry entry is only a bound or a direction, so their size is free to move."""
    rows = {o.name: (o.scorecard["reproduced"].reindex(list(ids)) if o.scorecard is not None
                     else pd.Series(float("nan"), index=list(ids))) for o in outcomes}
    return pd.DataFrame(rows).T.astype(float).rename_axis(index="scenario", columns="id")
