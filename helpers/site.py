"""The report as a static site: one page per executed notebook and a landing page.

Pages are rendered by nbconvert with our template (helpers/templates/site: JupyterLab's look,
no scripts, navigation, figures with alt text and links to their slide files). Before
rendering, each notebook is prepared for readers (`for_readers`): papermill's injected
parameters cell and warnings are dropped, the build machine's paths are replaced by the folder
names, equations become MathML (which browsers draw without any script, so the pages work
offline), and tables get readable headers and P values as printed (`tidy_table`). The landing
page says in words what reproduced and what did not, shows the scorecard at the printed
precision with each verdict in colour and text, and lists the notebooks in teaching order.
"""
from __future__ import annotations

import copy
import html
import math
import re
from pathlib import Path

import pandas as pd

from helpers import style
from helpers.notebook import RECONSTRUCTED_LABEL

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSS = (TEMPLATES / "site" / "site.css").read_text(encoding="utf-8")
CITATION = ("Zhang GJ, Adachi I. Serum interleukin-6 levels correlate to tumor progression and prognosis in "
            "metastatic breast carcinoma. Anticancer Research 1999;19(2B):1427-32.")

# Teaching order (README, "Teaching with this set"), with one line on each notebook.
TEACHING = {
    "00": "The paper in our words, the claims we check, the data and what had to be assumed.",
    "07": "Every reported number: printed, reproduced, verdict and why.",
    "01": "From plate-reader exports to concentrations: standard curves, limits, QC, every well accounted for.",
    "02": "The patients, the rarely detectable cytokines, and IL-6 against the 4 pg/ml cut-off.",
    "03": "IL-6 by number of metastatic sites, dominant site, liver metastasis and pleural effusion.",
    "04": "IL-6 against CRP, and why the printed r, n and P cannot all be right.",
    "05": "IL-6 in responders and non-responders, response rate by IL-6 group, ROC.",
    "06": "Kaplan-Meier curves, log-rank and Wilcoxon tests, Cox models.",
    "08": "Guided critical appraisal: REMARK, multiple testing, the cut-off, events per variable, other studies.",
    "09": "Move the IL-6 cut-off and watch survival and the group comparisons change.",
    "A1": "Appendix: how the cohort was rebuilt, and which conclusions survive other assumptions.",
}

# Words of column names, as readers say them.
WORDS = {"hr": "HR", "p": "P", "ci": "CI", "os": "OS", "il6": "IL-6", "crp": "CRP", "lloq": "LLOQ", "uloq": "ULOQ",
         "lod": "LOD", "cv": "CV", "dfi": "DFI", "er": "ER", "n": "n", "id": "id", "auc": "AUC", "epv": "EPV",
         "pg": "pg", "ml": "ml", "mg": "mg", "dl": "dl", "percent": "%", "u": "U", "r": "r", "q1": "Q1", "q3": "Q3",
         "tnfa": "TNF-alpha", "il1b": "IL-1beta", "il2": "IL-2", "bh": "BH", "aic": "AIC", "df": "df",
         "chi2": "chi²", "z": "z", "se": "SE", "coef": "coefficient", "exp": "exp", "lower": "lower", "upper": "upper"}
UNITS = {("pg", "ml"): "(pg/ml)", ("mg", "dl"): "(mg/dl)"}
SPECIAL = {"hr_lower": "HR, lower 95 % CI", "hr_upper": "HR, upper 95 % CI", "ci_lower": "95 % CI, lower",
           "ci_upper": "95 % CI, upper", "r_squared": "R²", "il6_high": "IL-6 above the cut-off",
           "median_os_months": "median OS (months)", "os_months": "OS (months)", "p_normal": "P (normal approx.)"}
SNAKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$")
LONG_DECIMAL = re.compile(r"^-?\d+\.\d{5,}$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$")
P_HEADER = re.compile(r"(^|[\s_(])p($|[\s_)])|p[_ ]?value", re.IGNORECASE)


def readable(name: str) -> str:
    """A column or index name as a reader would write it: 'hr_lower' -> 'HR, lower 95 % CI',
    'lloq_pg_ml' -> 'LLOQ (pg/ml)', 'n_a' -> 'n a'; other text is returned unchanged."""
    if name in SPECIAL:
        return SPECIAL[name]
    if not SNAKE.match(name):
        return name
    parts, out = name.lower().split("_"), []
    while parts:
        pair = tuple(parts[:2])
        if pair in UNITS:
            out.append(UNITS[pair])
            parts = parts[2:]
        else:
            out.append(WORDS.get(parts[0], parts[0]))
            parts = parts[1:]
    text = " ".join(out)
    return text[0].upper() + text[1:] if text[0].islower() and out[0] not in ("n", "r", "z", "p") else text


def is_p_header(text: str) -> bool:
    """Whether a column header names a P value ('P', 'p', 'Fisher P', 'p_normal', 'P (permutation)')."""
    return bool(P_HEADER.search(text)) and "%" not in text


def tidy_table(fragment: str) -> str:
    """A pandas HTML table made readable: snake_case headers in words, True/False as yes/no,
    P columns as printed (style.format_p: never 0.0000), long decimals (46.000000, 0.123457) to
    four significant digits; wrapped in a box that scrolls sideways when the table is wide."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    for table in soup.find_all("table"):
        header_rows = table.find("thead").find_all("tr") if table.find("thead") else []
        p_columns = set()
        for tr in header_rows:
            position = 0
            for th in tr.find_all("th"):
                text = th.get_text(strip=True)
                if text:
                    th.string = readable(text)
                if is_p_header(text):
                    p_columns.add(position)
                position += int(th.get("colspan", 1))
        for tr in (table.find("tbody") or table).find_all("tr"):
            position = 0
            for cell in tr.find_all(["th", "td"]):
                text = cell.get_text(strip=True)
                if text in ("True", "False"):
                    cell.string = "yes" if text == "True" else "no"
                elif cell.name == "td" and position in p_columns and NUMBER.match(text):
                    cell.string = style.format_p(float(text))
                elif cell.name == "td" and LONG_DECIMAL.match(text):
                    cell.string = style.plain_number(float(f"{float(text):.4g}"))
                elif cell.name == "th" and text:
                    cell.string = readable(text)
                position += int(cell.get("colspan", 1))
        box = soup.new_tag("div", attrs={"class": "table-box"})
        table.wrap(box)
    return str(soup)


MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$", re.DOTALL)
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)


def math_to_mathml(markdown: str) -> str:
    """Markdown with its $...$ and $$...$$ equations replaced by MathML (latex2mathml), code
    spans and blocks left alone."""
    from latex2mathml.converter import convert

    def one(match):
        block, inline = match.group(1), match.group(2)
        mathml = convert((block or inline).strip(), display="block" if block else "inline")
        return f"\n\n{mathml}\n\n" if block else mathml

    return "".join(part if i % 2 else MATH.sub(one, part) for i, part in enumerate(CODE.split(markdown)))


def title(nb) -> str:
    """The notebook's first level-1 heading, or its name."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(nb.metadata.get("papermill", {}).get("input_path", "notebook")).stem


def build_paths(nb, root: Path | None = None) -> dict[str, str]:
    """Absolute paths of the build (papermill's data_dir and output_dir, the repository) mapped
    to the folder names a reader knows, longest first."""
    parameters = nb.metadata.get("papermill", {}).get("parameters", {})
    paths = {}
    for key in ("output_dir", "study_file"):
        value = parameters.get(key)
        if isinstance(value, str) and Path(value).is_absolute():
            folder = Path(value) if key == "output_dir" else Path(value).parent
            paths[str(folder).rstrip("/")] = "output" if key == "output_dir" else folder.name
    if root is not None:
        paths[str(root)] = "."
    return dict(sorted(paths.items(), key=lambda kv: -len(kv[0])))


def _scrub(text: str, paths: dict[str, str]) -> str:
    for path, name in paths.items():
        text = text.replace(path, name)
    return text


def for_readers(nb, root: Path | None = None, mathml: bool = True):
    """A copy of an executed notebook as the site shows it: the parameters cell showing the
    values papermill injected (without its own injected cell), no warnings (stderr), no build
    paths, tables tidied (tidy_table), equations as MathML (unless `mathml` is False)."""
    nb = copy.deepcopy(nb)
    paths = build_paths(nb, root)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for cell in nb.cells:  # the parameters cell shows the values this run used, not the defaults
        if injected and "parameters" in cell.metadata.get("tags", []):
            cell.source = _scrub("# the parameters of this run\n" + injected[0].source.split("\n", 1)[-1], paths)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = math_to_mathml(cell.source) if mathml else cell.source
            continue
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream":
                if output.get("name") == "stderr":
                    continue
                output.text = _scrub(output.text, paths)
            elif output.output_type in ("display_data", "execute_result"):
                data = output.data
                for mime in ("text/plain", "text/markdown", "text/html"):
                    if mime in data:
                        data[mime] = _scrub(data[mime], paths)
                if "text/markdown" in data and mathml:
                    data["text/markdown"] = math_to_mathml(data["text/markdown"])
                if "text/html" in data and "<table" in data["text/html"]:
                    data["text/html"] = tidy_table(data["text/html"])
            elif output.output_type == "error":
                output.traceback = [_scrub(line, paths) for line in output.traceback]
            kept.append(output)
        cell.outputs = kept
    return nb


def nav(entries: list[dict], position: int) -> str:
    """Previous / index / next links of the page at `position` of `entries` (teaching order)."""
    def link(i, rel, arrow_before, arrow_after):
        if not 0 <= i < len(entries):
            return "<span></span>"
        return f'<a href="{entries[i]["page"]}" rel="{rel}">{arrow_before}{html.escape(entries[i]["title"])}{arrow_after}</a>'
    return (f'<nav class="site-nav">{link(position - 1, "prev", "← ", "")}'
            f'<a class="home" href="index.html">Index</a>{link(position + 1, "next", "", " →")}</nav>')


def render_page(executed: Path, target: Path, page_nav: str, root: Path | None = None) -> str:
    """Write the page of one executed notebook; returns its title."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    name = title(nb)
    exporter = HTMLExporter(template_name="site", extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(for_readers(nb, root),
                                          resources={"metadata": {"name": name}, "site": {"css": CSS, "nav": page_nav}})
    target.write_text(body, encoding="utf-8")
    return name


def teaching_key(name: str) -> tuple:
    """Sort key putting notebook names in TEACHING order, unknown ones after, by name."""
    prefix = name.split("_")[0]
    order = list(TEACHING)
    return (order.index(prefix) if prefix in order else len(order), name)


def shown_like_printed(reported: str, value, is_p: bool) -> str:
    """A reproduced value at the precision of the printed one: counts as integers, '48%' as a
    whole percentage, '6.9' to one decimal, P values and bounds ('< 0.05') as printed P values
    (style.format_p, never 0.0000), qualitative claims by the number behind them (3 digits)."""
    if isinstance(value, str):
        return value
    value = float(value)
    if math.isnan(value):
        return "n/a"
    text = str(reported).strip()
    if re.fullmatch(r"\d+( of \d+)?", text):
        return f"{value:.0f}"
    if re.fullmatch(r"\d+(\.\d+)?%", text):
        return f"{value:.0f}%"
    decimals = re.fullmatch(r"-?\d+\.(\d+)", text)
    if decimals:
        shown = f"{value:.{len(decimals.group(1))}f}"
        return style.format_p(value) if is_p and float(shown) == 0 else shown
    if re.fullmatch(r"\d+", text):
        return f"{value:.0f}"
    return style.format_p(value) if is_p else f"{value:.3g}"


def _verdict_badge(verdict: str) -> str:
    colour = style.VERDICT_COLOURS.get(verdict, "#CCCCCC")
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    text = "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"
    return f'<span class="verdict" style="background:{colour};color:{text}">{html.escape(verdict)}</span>'


def summary_lines(card: pd.DataFrame) -> list[str]:
    """The scorecard in words: how many rows reproduced, then each row that did not, with its
    printed and reproduced values and why."""
    counts = card["verdict"].value_counts()
    lines = [f"{int(counts.get('reproduced', 0))} of the {len(card)} numbers and claims in the paper's abstract "
             f"were reproduced on the reconstructed cohort."]
    for rid, row in card[card["verdict"] != "reproduced"].iterrows():
        shown = shown_like_printed(row["reported"], _reproduced_value(row["reproduced"]), is_p(row))
        lines.append(f"{rid}, {row['quantity']} (printed {row['reported']}, reproduced {shown}): {row['verdict']}. "
                     f"{row['note'] or row['reason']}")
    return lines


def summary_words(card: pd.DataFrame) -> str:
    """The landing page's first paragraphs: what reproduced, what did not and why, as HTML."""
    first, *missed = summary_lines(card)
    count, _, rest = first.partition(" in the paper's abstract")
    out = [f"<p class='summary'><b>{html.escape(count)}</b> in the paper's abstract{html.escape(rest)}</p>"]
    if missed:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in missed)
        out.append(f"<p>Not reproduced, and why:</p><ul>{items}</ul>")
    out.append("<p><i>Reproduced</i> means the value the notebooks compute lies inside the rounding interval of the "
               "printed number, or on the printed side of a bound. The cohort was built from the printed numbers, "
               "so this shows that they can hold together in one set of patients, not that the original data "
               "gave them; notebook 08 asks how far to believe them.</p>")
    return "\n".join(out)


def is_p(row: pd.Series) -> bool:
    """Whether a scorecard row reports a P value."""
    return str(row["quantity"]).startswith("P")


def _reproduced_value(value):
    """scorecard.csv stores the reproduced values as repr(); back to a number where it is one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value).strip("'\"")


def scorecard_html(card: pd.DataFrame, claims: str = "What the abstract reports") -> str:
    """The scorecard table: row, quantity, printed, reproduced (at the printed precision),
    verdict in colour and text."""
    rows = "".join(
        f"<tr><td>{html.escape(rid)}</td><td>{html.escape(row['quantity'])}</td>"
        f"<td class='num'>{html.escape(str(row['reported']))}</td>"
        f"<td class='num'>{html.escape(shown_like_printed(row['reported'], _reproduced_value(row['reproduced']), is_p(row)))}</td>"
        f"<td>{_verdict_badge(row['verdict'])}</td></tr>"
        for rid, row in card.iterrows())
    return (f"<div class='table-box'><table class='scorecard'><thead><tr><th>Row</th><th>{html.escape(claims)}</th>"
            "<th>Printed</th><th>Reproduced</th><th>Verdict</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def study_landing(study, items: str, card: pd.DataFrame | None, warning: str) -> str:
    """The index page of a study other than the reconstructed cohort: its label, the notebooks,
    and its scorecard (verdicts against its registry, replication verdicts, or plain results)."""
    if card is None:
        table = "<p><b>No scorecard was written</b>: the scorecard notebook did not finish.</p>"
    elif "reproduced" in card:  # a registry judged against printed values
        counts = card["verdict"].value_counts()
        table = ("<p class='summary'>" + html.escape(", ".join(f"{n} {v}" for v, n in counts.items())) + "</p>"
                 + scorecard_html(card, "What the registry reports"))
    else:
        value = "this cohort" if "this cohort" in card else "value"
        shown = card.assign(**{value: card[value].map(lambda v: (lambda x: f"{x:.4g}" if isinstance(x, float) else
                                                                 "—" if x == "None" else x)(_reproduced_value(v)))})
        head = ("<p class='summary'>" + html.escape(", ".join(f"{n} {v}" for v, n in card["verdict"].value_counts(
        ).items())) + "</p>" if "verdict" in card else
            "<p class='summary'>The study has no registry of claims: its results are listed without verdicts.</p>")
        table = head + "<div class='table-box'>" + shown.drop(columns=[c for c in ("expected_verdict", "note", "left_out",
                                                                                  "source") if c in shown]).to_html(
            classes="scorecard", escape=True) + "</div>"
    title = html.escape(study.label)
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}: the notebook set</title><style>{CSS}</style></head><body class='site-index'><main>"
            f"<h1>{title}</h1><p>{html.escape(study.description)}</p>"
            f"<p class='banner'><b>Cohort: {title}</b> (study file {html.escape(study.path.name)}). The analyses "
            "are those of Zhang &amp; Adachi (1999), run as this study file defines them.</p>"
            f"{warning}<h2>Notebooks</h2><ol class='notebooks'>{items}</ol><h2>Scorecard</h2>{table}"
            "</main></body></html>\n")


def landing(entries: list[dict], card: pd.DataFrame | None, study=None) -> str:
    """The index page: summary in words, notebooks in teaching order, scorecard (study_landing
    for a study other than the reconstructed cohort)."""
    failed = [e for e in entries if e["error"]]
    items = []
    for e in entries:
        name = f"<a href='{e['page']}'>{html.escape(e['title'])}</a>" if e["page"] else html.escape(e["title"])
        error = f" <span class='failed'>Failed: {html.escape(e['error'])}</span>" if e["error"] else ""
        items.append(f"<li>{name}<br>{html.escape(e['line'])}{error}</li>")
    items = "".join(items)
    warning = (f"<p class='failed'>{len(failed)} notebook(s) failed: "
               f"{html.escape(', '.join(e['name'] for e in failed))}.</p>" if failed else "")
    if study is not None and not study.reconstructed:  # the teaching lines describe the paper's cohort: titles only
        titles = "".join(f"<li><a href='{e['page']}'>{html.escape(e['title'])}</a></li>" if e["page"] else
                         f"<li>{html.escape(e['title'])}</li>" for e in entries)
        return study_landing(study, titles, card, warning)
    if card is None:
        summary = "<p class='summary'><b>No scorecard was written</b>: the scorecard notebook did not finish.</p>"
        table = ""
    else:
        summary, table = summary_words(card), "<h2>Scorecard</h2>" + scorecard_html(card)
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Zhang &amp; Adachi (1999) reproduced: serum IL-6 in metastatic breast cancer</title>"
            f"<style>{CSS}</style></head><body class='site-index'><main>"
            "<h1>Serum IL-6 in metastatic breast cancer: a reproduction on a reconstructed cohort</h1>"
            f"<p>{html.escape(CITATION)}</p>"
            f"<p class='banner'><b>{html.escape(RECONSTRUCTED_LABEL)}.</b> The paper published no patient-level data; "
            "every number here comes from a synthetic cohort rebuilt from the printed results.</p>"
            f"{warning}<h2>Summary</h2>{summary}"
            f"<h2>Notebooks, in teaching order</h2><ol class='notebooks'>{items}</ol>"
            f"{table}</main></body></html>\n")


def build(out_dir: Path, runs: list[tuple[str, float, str]], card: pd.DataFrame | None,
          root: Path | None = None, study=None) -> Path:
    """Write `<out_dir>/html/`: one page per executed notebook (teaching order, linked to each
    other and to the index) and index.html. Returns the index path."""
    import nbformat

    folder = out_dir / "html"
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, _, error in sorted(runs, key=lambda r: teaching_key(r[0])):
        executed = out_dir / "notebooks" / f"{name}.ipynb"
        ok = executed.is_file()
        entries.append({"name": name, "page": f"{name}.html" if ok else "", "error": error,
                        "title": title(nbformat.read(executed, as_version=4)) if ok else name,
                        "line": TEACHING.get(name.split("_")[0], "")})
    pages = [e for e in entries if e["page"]]
    for i, e in enumerate(pages):
        render_page(out_dir / "notebooks" / f"{e['name']}.ipynb", folder / e["page"], nav(pages, i), root)
    index = folder / "index.html"
    index.write_text(landing(entries, card, study), encoding="utf-8")
    return index
