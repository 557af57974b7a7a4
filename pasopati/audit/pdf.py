"""The timeline as a PDF an inspector can print and file (fpdf2; the DejaVu fonts matplotlib
ships, so any Indonesian or other Unicode text prints, and nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

from pasopati.audit.timeline import Timeline

CELL_LIMIT = 1500  # characters of one table cell; a row must fit a page (the full text: CSV/JSON)
MISSING_GLYPH = "\u25a1"  # □: a character the font cannot print (the exact text is in events.jsonl)


class _Report(FPDF):
    """A4 landscape with the incident and the page number at the foot of every page."""

    incident_id = ""

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", "", 7)
        self.cell(0, 5, f"Lini masa audit insiden {self.incident_id} · halaman {self.page_no()}/{{nb}}", align="R")


def _fonts() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _printable(fonts: Path) -> set[int]:
    """Code points the bundled DejaVu fonts can print."""
    covered: set[int] = set()
    for name in ("DejaVuSans.ttf", "DejaVuSansMono.ttf"):
        covered |= set(TTFont(str(fonts / name), lazy=True).getBestCmap())
    return covered


def _fit(text: str, covered: set[int], limit: int | None = None) -> str:
    """``text`` with characters the font lacks shown as □ (never dropped silently), cut at ``limit``."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + f" … (+{len(text) - limit} karakter; lengkap di CSV/JSON)"
    return "".join(c if ord(c) in covered or c in "\n\t" else MISSING_GLYPH for c in text)


def to_pdf(timeline: Timeline) -> bytes:
    fonts = _fonts()
    covered = _printable(fonts)
    pdf = _Report(orientation="landscape", format="A4")
    pdf.incident_id = timeline.header.incident_id
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.set_title(f"Lini masa audit {timeline.header.incident_id}")
    pdf.add_page()
    h = timeline.header
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, _fit(f"Lini masa audit: {h.title}", covered, CELL_LIMIT), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0, 5,
        f"{h.category} — {h.severity} · {h.unit} ({h.kanwil}) · zona waktu {h.zone}\n"
        f"Insiden {h.incident_id} · {len(timeline.rows)} peristiwa hingga ke-{h.upto_seq} · hash rantai {h.upto_hash}",
        new_x="LMARGIN", new_y="NEXT",
    )
    pdf.ln(2)
    with pdf.table(col_widths=(30, 34, 30, 150, 29), text_align="LEFT", line_height=4.2) as table:
        header = table.row()
        for title in ("waktu", "pelaku", "peristiwa", "rincian", "run"):
            header.cell(title)
        for r in timeline.rows:
            row = table.row()
            for value in (r.at_local, r.actor, r.title, r.summary, (r.flow_run_id or "")[:8]):
                row.cell(_fit(value, covered, CELL_LIMIT))
    if timeline.texts:
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, "Teks yang terbit (persis)", new_x="LMARGIN", new_y="NEXT")
        for text in timeline.texts:
            pdf.set_font("DejaVu", "B", 9)
            pdf.multi_cell(0, 5, f"{text.label} · {', '.join(text.channels)}\nsha256 {text.sha256}", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVuMono", "", 8)
            # Left-aligned, never justified: the exact text, spaces as they were.
            pdf.multi_cell(0, 4, _fit(text.body.strip(), covered), new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(3)
    return bytes(pdf.output())
