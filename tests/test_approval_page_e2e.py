"""The approval page end to end: a served runbook opens its holding-statement round, the approval
e-mail reaches a real SMTP server (aiosmtpd), and headless Chromium (Debian's ``chromium`` driven by
Playwright; no browser is downloaded) opens the link from the e-mail, reads the draft, decides, and
the run publishes. The same link again, and an expired one, are refused."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from pasopati.db import get_database
from pasopati.decisions.gates import GATE_HOLDING, GATE_VERIFICATION
from pasopati.identity import links
from pasopati.plan.runbook import MessageType
from pasopati.publications.models import PublicationStatus
from pasopati.time import utcnow
from tests.driver import approvers, code, trigger, wait_for_gate
from tests.notify_receivers import Mail, SMTPInbox
from tests.records import records
from tests.test_human_gates import address_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served")]
CHROMIUM = Path("/usr/bin/chromium")
LINK = re.compile(r"(http://\S+/setuju/[A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def needs_chromium() -> None:
    if not CHROMIUM.exists():
        missing = "Debian's chromium is not installed (apt-get install chromium; scripts/test.sh does it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {missing}")
        pytest.skip(missing)


@contextmanager
def chromium() -> Iterator[Page]:
    """A page of headless Chromium from Debian (scripts/test.sh installs it), never a downloaded one.
    Opened only around the browsing: Playwright's sync API keeps an event loop running in this
    thread, under which Prefect's sync-compatible calls (run_deployment) would return coroutines."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def approval_mail(inbox: SMTPInbox, name: str, marker: str, timeout: float = 60) -> Mail:
    """The approval request to ``name`` about the incident whose summary holds ``marker``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in list(inbox.messages):
            if address_of(name) in mail.rcpt_tos and "Mohon persetujuan" in mail.subject and marker in mail.body:
                return mail
        time.sleep(0.3)
    raise AssertionError(f"no approval e-mail to {name} about {marker} within {timeout} s")


def cancel(run_id: UUID) -> None:
    from prefect import get_client
    from prefect.states import Cancelled

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Cancelled(message="test done"), force=True)


def test_an_approver_decides_from_the_emailed_link_and_the_run_publishes(team_inbox: SMTPInbox, intake_url: str) -> None:
    marker = f"uji-tautan-{uuid.uuid4().hex[:8]}"
    run_id = trigger("keamanan-ketertiban", "ringan", "Lapas Cipinang", f"Satu warga binaan melarikan diri ({marker})")
    wait_for_gate(run_id, GATE_HOLDING)
    (kepala,) = approvers(run_id)
    mail = approval_mail(team_inbox, kepala, marker)
    link = LINK.search(mail.body)
    assert link and link.group(1).startswith(f"{intake_url}/setuju/"), mail.body
    url = link.group(1)
    incident = records().incident_for_run(str(run_id))
    awaiting = {d.body for d in records().drafts(incident.id, latest=True) if d.message_type is MessageType.HOLDING_STATEMENT}

    with chromium() as page:
        shown = page.goto(url)
        assert shown is not None and shown.status == 200
        assert "script-src" not in shown.headers["content-security-policy"] and shown.headers["referrer-policy"] == "no-referrer"
        assert set(page.locator("pre.teks").all_text_contents()) == awaiting, "the exact texts, as they will be published"
        page.check("input[value=approve]")
        page.fill("#reason", "Sesuai fakta, dari ponsel")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "Keputusan Anda tercatat" in page.content(), page.content()
        wait_for_gate(run_id, GATE_VERIFICATION)

    store = records()
    (decision,) = [d for d in store.decisions(incident.id) if d.accepted]
    assert (decision.approver, decision.via, decision.round_key) == (kepala, "halaman-persetujuan", GATE_HOLDING)
    assert (decision.proof or "").startswith("tautan sekali pakai ke kontak sendiri (email)")
    published = [p for p in store.publications(incident.id) if p.status is PublicationStatus.SENT]
    assert published and {store.draft(p.draft_id).body for p in published} == awaiting, "published exactly what was read"

    with get_database().write() as session:  # an expired link, issued through the service
        expired = links.issue_link(session, person=kepala, incident_id=incident.id, flow_run_id=str(run_id), pause_key=GATE_HOLDING,
                                   text_hash="0" * 64, now=utcnow() - timedelta(hours=2), expires_at=utcnow() - timedelta(minutes=1))
    with chromium() as page:
        again = page.goto(url)
        assert again is not None and again.status == 410 and "sudah dipakai" in page.content()
        reused = page.request.post(url, form={"verdict": "approve"})
        assert reused.status == 410
        gone = page.goto(f"{intake_url}/setuju/{expired}")
        assert gone is not None and gone.status == 410 and "kedaluwarsa" in page.content()
    assert len(records().decisions(incident.id)) == 1, "refused links wrote no decision"
    cancel(run_id)


def test_at_berat_the_page_asks_for_the_code_as_second_factor(team_inbox: SMTPInbox) -> None:
    marker = f"uji-tautan-{uuid.uuid4().hex[:8]}"
    run_id = trigger("keamanan-ketertiban", "berat", "Lapas Cipinang", f"Tiga warga binaan melarikan diri ({marker})")
    wait_for_gate(run_id, GATE_HOLDING)
    (dirjen,) = approvers(run_id)
    url = LINK.search(approval_mail(team_inbox, dirjen, marker).body).group(1)  # type: ignore[union-attr]

    with chromium() as page:
        shown = page.goto(url)
        assert shown is not None and shown.status == 200
        page.check("input[value=approve]")
        page.fill("#code", code(dirjen))
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "Keputusan Anda tercatat" in page.content(), page.content()
    wait_for_gate(run_id, GATE_VERIFICATION)
    incident = records().incident_for_run(str(run_id))
    (decision,) = [d for d in records().decisions(incident.id) if d.accepted]
    assert decision.approver == dirjen and decision.proof and "kode TOTP" in decision.proof and decision.proof.startswith("tautan")
    cancel(run_id)
