"""An incident's audit events as a timeline a person reads: time in the unit's zone, actor, event,
details, a link to the Prefect run, and the exact texts the public saw, per channel.

The same rows feed every format (``text`` for the terminal, ``md`` — also the run's final Prefect
artifact — ``csv``, ``json``, ``pdf``), so what an auditor sees in the UI is what `audit show` says.
Words come from ``templates/audit/``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from pasopati.audit.models import AuditEvent, Subject
from pasopati.texts import environment, short_time, zone_abbreviation

Format = Literal["text", "md", "csv", "json", "pdf"]


class Row(BaseModel):
    seq: int
    at_local: str
    at_utc: str
    actor: str
    kind: str
    title: str
    summary: str
    flow_run_id: str | None
    run_url: str | None
    hash: str


class PublishedText(BaseModel):
    label: str
    sha256: str
    channels: list[str]
    body: str


class Header(BaseModel):
    title: str
    incident_id: str
    category: str
    severity: str
    unit: str
    kanwil: str
    zone: str
    upto_seq: int
    upto_hash: str


class Timeline(BaseModel):
    header: Header
    rows: list[Row]
    texts: list[PublishedText]


def build(events: list[AuditEvent], incident: Subject, ui_url: str, templates_dir: Path) -> Timeline:
    """``events``: the incident's events in chain order (pasopati.audit.service.events)."""
    macros = environment(templates_dir).get_template("audit/events.j2").module

    def summary(event: AuditEvent) -> str:
        try:
            return " ".join(str(macros.summary(event)).split())  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001  an event whose details are not what its kind says is shown raw, not hidden
            return f"(rincian tidak sesuai jenisnya) {json.dumps(event.details, ensure_ascii=False)[:500]}"

    rows = [
        Row(
            seq=e.seq,
            at_local=short_time(e.at, incident.timezone),
            at_utc=e.at.isoformat(timespec="seconds"),
            actor=e.actor,
            kind=e.kind,
            title=str(macros.title(e.kind)).strip(),  # type: ignore[attr-defined]
            summary=summary(e),
            flow_run_id=e.flow_run_id,
            run_url=f"{ui_url}/runs/flow-run/{e.flow_run_id}" if e.flow_run_id else None,
            hash=e.hash,
        )
        for e in events
    ]
    texts: dict[str, PublishedText] = {}
    for e in events:
        if e.kind in ("publication.sent", "publication.partial") and isinstance(e.details.get("body"), str) and {"sha256", "channel", "message_type", "language"} <= set(e.details):
            d = e.details
            text = texts.setdefault(
                d["sha256"],
                PublishedText(label=f"{d['message_type']} ({d['language']})", sha256=d["sha256"], channels=[], body=d["body"]),
            )
            if d["channel"] not in text.channels:
                text.channels.append(d["channel"])
    last = events[-1] if events else None
    header = Header(
        title=incident.summary,
        incident_id=incident.id,
        category=incident.category_title,
        severity=incident.severity,
        unit=incident.unit_name,
        kanwil=incident.kanwil_name,
        zone=f"{incident.timezone} ({zone_abbreviation(incident.detected_at, incident.timezone)})",
        upto_seq=last.seq if last else 0,
        upto_hash=last.hash if last else "",
    )
    return Timeline(header=header, rows=rows, texts=list(texts.values()))


def render(timeline: Timeline, fmt: Format, templates_dir: Path) -> bytes:
    if fmt in ("text", "md"):
        env = environment(templates_dir)
        name = "audit/timeline.txt.j2" if fmt == "text" else "audit/timeline.md.j2"
        return env.get_template(name).render(**timeline.model_dump()).encode()
    if fmt == "csv":
        return to_csv(timeline).encode()
    if fmt == "json":
        return json.dumps(timeline.model_dump(mode="json"), ensure_ascii=False, indent=2).encode()
    from pasopati.audit.pdf import to_pdf

    return to_pdf(timeline)


def to_csv(timeline: Timeline) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["seq", "waktu_lokal", "waktu_utc", "pelaku", "jenis", "peristiwa", "rincian", "flow_run_id", "tautan_run", "hash"])
    for r in timeline.rows:
        row = [r.seq, r.at_local, r.at_utc, r.actor, r.kind, r.title, r.summary, r.flow_run_id or "", r.run_url or "", r.hash]
        writer.writerow([spreadsheet_safe(v) for v in row])
    return out.getvalue()


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula (OWASP "CSV injection"): names and
    summaries come from alerts and forms anyone can fill."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
