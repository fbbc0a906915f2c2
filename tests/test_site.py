"""The report as readers get it: the whole set built once by `python -m helpers.report` (shared
by every test here, across pytest-xdist workers), then its pages opened in headless Chromium
(console errors, links, images), its figure files, its pages' text, and the PDF handout
assembled from the same executed notebooks."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from PIL import Image
from pypdf import PdfReader

from helpers import pdf, site

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
HANDOUT = ("00_overview", "03_marker_by_group", "06_survival", "08_appraisal")


@pytest.fixture(scope="session")
def report(report) -> Path:
    """The report run of conftest (shared with the notebook tests), which must have succeeded."""
    done = json.loads((report / "done.json").read_text())
    assert done["returncode"] == 0, done["stdout"][-3000:] + done["stderr"]
    return report


@pytest.fixture(scope="session")
def pages(report) -> list[Path]:
    return sorted((report / "html").glob("*.html"))


def test_every_notebook_has_a_page_and_the_index_links_them_in_teaching_order(report, pages):
    names = {p.stem for p in pages}
    executed = {p.stem for p in (report / "notebooks").glob("*.ipynb")}
    assert executed and names == executed | {"index"}
    index = BeautifulSoup((report / "html" / "index.html").read_text(encoding="utf-8"), "html.parser")
    linked = [a["href"].removesuffix(".html") for a in index.select("ol.notebooks a")]
    assert linked == sorted(executed, key=site.teaching_key)
    assert linked[:2] == ["00_overview", "07_scorecard"]


def test_index_says_what_reproduced_first_with_printed_precision_and_verdicts(report):
    soup = BeautifulSoup((report / "html" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.title.string.startswith("Zhang & Adachi (1999) reproduced")
    first = soup.find("h2")
    assert first.get_text() == "Summary"
    summary = soup.select_one("p.summary").get_text()
    assert summary.startswith("29 of the 30 numbers and claims")
    assert "R11b" in soup.get_text() and "Not reproduced, and why" in soup.get_text()
    rows = {tr.find("td").get_text(): [td.get_text() for td in tr.find_all("td")] for tr in soup.select("table.scorecard tbody tr")}
    assert rows["R01"][3] == "46" and rows["R06b"][3] == "48%" and rows["R07a"][3] == "6.9"
    assert rows["R07c"][3] == "< 0.0001" and rows["R11b"][4] == "not reproduced"
    text = soup.get_text()
    assert not re.search(r"\d\.\d{6}\b", text), "unformatted floats on the index"
    badges = soup.select("table.scorecard span.verdict")
    assert len(badges) == 30 and all("background" in b["style"] for b in badges)


def test_pages_have_titles_navigation_and_no_build_paths(report, pages):
    build = [str(report), str(ROOT / "data"), str(ROOT)]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for path in build:
            assert path not in text, f"{page.name} shows the build path {path}"
        assert "context.md" not in text, f"{page.name} points at a file outside the repository"
        assert not re.search(r"P\s*[=:]?\s*0\.0000\b", text), f"{page.name} prints P 0.0000"
        if page.stem == "index":
            continue
        soup = BeautifulSoup(text, "html.parser")
        assert soup.title.string and soup.title.string != "Notebook"
        assert soup.title.string == soup.find("h1").get_text().strip().removesuffix("¶")
        assert len(soup.select("nav.site-nav")) == 2 and soup.select_one("nav.site-nav a[href='index.html']")
        assert soup.select_one("nav.site-nav a[rel='prev'], nav.site-nav a[rel='next']")
        assert "injected-parameters" not in text
        assert not soup.find("script", src=True), f"{page.name} loads a script"
        for img in soup.select("div.jp-RenderedImage img"):
            assert img.get("alt") and img["alt"] != "Figure", f"{page.name}: a figure without its caption as alt text"


def test_equations_are_mathml(report):
    for name in ("01_assay_cleaning", "04_marker_and_correlate", "05_marker_and_response", "08_appraisal"):
        soup = BeautifulSoup((report / "html" / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        assert soup.find("math"), name
        prose = " ".join(p.get_text() for p in soup.select(".jp-MarkdownCell p"))
        assert not re.search(r"\$[^$\s][^$]*\\[a-z]+", prose), f"{name}: raw LaTeX left"


def test_every_figure_is_written_for_slides(report):
    shown = set()
    for path in (report / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                if "image/png" in output.get("data", {}):
                    meta = output.get("metadata", {}).get("image/png", {})
                    assert meta.get("figure") and meta.get("alt"), f"{path.stem}: a figure shown without publish()"
                    shown.add(meta["figure"])
    files = report / "figures"
    assert shown and shown == {p.stem for p in files.glob("*.png")} == {p.stem for p in files.glob("*.svg")}
    for name in shown:
        dpi = Image.open(files / f"{name}.png").info["dpi"]
        assert round(dpi[0]) == 300, name
        assert "<svg" in (files / f"{name}.svg").read_text(encoding="utf-8")[:500]


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium package")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def test_every_page_opens_cleanly_in_chromium(report, pages, browser):
    """0 console errors and failed requests, every local link resolves, every image loads."""
    problems = []
    for page_path in pages:
        page = browser.new_page()
        errors = []
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.goto(page_path.as_uri(), wait_until="load")
        broken_images = page.evaluate(
            "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt)")
        links = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
        page.close()
        problems += [f"{page_path.name}: {e}" for e in errors]
        problems += [f"{page_path.name}: image not loaded: {alt}" for alt in broken_images]
        for href in links:
            if href.startswith("file://"):
                target = Path(href.removeprefix("file://").split("#")[0])
                if not target.exists():
                    problems.append(f"{page_path.name}: broken link {href}")
    assert not problems, "\n".join(problems[:30])


def test_wide_tables_scroll_inside_their_box(report, browser):
    page = browser.new_page(viewport={"width": 900, "height": 800})
    page.goto((report / "html" / "01_assay_cleaning.html").as_uri(), wait_until="load")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.close()
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"


def test_pdf_handout_of_the_default_selection(report, tmp_path):
    target = tmp_path / "handout.pdf"
    executed = [report / "notebooks" / f"{name}.ipynb" for name in HANDOUT]
    pages = pdf.build(executed, target, ["29 of the 30 numbers and claims were reproduced."], "2026-01-01", "test")
    reader = PdfReader(target)
    assert len(reader.pages) == pages <= 16
    first = reader.pages[0].extract_text()
    assert "Journal club handout" in first and "Anticancer Research 1999" in first
    assert "What the abstract claims" in first and "29 of the 30" in first and "2026-01-01" in first
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Questions for discussion" in text
    for programmer in ("data_dir", "helpers.", "How to run it", "save_results", "papermill"):
        assert programmer not in text, f"programmer wording in the handout: {programmer}"
    assert re.search(r"Table 1\.", text) and re.search(r"Figure 1\.", text)
    pdf.build(executed, tmp_path / "letter.pdf", [""], "2026-01-01", "test", paper="letter")
    box = PdfReader(tmp_path / "letter.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (595, 842)
