"""Study files: a valid one loads; every mistake is an InputError naming the file, the line and
the key. The two committed study files load."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helpers import ROOT
from helpers.errors import InputError
from helpers.study import Compare, load_study

CLINICAL = """\
pid,grade,nodes,therapy,age,months,relapse,crp
A1,1,0,yes,50,12.5,1,3
A2,2,3,no,61,30,0,
"""
MARKERS = """\
sample_id,analyte,value,unit,censoring,lloq,uloq
A1,M1,12,ng/ml,,,
A2,M1,3,ng/ml,,,
"""
STUDY = """\
name: demo
label: Demo cohort
clinical:
  file: clinical.csv
  id: pid
  columns:
    grade: {type: category, levels: ["1", "2", "3"]}
    nodes: {type: integer, min: 0}
    therapy: {type: category, levels: ["no", "yes"]}
    age: {type: integer, unit: years, missing: allowed}
    months: {type: number, unit: months, min: 0}
    relapse: {type: integer, levels: [0, 1]}
    crp: {type: number, unit: mg/l, missing: allowed}
markers:
  source: concentrations
  file: markers.csv
  list:
    M1: {name: marker one, unit: ng/ml, cutoff: 10, cutoff_source: a cited paper}
groups:
  high_grade: {column: grade, a: ["3"], b: ["1", "2"], labels: [grade 3, grade 1-2]}
  nodal: {column: nodes, a: "> 0", b: "== 0", labels: [node positive, node negative]}
comparisons: [high_grade, nodal]
correlate: {column: crp, name: CRP, unit: mg/l}
survival: {time: months, event: relapse, unit: months, origin: surgery, endpoint: relapse-free survival}
cox: [M1, nodal, {column: age, per: 10}]
"""


def write(folder: Path, study: str = STUDY) -> Path:
    (folder / "clinical.csv").write_text(CLINICAL)
    (folder / "markers.csv").write_text(MARKERS)
    path = folder / "study.yaml"
    path.write_text(textwrap.dedent(study))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        load_study(path)
    return [str(p) for p in err.value.problems]


def test_a_valid_study_loads(tmp_path):
    study = load_study(write(tmp_path))
    assert study.primary.id == "M1" and study.primary.cutoff == 10
    assert study.groups["nodal"].a == Compare(">", 0) and study.groups["high_grade"].a == ("3",)
    assert [c.kind for c in study.cox] == ["marker", "group", "numeric"]
    assert study.cox[2].name == "age_per_10" and study.cox[2].per == 10
    assert study.registry_file is None and study.response is None


def test_the_committed_study_files_load():
    paper = load_study(ROOT / "data" / "study.yaml")
    assert paper.reconstructed and paper.primary.id == "IL6" and paper.registry_mode == "reproduce"
    gbsg2 = load_study(ROOT / "data" / "gbsg2" / "study.yaml")
    assert not gbsg2.reconstructed and gbsg2.primary.at_or_above and gbsg2.response is None


CASES = {
    # what is wrong: (text replaced, replacement, the printed problem)
    "unknown top-level key": ("name: demo\n", "name: demo\ncolour: blue\n",
                              "study.yaml:2: colour: unknown key 'colour'"),
    "missing marker section": ("markers:\n  source: concentrations\n  file: markers.csv\n  list:\n"
                               "    M1: {name: marker one, unit: ng/ml, cutoff: 10, cutoff_source: a cited paper}\n", "",
                               "study.yaml:1: needs 'markers'"),
    "unknown column type": ("nodes: {type: integer, min: 0}", "nodes: {type: count, min: 0}",
                            "study.yaml:8: clinical.columns.nodes.type: 'count' is not one of number, integer, category, boolean, text"),
    "category without levels": ('grade: {type: category, levels: ["1", "2", "3"]}', "grade: {type: category}",
                                "study.yaml:7: clinical.columns.grade: needs 'levels'"),
    "group on an undeclared column": ("column: grade, a:", "column: tumour_grade, a:",
                                      "study.yaml:20: groups.high_grade.column: 'tumour_grade' is not a clinical column"),
    "group level not among the column's levels": ('a: ["3"], b: ["1", "2"]', 'a: ["4"], b: ["1", "2"]',
                                                   "study.yaml:20: groups.high_grade.a: '4' not among the levels of grade"),
    "overlapping groups": ('a: ["3"], b: ["1", "2"]', 'a: ["2", "3"], b: ["1", "2"]',
                           "study.yaml:20: groups.high_grade.b: shares 2 with a"),
    "comparison on a text column": ('a: ["3"], b: ["1", "2"]', 'a: "> 2", b: "<= 2"',
                                    "study.yaml:20: groups.high_grade.a: a comparison needs a number or integer column"),
    "bad rule": ('a: "> 0", b: "== 0"', 'a: "more than 0", b: "== 0"',
                 "study.yaml:21: groups.nodal.a: 'more than 0' is neither a list of values nor a comparison"),
    "comparison of an unknown group": ("comparisons: [high_grade, nodal]", "comparisons: [high_grade, size]",
                                       "study.yaml:22: comparisons[2]: 'size' is not a group of the study"),
    "cut-off without its source": ("cutoff: 10, cutoff_source: a cited paper", "cutoff: 10",
                                   "study.yaml:18: markers.list.M1: needs 'cutoff_source'"),
    "cut-off that is not a number": ("cutoff: 10,", "cutoff: ten,",
                                     "study.yaml:18: markers.list.M1.cutoff: must be a number, not 'ten'"),
    "correlate on a category": ("correlate: {column: crp,", "correlate: {column: therapy,",
                                "study.yaml:23: correlate.column: therapy is category; this needs number or integer"),
    "survival event not 0/1": ("relapse: {type: integer, levels: [0, 1]}", "relapse: {type: integer}",
                               "study.yaml:12: clinical.columns.relapse: the survival event column needs levels: [0, 1]"),
    "Cox covariate unknown": ("cox: [M1, nodal,", "cox: [M1, size,",
                              "study.yaml:25: cox[2]: 'size' is neither a marker nor a group of the study"),
    "Cox without survival": ("survival: {time: months, event: relapse, unit: months, origin: surgery, "
                             "endpoint: relapse-free survival}\n", "",
                             "study.yaml:24: cox: a Cox model needs the survival section"),
    "missing table": ("file: markers.csv", "file: marker.csv",
                      "study.yaml:16: markers.file: file 'marker.csv' not found"),
    "registry mode": ("cox: [M1", "registry: {file: markers.csv, mode: compare}\ncox: [M1",
                      "study.yaml:25: registry.mode: 'compare' is not one of reproduce, replicate"),
    "id column declared again": ("    grade: {type", "    pid: {type: text}\n    grade: {type",
                                 "study.yaml:7: clinical.columns.pid: is the identifier column"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_mistake_is_named_with_line_and_key(tmp_path, case):
    old, new, expected = CASES[case]
    assert old in STUDY, f"{case}: the test's text to replace is not in the study"
    found = problems(write(tmp_path, STUDY.replace(old, new, 1)))
    assert any(expected in line for line in found), found


def test_every_mistake_is_reported_at_once(tmp_path):
    text = STUDY.replace("relapse: {type: integer, levels: [0, 1]}", "relapse: {type: integer}").replace(
        "comparisons: [high_grade, nodal]", "comparisons: [size]")
    assert len(problems(write(tmp_path, text))) == 2


def test_yaml_syntax_error_names_the_line(tmp_path):
    found = problems(write(tmp_path, STUDY.replace("comparisons: [high_grade, nodal]", "comparisons: [high_grade")))
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'study.yaml'}:") and "YAML syntax error" in found[0]


def test_missing_study_file(tmp_path):
    assert problems(tmp_path / "nothing.yaml") == [f"{tmp_path / 'nothing.yaml'}: no such study file"]


def test_the_readme_study_file_is_valid(tmp_path):
    """README's minimal study file (section "Bring your own cohort") loads, and runs on tables
    shaped as it describes."""
    readme = (ROOT / "README.md").read_text()
    text = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "study.yaml").write_text(text)
    (tmp_path / "clinical.csv").write_text("patient_id,stage,age,months,dead,ward\n" + "".join(
        f"Q{i},{['I', 'II', 'III', 'IV'][i % 4]},{40 + (i * 7) % 30},{3 + (i * 5) % 16},{(i // 2) % 2},w\n"
        for i in range(16)))
    (tmp_path / "markers.csv").write_text("sample_id,analyte,value,unit,censoring,lloq,uloq\n" + "".join(
        f"Q{i},IL6,{1 + (i * 3) % 11},pg/ml,,,\n" for i in range(16)))
    from helpers.analysis import study_scorecard
    from helpers.cohort import load_study_cohort

    study = load_study(tmp_path / "study.yaml")
    card = study_scorecard(study, load_study_cohort(study))
    assert card.loc["comparison.advanced.n_a", "value"] == 4 and "cox.IL6.hr" in card.index


def test_a_cox_model_that_runs_off_is_not_computable(tmp_path):
    """Events only where a covariate is 1: the estimate runs off, and the results say so."""
    from helpers import findings

    (tmp_path / "clinical.csv").write_text(CLINICAL.splitlines()[0] + "\n" + "".join(
        f"A{i},{1 + i % 3},{i % 2},{'yes' if i % 2 else 'no'},{50 + i},{5 + i},{i % 2},1\n" for i in range(20)))
    (tmp_path / "markers.csv").write_text(MARKERS.splitlines()[0] + "\n" + "".join(
        f"A{i},M1,{3 + (i * 7) % 13},ng/ml,,,\n" for i in range(20)))
    text = STUDY.replace("cox: [M1, nodal, {column: age, per: 10}]", "cox: [therapy_yes]").replace(
        "comparisons: [high_grade, nodal]", "  therapy_yes: {column: therapy, a: [\"yes\"], b: [\"no\"], "
        "labels: [therapy, none]}\ncomparisons: [high_grade, nodal]")
    path = tmp_path / "study.yaml"
    path.write_text(text)
    study = load_study(path)
    from helpers.cohort import load_study_cohort
    results = findings.findings(study, load_study_cohort(study).table)
    assert results["cox.therapy_yes.hr"].startswith("not computable: no finite estimate for therapy (vs none)")


def test_yes_and_no_stay_text(tmp_path):
    """Unquoted yes / no are levels, not booleans (YAML 1.2 booleans: true and false only)."""
    study = load_study(write(tmp_path, STUDY.replace('therapy: {type: category, levels: ["no", "yes"]}',
                                                     "therapy: {type: category, levels: [no, yes]}")))
    assert study.columns["therapy"].levels == ("no", "yes")


@pytest.mark.parametrize("old, new, expected", [
    ("comparisons: [high_grade, nodal]", "comparisons: [high_grade, nodal]\ncomparisons: [nodal]",
     "study.yaml:23: comparisons: 'comparisons' is given twice (also on line 22): keep one"),
    ('a: "> 0", b: "== 0"', 'a: ">= 2", b: "<= 2"', "study.yaml:21: groups.nodal.b: '<= 2' and a's '>= 2' both hold for 2"),
    ('a: "> 0", b: "== 0"', "a: [1, 2], b: [0]", None),
    ('a: "> 0", b: "== 0"', 'a: ["1"], b: [0]', "study.yaml:21: groups.nodal.a: nodes is a integer column: list numbers"),
    ("comparisons: [high_grade, nodal]", "comparisons: [[high_grade], nodal]",
     "study.yaml:22: comparisons[1]: must be a single value, not ['high_grade']"),
    ("cox: [M1, nodal, {column: age, per: 10}]", "cox: [nodal, {group: nodal}]",
     "study.yaml:25: cox[2]: 'nodal' enters the model twice"),
], ids=["duplicate key", "overlapping rules", "numeric list rule", "text in a numeric rule", "nested list",
        "covariate twice"])
def test_more_mistakes(tmp_path, old, new, expected):
    assert old in STUDY
    path = write(tmp_path, STUDY.replace(old, new, 1))
    if expected is None:
        assert load_study(path).groups["nodal"].a == (1, 2)
    else:
        found = problems(path)
        assert any(expected in line for line in found), found


def test_control_characters_are_an_input_error(tmp_path):
    found = problems(write(tmp_path, STUDY.replace("label: Demo cohort", "label: Demo\x07cohort")))
    assert len(found) == 1 and "not readable as YAML" in found[0]


@pytest.mark.parametrize("old, new, expected", [
    ("survival: {time", "response: {column: therapy, responders: [yes], non_responders: [maybe]}\nsurvival: {time",
     "study.yaml:24: response.non_responders: 'maybe' not among the levels of therapy: no, yes"),
    ("label: Demo cohort", "label: Demo cohort\nreconstructed: true",
     "study.yaml:3: reconstructed: true marks the cohort helpers.reconstruct builds"),
], ids=["response level", "reconstructed flag on other data"])
def test_response_levels_and_the_reconstructed_flag(tmp_path, old, new, expected):
    found = problems(write(tmp_path, STUDY.replace(old, new, 1)))
    assert any(expected in line for line in found), found


def test_a_clinical_column_named_like_a_marker_column_is_refused(tmp_path):
    from helpers.cohort import load_study_cohort

    path = write(tmp_path)
    (tmp_path / "clinical.csv").write_text(CLINICAL.replace("pid,", "m1,pid,").replace("\nA1,", "\n7,A1,")
                                           .replace("\nA2,", "\n8,A2,"))
    with pytest.raises(InputError) as err:
        load_study_cohort(load_study(path))
    assert [str(p) for p in err.value.problems] == [
        f"{tmp_path / 'clinical.csv'}:1: m1: is also the name of a column the analysis makes for a marker's results; "
        "rename the clinical column"]


def test_a_cutoff_chosen_for_a_run_says_so():
    study = load_study(ROOT / "data" / "gbsg2" / "study.yaml")
    assert study.with_cutoff(10) is study  # the study's own cut-off
    chosen = study.with_cutoff(20).primary
    assert chosen.cutoff == 20 and not chosen.fixed_in_advance
    assert chosen.cutoff_source.startswith("chosen for this run; the study fixes 10 fmol/mg in advance (ER-positive")
    for bad in ("nan", -1, "x"):
        with pytest.raises(ValueError):
            study.with_cutoff(bad)
