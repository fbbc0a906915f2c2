"""Journal-club handouts (helpers.handout): a notebook run and rendered without its code, but
with its text, tables and figures."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from helpers import handout

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "04_marker_and_correlate.ipynb"


def test_resolve_by_number_name_or_path():
    assert handout.resolve("04") == NOTEBOOK
    assert handout.resolve("04_marker_and_correlate") == NOTEBOOK
    assert handout.resolve("04_marker_and_correlate.ipynb") == NOTEBOOK
    assert handout.resolve(str(NOTEBOOK)) == NOTEBOOK
    with pytest.raises(ValueError, match="exactly one notebook"):
        handout.resolve("99")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout")
    run = subprocess.run([sys.executable, "-m", "helpers.handout", "04", "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    page = out / "04_marker_and_correlate.html"
    assert page.is_file()
    return out, page.read_text(encoding="utf-8")


def test_handout_has_no_code(rendered):
    _, text = rendered
    soup = BeautifulSoup(text, "html.parser")
    code_cells = soup.select("div.jp-CodeCell")
    assert code_cells, "the code cells' outputs should still be there"
    # JupyterLab's markup puts rendered markdown in an input area too; code cells must have none.
    # (Highlighted code is split into spans, so the string checks below alone would miss it.)
    assert not soup.select("div.jp-CodeCell .jp-InputArea, div.jp-CodeCell .jp-Editor, div.jp-CodeCell .highlight")
    assert not soup.select(".jp-InputPrompt, .jp-OutputPrompt")
    source = [line.strip() for cell in nbformat.read(NOTEBOOK, as_version=4).cells if cell.cell_type == "code"
              for line in cell.source.splitlines() if len(line.strip()) >= 20]
    assert source, "the notebook should have code to hide"
    shown = [line for line in source if line in text]
    assert not shown, f"code in the handout: {shown[:3]}"
    assert "load_cohort(" not in text and "save_results(" not in text


def test_handout_keeps_markdown_and_figures(rendered):
    out, text = rendered
    soup = BeautifulSoup(text, "html.parser")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert len(soup.select("div.jp-MarkdownCell")) == sum(c.cell_type == "markdown" for c in nb.cells)
    assert soup.title.string == "04 · The marker and its correlate"
    assert soup.find("h1") and "The marker and its correlate" in soup.find("h1").get_text()
    assert "Reconstructed cohort (synthetic data, not the original patients)." in soup.get_text()  # the banner
    assert soup.select("div.jp-CodeCell img[src^='data:image/png;base64,']"), "the figure should be embedded"
    assert soup.select("div.jp-CodeCell table"), "the tables should be there"
    assert (out / "notebooks" / "04_marker_and_correlate.ipynb").is_file()
    assert "04_marker_and_correlate.html" in (out / "index.html").read_text(encoding="utf-8")


def test_unknown_notebook_is_a_usage_error(tmp_path):
    assert handout.main(["nonexistent", "--out", str(tmp_path)]) == 2


def test_handout_pdf_has_a_title_page_and_no_code(rendered):
    from pypdf import PdfReader

    out, _ = rendered
    reader = PdfReader(out / "handout.pdf")
    first = reader.pages[0].extract_text()
    assert "Journal club handout" in first and "Anticancer Research 1999" in first
    assert "of the 30 numbers and claims" in first and "Built " in first and "version " in first
    body = "\n".join(p.extract_text() for p in reader.pages[1:])
    assert "IL-6 and C-reactive protein" in body and "Figure 1." in body
    assert "load_cohort(" not in body and "save_results(" not in body and "data_dir" not in body
