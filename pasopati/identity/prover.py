"""Proof that the person named in a human act is that person (pasopati.identity), for every gate.

An act carries a TOTP code (CLI ``--code``, the UI form's code field) or an approval-link token
(the approval page), or both. ``Prover.prove`` checks them inside the act's own transaction:

- a code: the claimed person's authenticator, for a step not older than the round it answers;
- a link: single use, unexpired, sent to exactly this person for exactly this round and text;
- at berat and luar-biasa a link alone is not enough: the code is the second factor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from pasopati.identity import links, service
from pasopati.identity.keys import KeyProvider, configured_key
from pasopati.identity.models import Proof, Refusal
from pasopati.plan.roster import Person
from pasopati.plan.runbook import Severity
from pasopati.time import utcnow

# Severities whose approvals need two factors on the approval page (the issue; DOMAIN.md: national scale).
STRONG = frozenset({Severity.BERAT, Severity.LUAR_BIASA})


class Claim(Protocol):
    """What an act offers as proof (the answer models of every gate have these fields)."""

    code: str | None
    link_token: str | None


class Round(Protocol):
    """The round an act answers (pasopati.decisions.tables.GateRoundRow): its pause key, when it
    opened (a code must not be older), the full hash of the text it showed (links are bound to it)."""

    pause_key: str
    opened_at: datetime
    text_hash: str | None


RECEIVED_SLACK = timedelta(minutes=2)


@dataclass
class Prover:
    """Checks proofs with the credential key; one per process (the key is read once)."""

    key: KeyProvider = field(default_factory=configured_key)
    # When a one-shot caller (a CLI command) received the code: its window is judged from then, not
    # from when the store's write lock was obtained (under load that wait outlasted a 30-second step).
    # At most RECEIVED_SLACK old; long-lived provers (the page, the run) leave it None.
    received_at: datetime | None = None

    def prove(self, session: Session, person: Person, claim: Claim, round_: Round, *, strong: bool,
              incident_id: str | None = None, flow_run_id: str | None = None) -> Proof | Refusal:
        """A Proof naming ``person``, or the Refusal (already recorded in ``session``)."""
        now = utcnow()
        if self.received_at is not None and timedelta(0) <= now - self.received_at <= RECEIVED_SLACK:
            now = self.received_at
        ids = {"incident_id": incident_id, "flow_run_id": flow_run_id}
        if claim.link_token:
            # Look first, spend last: a link offered for someone else, or without its second factor,
            # stays usable by the person it was sent to.
            grant = links.peek_link(session, claim.link_token, now=now)
            if isinstance(grant, Refusal):
                return grant
            if grant.person != person.name:
                return Refusal(code="other_person", reason=f"tautan ini dikirim kepada {grant.person}, bukan {person.name}", person=person.name)
            if (grant.pause_key, grant.text_hash) != (round_.pause_key, round_.text_hash or ""):
                # Another round or another text: redeem_link refuses and records it; no code is spent on it.
                refused = links.redeem_link(session, claim.link_token, pause_key=round_.pause_key, text_hash=round_.text_hash or "", now=now)
                return refused if isinstance(refused, Refusal) else Refusal(
                    code="other_gate", person=person.name, reason="tautan ini untuk ronde atau teks lain")
            if strong:
                if not claim.code:
                    return Refusal(code="wrong_code", person=person.name,
                                   reason="pada tingkat berat dan luar biasa, tautan harus disertai kode TOTP (faktor kedua)")
                coded = service.verify_code(session, person.name, claim.code, not_before=round_.opened_at, now=now, key=self.key, **ids)
                if isinstance(coded, Refusal):
                    return coded
            redeemed = links.redeem_link(session, claim.link_token, pause_key=round_.pause_key, text_hash=round_.text_hash or "", now=now)
            if isinstance(redeemed, Refusal) or not strong:
                return redeemed
            return Proof(method="tautan+totp", person=person.name, at=now,
                         description="tautan sekali pakai ke kontak sendiri + kode TOTP dari aplikasi autentikator")
        if not claim.code:
            return Refusal(code="wrong_code", person=person.name,
                           reason=f"tanpa bukti identitas: {person.name} harus menyertakan kode TOTP (--code) atau membuka tautan persetujuannya")
        return service.verify_code(session, person.name, claim.code, not_before=round_.opened_at, now=now, key=self.key, **ids)
