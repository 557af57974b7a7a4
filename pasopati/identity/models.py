"""What identity checks return: a ``Proof`` of who acted, or a ``Refusal`` saying why not.

Neither ever holds a secret (TOTP secret, code, link token or its hash): both may be written to the
audit log and shown to people as they are. Public words are Indonesian first; identifiers English.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Method = Literal["totp", "tautan", "tautan+totp"]

RefusalCode = Literal[
    # Person and credential
    "not_in_roster",  # the name is nobody in the roster
    "not_enrolled",  # no TOTP credential
    "revoked",  # the credential was revoked (enrol again)
    # TOTP code
    "malformed_code",  # not 6 digits
    "wrong_code",  # matches none of the accepted steps
    "replayed_code",  # its step was already used by this person (RFC 6238 §5.2)
    "code_too_early",  # its step starts before the gate opened (minus one step)
    "locked",  # too many failed codes recently (until ``Refusal.until``)
    # Approval link
    "unknown_link",
    "expired_link",
    "used_link",
    "revoked_link",
    "other_gate",  # redeemed for another pause key
    "text_changed",  # redeemed for another text than the one it was sent for
    "other_person",  # two proofs of different people combined
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Proof(_Frozen):
    """Who acted and how that was proven; goes with the act into its audit event."""

    method: Method
    person: str = Field(description="The canonical roster name.")
    description: str = Field(
        description="For the audit log, Indonesian, e.g. 'tautan sekali pakai ke kontak sendiri (email) + kode TOTP'."
    )
    at: datetime = Field(description="When it was proven (UTC).")

    @property
    def ok(self) -> bool:
        return True

    def audit(self) -> dict[str, str]:
        """The proof as audit details (no secrets: there are none in a Proof)."""
        return {"method": self.method, "person": self.person, "description": self.description}


class Refusal(_Frozen):
    """Why an identity check failed. ``reason`` is Indonesian with an English gloss, for people."""

    code: RefusalCode
    reason: str
    person: str | None = Field(None, description="The canonical roster name, when one was found.")
    until: datetime | None = Field(None, description="For 'locked': when codes are accepted again (UTC).")

    @property
    def ok(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.reason


class Enrolment(_Frozen):
    """A new TOTP credential. ``provisioning_uri`` holds the secret: show it once, never log it."""

    person: str
    provisioning_uri: str = Field(repr=False, description="otpauth://totp/PASOPATI:<name>?secret=…&issuer=PASOPATI")
    enrolled_at: datetime
    by: str
    mode: Literal["baru", "ganti-dengan-kode", "reset"] = Field(
        description="baru: first (or after revocation); ganti-dengan-kode: re-enrolled with a current code;"
        " reset: replaced without a code (an operator's reset, flagged in the audit log)."
    )


class PersonStatus(_Frozen):
    """One roster person's credential, for ``pasopati people list`` (no secrets)."""

    person: str
    role: str
    org: str
    status: Literal["terdaftar", "belum", "dicabut"]
    enrolled_at: datetime | None = None
    enrolled_by: str | None = None
    last_used_at: datetime | None = None
    locked_until: datetime | None = None


class LinkGrant(_Frozen):
    """What a valid approval link grants: one person, one gate round, one exact text."""

    link_id: str
    person: str
    incident_id: str
    flow_run_id: str
    pause_key: str
    text_hash: str = Field(description="SHA-256 (hex) of the text the link was sent for.")
    via: str = Field(description="How it reached the person, from their roster contact: 'email', 'telegram'…")
    issued_at: datetime
    expires_at: datetime


class IdentityError(Exception):
    """An identity act cannot be done as asked (the message says why, Indonesian first)."""


class NotInRoster(IdentityError):
    pass


class EnrolmentRefused(IdentityError):
    """Re-enrolling without a valid current code (or ``replace``), or revoking what is not enrolled."""

    def __init__(self, message: str, refusal: Refusal | None = None):
        super().__init__(message)
        self.refusal = refusal


class CredentialKeyError(IdentityError):
    """The credential key is missing, malformed, or not the key the secrets were encrypted with."""


def both(link: Proof, code: Proof) -> Proof | Refusal:
    """A link proof and a TOTP proof of the same person → one 'tautan+totp' proof."""
    if link.method != "tautan" or code.method != "totp":
        raise ValueError(f"both() combines a 'tautan' and a 'totp' proof, not {link.method!r} and {code.method!r}")
    if link.person != code.person:
        return Refusal(
            code="other_person",
            reason=f"tautan milik {link.person}, kode TOTP milik {code.person} (link and code are of different people)",
            person=link.person,
        )
    return Proof(
        method="tautan+totp", person=link.person, description=f"{link.description} + kode TOTP", at=max(link.at, code.at)
    )
