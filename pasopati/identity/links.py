"""Approval links: single-use, expiring tokens bound to person × incident × run × pause key × text.

A token is 32 bytes from ``secrets`` (256 bits, url-safe base64: 43 characters), returned once by
``issue_link`` for the caller to send to the person's own roster contact; the store keeps only its
SHA-256. ``peek_link`` shows what a token grants without consuming it (it never writes: a read
session will do); ``redeem_link`` consumes it inside the caller's decision transaction and refuses
it for another pause key or another text. ``revoke_links`` when the gate round closes.

Every act but ``peek_link`` is recorded in the caller's session: ``identity.link_issued``,
``identity.link_redeemed``, ``identity.link_refused``, ``identity.links_revoked``. Neither the token
nor its hash is ever written to the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pasopati.audit.service import record, system
from pasopati.db import clean_text
from pasopati.identity.models import (
    IdentityError,
    LinkGrant,
    Proof,
    Refusal,
    RefusalCode,
)
from pasopati.identity.service import person_of
from pasopati.identity.tables import ApprovalLinkRow
from pasopati.plan.roster import Roster
from pasopati.time import utcnow

TOKEN_BYTES = 32  # 256 bits
ISSUER = system("identitas")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Apprise URL scheme of a roster contact → how the person received the link, in the proof's words.
VIA = {"mailto": "email", "mailtos": "email", "tgram": "Telegram", "whatsapp": "WhatsApp", "signal": "Signal",
       "signals": "Signal", "slack": "Slack", "msteams": "Teams", "json": "webhook", "jsons": "webhook"}


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a token: what the store keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def via_of(contact: str) -> str:
    """How a roster contact (an Apprise URL) is described: 'mailto://…' → 'email'."""
    scheme = contact.partition("://")[0].lower() if "://" in contact else ""
    return VIA.get(scheme, scheme or "kontak")


def issue_link(
    session: Session,
    *,
    person: str,
    incident_id: str,
    flow_run_id: str,
    pause_key: str,
    text_hash: str,
    expires_at: datetime,
    now: datetime | None = None,
    roster: Roster | None = None,
    actor: str = ISSUER,
) -> str:
    """A new single-use token for roster ``person`` (the token itself; it is not stored).

    ``text_hash``: SHA-256 hex of the text the person is asked to approve. ``expires_at``: aware,
    after ``now``. Raises NotInRoster, IdentityError (no contact to send it to), ValueError."""
    now = now or utcnow()
    if expires_at.tzinfo is None or expires_at <= now:
        raise ValueError(f"expires_at must be an aware time after now, got {expires_at!r}")
    if not SHA256_HEX.fullmatch(text_hash):
        raise ValueError("text_hash must be a SHA-256 hex digest (64 lowercase hex characters)")
    who = person_of(person, roster)
    if not who.contact:
        raise IdentityError(f"{who.name} tidak punya kontak di roster (no contact to send a link to)")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = ApprovalLinkRow(
        id=str(uuid.uuid4()), token_sha256=token_hash(token), person=who.name, incident_id=incident_id,
        flow_run_id=flow_run_id, pause_key=clean_text(pause_key), text_hash=text_hash, via=via_of(who.contact),
        issued_at=now, expires_at=expires_at,
    )
    session.add(row)
    record(session, "identity.link_issued", actor=actor, incident_id=incident_id, flow_run_id=flow_run_id, details={
        "person": who.name, "link_id": row.id, "pause_key": row.pause_key, "text_hash": text_hash, "via": row.via,
        "expires_at": expires_at.isoformat(),
    })
    return token


def peek_link(session: Session, token: str, *, now: datetime | None = None) -> LinkGrant | Refusal:
    """What ``token`` grants, without consuming it or writing anything; a Refusal if unknown,
    revoked, used or expired."""
    row = _row(session, token)
    refused = _unusable(row, now or utcnow())
    if refused is not None:
        return Refusal(code=refused[0], reason=refused[1], person=row.person if row else None)
    assert row is not None
    return _grant(row)


def redeem_link(
    session: Session, token: str, *, pause_key: str, text_hash: str, now: datetime | None = None
) -> Proof | Refusal:
    """Consume ``token`` in the caller's write transaction for the gate round ``pause_key`` and the
    text hashing to ``text_hash``: a 'tautan' Proof, or a Refusal (recorded) saying why not."""
    now = now or utcnow()
    row = _row(session, token)
    refused = _unusable(row, now)
    if refused is None and row is not None:
        if row.pause_key != pause_key:
            reason = f"tautan ini untuk putaran persetujuan {row.pause_key}, bukan {pause_key} (the link is for another gate round)"
            refused = ("other_gate", reason)
        elif row.text_hash != text_hash:
            refused = ("text_changed", "teks berubah sejak tautan dikirim (the text changed since the link was sent)")
    if refused is None and row is not None:
        claimed = session.execute(
            update(ApprovalLinkRow).where(ApprovalLinkRow.id == row.id, ApprovalLinkRow.used_at.is_(None)).values(used_at=now)
        ).rowcount
        if claimed != 1:  # never under the writer lock; kept so a missing lock cannot mean a second use
            refused = ("used_link", "tautan sudah dipakai (the link was already used)")
    if refused is not None:
        record(session, "identity.link_refused", actor=row.person if row else ISSUER,
               incident_id=row.incident_id if row else None, flow_run_id=row.flow_run_id if row else None,
               details={"person": row.person if row else None, "link_id": row.id if row else None, "method": "tautan",
                        "pause_key": pause_key, "refusal": refused[0], "reason": refused[1]})
        return Refusal(code=refused[0], reason=refused[1], person=row.person if row else None)
    assert row is not None
    proof = Proof(method="tautan", person=row.person, description=f"tautan sekali pakai ke kontak sendiri ({row.via})", at=now)
    record(session, "identity.link_redeemed", actor=row.person, incident_id=row.incident_id, flow_run_id=row.flow_run_id,
           details={"person": row.person, "link_id": row.id, "method": "tautan", "pause_key": pause_key, "via": row.via})
    return proof


def revoke_links(
    session: Session, incident_id: str, pause_key: str, *, now: datetime | None = None, actor: str = ISSUER,
    flow_run_id: str | None = None,
) -> int:
    """Revoke every unused link of one gate round (it closed); how many were revoked."""
    now = now or utcnow()
    open_links = (
        ApprovalLinkRow.incident_id == incident_id, ApprovalLinkRow.pause_key == pause_key,
        ApprovalLinkRow.used_at.is_(None), ApprovalLinkRow.revoked_at.is_(None),
    )
    ids = list(session.scalars(select(ApprovalLinkRow.id).where(*open_links)))
    if ids:
        session.execute(update(ApprovalLinkRow).where(*open_links).values(revoked_at=now))
        record(session, "identity.links_revoked", actor=actor, incident_id=incident_id, flow_run_id=flow_run_id,
               details={"pause_key": pause_key, "link_ids": ids})
    return len(ids)


def _row(session: Session, token: str) -> ApprovalLinkRow | None:
    return session.scalars(select(ApprovalLinkRow).where(ApprovalLinkRow.token_sha256 == token_hash(token))).first()


def _unusable(row: ApprovalLinkRow | None, now: datetime) -> tuple[RefusalCode, str] | None:
    if row is None:
        return "unknown_link", "tautan tidak dikenal (unknown link)"
    if row.revoked_at is not None:
        return "revoked_link", "tautan sudah dicabut: putaran persetujuan ini sudah ditutup (the link was revoked)"
    if row.used_at is not None:
        return "used_link", "tautan sudah dipakai (the link was already used)"
    if now >= row.expires_at:
        return "expired_link", "tautan sudah kedaluwarsa (the link expired)"
    return None


def _grant(row: ApprovalLinkRow) -> LinkGrant:
    return LinkGrant(
        link_id=row.id, person=row.person, incident_id=row.incident_id, flow_run_id=row.flow_run_id,
        pause_key=row.pause_key, text_hash=row.text_hash, via=row.via, issued_at=row.issued_at, expires_at=row.expires_at,
    )
