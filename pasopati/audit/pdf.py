"""The timeline as a PDF an inspector can print and file (fpdf2; the DejaVu fonts matplotlib
ships, so any Indonesian or other Unicode text prints, and nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from pasopati.audit.timeline import Timeline


def _fonts() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def to_pdf(timeline: Timeline) -> bytes:
    fonts = _fonts()
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.set_title(f"Lini masa audit {timeline.header.incident_id}")
    pdf.add_page()
    h = timeline.header
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, f"Lini masa audit: {h.title}", new_x="LMARGIN", new_y="NEXT")
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
                row.cell(value)
    if timeline.texts:
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, "Teks yang terbit (persis)", new_x="LMARGIN", new_y="NEXT")
        for text in timeline.texts:
            pdf.set_font("DejaVu", "B", 9)
            pdf.multi_cell(0, 5, f"{text.label} · {', '.join(text.channels)}\nsha256 {text.sha256}", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVuMono", "", 8)
            pdf.multi_cell(0, 4, text.body.strip(), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())
