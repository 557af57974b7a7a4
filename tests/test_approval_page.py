"""The approval page and its links, against the store (SQLite and PostgreSQL), without a Prefect
server: links go once per round to exactly those who may decide; the page shows the drafts as text;
a decision made with a link is recorded through decisions.service.submit with a 'tautan' proof;
used, expired, stale and other people's links are refused; bad input never makes a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pasopati.approvals import sending
from pasopati.approvals.limits import LinkBudget
from pasopati.approvals.web import router
from pasopati.audit import service as audit
from pasopati.db import Database
from pasopati.decisions import service as decisions
from pasopati.decisions.gates import GATE_HOLDING, pause_key
from pasopati.decisions.models import ApprovalAnswer, GateStep, Verdict
from pasopati.drafts.models import Draft
from pasopati.facts import service as facts
from pasopati.identity import links
from pasopati.identity.prover import Prover
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Escalation, Incident
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import RunbookPlan, Severity
from pasopati.settings import get_settings
from pasopati.team.delivery import Delivery
from pasopati.time import utcnow
from tests.people import Authenticators
from tests.people import decide as decide_by_code
from tests.test_store import opened, stored_draft

TRICKY = "PERNYATAAN <script>alert('x')</script> & <b>tebal</b>\n```\nblok kode\n```\n**bukan tebal** [tautan](http://contoh.example)\n"
TOKEN = re.compile(r"/setuju/([A-Za-z0-9_-]+)")


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@dataclass
class Outbox:
    """apprise stood in for: every (contact, title, body) the team service would have sent."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self, messages: list[tuple[str, str, str]]) -> list[Delivery]:
        self.sent += messages
        return [Delivery(contact=contact, ok=True) for contact, _, _ in messages]

    def tokens(self, contact_part: str = "") -> list[str]:
        return [m.group(1) for contact, _, body in self.sent if contact_part in contact for m in [TOKEN.search(body)] if m]


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Outbox:
    box = Outbox()
    monkeypatch.setattr("pasopati.team.service.send_many", box)
    return box


@dataclass
class Crisis:
    db: Database
    cat: Catalog
    incident: Incident
    plan: RunbookPlan
    draft: Draft

    def step(self) -> GateStep:
        return decisions.step(self.db, self.incident, self.plan, GATE_HOLDING, [self.draft], self.cat.roster)

    def send(self) -> list[str]:
        return [n.person for n in sending.send_links(self.db, self.incident, self.plan, self.step(), cat=self.cat)]

    def holders(self, escalated: bool = False) -> list[str]:
        unit = self.cat.roster.find_unit(self.incident.unit_id)
        assert unit is not None
        approval = self.plan.plan.approval
        ref = approval.escalate_to if escalated else approval.authority
        assert ref is not None
        return [p.name for p in self.cat.roster.holders(ref, unit)]

    def contact(self, name: str) -> str:
        person = self.cat.roster.person_named(name)
        assert person is not None
        return person.contact

    def decisions(self) -> list:  # type: ignore[type-arg]
        return decisions.decisions(self.db, self.incident.id)


def crisis(db: Database, cat: Catalog, severity: Severity, body: str = TRICKY) -> Crisis:
    incident = opened(db, cat, "keamanan-ketertiban", severity)
    return Crisis(db, cat, incident, cat.plan("keamanan-ketertiban", severity), stored_draft(db, incident, body=body))


@dataclass
class Page:
    client: TestClient
    woken: list[tuple[str, str]]

    def get(self, token: str):  # type: ignore[no-untyped-def]
        return self.client.get(f"/setuju/{token}")

    def post(self, token: str, **fields: str):  # type: ignore[no-untyped-def]
        return self.client.post(f"/setuju/{token}", data=fields)


@pytest.fixture
def page(db: Database, cat: Catalog) -> Iterator[Page]:
    woken: list[tuple[str, str]] = []

    def wake(flow_run_id: str, key: str) -> str:
        woken.append((flow_run_id, key))
        return "lanjut"

    app = FastAPI()
    app.include_router(router(db, lambda: cat, prover=Prover, wake=wake, budget=LinkBudget(limit=3)))  # type: ignore[arg-type]
    with TestClient(app) as client:
        yield Page(client, woken)


def events(db: Database) -> int:
    return len(audit.events(db))


def test_links_go_once_per_round_to_exactly_those_who_may_decide(db: Database, cat: Catalog, outbox: Outbox) -> None:
    sedang = crisis(db, cat, Severity.SEDANG)
    (kakanwil,) = sedang.holders()
    assert sedang.send() == [kakanwil]
    (contact, title, body), = outbox.sent
    assert contact == sedang.contact(kakanwil) and "Mohon persetujuan" in title and sedang.incident.unit_name in title
    assert f"Yth. {kakanwil}" in body and f"{get_settings().public_base_url}/setuju/" in body and "Tenggat" in body
    issued = [e for e in audit.events(db) if e.kind == "identity.link_issued"]
    assert [e.details["person"] for e in issued] == [kakanwil] and issued[0].details["pause_key"] == GATE_HOLDING
    assert issued[0].details["text_hash"] == sedang.step().text_hash, "bound to the round's full text hash"
    assert not any(TOKEN.search(str(e.details)) or outbox.tokens()[0] in str(e.details) for e in audit.events(db)), "no token in the log"

    assert sedang.send() == [] and len(outbox.sent) == 1, "asked again for the same round: nothing goes out twice"
    incidents.escalate_deadline(db, Escalation(incident_id=sedang.incident.id, severity=Severity.SEDANG, kind="approval",
                                               subject=GATE_HOLDING, to_role="dirjen", reason="tenggat terlewati", at=utcnow()), None)
    assert sedang.send() == sedang.holders(escalated=True), "once escalated, the delegate gets a link too (only them)"
    assert len([e for e in audit.events(db) if e.kind == "identity.link_issued"]) == 2

    # luar-biasa: both ministers; after one approved, the next round's link goes to the other only.
    luar_biasa = crisis(db, cat, Severity.LUAR_BIASA)
    first, second = luar_biasa.holders()
    assert sorted(luar_biasa.send()) == sorted([first, second])
    auth = Authenticators(db)
    assert decide_by_code(db, auth, luar_biasa.incident, luar_biasa.plan, GATE_HOLDING, [luar_biasa.draft], Verdict.APPROVE, first).accepted
    assert luar_biasa.step().key == pause_key(GATE_HOLDING, 2)
    assert luar_biasa.send() == [second]


def test_the_page_shows_the_exact_text_escaped_with_facts_deadline_and_strict_headers(
    db: Database, cat: Catalog, outbox: Outbox, page: Page
) -> None:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.RINGAN)
    plan = cat.plan("keamanan-ketertiban", Severity.RINGAN)
    facts.submit(db, incident, plan, {"kapan": "Senin pukul 02.00 WIB"}, source="Kepala UPT", by="Petugas Uji", change="uji-1", via="uji")
    facts.submit(db, incident, plan, {"kapan": "Senin pukul 02.30 WIB"}, source="buku laporan jaga", by="Petugas Uji", change="uji-2", via="uji")
    ringan = Crisis(db, cat, incident, plan, stored_draft(db, incident, body=TRICKY, fact_versions={"kapan": 1}))
    ringan.send()
    (token,) = outbox.tokens()
    before = events(db)
    response = page.get(token)
    assert response.status_code == 200, response.text
    html = response.text
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html, "a draft is text, never markup"
    assert "&lt;b&gt;tebal&lt;/b&gt;" in html and "```\nblok kode\n```" in html and "**bukan tebal** [tautan](http://contoh.example)" in html
    assert "Situs dan akun media sosial resmi UPT" in html, "each channel that publishes it, by title"
    assert ringan.incident.unit_name in html and "Tenggat" in html and "WIB" in html and "belum ada" in html
    assert 'name="verdict" value="approve"' in html and 'name="code"' not in html, "ringan: the link alone proves the person"
    kapan = re.search(r"<tr>\s*<td>[^<]*</td>\s*<td>Senin pukul 02.30 WIB</td>.*?</tr>", html, re.DOTALL)
    assert kapan, "the current version of each fact"
    assert all(part in kapan.group(0) for part in ("buku laporan jaga", "v2", "Petugas Uji", "v1", "usang")), "source, version, who; the stale one the draft states"
    headers = response.headers
    assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert not re.search(r"<(script|img|link|iframe)\b", html) and "http://" not in html.replace("http://contoh.example", "")
    assert page.get(token).status_code == 200 and events(db) == before, "looking writes nothing and consumes nothing"


def test_approving_with_a_valid_link_records_a_proven_decision_once(db: Database, cat: Catalog, outbox: Outbox, page: Page) -> None:
    ringan = crisis(db, cat, Severity.RINGAN)
    ringan.send()
    (token,) = outbox.tokens()
    (kepala,) = ringan.holders()
    response = page.post(token, verdict="approve", reason="Sesuai fakta", approver="Orang Lain")
    assert response.status_code == 200, response.text
    assert "Keputusan Anda tercatat" in response.text and "tautan sekali pakai" in response.text
    (decision,) = ringan.decisions()
    assert decision.accepted and decision.approver == kepala, "the name is the link's person, never a form field"
    assert decision.via == "halaman-persetujuan" and (decision.proof or "").startswith("tautan") and decision.round_key == GATE_HOLDING
    assert page.woken == [(ringan.incident.flow_run_id, GATE_HOLDING)]
    assert decisions.approvers(db, ringan.draft) == {kepala}

    before = events(db)
    again = page.post(token, verdict="approve")
    assert again.status_code == 410 and "sudah dipakai" in again.text
    assert page.get(token).status_code == 410 and len(ringan.decisions()) == 1 and events(db) == before


def test_expired_unknown_and_malformed_links_are_refused_without_writing(db: Database, cat: Catalog, outbox: Outbox, page: Page) -> None:
    ringan = crisis(db, cat, Severity.RINGAN)
    step = ringan.step()
    (kepala,) = ringan.holders()
    with db.write() as session:
        expired = links.issue_link(session, person=kepala, incident_id=ringan.incident.id, flow_run_id=ringan.incident.flow_run_id or "",
                                   pause_key=step.key or "", text_hash=step.text_hash or "", now=utcnow() - timedelta(hours=2),
                                   expires_at=utcnow() - timedelta(hours=1), roster=cat.roster)
    before = events(db)
    assert page.get(expired).status_code == 410 and "kedaluwarsa" in page.get(expired).text
    assert page.post(expired, verdict="approve").status_code == 410
    for token in ["A" * 43, "tidak-ada-tautan-seperti-ini-sama-sekali", "x", "../../etc", "%3Cscript%3E" + "a" * 40]:
        assert page.get(token).status_code == 404 and page.post(token, verdict="approve").status_code == 404
    assert events(db) == before and ringan.decisions() == [], "unknown and dead links never reach the audit log"


def test_a_link_for_a_round_decided_meanwhile_or_for_another_text_is_refused(db: Database, cat: Catalog, outbox: Outbox, page: Page) -> None:
    luar_biasa = crisis(db, cat, Severity.LUAR_BIASA)
    first, second = luar_biasa.holders()
    luar_biasa.send()
    token = outbox.tokens(luar_biasa.contact(second).partition("?")[0])[0]
    # The first minister edits the text through the CLI path: the round closes, the text is new.
    auth = Authenticators(db)
    edited = luar_biasa.draft.body.replace("PERNYATAAN", "PERNYATAAN (disunting)")
    assert decide_by_code(db, auth, luar_biasa.incident, luar_biasa.plan, GATE_HOLDING, [luar_biasa.draft], Verdict.EDIT, first,
                          reason="judul", edits={luar_biasa.draft.id: edited}).accepted
    shown = page.get(token)
    assert shown.status_code == 409 and "sudah diputuskan" in shown.text and first in shown.text
    refused = page.post(token, verdict="approve", code=auth.code(second))
    assert refused.status_code == 409 and "sudah diputuskan lebih dulu" in refused.text and first in refused.text
    last = luar_biasa.decisions()[-1]
    assert not last.accepted and last.approver == second and last.via == "halaman-persetujuan", "the refusal is recorded"
    assert page.post(token, verdict="approve").status_code == 409
    assert page.post(token, verdict="approve").status_code == 409
    assert page.post(token, verdict="approve").status_code == 429, "one link writes a bounded number of refusals"
    assert len(luar_biasa.decisions()) == 4

    # The next round: a fresh link, and its page shows what the edit changed.
    assert luar_biasa.send() == [second]
    fresh = outbox.tokens(luar_biasa.contact(second).partition("?")[0])[-1]
    html = page.get(fresh).text
    assert "Perubahan dari revisi sebelumnya" in html and "+PERNYATAAN (disunting)" in html and first in html

    # A link bound to another text than the round shows is refused too.
    step = luar_biasa.step()
    with db.write() as session:
        stale = links.issue_link(session, person=second, incident_id=luar_biasa.incident.id, flow_run_id="run", pause_key=step.key or "",
                                 text_hash="0" * 64, expires_at=utcnow() + timedelta(hours=1), roster=cat.roster)
    assert page.get(stale).status_code == 409 and "Teks sudah berubah" in page.get(stale).text
    assert page.post(stale, verdict="approve", code=auth.code(second)).status_code == 409
    assert "teks berubah" in (luar_biasa.decisions()[-1].refusal or "")


def test_at_berat_a_link_needs_the_code_too(db: Database, cat: Catalog, outbox: Outbox, page: Page) -> None:
    berat = crisis(db, cat, Severity.BERAT)
    berat.send()
    (token,) = outbox.tokens()
    (dirjen,) = berat.holders()
    assert 'name="code"' in page.get(token).text
    before = events(db)
    missing = page.post(token, verdict="approve")
    assert missing.status_code == 422 and "kode TOTP" in missing.text and events(db) == before, "asked again, nothing recorded"

    # Through the service: a link without the code is refused (and recorded).
    step = berat.step()
    with db.write() as session:
        alone = links.issue_link(session, person=dirjen, incident_id=berat.incident.id, flow_run_id="run", pause_key=step.key or "",
                                 text_hash=step.text_hash or "", expires_at=utcnow() + timedelta(hours=1), roster=cat.roster)
    answer = ApprovalAnswer(verdict=Verdict.APPROVE, approver=dirjen, via="halaman-persetujuan", round_key=step.key,
                            text_hash=step.text_hash, link_token=alone)
    refused = decisions.submit(db, berat.incident, berat.plan, GATE_HOLDING, [berat.draft], answer, cat.roster, Prover())
    assert not refused.accepted and "faktor kedua" in (refused.refusal or "")

    auth = Authenticators(db).enrol(dirjen)
    with db.write() as session:
        typo = links.issue_link(session, person=dirjen, incident_id=berat.incident.id, flow_run_id="run", pause_key=step.key or "",
                                text_hash=step.text_hash or "", expires_at=utcnow() + timedelta(hours=1), roster=cat.roster)
    wrong = page.post(typo, verdict="approve", code="000000")
    assert wrong.status_code == 403 and "kode salah" in wrong.text and "tidak berlaku lagi" not in wrong.text
    assert page.get(typo).status_code == 200, "a wrong code does not use the link up (the code is checked before the link is spent)"

    accepted = page.post(token, verdict="approve", code=auth.code(dirjen))
    assert accepted.status_code == 200, accepted.text
    decision = berat.decisions()[-1]
    assert decision.accepted and decision.approver == dirjen and decision.proof and decision.proof.startswith("tautan sekali pakai")
    assert "kode TOTP" in decision.proof


def test_one_persons_link_never_decides_as_someone_else(db: Database, cat: Catalog, outbox: Outbox, page: Page) -> None:
    luar_biasa = crisis(db, cat, Severity.LUAR_BIASA)
    first, second = luar_biasa.holders()
    luar_biasa.send()
    token_first = outbox.tokens(luar_biasa.contact(first).partition("?")[0])[0]
    step = luar_biasa.step()
    auth = Authenticators(db)
    answer = ApprovalAnswer(verdict=Verdict.APPROVE, approver=second, via="halaman-persetujuan", round_key=step.key,
                            text_hash=step.text_hash, link_token=token_first, code=auth.code(second))
    refused = decisions.submit(db, luar_biasa.incident, luar_biasa.plan, GATE_HOLDING, [luar_biasa.draft], answer, cat.roster, Prover())
    assert not refused.accepted and f"dikirim kepada {first}" in (refused.refusal or "")
    assert decisions.approvers(db, luar_biasa.draft) == set()


def test_bad_input_is_answered_never_with_a_500(db: Database, cat: Catalog, outbox: Outbox, page: Page) -> None:
    ringan = crisis(db, cat, Severity.RINGAN)
    ringan.send()
    (token,) = outbox.tokens()
    url = f"/setuju/{token}"
    before = events(db)
    checks = [
        (page.client.post(url, content=b"\xff\xfe\x00garbage", headers={"content-type": "application/x-www-form-urlencoded"}), 422),
        (page.client.post(url, content=b""), 422),
        (page.post(token, verdict="setuju-saja"), 422),
        (page.post(token, verdict="reject"), 422),  # a rejection needs a reason
        (page.post(token, verdict="approve", reason="x" * 5000), 422),
        (page.post(token, verdict="edit", teks_holding_statement_id=ringan.draft.body), 422),  # nothing edited
        (page.post(token, verdict="approve", teks_holding_statement_id="lain"), 422),  # changed text, yet "approve"
        (page.post(token, verdict="edit", teks_holding_statement_id="y" * 30_000), 422),
        (page.client.post(url, content=b"verdict=approve&" + b"a=1&" * 100, headers={"content-type": "application/x-www-form-urlencoded"}), 413),
        (page.client.post(url, content=b"teks=" + b"z" * 600_000, headers={"content-type": "application/x-www-form-urlencoded"}), 413),
        (page.client.post(url, json={"verdict": "approve"}), 422),
    ]
    assert [status for response, status in checks] == [response.status_code for response, _ in checks], [r.text[:300] for r, _ in checks]
    assert events(db) == before and ringan.decisions() == [], "none of these was a decision: nothing recorded"
    edited = page.post(token, verdict="edit", reason="dirapikan", teks_holding_statement_id="Teks baru\r\n<i>tetap teks</i>\r\n")
    assert edited.status_code == 200, edited.text
    (decision,) = ringan.decisions()
    (_, diff), = decision.diffs.items()
    assert "+<i>tetap teks</i>" in diff and "\r" not in diff
