"""Identity store: TOTP credentials (secret encrypted), failed codes, approval links (hash only).

Created by migration ``0003_identity``. No column ever holds a secret in the clear: the TOTP secret
is Fernet ciphertext (``keys``), a link is kept as the SHA-256 of its token.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class TotpCredentialRow(Base):
    """One per roster person who ever enrolled; revoked rows keep who/when, not the secret."""

    __tablename__ = "identity_totp"
    person: Mapped[str] = mapped_column(String(128), primary_key=True, doc="Canonical roster name.")
    secret_encrypted: Mapped[str | None] = mapped_column(
        Text, doc="Fernet token of {person, secret}; NULL once revoked."
    )
    enrolled_at: Mapped[datetime]
    enrolled_by: Mapped[str] = mapped_column(SafeText)
    enrolments: Mapped[int] = mapped_column(Integer, doc="How many times this person was enrolled (1 = first).")
    last_used_step: Mapped[int | None] = mapped_column(
        BigInteger, doc="RFC 6238 time step (unix time // 30) of the last accepted code: no code of this or an earlier step is accepted again."
    )
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(SafeText)


class TotpFailureRow(Base):
    """One failed code (wrong, replayed, too early, malformed), for the rate limit (5 per 15 min)."""

    __tablename__ = "identity_totp_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(32), doc="A RefusalCode.")
    __table_args__ = (Index("ix_identity_totp_failures_person_at", "person", "at"),)


class ApprovalLinkRow(Base):
    """A single-use approval link bound to person × gate round × text; the token itself is never stored."""

    __tablename__ = "identity_links"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, doc="SHA-256 (hex) of the token.")
    person: Mapped[str] = mapped_column(String(128))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    flow_run_id: Mapped[str] = mapped_column(String(36))
    pause_key: Mapped[str] = mapped_column(String(128))
    text_hash: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_identity_links_incident_pause", "incident_id", "pause_key"),)
