"""Roster people with real TOTP credentials, for tests: enrolled through ``pasopati.identity`` and
answering with the code their authenticator app would show — each time step used once (RFC 6238
§5.2), waiting for the next step when a person acts faster than their app can give codes."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

from pasopati.db import Database
from pasopati.decisions import service as decisions
from pasopati.decisions.models import ApprovalAnswer, Decision, Verdict
from pasopati.drafts.models import Draft
from pasopati.identity import codes, service
from pasopati.identity.keys import KeyProvider, configured_key
from pasopati.identity.prover import Prover
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan


class Authenticators:
    """One authenticator app per enrolled person; ``code(name)`` gives a fresh, unused code."""

    def __init__(self, db: Database, key: KeyProvider | None = None):
        self.db, self.key = db, key or configured_key()
        self.secrets: dict[str, str] = {}
        self.last_step: dict[str, int] = {}
        self.lock = threading.Lock()

    def enrol(self, *names: str) -> Authenticators:
        for name in names:
            person = catalog().roster.person_named(name)
            assert person is not None, f"{name!r} is not in the roster"
            if person.name in self.secrets:
                continue
            enrolment = service.enrol(self.db, person.name, by="uji", replace=True, key=self.key)
            self.secrets[person.name] = parse_qs(urlparse(enrolment.provisioning_uri).query)["secret"][0]
        return self

    def enrol_everyone(self) -> Authenticators:
        return self.enrol(*(p.name for p in catalog().roster.people))

    def code(self, name: str, *, not_before: datetime | None = None) -> str:
        """The code of the earliest step the verifier still accepts for ``name``: after their last
        used step, not before ``not_before``'s step minus one, within one step of now."""
        person = catalog().roster.person_named(name)
        assert person is not None, f"{name!r} is not in the roster"
        self.enrol(person.name)
        with self.lock:
            while True:
                now = codes.step_of(datetime.now(UTC))
                floor = codes.step_of(not_before) - 1 if not_before else now - codes.VALID_WINDOW
                step = max(self.last_step.get(person.name, 0) + 1, floor, now - codes.VALID_WINDOW + 1)
                if step <= now + codes.VALID_WINDOW:
                    self.last_step[person.name] = step
                    return codes.code_at(self.secrets[person.name], codes.step_start(step))
                time.sleep(0.2)


def decide(
    db: Database, auth: Authenticators, incident: Incident, plan: RunbookPlan, gate: str, seed: list[Draft], verdict: Verdict, approver: str,
    *, reason: str = "", edits: dict[str, str] | None = None, code: str | None = None, via: str = "uji", override: str = "",
) -> Decision:
    """A decision as the CLI makes it: at the round now open, naming the text shown, with the
    approver's code (or ``code`` as given: a wrong one, an old one)."""
    step = decisions.step(db, incident, plan, gate, seed, catalog().roster)
    in_roster = catalog().roster.person_named(approver) is not None
    given = code if code is not None else (auth.code(approver) if in_roster else "000000")
    answer = ApprovalAnswer(
        verdict=verdict, approver=approver, reason=reason, edits=edits or {}, via=via, round_key=step.key, text_hash=step.text_hash,
        code=given, privacy_override=override,
    )
    return decisions.submit(db, incident, plan, gate, seed, answer, catalog().roster, Prover(key=auth.key))
