"""Rendering a document's data to PDF (typst) and DOCX (python-docx). Pure: no Django.

The data is one JSON-able dict (built by `selectors.act_data` / `selectors.case_data`); the
template supplies the layout (typst markup, `body`) and the wording (`phrases`, with $placeholders
filled by `fill`). The data reaches typst as JSON through `sys.inputs`, never spliced into the
markup, so nothing an observer typed can change the document's layout or inject typst code.

Fonts: the DejaVu fonts shipped by Debian (``fonts-dejavu-core``) are passed explicitly and system
fonts are ignored, so Kazakh letters (ә ғ қ ң ө ұ ү һ і) render the same on every machine. Set
BAQYLAU_FONT_DIR to use another directory holding DejaVu Serif and DejaVu Sans Mono.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path
from string import Template
from typing import Any

from baqylau.legal.citations import fill_citations

TEMPLATES_DIR = Path(__file__).with_name("document_templates")
PRELUDE = (TEMPLATES_DIR / "_prelude.typ").read_text(encoding="utf-8")
FONT_DIR = Path(os.environ.get("BAQYLAU_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))


class RenderError(RuntimeError):
    pass


def fill(value: Any, values: dict[str, str], lang: str = "en") -> Any:
    """Substitute $placeholders in every string of a (nested) phrases value, and the citations
    `${cite:criminal_code 151|loc}` in `lang` (by the one citation formatter)."""
    if isinstance(value, str):
        return Template(fill_citations(value, lang)).safe_substitute(values)
    if isinstance(value, list):
        return [fill(item, values, lang) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, values, lang) for key, item in value.items()}
    return value


def _jsonable(value: Any) -> Any:
    """Replace None by "" (typst shows `none` as nothing, but string joins need strings)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def render_pdf(body: str, data: dict[str, Any], *, when: dt.datetime | None = None) -> bytes:
    """PDF bytes of a typst `body` with `data` (deterministic for the same inputs and time)."""
    import typst

    if not (FONT_DIR / "DejaVuSerif.ttf").exists():
        raise RenderError(f"DejaVu fonts not found in {FONT_DIR} (apt install fonts-dejavu-core)")
    source = PRELUDE + "\n" + body
    kwargs: dict[str, Any] = {}
    if when is not None:
        kwargs["timestamp"] = int(when.timestamp())
    try:
        return typst.compile(
            source.encode("utf-8"),
            font_paths=[str(FONT_DIR)],
            ignore_system_fonts=True,
            sys_inputs={"data": json.dumps(_jsonable(data), ensure_ascii=False)},
            **kwargs,
        )
    except Exception as exc:  # typst raises its own error types with the source location
        raise RenderError(f"typst: {exc}") from exc


# --- DOCX --------------------------------------------------------------------------------------


def _docx_base():
    from docx import Document
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "DejaVu Serif"
    style.font.size = Pt(10.5)
    return document


def _mono(paragraph, text: str) -> None:
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.name = "DejaVu Sans Mono"
    run.font.size = Pt(7.5)


def _centered(document, text: str, *, bold=False, italic=False, size=None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    return paragraph


def _evidence(document, evidence: list[dict]) -> None:
    for number, ev in enumerate(evidence, start=1):
        paragraph = document.add_paragraph(
            f"{number}. {ev['name']} ({ev['content_type']}, {ev['size']})"
        )
        paragraph.add_run().add_break()
        _mono(paragraph, f"SHA-256 {ev['sha256']}")
        paragraph.add_run().add_break()
        _mono(paragraph, ev["ledger"])


def _act_docx(document, data: dict) -> None:
    p = data["phrases"]
    _centered(document, p["title"], bold=True, size=14)
    _centered(document, p["subtitle"])
    station, incident = data["station"], data["incident"]
    rows = [
        (p["election_label"], data["election"]),
        (p["station_label"], f"№ {station['code']} {station['name']}"),
        (p["address_label"], station["address"]),
        (p["commission_label"], station["commission"]),
        (p["region_label"], station["region"]),
        (p["time_label"], incident["time"]),
        (p["violation_label"], incident["violation"]),
        (p["articles_label"], incident["articles"]),
        (p["observer_label"], incident["observer"]),
    ]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = str(label), str(value or "")
    document.add_heading(p["facts_label"], level=2)
    document.add_paragraph(incident["text"])
    document.add_heading(p["witnesses_label"], level=2)
    for witness in incident["witnesses"] or [p["no_witnesses"]]:
        document.add_paragraph(witness, style="List Bullet")
    document.add_heading(p["evidence_label"], level=2)
    if incident["evidence"]:
        _evidence(document, incident["evidence"])
    else:
        document.add_paragraph(p["no_evidence"])
    document.add_paragraph(p["closing"])
    document.add_paragraph(f"{p['signature_observer']}: ______________________")
    document.add_paragraph(f"{p['signature_witnesses']}: ______________________")
    document.add_paragraph(p["ledger_note"])


def _case_docx(document, data: dict) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    p = data["phrases"]

    def block(lines: list[str], label: str | None = None) -> None:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(7)
        if label:
            paragraph.add_run(f"{label}:").bold = True
            paragraph.add_run().add_break()
        for number, line in enumerate(lines):
            if number:
                paragraph.add_run().add_break()
            paragraph.add_run(line)

    block(data["addressee"])
    block(data["applicant"], p["applicant_label"])
    if data["respondent"]:
        block(data["respondent"], p["respondent_label"])
    _centered(document, p["title"], bold=True, size=13)
    _centered(document, p["subtitle"], italic=True)
    document.add_paragraph(p["intro"])
    document.add_paragraph(p["facts_intro"])
    for station in data["stations"]:
        document.add_heading(f"{p['station_label']} № {station['code']} {station['name']}", level=2)
        document.add_paragraph(
            " · ".join(
                x for x in (station["address"], station["commission"], station["region"]) if x
            )
        )
        for incident in station["incidents"]:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{incident['time']} — {incident['violation']}").bold = True
            paragraph.add_run(f" ({incident['articles']})")
            document.add_paragraph(incident["text"])
            document.add_paragraph(
                f"{p['observer_label']}: {incident['observer']}. "
                f"{p['witnesses_label']}: {incident['witnesses_text']}."
            )
            _evidence(document, incident["evidence"])
    if data["findings"]:
        document.add_heading(p["findings_label"], level=2)
        for finding in data["findings"]:
            document.add_paragraph(finding, style="List Bullet")
    document.add_heading(p["articles_label"], level=2)
    for article in data["articles"]:
        document.add_paragraph(article, style="List Bullet")
    if data["deadline"]:
        document.add_paragraph(p["deadline_note"])
    request = document.add_paragraph()
    request.alignment = WD_ALIGN_PARAGRAPH.CENTER
    request.add_run(p["request_label"]).bold = True
    for item in p["requests"]:
        document.add_paragraph(item, style="List Number")
    if data["attachments"]:
        document.add_paragraph().add_run(f"{p['attachments_label']}:").bold = True
        for item in data["attachments"]:
            document.add_paragraph(item, style="List Number 2")
    if p.get("warning"):
        document.add_paragraph().add_run(p["warning"]).italic = True
    document.add_paragraph(
        f"{data['date']}\t\t{p['signature_label']} ______________ {data['applicant_name']}"
    )


def render_docx(data: dict[str, Any]) -> bytes:
    """An editable DOCX with the same wording and data as the PDF (a plain, generic layout)."""
    data = _jsonable(data)
    document = _docx_base()
    document.core_properties.title = data["title"]
    document.core_properties.language = data["lang"]
    if data.get("when"):
        stamp = dt.datetime.fromisoformat(data["when"]).replace(tzinfo=None)
        document.core_properties.created = stamp
        document.core_properties.modified = stamp
    document.core_properties.author = "Baqylau"
    document.core_properties.last_modified_by = "Baqylau"
    (_act_docx if data["layout"] == "act" else _case_docx)(document, data)
    section = document.sections[0]
    section.footer.paragraphs[0].text = data["footer"]
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
