"""A study file: one YAML file that describes a cohort, so the same analyses run on any cohort.

It says where the tables are, which clinical columns the analyses use (type, unit, whether
a value may be missing), the markers (unit and the cut-off fixed in advance), the binary
groups built from clinical columns, which of them the primary marker is compared across,
an optional correlate, an optional response with its responder definition, survival (time,
event, origin, unit), the multivariable Cox covariates with their coding, and optionally a
registry of claims. Every problem in the file is one InputError naming the file, the line
and the key. The format is documented in README.md ("Bring your own cohort").

The reconstructed cohort of the paper is `data/study.yaml`; `data/gbsg2/study.yaml` is a
real cohort (GBSG2).
"""
from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpers import ROOT
from helpers.errors import InputError, Problem

PAPER_STUDY = ROOT / "data" / "study.yaml"
COLUMN_TYPES = ("number", "integer", "category", "boolean", "text")
CLINICAL_FORMATS = ("columns", "zhang1999")
MARKER_SOURCES = ("plates", "concentrations")
REGISTRY_MODES = ("reproduce", "replicate")
# What only makes sense for one published study, switched on by its study file (`extras: [...]`):
# zhang1999 = the 1999 paper's REMARK appraisal, its CRP r / n / P check, the related studies, its
# printed values quoted beside the results, and (for `reconstructed: true`) the reconstruction.
EXTRAS = ("zhang1999",)
RULE = re.compile(r"(<=|>=|==|!=|<|>)\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
       "!=": operator.ne}  # the operators of a comparison rule


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    unit: str = ""
    levels: tuple = ()
    missing: bool = False  # missing values allowed (the patient is left out of analyses that need it)
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Marker:
    id: str  # analyte code, e.g. IL6; its cohort-table column is id.lower()
    name: str
    unit: str
    cutoff: float | None = None
    cutoff_source: str = ""
    at_or_above: bool = False  # high = value >= cutoff (else value > cutoff)
    fixed_in_advance: bool = True  # False: the cut-off was chosen for this run (Study.with_cutoff)

    @property
    def column(self) -> str:
        return self.id.lower()


@dataclass(frozen=True)
class Compare:
    """A group rule comparing a numeric column with a number, e.g. Compare('>', 1)."""
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


@dataclass(frozen=True)
class Group:
    """A binary split of the patients by one clinical column: group A against group B. A rule
    is a list of values or a comparison with a number, e.g. '> 1'."""
    name: str
    column: str
    a: object
    b: object
    labels: tuple[str, str]


@dataclass(frozen=True)
class Covariate:
    """A Cox covariate: a marker above its cut-off, a group (A = 1), or a numeric column / per."""
    name: str
    kind: str  # marker (above its cut-off) | marker_value | group | numeric
    source: str  # marker id, group name or column
    per: float = 1.0
    label: str = ""


@dataclass(frozen=True)
class Study:
    path: Path
    name: str
    label: str
    reconstructed: bool
    clinical_file: Path
    clinical_format: str
    id_column: str
    sample_column: str
    columns: dict  # name -> Column
    marker_source: str
    markers: tuple  # Marker, primary first
    concentrations_file: Path | None
    groups: dict  # name -> Group
    comparisons: tuple  # group names
    detectability: dict | None = None  # {"markers": (...), "against": (group names)}
    correlate: dict | None = None  # {"column", "name", "unit"}
    response: dict | None = None  # {"column", "responders", "non_responders"}
    survival: dict | None = None  # {"time", "event", "unit", "origin", "endpoint"}
    cox: tuple = ()  # Covariate
    registry_file: Path | None = None
    registry_mode: str | None = None
    description: str = ""
    notes: dict = field(default_factory=dict)
    extras: tuple = ()  # of EXTRAS

    @property
    def directory(self) -> Path:
        return self.path.parent

    def extra(self, name: str) -> bool:
        """Whether the study file switches on the extra `name` (one of EXTRAS): the one place
        that decides whether a study gets what only makes sense for one published study."""
        if name not in EXTRAS:
            raise ValueError(f"unknown extra {name!r}")
        return name in self.extras

    @property
    def primary(self) -> Marker:
        return self.markers[0]

    def marker(self, marker_id: str) -> Marker:
        return next(m for m in self.markers if m.id == marker_id)

    def with_cutoff(self, cutoff: float) -> "Study":
        """The same study with the primary marker's cut-off replaced (a sensitivity analysis),
        labelled as chosen for this run; the study itself when the cut-off is its own."""
        from dataclasses import replace
        m = self.primary
        cutoff = cutoff_value(cutoff)
        if cutoff == m.cutoff:
            return self
        source = (f"chosen for this run; the study fixes {m.cutoff:g} {m.unit} in advance ({m.cutoff_source})"
                  if m.cutoff is not None else "chosen for this run; the study fixes none")
        return replace(self, markers=(replace(m, cutoff=cutoff, cutoff_source=source, fixed_in_advance=False),
                                      *self.markers[1:]))


def cutoff_value(value) -> float:
    """A cut-off given for a run (--cutoff, the notebooks' `cutoff`): a finite number, not negative."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"the cut-off {value!r} is not a number") from None
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"the cut-off {value!r} must be a finite number, 0 or more")
    return x


def cutoff_argument(text: str) -> float:
    """cutoff_value for argparse (--cutoff of helpers.check and helpers.report)."""
    import argparse

    try:
        return cutoff_value(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


# The paper's clinical table (helpers.clinical) described as study columns.
def _paper_columns() -> dict:
    from helpers import clinical as c
    specs = {
        "age": Column("age", "integer", "years", missing=True, min=18, max=110),
        "dfi_months": Column("dfi_months", "number", "months", missing=True, min=0),
        "n_sites": Column("n_sites", "integer", "sites", min=1),
        "sites": Column("sites", "text"),
        "dominant_site": Column("dominant_site", "category", levels=c.DOMINANT_SITES),
        "liver_metastasis": Column("liver_metastasis", "boolean"),
        "pleural_effusion": Column("pleural_effusion", "boolean"),
        "er_status": Column("er_status", "category", levels=c.ER_STATUSES, missing=True),
        "crp_mg_dl": Column("crp_mg_dl", "number", "mg/dl", missing=True, min=0),
        "response": Column("response", "category", levels=c.RESPONSES, missing=True),
        "os_months": Column("os_months", "number", "months", min=0),
        "death": Column("death", "integer", levels=(0, 1)),
    }
    return specs


# ---------------------------------------------------------------- reading YAML with line numbers

class _Loader(yaml.SafeLoader):
    """YAML as version 1.2 reads booleans: only true / false, so levels such as no, yes, on and
    off stay text (PyYAML's YAML 1.1 would turn `levels: [no, yes]` into [False, True])."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _read(path: Path) -> tuple[object, dict]:
    """The file's content and {key path tuple: line} for every mapping key and list item."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError.at(path, "no such study file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError.at(path, f"cannot read the file as UTF-8 text ({err})") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        raise InputError.at(path, f"YAML syntax error: {err.problem}", line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as err:  # e.g. a control character the reader refuses
        raise InputError.at(path, f"not readable as YAML: {str(err).splitlines()[0]}") from None
    lines, duplicates = {}, []

    def walk(n, where):
        lines.setdefault(where, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = where + (k.value,)
                if key in lines:
                    duplicates.append(Problem(str(path), f"'{k.value}' is given twice (also on line {lines[key]}): "
                                                         "keep one", line=k.start_mark.line + 1,
                                              column=".".join(map(str, key))))
                lines[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, where + (i,))
    if node is not None:
        walk(node, ())
    if duplicates:
        raise InputError(duplicates)
    return data, lines


class _Reader:
    """Typed access to the parsed file that records every problem with its line and key."""

    def __init__(self, path: Path, lines: dict):
        self.path, self.lines, self.problems = path, lines, []

    def fail(self, where: tuple, message: str) -> None:
        line = next((self.lines[where[:i]] for i in range(len(where), -1, -1) if where[:i] in self.lines), None)
        key = "".join(f"[{k + 1}]" if isinstance(k, int) else f".{k}" for k in where).lstrip(".") or None
        self.problems.append(Problem(str(self.path), message, line=line, column=key))

    def scalars(self, values: list, where: tuple) -> list:
        """The items of a list that are single values (text, numbers, true / false); the others
        are reported."""
        kept = []
        for i, v in enumerate(values):
            if isinstance(v, (dict, list)) or v is None:
                self.fail(where + (i,), f"must be a single value, not {v!r}")
            else:
                kept.append(v)
        return kept

    def get(self, node: dict, where: tuple, key: str, kind, required=True, default=None):
        if not isinstance(node, dict):
            return default
        if key not in node or node[key] is None:
            if required:
                self.fail(where, f"needs '{key}'")
            return default
        value = node[key]
        ok = {"text": isinstance(value, str) and value.strip() != "",
              "number": isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
              "bool": isinstance(value, bool), "map": isinstance(value, dict), "list": isinstance(value, list)}[kind]
        if not ok:
            words = {"text": "a text", "number": "a number", "bool": "true or false", "map": "a mapping (key: value)",
                     "list": "a list"}
            self.fail(where + (key,), f"must be {words[kind]}, not {value!r}")
            return default
        return value

    def unknown_keys(self, node: dict, where: tuple, known) -> None:
        if isinstance(node, dict):
            for key in node:
                if key not in known:
                    self.fail(where + (key,), f"unknown key '{key}' (expected one of {', '.join(known)})")

    def file(self, node: dict, where: tuple, key: str, base: Path, required=True) -> Path | None:
        name = self.get(node, where, key, "text", required)
        if name is None:
            return None
        path = (base / name).resolve()
        if not path.is_file():
            self.fail(where + (key,), f"file {name!r} not found (looked for {path})")
        return path


# ---------------------------------------------------------------- the sections

def _columns(r: _Reader, node) -> dict:
    columns = {}
    for name, spec in (node or {}).items():
        where = ("clinical", "columns", name)
        if not isinstance(spec, dict):
            r.fail(where, "must be a mapping such as {type: number, unit: mg/dl}")
            continue
        r.unknown_keys(spec, where, ("type", "unit", "levels", "missing", "min", "max", "description"))
        kind = r.get(spec, where, "type", "text")
        if kind is not None and kind not in COLUMN_TYPES:
            r.fail(where + ("type",), f"{kind!r} is not one of {', '.join(COLUMN_TYPES)}")
        levels = r.scalars(r.get(spec, where, "levels", "list", required=kind == "category", default=[]),
                           where + ("levels",))
        missing = spec.get("missing", "not allowed")
        if missing not in ("allowed", "not allowed"):
            r.fail(where + ("missing",), f"must be 'allowed' or 'not allowed', not {missing!r}")
        bounds = {k: r.get(spec, where, k, "number", required=False) for k in ("min", "max")}
        columns[str(name)] = Column(str(name), kind or "text", str(spec.get("unit", "") or ""), tuple(levels),
                                    missing == "allowed", bounds["min"], bounds["max"])
    return columns


def _rule(r: _Reader, where: tuple, value, column: Column | None):
    if isinstance(value, str):
        m = RULE.fullmatch(value.strip())
        if not m:
            r.fail(where, f"{value!r} is neither a list of values nor a comparison such as '> 1' or '<= 24'")
            return None
        if column is not None and column.type not in ("number", "integer"):
            r.fail(where, f"a comparison needs a number or integer column; {column.name} is {column.type}")
        return Compare(m[1], float(m[2]))
    if isinstance(value, list) and value:
        value = r.scalars(value, where)
        if column is not None and column.type in ("number", "integer") and not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            r.fail(where, f"{column.name} is a {column.type} column: list numbers, or a comparison such as '> 1'")
        if column is not None and column.type == "category" and column.levels:
            unknown = [v for v in value if v not in column.levels]
            if unknown:
                r.fail(where, f"{', '.join(map(repr, unknown))} not among the levels of {column.name}: "
                              f"{', '.join(map(str, column.levels))}")
        if column is not None and column.type == "boolean" and not all(isinstance(v, bool) for v in value):
            r.fail(where, f"{column.name} is true/false: list true or false")
        return tuple(value)
    r.fail(where, "must be a non-empty list of values or a comparison such as '> 1'")
    return None


def _groups(r: _Reader, node, columns: dict) -> dict:
    groups = {}
    for name, spec in (node or {}).items():
        where = ("groups", name)
        if not NAME.fullmatch(str(name)):
            r.fail(where, f"group name {name!r} must start with a letter and hold only letters, digits and _")
        if not isinstance(spec, dict):
            r.fail(where, "must be a mapping {column, a, b, labels}")
            continue
        r.unknown_keys(spec, where, ("column", "a", "b", "labels"))
        col = r.get(spec, where, "column", "text")
        if col is not None and col not in columns:
            r.fail(where + ("column",), f"{col!r} is not a clinical column of the study "
                                        f"(declared: {', '.join(columns) or 'none'})")
        column = columns.get(col)
        a = _rule(r, where + ("a",), spec.get("a"), column) if "a" in spec else r.fail(where, "needs 'a'")
        b = _rule(r, where + ("b",), spec.get("b"), column) if "b" in spec else r.fail(where, "needs 'b'")
        if isinstance(a, Compare) and isinstance(b, Compare) and _overlap(a, b) is not None:
            r.fail(where + ("b",), f"'{b}' and a's '{a}' both hold for {_overlap(a, b):g}: a patient can be in one "
                                   "group only")
        if isinstance(a, tuple) and isinstance(b, tuple) and set(a) & set(b):
            r.fail(where + ("b",), f"shares {', '.join(map(str, set(a) & set(b)))} with a: a patient can be in one group only")
        labels = r.get(spec, where, "labels", "list")
        if labels is not None and (len(labels) != 2 or not all(isinstance(x, str) and x for x in labels)):
            r.fail(where + ("labels",), "must be two names: [group A, group B]")
            labels = None
        groups[str(name)] = Group(str(name), col or "", a, b, tuple(labels or (f"{name}: A", f"{name}: B")))
    return groups


def _overlap(a: Compare, b: Compare) -> float | None:
    """A value that meets both comparison rules, or None: the rules are half-lines or points, so
    checking their ends, their midpoint and points beyond them finds any overlap."""
    lo, hi = sorted((a.value, b.value))
    for x in (lo, hi, (lo + hi) / 2, lo - 1, hi + 1):
        if OPS[a.op](x, a.value) and OPS[b.op](x, b.value):
            return x
    return None


def _markers(r: _Reader, node, base: Path) -> tuple[str, tuple, Path | None]:
    from helpers import plates
    r.unknown_keys(node, ("markers",), ("source", "file", "list"))
    source = r.get(node, ("markers",), "source", "text")
    if source is not None and source not in MARKER_SOURCES:
        r.fail(("markers", "source"), f"{source!r} is not one of {', '.join(MARKER_SOURCES)}")
    conc = r.file(node, ("markers",), "file", base) if source == "concentrations" else None
    if source == "plates" and not (base / "raw" / "plates.csv").is_file():
        r.fail(("markers", "source"), f"plates need {base / 'raw' / 'plates.csv'} (the plate manifest)")
    items = r.get(node, ("markers",), "list", "map", default={})
    markers = []
    for mid, spec in items.items():
        where = ("markers", "list", mid)
        if not NAME.fullmatch(str(mid)):
            r.fail(where, f"marker id {mid!r} must start with a letter and hold only letters, digits and _")
        if source == "plates" and mid not in plates.ASSAYS:
            r.fail(where, f"plates are read for {', '.join(plates.ASSAYS)}; give other markers as a concentrations table")
        if not isinstance(spec, dict):
            r.fail(where, "must be a mapping {name, unit, cutoff, cutoff_source}")
            continue
        r.unknown_keys(spec, where, ("name", "unit", "cutoff", "cutoff_source", "high"))
        cutoff = r.get(spec, where, "cutoff", "number", required=False)
        if cutoff is not None:
            r.get(spec, where, "cutoff_source", "text")  # a cut-off fixed in advance names where it comes from
        high = spec.get("high", "above")
        if high not in ("above", "at_or_above"):
            r.fail(where + ("high",), f"{high!r} is not 'above' or 'at_or_above' (the cut-off)")
        markers.append(Marker(str(mid), r.get(spec, where, "name", "text") or str(mid),
                              r.get(spec, where, "unit", "text") or "", None if cutoff is None else float(cutoff),
                              str(spec.get("cutoff_source", "") or ""), high == "at_or_above"))
    if not markers and isinstance(items, dict):
        r.fail(("markers", "list"), "needs at least one marker")
    return source, tuple(markers), conc


def _scaled(r: _Reader, item: dict, where: tuple, kind: str, source: str | None) -> Covariate:
    """A covariate entering as a value divided by its `per` step (named e.g. age_per_10)."""
    per = r.get(item, where, "per", "number", required=False, default=1.0)
    if per is not None and per <= 0:
        r.fail(where + ("per",), "must be positive")
    name = source if per in (None, 1, 1.0) else f"{source}_per_{per:g}"
    return Covariate(name or "?", kind, source or "", float(per or 1.0), str(item.get("label", "") or ""))


def _covariates(r: _Reader, node, markers, groups, columns, with_cutoff_key=frozenset()) -> tuple:
    out = []
    for i, item in enumerate(node or []):
        where = ("cox", i)
        if isinstance(item, str):
            if item in {m.id for m in markers}:
                if next(m for m in markers if m.id == item).cutoff is None and item not in with_cutoff_key:
                    r.fail(where, f"marker {item} has no cut-off: the model uses the marker above its cut-off")
                out.append(Covariate(item, "marker", item))
            elif item in groups:
                out.append(Covariate(item, "group", item))
            else:
                r.fail(where, f"{item!r} is neither a marker nor a group of the study")
        elif isinstance(item, dict) and "group" in item:
            r.unknown_keys(item, where, ("group", "label"))
            g = r.get(item, where, "group", "text")
            if g is not None and g not in groups:
                r.fail(where + ("group",), f"{g!r} is not a group of the study")
            out.append(Covariate(g or "?", "group", g or "", 1.0, str(item.get("label", "") or "")))
        elif isinstance(item, dict) and "marker" in item:
            r.unknown_keys(item, where, ("marker", "per", "label"))
            mid = r.get(item, where, "marker", "text")
            if mid is not None and mid not in {m.id for m in markers}:
                r.fail(where + ("marker",), f"{mid!r} is not a marker of the study")
            out.append(_scaled(r, item, where, "marker_value", mid))
        elif isinstance(item, dict):
            r.unknown_keys(item, where, ("column", "per", "label"))
            col = r.get(item, where, "column", "text")
            if col is not None and (col not in columns or columns[col].type not in ("number", "integer")):
                r.fail(where + ("column",), f"{col!r} is not a number or integer clinical column of the study")
            out.append(_scaled(r, item, where, "numeric", col))
        else:
            r.fail(where, "must be a marker id (above its cut-off), a group name, {group, label}, {marker, per, "
                          "label} (the marker's value) or {column, per, label}")
    seen = set()
    for i, c in enumerate(out):
        if c.name in seen:
            r.fail(("cox", i), f"{c.name!r} enters the model twice (as a marker, group or column of that name): "
                               "keep one, or give the value a `per` of its own")
        seen.add(c.name)
    return tuple(out)


def _needs_column(r: _Reader, where: tuple, col, columns: dict, types=None) -> None:
    if col is None:
        return
    if col not in columns:
        r.fail(where, f"{col!r} is not a clinical column of the study (declared: {', '.join(columns) or 'none'})")
    elif types and columns[col].type not in types:
        r.fail(where, f"{col} is {columns[col].type}; this needs {' or '.join(types)}")


def load_study(path=PAPER_STUDY) -> Study:
    """Read and validate a study file; every problem together as one InputError."""
    path = Path(path).resolve()
    data, lines = _read(path)
    r = _Reader(path, lines)
    if not isinstance(data, dict):
        raise InputError.at(path, "must be a YAML mapping (name: ..., clinical: ..., markers: ...)")
    top = ("name", "label", "description", "reconstructed", "clinical", "markers", "groups", "comparisons",
           "detectability", "correlate", "response", "survival", "cox", "registry", "notes", "extras")
    r.unknown_keys(data, (), top)
    base = path.parent
    name = r.get(data, (), "name", "text") or ""
    label = r.get(data, (), "label", "text") or name
    reconstructed = r.get(data, (), "reconstructed", "bool", required=False, default=False)
    if reconstructed and not (data.get("clinical", {}) or {}).get("format") == "zhang1999":
        r.fail(("reconstructed",), "true marks the cohort helpers.reconstruct builds (the paper's clinical format and "
                                   "plate files); remove it for other data, which are never labelled reconstructed")

    clin = r.get(data, (), "clinical", "map", default={})
    r.unknown_keys(clin, ("clinical",), ("file", "format", "id", "sample", "columns"))
    clinical_file = r.file(clin, ("clinical",), "file", base)
    fmt = clin.get("format", "columns")
    if fmt not in CLINICAL_FORMATS:
        r.fail(("clinical", "format"), f"{fmt!r} is not one of {', '.join(CLINICAL_FORMATS)}")
    if fmt == "zhang1999":
        columns = _paper_columns()
        id_col, sample_col = "patient_id", "sample_id"
    else:
        columns = _columns(r, r.get(clin, ("clinical",), "columns", "map", required=False, default={}))
        id_col = r.get(clin, ("clinical",), "id", "text") or "patient_id"
        sample_col = clin.get("sample") or id_col
        for col in {id_col, sample_col} & set(columns):
            r.fail(("clinical", "columns", col), "is the identifier column; do not declare it among the columns")

    source, markers, conc = _markers(r, r.get(data, (), "markers", "map", default={}), base)
    clash = {m.column for m in markers} & set(columns)
    for col in sorted(clash):
        r.fail(("clinical", "columns", col), f"is also the name of a marker's results column ({col}); rename the "
                                             "clinical column or the marker")
    groups = _groups(r, r.get(data, (), "groups", "map", required=False, default={}), columns)
    comparisons = r.scalars(r.get(data, (), "comparisons", "list", required=False, default=[]), ("comparisons",))
    for i, g in enumerate(comparisons):
        if g not in groups:
            r.fail(("comparisons", i), f"{g!r} is not a group of the study (groups: {', '.join(groups) or 'none'})")

    detect = r.get(data, (), "detectability", "map", required=False)
    if detect is not None:
        r.unknown_keys(detect, ("detectability",), ("markers", "against"))
        lists = {k: r.scalars(r.get(detect, ("detectability",), k, "list", default=[]), ("detectability", k))
                 for k in ("markers", "against")}
        for i, m in enumerate(lists["markers"]):
            if m not in {x.id for x in markers}:
                r.fail(("detectability", "markers", i), f"{m!r} is not a marker of the study")
        for i, g in enumerate(lists["against"]):
            if g not in groups:
                r.fail(("detectability", "against", i), f"{g!r} is not a group of the study")
        detect = {"markers": tuple(lists["markers"]), "against": tuple(lists["against"])}

    correlate = r.get(data, (), "correlate", "map", required=False)
    if correlate is not None:
        r.unknown_keys(correlate, ("correlate",), ("column", "name", "unit"))
        _needs_column(r, ("correlate", "column"), r.get(correlate, ("correlate",), "column", "text"), columns,
                      ("number", "integer"))
        correlate = {"column": correlate.get("column"), "name": str(correlate.get("name") or correlate.get("column")),
                     "unit": str(correlate.get("unit") or "")}

    response = r.get(data, (), "response", "map", required=False)
    if response is not None:
        r.unknown_keys(response, ("response",), ("column", "responders", "non_responders"))
        col = r.get(response, ("response",), "column", "text")
        _needs_column(r, ("response", "column"), col, columns)
        sets = {k: r.scalars(r.get(response, ("response",), k, "list") or [], ("response", k))
                for k in ("responders", "non_responders")}
        if set(sets["responders"]) & set(sets["non_responders"]):
            r.fail(("response", "non_responders"), "shares values with responders")
        column = columns.get(col)
        for k, values in sets.items():
            unknown = [v for v in values if column is not None and column.type == "category" and column.levels
                       and str(v) not in map(str, column.levels)]
            if unknown:
                r.fail(("response", k), f"{', '.join(map(repr, unknown))} not among the levels of {col}: "
                                        f"{', '.join(map(str, column.levels))}")
        response = {"column": col, "responders": tuple(sets["responders"]),
                    "non_responders": tuple(sets["non_responders"])}

    surv = r.get(data, (), "survival", "map", required=False)
    if surv is not None:
        r.unknown_keys(surv, ("survival",), ("time", "event", "unit", "origin", "endpoint"))
        _needs_column(r, ("survival", "time"), r.get(surv, ("survival",), "time", "text"), columns,
                      ("number", "integer"))
        event = r.get(surv, ("survival",), "event", "text")
        _needs_column(r, ("survival", "event"), event, columns, ("integer", "boolean"))
        if event in columns and columns[event].type == "integer" and set(columns[event].levels) != {0, 1}:
            r.fail(("clinical", "columns", event), "the survival event column needs levels: [0, 1]")
        for key in ("unit", "origin", "endpoint"):
            r.get(surv, ("survival",), key, "text")
        surv = {k: str(surv.get(k) or "") for k in ("time", "event", "unit", "origin", "endpoint")}

    listed = ((data.get("markers") or {}).get("list") or {}) if isinstance(data.get("markers"), dict) else {}
    cox = _covariates(r, r.get(data, (), "cox", "list", required=False, default=[]), markers, groups, columns,
                      {k for k, v in listed.items() if isinstance(v, dict) and "cutoff" in v})
    if cox and surv is None:
        r.fail(("cox",), "a Cox model needs the survival section")

    reg = r.get(data, (), "registry", "map", required=False)
    registry_file, mode = None, None
    if reg is not None:
        r.unknown_keys(reg, ("registry",), ("file", "mode"))
        registry_file = r.file(reg, ("registry",), "file", base)
        mode = r.get(reg, ("registry",), "mode", "text")
        if mode is not None and mode not in REGISTRY_MODES:
            r.fail(("registry", "mode"), f"{mode!r} is not one of {', '.join(REGISTRY_MODES)}")
    notes = r.get(data, (), "notes", "map", required=False, default={})
    extras = r.scalars(r.get(data, (), "extras", "list", required=False, default=[]), ("extras",))
    for i, x in enumerate(extras):
        if x not in EXTRAS:
            r.fail(("extras", i), f"{x!r} is not an extra of the set (known: {', '.join(EXTRAS)})")
    if reconstructed and "zhang1999" not in extras:
        r.fail(("reconstructed",), "true marks the paper's reconstructed cohort, which also needs `extras: [zhang1999]`")
    if r.problems:
        raise InputError(r.problems)
    return Study(path, name, label, bool(reconstructed), clinical_file, fmt, id_col, sample_col, columns, source,
                 markers, conc, groups, tuple(comparisons), detect, correlate, response, surv, cox, registry_file,
                 mode, str(data.get("description") or ""), notes, tuple(extras))
