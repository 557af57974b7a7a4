"""Export bundles an auditor can take away and check on their own.

A bundle is a zip: ``events.jsonl`` (the events exactly as chained), one readable timeline per
incident (``timelines/<incident>.<format>``) and ``manifest.json`` holding the chain hashes, the
store's head and anchors at export time, and the SHA-256 of every file. ``verify_bundle`` recomputes
every event hash and link and every file hash, offline: a bundle edited anywhere fails. (Someone
who rewrites the *whole* bundle consistently is caught by comparing its hashes with the store's
anchors on the Prefect server — the manifest lists those it knew.)
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pasopati.audit.chain import FORMAT, genesis
from pasopati.audit.models import Anchor, AuditEvent, ChainProblem, Subject
from pasopati.audit.service import verify_incident, verify_rows
from pasopati.audit.timeline import Format, build, render

BUNDLE_FORMAT = "pasopati-audit-bundle-1"
EXTENSIONS = {"text": "txt", "md": "md", "csv": "csv", "json": "json", "pdf": "pdf"}


class BundleCheck(BaseModel):
    ok: bool
    events: int
    incidents: int
    problem: str | None = None


def write_bundle(
    path: Path,
    events: list[AuditEvent],
    subjects: list[Subject],
    *,
    fmt: Format,
    full_chain: bool,
    store_id: str,
    store_head: tuple[int, str],
    anchors: list[Anchor],
    ui_url: str,
    templates_dir: Path,
) -> dict[str, Any]:
    """Write the zip at ``path``; returns the manifest. ``full_chain``: ``events`` is the whole
    chain from seq 1 (``--all``), so the bundle re-verifies the store-wide links too."""
    files: dict[str, bytes] = {"events.jsonl": "".join(e.model_dump_json() + "\n" for e in events).encode()}
    by_incident: dict[str, list[AuditEvent]] = {}
    for event in events:
        if event.incident_id:
            by_incident.setdefault(event.incident_id, []).append(event)
    for subject in subjects:
        timeline = build(by_incident.get(subject.id, []), subject, ui_url, templates_dir)
        files[f"timelines/{subject.id}.{EXTENSIONS[fmt]}"] = render(timeline, fmt, templates_dir)
    manifest = {
        "format": BUNDLE_FORMAT,
        "chain_format": FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "store_id": store_id,
        "scope": "all" if full_chain else "incidents",
        "store_head": {"seq": store_head[0], "hash": store_head[1]},
        "events": {
            "count": len(events),
            "first_seq": events[0].seq if events else None,
            "last_seq": events[-1].seq if events else None,
            "last_hash": events[-1].hash if events else None,
        },
        "incidents": {
            s.id: {"events": len(by_incident.get(s.id, [])), "last_hash": by_incident[s.id][-1].hash if by_incident.get(s.id) else None}
            for s in subjects
        },
        "anchors": [a.model_dump(mode="json") for a in anchors],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
        bundle.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    partial.replace(path)  # a bundle is there whole or not at all (full disk, kill)
    return manifest


MAX_BUNDLE_BYTES = 512 * 1024 * 1024  # expanded; an --all export of 100 000 events is ~22 MB (bench/audit.py)


def verify_bundle(path: Path, *, max_bytes: int = MAX_BUNDLE_BYTES) -> BundleCheck:
    """Check a bundle on its own: file hashes, every event hash, every link, the manifest's counts,
    head and anchors. Never raises for a bad bundle: the problem is in the result."""
    try:
        contents, manifest = _read(path, max_bytes)
        events = [AuditEvent.model_validate_json(line) for line in contents["events.jsonl"].decode().splitlines() if line]
        problem = _check_events(manifest, events)
    except _Unreadable as exc:
        return BundleCheck(ok=False, events=0, incidents=0, problem=str(exc))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        return BundleCheck(ok=False, events=0, incidents=0, problem=f"not a readable bundle: {type(exc).__name__}: {str(exc)[:300]}")
    return BundleCheck(ok=problem is None, events=len(events), incidents=len(manifest["incidents"]), problem=problem.message if problem else None)


class _Unreadable(Exception):
    pass


def _read(path: Path, max_bytes: int) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The listed files and the manifest, reading at most ``max_bytes`` whatever the zip declares."""
    budget = max_bytes
    try:
        with zipfile.ZipFile(path) as bundle:

            def read(name: str) -> bytes:
                nonlocal budget
                with bundle.open(name) as member:
                    data = member.read(budget + 1)
                if len(data) > budget:
                    raise _Unreadable(f"bundle expands to more than {max_bytes} bytes: not a PASOPATI export")
                budget -= len(data)
                return data

            manifest = json.loads(read("manifest.json"))
            if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
                raise _Unreadable("not a readable bundle: manifest.json is not a PASOPATI manifest")
            if manifest.get("format") != BUNDLE_FORMAT or manifest.get("chain_format") != FORMAT:
                raise _Unreadable(f"unknown bundle format {manifest.get('format')!r}")
            listed = set(manifest["files"])
            extra = sorted(set(bundle.namelist()) - listed - {"manifest.json"})
            if extra:
                raise _Unreadable(f"files the manifest does not list: {extra[:5]}")
            if "events.jsonl" not in listed:
                raise _Unreadable("the manifest lists no events.jsonl")
            contents = {name: read(name) for name in sorted(listed)}
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise _Unreadable(f"not a readable bundle: {type(exc).__name__}: {str(exc)[:300]}") from exc
    for name, digest in manifest["files"].items():
        if hashlib.sha256(contents[name]).hexdigest() != digest:
            raise _Unreadable(f"{name} altered: its SHA-256 differs from the manifest's")
    return contents, manifest


def _check_events(manifest: dict[str, Any], events: list[AuditEvent]) -> ChainProblem | None:
    summary, head, listed = manifest["events"], manifest["store_head"], manifest["incidents"]
    if len(events) != summary["count"] or (events and (events[-1].hash != summary["last_hash"] or events[-1].seq != summary["last_seq"])):
        return ChainProblem(seq=None, kind="missing", message="events.jsonl does not hold the events the manifest counts")
    seqs = [e.seq for e in events]
    if seqs != sorted(set(seqs)):
        return ChainProblem(seq=None, kind="reordered", message="events.jsonl is not in chain order (or repeats an event)")
    last = (events[-1].seq, events[-1].hash) if events else (0, genesis(manifest["store_id"]))
    if manifest["scope"] == "all" and (head["seq"], head["hash"]) != last:
        return ChainProblem(seq=None, kind="head", message=f"the manifest's store head {head['seq']} is not the last event of the bundle ({last[0]})")
    if head["seq"] < last[0]:
        return ChainProblem(seq=None, kind="head", message=f"the manifest's store head {head['seq']} is before the bundle's last event {last[0]}")
    if manifest["scope"] == "all":
        seq_of = {e.hash: e.seq for e in events}
        rows = ((e.seq, e.at, e.kind, e.incident_id, e.flow_run_id, e.actor, _details(e), e.prev_hash, e.incident_prev_hash, e.hash) for e in events)
        report = verify_rows(rows, seq_of.get, first_seq=1, start_hash=genesis(manifest["store_id"]))
        if report.problem:
            return report.problem
    by_seq = {e.seq: e for e in events}
    for anchor in manifest.get("anchors", []):
        if anchor["seq"] in by_seq and by_seq[anchor["seq"]].hash != anchor["hash"]:
            return ChainProblem(seq=anchor["seq"], kind="anchor", message=f"event {anchor['seq']} differs from the anchor of {anchor['at']}")
    by_incident: dict[str, list[AuditEvent]] = {}
    for event in events:
        if event.incident_id:
            by_incident.setdefault(event.incident_id, []).append(event)
    unlisted = sorted(set(by_incident) - set(listed))
    if manifest["scope"] != "all" and (unlisted or any(e.incident_id is None for e in events)):
        return ChainProblem(seq=None, kind="inserted", message=f"events of incidents the manifest does not list: {unlisted[:3] or ['(none)']}")
    for incident_id in sorted(set(by_incident) | set(listed)):
        own, expected = by_incident.get(incident_id, []), listed.get(incident_id)
        if expected is not None and (len(own) != expected["events"] or (own and own[-1].hash != expected["last_hash"])):
            return ChainProblem(seq=None, kind="missing", message=f"incident {incident_id}: the bundle lacks events the manifest counts")
        if problem := verify_incident(own):
            return problem
    return None


def compare_with_store(events: list[AuditEvent], stored: dict[int, str]) -> ChainProblem | None:
    """The bundle's events against the store's rows at the same positions (seq → hash)."""
    for event in events:
        if stored.get(event.seq) != event.hash:
            what = "is not in the store" if event.seq not in stored else "differs from the store's row"
            return ChainProblem(seq=event.seq, kind="altered", message=f"event {event.seq} ({event.kind}) of the bundle {what}")
    return None


def bundle_events(path: Path) -> tuple[str, list[AuditEvent]]:
    """(store id, events) of a bundle that verified."""
    contents, manifest = _read(path, MAX_BUNDLE_BYTES)
    return manifest["store_id"], [AuditEvent.model_validate_json(line) for line in contents["events.jsonl"].decode().splitlines() if line]


def _details(event: AuditEvent) -> str:
    from pasopati.audit.chain import canonical

    return canonical(event.details)
