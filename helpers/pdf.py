"""The journal-club handout as one PDF, assembled with ReportLab from executed notebooks: a
title page (citation, the abstract's claims in our words, the scorecard summary, date and
version), then each notebook without its code, then the discussion questions collected from
all of them.

For readers, not programmers: the notebooks' cohort banner (the title page and every page
foot say it), sections about running the code (SKIP_SECTIONS), parenthetical pointers to
functions and files, bare values and warnings are left out; tables get a numbered caption,
figures their caption (the alt text helpers.notebook.publish stored). Headings keep with what
follows them, a figure keeps with its caption, and a long table breaks across pages with its
header repeated, never clipped. Pure Python: ReportLab draws the pages, matplotlib's DejaVu
fonts cover every character, matplotlib's mathtext draws the equations.
"""
from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether, ListFlowable, ListItem,
                                PageBreak, PageTemplate, Paragraph, Spacer, Table, TableStyle)

from helpers import site
from helpers.notebook import RECONSTRUCTED_LABEL

PAPER = {"a4": A4, "letter": LETTER}
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
SKIP_SECTIONS = ("how to run", "how the set is organised", "files for ci", "one call per redraw", "the explorer",
                 "static version", "what is assumed", "what is reported", "results", "the claims we reproduce",
                 "where the data come from")
MAX_TABLE = (12, 1800)  # rows, characters: a longer table is left to the HTML report, with a note
DISCUSSION = re.compile(r"^\s*\*\*(for discussion|questions?( for (the )?group)?)\*\*\s*$", re.IGNORECASE)
BANNER = re.compile(r"^> \*\*Reconstructed cohort\.\*\*.*$", re.MULTILINE)
CODE_SENTENCE = re.compile(r"(?:(?<=[.!?] )|^)[^.!?\n]*`(python |make |[a-z_]+\.[a-z_]+\b(?!\.(csv|yaml|md)))[^`]*`"
                           r"[^.!?\n]*[.!?]\s*", re.MULTILINE)  # a sentence about a function, module or command
POINTER = re.compile(r"\s*\((?:see |i\.e\. |read with |from |in )?`[^`]*`(?:[^()`]*`[^`]*`)*[^()`]*\)")
CLAIMS = ("Interleukin-6 (IL-6) was measured in the serum of 46 patients with metastatic breast cancer, with "
          "IL-2, TNF-alpha and IL-1beta, which were rarely detectable.",
          "IL-6 was above 4 pg/ml in about half of the patients, and higher with more metastatic sites, "
          "visceral-dominant disease, liver metastasis and pleural effusion.",
          "IL-6 rose with C-reactive protein and was higher in patients whose disease did not respond to "
          "chemo-endocrine therapy.",
          "Patients with IL-6 above 4 pg/ml lived shorter, and IL-6 kept its prognostic value beside the "
          "disease-free interval in a multivariable model.")


def _fonts() -> None:
    """Register DejaVu Sans (and Mono) once, as 'Sans' with bold and italic, and 'Mono'."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "Sans" in pdfmetrics.getRegisteredFontNames():
        return
    for name, file in (("Sans", "DejaVuSans"), ("Sans-Bold", "DejaVuSans-Bold"), ("Sans-Italic", "DejaVuSans-Oblique"),
                       ("Sans-BoldItalic", "DejaVuSans-BoldOblique"), ("Mono", "DejaVuSansMono")):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{file}.ttf")))
    for bold, italic, face in ((0, 0, "Sans"), (1, 0, "Sans-Bold"), (0, 1, "Sans-Italic"), (1, 1, "Sans-BoldItalic")):
        addMapping("Sans", bold, italic, face)


def styles() -> dict[str, ParagraphStyle]:
    _fonts()
    body = ParagraphStyle("body", fontName="Sans", fontSize=7.9, leading=9.8, spaceAfter=2.2)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.6, leading=9.6),
        "quote": ParagraphStyle("quote", parent=body, leftIndent=10, textColor=colors.HexColor("#333333")),
        "h1": ParagraphStyle("h1", parent=body, fontName="Sans-Bold", fontSize=14.5, leading=18, spaceBefore=2,
                             spaceAfter=6, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, fontName="Sans-Bold", fontSize=11, leading=14, spaceBefore=5,
                             spaceAfter=3, keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=body, fontName="Sans-Bold", fontSize=9.4, leading=12, spaceBefore=5,
                             spaceAfter=2, keepWithNext=1),
        "caption": ParagraphStyle("caption", parent=body, fontSize=7.6, leading=9.6, textColor=colors.HexColor("#333333"),
                                  spaceBefore=1, spaceAfter=6),
        "cell": ParagraphStyle("cell", parent=body, fontSize=6.9, leading=8.3, spaceAfter=0),
        "head": ParagraphStyle("head", parent=body, fontName="Sans-Bold", fontSize=6.9, leading=8.3, spaceAfter=0),
        "title": ParagraphStyle("title", parent=body, fontName="Sans-Bold", fontSize=19, leading=24, spaceAfter=8),
        "center": ParagraphStyle("center", parent=body, alignment=TA_CENTER),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.DOTALL)


def math_image(latex: str, fontsize: float = 9) -> tuple[bytes, float, float] | None:
    """An equation drawn by matplotlib's mathtext: (PNG bytes, width pt, height pt), or None
    when mathtext cannot draw it."""
    from matplotlib.figure import Figure
    from PIL import Image as PILImage

    fig = Figure(dpi=300)
    fig.text(0, 0, f"${latex}$", fontsize=fontsize)
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.01, transparent=True)
    except ValueError:
        return None

    width, height = PILImage.open(io.BytesIO(buffer.getvalue())).size
    return buffer.getvalue(), width * 72 / 300, height * 72 / 300


def _math(latex: str, state: "State") -> str:
    """Inline <img> markup of an equation (a file in the state's scratch folder), or the LaTeX
    in italics if mathtext cannot draw it."""
    latex = latex.strip().rstrip(",.")
    drawn = math_image(latex.replace(r"\operatorname{atanh}", r"\mathrm{atanh}").replace(r"\text", r"\mathrm")
                       .replace(r"\left", "").replace(r"\right", "").replace(r"\!", "").replace(r"\big", ""))
    if drawn is None:
        return f"<i>{_escape(latex)}</i>"
    png, width, height = drawn
    path = state.scratch / f"math{len(list(state.scratch.iterdir()))}.png"
    path.write_bytes(png)
    return f'<img src="{path}" width="{width:.1f}" height="{height:.1f}" valign="{-height * 0.3:.1f}"/>'


def inline(children: list[dict], state: "State") -> str:
    """ReportLab paragraph markup of mistune inline tokens (bold, italics, code, links, math)."""
    out = []
    for tok in children:
        kind = tok["type"]
        if kind == "text":
            parts = MATH.split(tok["raw"])
            text = []
            for i in range(0, len(parts), 3):
                text.append(_escape(parts[i]))
                if i + 2 < len(parts):
                    text.append(_math(parts[i + 1] or parts[i + 2], state))
            out.append("".join(text))
        elif kind == "strong":
            out.append(f"<b>{inline(tok['children'], state)}</b>")
        elif kind == "emphasis":
            out.append(f"<i>{inline(tok['children'], state)}</i>")
        elif kind == "codespan":
            out.append(f'<font face="Mono" size="7.6">{_escape(tok["raw"])}</font>')
        elif kind == "link":
            out.append(inline(tok["children"], state))
        elif kind in ("softbreak", "linebreak"):
            out.append(" " if kind == "softbreak" else "<br/>")
        elif kind == "inline_html":
            continue
        elif "children" in tok:
            out.append(inline(tok["children"], state))
        elif "raw" in tok:
            out.append(_escape(tok["raw"]))
    return "".join(out)


@dataclass
class State:
    """What the assembly carries from cell to cell."""
    scratch: Path
    st: dict
    width: float
    notebook: str = ""
    section: str = ""
    skipping: int = 0  # the level of the heading whose section is being left out, 0 when none
    tables: int = 0
    figures: int = 0
    questions: list = field(default_factory=list)  # (notebook, section, [item markup])
    collecting: bool = False


def _block(tok: dict, state: State, style_name: str = "body") -> list:
    kind = tok["type"]
    st = state.st
    if kind == "heading":
        text = inline(tok["children"], state)
        level = tok["attrs"]["level"]
        plain = re.sub(r"<[^>]+>", "", text)
        if state.skipping and level > state.skipping:
            return []
        state.skipping = level if any(plain.lower().startswith(s) for s in SKIP_SECTIONS) else 0
        if level == 2 and not state.skipping:
            state.section = plain
        state.collecting = False
        if state.skipping:
            return []
        return [Paragraph(text, st["h1" if level == 1 else "h2" if level == 2 else "h3"])]
    if state.skipping:
        return []
    if kind in ("paragraph", "block_text"):
        return [Paragraph(inline(tok["children"], state), st[style_name])]
    if kind == "list":
        look = "small" if state.collecting else style_name
        items = [ListItem(_blocks(item["children"], state, look), leftIndent=12, value=None) for item in tok["children"]]
        if state.collecting:
            state.questions[-1][2].extend(items)
            state.collecting = False
            return []
        return [ListFlowable(items, bulletType="1" if tok["attrs"].get("ordered") else "bullet", start=None,
                             bulletFontName="Sans", bulletFontSize=7, leftIndent=12)]
    if kind == "block_quote":
        return _blocks(tok["children"], state, "quote")
    if kind == "table":
        head = [[Paragraph(inline(c["children"], state), st["head"]) for c in tok["children"][0]["children"]]]
        body = [[Paragraph(inline(c["children"], state), st["cell"]) for c in row["children"]]
                for row in tok["children"][1]["children"]]
        return _table(head + body, state, None)
    if kind == "block_code":
        return [Paragraph(_escape(tok["raw"]).replace("\n", "<br/>"), st["small"])]
    return []


def _blocks(tokens: list[dict], state: State, style_name: str = "body") -> list:
    out = []
    for tok in tokens:
        out += _block(tok, state, style_name)
    return out


def markdown(text: str, state: State) -> list:
    """Flowables of one markdown cell for readers: the questions after a '**For discussion**'
    line go to state.questions; pointers to functions and files in parentheses are dropped."""
    import mistune

    text = BANNER.sub("", text)  # the cohort banner: the title page and every page foot say it
    text = CODE_SENTENCE.sub("", POINTER.sub("", text))
    parse = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])
    out = []
    for tok in parse(text):
        if tok["type"] == "paragraph" and DISCUSSION.match(text_of(tok)):
            state.questions.append((state.notebook, state.section, []))
            state.collecting = True
            continue
        out += _block(tok, state)
    return out


def text_of(tok: dict) -> str:
    """The markdown-ish text of a paragraph token (to spot '**For discussion**')."""
    return "".join(f"**{text_of(c)}**" if c["type"] == "strong" else c.get("raw", text_of(c) if "children" in c else "")
                   for c in tok.get("children", []))


def _table(rows: list[list], state: State, caption: str | None, header_rows: int = 1) -> list:
    """A table of paragraphs fitted to the text width (columns by their longest words and
    lengths), header rows repeated across pages; with a numbered caption above it."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    n_cols = max(len(r) for r in rows)
    rows = [r + [""] * (n_cols - len(r)) for r in rows]
    pad = 5.5

    def words(cell):
        if not isinstance(cell, Paragraph):
            return [str(cell)], "Sans", 6.9
        return re.sub(r"<[^>]+>", "", cell.text).split() or [""], cell.style.fontName, cell.style.fontSize

    def widest_word(cell):
        ws, font, size = words(cell)
        return max(stringWidth(w, font, size) for w in ws)

    def full(cell):
        ws, font, size = words(cell)
        return min(stringWidth(" ".join(ws), font, size), 190)

    floor = [max(widest_word(r[c]) for r in rows) + pad for c in range(n_cols)]
    need = [max(max(full(r[c]) for r in rows) + pad, f) for c, f in zip(range(n_cols), floor)]
    widths = need
    if sum(widths) > state.width:  # shrink the long columns, keeping each at its widest word
        spare = max(state.width - sum(floor), 0)
        extra = [n - f for n, f in zip(need, floor)]
        widths = [f + (e / sum(extra) * spare if sum(extra) else 0) for f, e in zip(floor, extra)]
        if sum(widths) > state.width:
            widths = [w * state.width / sum(widths) for w in widths]
    table = Table(rows, colWidths=widths, repeatRows=header_rows, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5), ("TOPPADDING", (0, 0), (-1, -1), 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.6, colors.HexColor("#666666")),
        ("LINEBELOW", (0, header_rows), (-1, -1), 0.25, colors.HexColor("#DDDDDD"))]))
    if caption is None:
        return [table]
    state.tables += 1
    head = Paragraph(f"<b>Table {state.tables}.</b> {_escape(caption)}", state.st["caption"])
    head.keepWithNext = 1  # a long table breaks across pages, its caption stays with its start
    return [KeepTogether([head, table])] if len(rows) <= 12 else [head, table]


def html_table(fragment: str, state: State, caption: str) -> list:
    """A pandas HTML table (already tidied by helpers.site.for_readers) as a captioned ReportLab table;
    row and column spans are filled so that every cell keeps its column."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    table = soup.find("table")
    if table.find("caption"):
        caption = table.find("caption").get_text(" ", strip=True)
    grid: dict[tuple[int, int], Paragraph | str] = {}
    trs = table.find_all("tr")
    header_rows = len(table.find("thead").find_all("tr")) if table.find("thead") else 0
    for r, tr in enumerate(trs):
        c = 0
        for cell in tr.find_all(["th", "td"]):
            while (r, c) in grid:
                c += 1
            text = _escape(cell.get_text(" ", strip=True))
            para = Paragraph(text, state.st["head" if cell.name == "th" else "cell"])
            for dr in range(int(cell.get("rowspan", 1))):
                for dc in range(int(cell.get("colspan", 1))):
                    grid[(r + dr, c + dc)] = para if dr == dc == 0 else ""
            c += int(cell.get("colspan", 1))
    n_rows, n_cols = max(k[0] for k in grid) + 1, max(k[1] for k in grid) + 1
    if n_rows - header_rows > MAX_TABLE[0] or len(table.get_text()) > MAX_TABLE[1]:
        return [Paragraph(f"<i>The full table ({n_rows - header_rows} rows: {_escape(caption)}) is in the HTML report "
                          f"of this notebook.</i>", state.st["small"])]
    rows = [[grid.get((r, c), "") for c in range(n_cols)] for r in range(n_rows)]
    # pandas' second header row (the index name alone) is folded into the first
    if header_rows == 2 and all(isinstance(x, str) or not x.text for x in rows[0][:1]) and \
            all(isinstance(x, str) or not x.text for x in rows[1][1:]):
        rows = [rows[1][:1] + rows[0][1:]] + rows[2:]
        header_rows = 1
    return _table(rows, state, caption, max(header_rows, 1))


class FittedFigure(Flowable):
    """A figure and its caption as one block, drawn at `scale` or, when less room is left on
    the page, shrunk to fit down to `shrink` of that (below that it moves to the next page)."""

    def __init__(self, data: bytes, size: tuple[int, int], scale: float, caption: Paragraph, shrink: float = 0.55):
        super().__init__()
        self.data, self.size, self.scale, self.caption, self.shrink = data, size, scale, caption, shrink

    def wrap(self, avail_width, avail_height):
        w, h = self.size
        _, caption_height = self.caption.wrap(avail_width, avail_height)
        self.used = self.scale
        if h * self.scale + caption_height > avail_height:
            fit = (avail_height - caption_height) / h
            self.used = fit if fit >= self.scale * self.shrink else self.scale
        self.width, self.caption_height = avail_width, caption_height
        self.height = h * self.used + caption_height + 2
        return self.width, self.height

    def draw(self):
        from reportlab.lib.utils import ImageReader

        w, h = self.size
        x = (self.width - w * self.used) / 2
        self.canv.drawImage(ImageReader(io.BytesIO(self.data)), x, self.caption_height + 2, w * self.used, h * self.used)
        self.caption.drawOn(self.canv, 0, 0)


def figure(png_b64: str, caption: str, state: State, max_height: float) -> FittedFigure:
    """A figure scaled to the text width (and at most `max_height`), with its numbered caption."""
    from PIL import Image as PILImage

    data = base64.b64decode(png_b64)
    w, h = PILImage.open(io.BytesIO(data)).size
    scale = min(state.width / w, max_height / h, 0.46)  # at most 64 % of the 100-dpi picture's own size
    state.figures += 1
    return FittedFigure(data, (w, h), scale,
                        Paragraph(f"<b>Figure {state.figures}.</b> {_escape(caption)}", state.st["caption"]))


def notebook(nb, state: State, max_figure_height: float) -> list:
    """Flowables of one executed notebook for readers (see the module docstring)."""
    state.notebook, state.section, state.skipping = site.title(nb), "", 0
    out = []
    for cell in site.for_readers(nb, mathml=False).cells:
        if "parameters" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            out += markdown(cell.source, state)
            continue
        if cell.cell_type != "code" or state.skipping:
            continue
        for o in cell.outputs:
            if o.output_type == "stream" and o.get("name") == "stdout":
                out.append(Paragraph(_escape(o.text.strip()).replace("\n", "<br/>"), state.st["small"]))
            elif o.output_type in ("display_data", "execute_result"):
                data = o.data
                if "image/png" in data:
                    caption = o.metadata.get("image/png", {}).get("alt", state.section)
                    out.append(figure(data["image/png"], caption, state, max_figure_height))
                elif "text/html" in data and "<table" in data["text/html"]:
                    out += html_table(data["text/html"], state, state.section or state.notebook)
                elif "text/markdown" in data:
                    out += markdown(data["text/markdown"], state)
    return out


def questions(state: State) -> list:
    """The collected discussion questions, by notebook and section."""
    if not state.questions:
        return []
    out = [CondPageBreak(45 * mm), Paragraph("Questions for discussion", state.st["h1"])]
    current = None
    for nb_title, section, items in state.questions:
        if nb_title != current:
            out.append(Paragraph(_escape(nb_title), state.st["h2"]))
            current = nb_title
        if section:
            out.append(Paragraph(_escape(section), state.st["h3"]))
        out.append(ListFlowable(items, bulletType="bullet", bulletFontName="Sans", bulletFontSize=7, leftIndent=12))
    return out


def title_page(st: dict, summary_lines: list[str], notebooks: list[str], date: str, version: str) -> list:
    """Citation, the abstract's claims in our words, the scorecard summary, contents, date and version."""
    out = [Spacer(1, 8 * mm), Paragraph("Journal club handout", st["h3"]),
           Paragraph("Serum IL-6 in metastatic breast cancer: does the paper hold up?", st["title"]),
           Paragraph(_escape(site.CITATION), st["body"]), Spacer(1, 3 * mm),
           Paragraph(f"<b>{_escape(RECONSTRUCTED_LABEL)}.</b> The paper published no patient-level data. Every "
                     "number, table and figure in this handout comes from a synthetic cohort rebuilt from the "
                     "printed results, not from the original patients.", st["quote"]),
           Paragraph("What the abstract claims, in our words", st["h2"]),
           ListFlowable([ListItem(Paragraph(_escape(c), st["body"]), leftIndent=12) for c in CLAIMS],
                        bulletType="bullet", bulletFontName="Sans", leftIndent=12),
           Paragraph("What the reproduction found", st["h2"])]
    out += [Paragraph(_escape(line), st["body"]) for line in summary_lines]
    out += [Paragraph("In this handout", st["h2"]),
            ListFlowable([ListItem(Paragraph(_escape(n), st["body"]), leftIndent=12) for n in notebooks],
                         bulletType="bullet", bulletFontName="Sans", leftIndent=12),
            Paragraph("Questions for discussion are collected at the end.", st["body"]), Spacer(1, 6 * mm),
            Paragraph(f"Built {_escape(date)}, version {_escape(version)}.", st["small"]), PageBreak()]
    return out


def build(executed: list[Path], target: Path, summary_lines: list[str], date: str, version: str,
          paper: str = "a4") -> int:
    """Write the handout PDF of the executed notebooks `executed` to `target`; returns the number
    of pages."""
    import tempfile

    import nbformat
    from reportlab import rl_config

    rl_config.invariant = 1  # no random document id or creation time: the same input gives the same file
    page_width, page_height = PAPER[paper]
    margin = 13 * mm
    st = styles()
    nbs = [nbformat.read(p, as_version=4) for p in executed]
    pages = {"count": 0}

    def foot(canvas, doc):
        canvas.saveState()
        canvas.setFont("Sans-Italic", 7)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(margin, 9 * mm, f"Zhang & Adachi (1999) journal club · {RECONSTRUCTED_LABEL}")
        canvas.drawRightString(page_width - margin, 9 * mm, f"page {doc.page}")
        canvas.restoreState()
        pages["count"] = doc.page

    with tempfile.TemporaryDirectory() as scratch:
        state = State(scratch=Path(scratch), st=st, width=page_width - 2 * margin)
        story = title_page(st, summary_lines, [site.title(nb) for nb in nbs], date, version)
        for i, nb in enumerate(nbs):
            if i:
                story.append(CondPageBreak(45 * mm))
            story += notebook(nb, state, max_figure_height=0.25 * page_height)
        story += questions(state)
        doc = BaseDocTemplate(str(target), pagesize=PAPER[paper], leftMargin=margin, rightMargin=margin,
                              topMargin=11 * mm, bottomMargin=14 * mm, title="Zhang & Adachi (1999): journal club handout",
                              author="il6 reproduction", subject=RECONSTRUCTED_LABEL)
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=foot)])
        doc.build(story)
    return pages["count"]
