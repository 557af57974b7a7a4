"""Publishing under faults, at the receiver: a real HTTP server (tests/fakes), a real outbox on a
real full disk, a real killed process. Fast tier: no Prefect server. Issue 11's "Safety" list."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pasopati.audit import service as audit
from pasopati.db import Database
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.decisions.models import Verdict
from pasopati.drafts.models import Draft
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.channels import ChannelsConfig, OutboxConfig, WebhookConfig
from pasopati.plan.runbook import Severity
from pasopati.publications import sending
from pasopati.publications import service as publications
from pasopati.publications.models import DeliveryStatus, PublicationStatus
from pasopati.settings import Settings, get_settings
from tests.fakes.server import Fault
from tests.fakes.webhook import FakeWebhook
from tests.people import Authenticators, decide
from tests.test_store import authority, opened, stored_draft

CHANNEL = "akun-upt"


@pytest.fixture
def receiver() -> Iterator[FakeWebhook]:
    api = FakeWebhook()
    yield api
    api.stop()


def quick(**update: object) -> Settings:
    """Backoff of 50 ms so a test of three attempts takes a fraction of a second."""
    return get_settings().model_copy(update={"publish_retry_seconds": 0.05, "publish_backoff_max_seconds": 0.2,
                                             "publish_lookup_delay_seconds": 0.05, **update})


def on(cat: Catalog, config: object) -> Catalog:
    channels = dict(cat.channels.channels) | {CHANNEL: config}
    return dataclasses.replace(cat, channels=ChannelsConfig(channels=channels, statement_url=cat.channels.statement_url))


def webhook(api: FakeWebhook, **extra: object) -> WebhookConfig:
    return WebhookConfig(title="Uji", adapter="webhook", url=api.hook, timeout_seconds=1, **extra)  # type: ignore[arg-type]


def journalist_list(tmp_path: Path, port: int, listed: list[str], **update: object) -> tuple[Catalog, Settings]:
    """CHANNEL as an e-mail channel to ``tmp_path/wartawan.yaml`` (written with ``listed``) at the
    SMTP server on ``port``, and quick settings reading that channels folder."""
    from pasopati.plan.channels import EmailConfig

    (tmp_path / "channels.yaml").write_text("")
    (tmp_path / "wartawan.yaml").write_text("".join(f"- {address}\n" for address in listed))
    cat = on(load_catalog(), EmailConfig(title="Uji", adapter="email", host="127.0.0.1", port=port, security="none",
                                         sender="humas@ditjenpas.go.id", recipients_file=Path("wartawan.yaml")))
    return cat, quick(channels_file=tmp_path / "channels.yaml", **update)


def left_sending_by_a_dead_worker(db: Database, incident: Incident, draft: Draft, channel: str, cat: Catalog) -> str:
    """Claim ``draft`` on ``channel`` and write its delivery ahead as a process on another host did
    two hours ago and then died (its lease long over). Returns the delivery's id."""
    from datetime import timedelta

    from pasopati.publications.tables import DeliveryRow
    from pasopati.time import utcnow

    _, _, (delivery,) = publications.claim(db, incident, draft.id, draft.content_hash, channel, cat, [("", 0)])
    publications.write_ahead(db, [delivery.id], "pekerja-lain:4242:1")
    with db.write() as session:
        row = session.get(DeliveryRow, delivery.id)
        assert row is not None
        row.started_at = utcnow() - timedelta(hours=2)
    return delivery.id


def approved(db: Database, cat: Catalog) -> tuple[Incident, Draft]:
    incident = opened(db, cat, "kesehatan", Severity.SEDANG)
    draft = stored_draft(db, incident, body="Lapas Cipinang sedang menangani peristiwa di blok hunian dan akan menyampaikan perkembangan.")
    plan = cat.plan(incident.category, incident.severity)
    assert decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, authority(cat, incident)[0]).accepted
    return incident, draft


def test_a_500_is_retried_with_backoff_and_posted_once(db: Database, receiver: FakeWebhook) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident, draft = approved(db, cat)
    receiver.fail_next(Fault.status(500), Fault.status(503))
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    assert publication.status is PublicationStatus.SENT and len(receiver.posts) == 1
    assert receiver.posts[0]["body"] == draft.body and receiver.posts[0]["key"]
    times = [r.at for r in receiver.calls()]
    # Exponential backoff from 50 ms (jitter adds, never subtracts): ≥ 50 ms, then ≥ 100 ms.
    assert len(times) == 3 and times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1
    (delivery,) = publications.deliveries(db, publication.id)
    assert delivery.attempts == 1 and delivery.location == f"{receiver.url}/hook/1" and delivery.accepted_at is not None


def test_retry_after_is_honoured(db: Database, receiver: FakeWebhook) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident, draft = approved(db, cat)
    receiver.fail_next(Fault.status(429, retry_after=1))
    assert sending.publish(db, incident, draft.id, CHANNEL, cat, quick()).status is PublicationStatus.SENT
    first, second = receiver.calls()
    assert second.at - first.at >= 1.0, "Retry-After: 1 means one second, not the 50 ms backoff"
    assert len(receiver.posts) == 1


def test_a_retry_after_beyond_the_limit_fails_now_and_is_not_waited_for(db: Database, receiver: FakeWebhook) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident, draft = approved(db, cat)
    receiver.fail_next(Fault.status(429, retry_after=3600))
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    assert publication.status is PublicationStatus.FAILED and len(receiver.calls()) == 1 and "429" in (publication.error or "")


def test_a_non_retryable_answer_is_not_retried(db: Database, receiver: FakeWebhook) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident, draft = approved(db, cat)
    receiver.fail_next(Fault.status(400, body={"error": "bad field"}))
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    assert len(receiver.calls()) == 1 and receiver.posts == []
    (delivery,) = publications.deliveries(db, publication.id)
    assert delivery.status is DeliveryStatus.REFUSED and "400" in (delivery.error or "")
    # Refused stays refused for a plain retry (the same request would be refused again) …
    assert sending.publish(db, incident, draft.id, CHANNEL, cat, quick()).status is PublicationStatus.FAILED
    assert len(receiver.calls()) == 1
    # … and goes out once the operator says the cause is fixed.
    assert sending.publish(db, incident, draft.id, CHANNEL, cat, quick(), include_refused=True).status is PublicationStatus.SENT
    assert len(receiver.posts) == 1


def test_a_credential_with_a_line_break_is_refused_and_never_stored(
    db: Database, receiver: FakeWebhook, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """requests refuses such a header before sending, quoting its value (the bearer token): that is
    no lost answer (it was 'ambiguous'), and the token must reach no stored error or audit event."""
    monkeypatch.setenv("PASOPATI_SECRET_HOOK_TOKEN", "s3cret-token-value\n")
    cat = on(load_catalog(), webhook(receiver, token_secret="hook-token"))
    incident, draft = approved(db, cat)
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    assert publication.status is PublicationStatus.FAILED and receiver.calls() == []
    (delivery,) = publications.deliveries(db, publication.id)
    assert delivery.status is DeliveryStatus.REFUSED and "Authorization" in (delivery.error or "")
    stored = [delivery.error, publication.error, *(json.dumps(e.details) for e in audit.events(db, incident_id=incident.id))]
    assert not [text for text in stored if "s3cret-token" in (text or "")]


@pytest.mark.parametrize("fault", [Fault.drop(store=True), Fault.timeout(2.0, store=True)], ids=["dropped", "timeout"])
def test_an_answer_lost_after_the_receiver_stored_the_post_is_ambiguous_never_resent(
    db: Database, receiver: FakeWebhook, fault: Fault,
) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident, draft = approved(db, cat)
    receiver.fail_next(fault)
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    assert publication.status is PublicationStatus.AMBIGUOUS and len(receiver.posts) == 1
    for _ in range(2):  # a task retry, a resume, a re-run: nothing is sent again
        assert sending.publish(db, incident, draft.id, CHANNEL, cat, quick()).status is PublicationStatus.AMBIGUOUS
    assert len(receiver.posts) == 1 and len(receiver.calls()) == 1
    (delivery,) = publications.deliveries(db, publication.id)
    resolved = publications.resolve(db, incident, [delivery.id], sent=True, location=f"{receiver.url}/hook/1", by="Kepala Humas",
                                    proof="kode TOTP", why="terlihat di penerima", draft=draft)
    assert resolved is not None and resolved.status is PublicationStatus.SENT and resolved.location == f"{receiver.url}/hook/1"
    assert [e.details["sent"] for e in audit.events(db, incident_id=incident.id) if e.kind == "publication.resolved"] == [True]


def test_an_ambiguous_post_resolved_as_not_sent_goes_out_once(db: Database, receiver: FakeWebhook) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident, draft = approved(db, cat)
    receiver.fail_next(Fault.drop(store=False))
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    assert publication.status is PublicationStatus.AMBIGUOUS and receiver.posts == []
    (delivery,) = publications.deliveries(db, publication.id)
    publications.resolve(db, incident, [delivery.id], sent=False, location=None, by="Kepala Humas", proof="kode", why="tidak ada",
                         draft=draft)
    assert sending.publish(db, incident, draft.id, CHANNEL, cat, quick()).status is PublicationStatus.SENT
    assert len(receiver.posts) == 1


def test_a_deduplicating_receiver_is_sent_again_after_a_lost_answer(db: Database) -> None:
    api = FakeWebhook(deduplicates=True)
    try:
        cat = on(load_catalog(), webhook(api, deduplicates=True))
        incident, draft = approved(db, cat)
        api.fail_next(Fault.drop(store=True))
        assert sending.publish(db, incident, draft.id, CHANNEL, cat, quick()).status is PublicationStatus.SENT
        assert len(api.posts) == 1 and len(api.calls()) == 2  # sent again; the receiver kept one (409)
    finally:
        api.stop()


def test_a_channel_that_stays_down_fails_only_itself(db: Database, receiver: FakeWebhook, tmp_path: Path) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident, draft = approved(db, cat)
    receiver.fail_next(*[Fault.status(503)] * 4)
    settings = quick(outbox_dir=tmp_path / "outbox")
    down = sending.publish(db, incident, draft.id, CHANNEL, cat, settings)
    assert down.status is PublicationStatus.FAILED and len(receiver.calls()) == settings.publish_attempts and receiver.posts == []
    kept = sending.publish(db, incident, draft.id, "media-center", cat, settings)
    assert kept.status is PublicationStatus.SENT and Path(kept.location or "").exists()
    later = sending.publish(db, incident, draft.id, CHANNEL, cat, settings)  # `pasopati publish retry`
    assert later.status is PublicationStatus.SENT and len(receiver.posts) == 1


# --- the outbox on a real full disk ------------------------------------------------------------------
@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: writes beyond it fail with ENOSPC, as on a full disk."""
    mount = tmp_path / "kecil"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs as root and must test the outbox on a full disk")
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs: {done.stderr}")
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_the_outbox_on_a_full_disk_writes_nothing_partial_and_never_records_it_sent(db: Database, tiny_disk: Path) -> None:
    cat = on(load_catalog(), OutboxConfig(title="Uji"))
    incident, draft = approved(db, cat)
    (tiny_disk / "pengisi").write_bytes(b"x" * (60 * 1024))  # leaves less than one page
    big = draft.model_copy(update={"body": draft.body + "\n" + "Keterangan lanjutan. " * 400})
    with db.write() as session:
        from pasopati.drafts.tables import DraftRow

        session.get(DraftRow, draft.id).body = big.body  # type: ignore[union-attr]
    plan = cat.plan(incident.category, incident.severity)
    assert decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [big], Verdict.APPROVE, authority(cat, incident)[0]).accepted
    settings = quick(outbox_dir=tiny_disk)
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, settings)
    assert publication.status is PublicationStatus.FAILED and "disk full" in (publication.error or "")
    assert [p.name for p in tiny_disk.rglob("*") if p.is_file()] == ["pengisi"], "no partial file, no temporary file left"
    (tiny_disk / "pengisi").unlink()  # space again: the retry writes the whole message once
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, settings)
    assert publication.status is PublicationStatus.SENT
    assert Path(publication.location or "").read_text(encoding="utf-8") == big.body


# --- a publisher killed after the remote accepted, before its receipt --------------------------------
KILLED = """
import json, sys
from dataclasses import replace
from pasopati.db import Database
from pasopati.incidents import service as incidents
from pasopati.plan.catalog import load_catalog
from pasopati.plan.channels import ChannelsConfig, WebhookConfig
from pasopati.publications import sending
from pasopati.settings import get_settings
url, db_url, incident_id, draft_id = sys.argv[1:5]
db = Database(db_url)
cat = load_catalog()
cat = replace(cat, channels=ChannelsConfig(channels=dict(cat.channels.channels) | {"akun-upt": WebhookConfig(title="Uji", adapter="webhook", url=url)}))
sending.publish(db, incidents.get(db, incident_id), draft_id, "akun-upt", cat, get_settings())
print("not killed")
"""


def test_a_publisher_killed_between_acceptance_and_receipt_leaves_an_ambiguous_delivery(db: Database, receiver: FakeWebhook) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident, draft = approved(db, cat)
    process = subprocess.Popen([sys.executable, "-c", KILLED, receiver.hook, db.url,
                                incident.id, draft.id], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    receiver.fail_next(Fault.kill(process.pid, store=True))
    out, err = process.communicate(timeout=120)
    assert process.returncode == -9, f"the publisher was to be killed mid-post: {out} {err[-2000:]}"
    assert len(receiver.posts) == 1
    (stuck,) = publications.publications(db, incident.id)
    assert stuck.status is PublicationStatus.SENDING  # the write-ahead record, left by the dead process
    deliveries = publications.deliveries(db, stuck.id)
    assert [d.status for d in deliveries] == [DeliveryStatus.SENDING] and deliveries[0].owner
    again = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())  # a retry, a re-run, the watcher
    assert again.status is PublicationStatus.AMBIGUOUS and len(receiver.posts) == 1 and len(receiver.calls()) == 1
    assert "ended before its receipt" in (publications.deliveries(db, stuck.id)[0].error or "")
    time.sleep(0)  # nothing pending: the receiver saw exactly one post
    assert json.dumps(receiver.posts[0]["body"]) == json.dumps(draft.body)


def test_a_publisher_that_died_but_was_not_reaped_yet_is_not_alive() -> None:
    """A killed publisher whose parent has not collected it (a zombie: its forkserver was killed with
    it and nothing reaps orphans, as under a container's bare init) still has /proc/PID/stat, with
    its start time: it must count as gone, or its ``sending`` deliveries would wait for it forever."""
    import signal
    import socket
    from datetime import timedelta

    from pasopati.publications.owner import _start_ticks, alive
    from pasopati.time import utcnow

    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner, lease = f"{socket.gethostname()}:{process.pid}:{_start_ticks(process.pid)}", timedelta(minutes=15)
        assert alive(owner, utcnow(), lease)
        os.kill(process.pid, signal.SIGKILL)
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # dead, and left unreaped: a zombie
        assert Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        assert not alive(owner, utcnow(), lease)
    finally:
        process.kill()
        process.wait()


def test_a_delivery_a_dead_process_left_is_settled_even_after_a_fact_changed(db: Database, receiver: FakeWebhook) -> None:
    """The watcher sends nothing, so it needs no approval: a figure corrected after the publisher
    died must not leave its delivery "sending" for ever (claim refused it: NotApproved, every pass)."""

    from pasopati.facts import service as facts
    from tests.test_coherence import counted

    cat = on(load_catalog(), webhook(receiver))
    incident, plan, draft, head = counted(db, cat, "jumlah_wbp_terlibat", "3 orang", "Kepala UPT",
                                          "Tiga warga binaan terlibat dalam peristiwa ini.")
    assert decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, head).accepted
    left_sending_by_a_dead_worker(db, incident, draft, CHANNEL, cat)
    facts.submit(db, incident, plan, {"jumlah_wbp_terlibat": "4 orang"}, source="Kepala UPT", by="Uji", change="uji-2", via="uji")
    settled = sending.publish(db, incident, draft.id, CHANNEL, cat, quick(), send=False)
    assert settled.status is PublicationStatus.AMBIGUOUS and receiver.calls() == []
    # … and a send is still refused: the approved figure is no longer the verified one.
    with pytest.raises(publications.NotApproved, match="no longer matches"):
        sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    assert receiver.calls() == []


def test_a_recipients_file_that_cannot_be_read_says_why_in_the_publication_and_its_event(db: Database, tmp_path: Path) -> None:
    from pasopati.plan.channels import EmailConfig

    (tmp_path / "channels.yaml").write_text("")
    (tmp_path / "wartawan.yaml").write_text("- redaksi@kompas.com\n- redaksi kompas\n")
    cat = on(load_catalog(), EmailConfig(title="Uji", adapter="email", host="127.0.0.1", port=9, sender="humas@ditjenpas.go.id",
                                         recipients_file=Path("wartawan.yaml")))
    incident, draft = approved(db, cat)
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick(channels_file=tmp_path / "channels.yaml"))
    assert publication.status is PublicationStatus.FAILED and publication.deliveries_total == 0
    assert "'redaksi kompas' is not an e-mail address" in (publication.error or "")
    (event,) = [e for e in audit.events(db, incident_id=incident.id) if e.kind == "publication.failed"]
    assert "'redaksi kompas'" in event.details["error"]


def test_the_rate_limit_is_the_channels_not_each_publications() -> None:
    """A run publishes a channel's drafts (id, en) one after another: the second must not start a
    fresh window while the first's last sends are still within the remote's second."""
    from pasopati.publications.sending import _channel_limiter

    sent: list[float] = []
    for _ in range(2):  # two publications on the same list channel
        limiter = _channel_limiter("surel-uji-laju", 10.0)
        assert limiter is not None
        for _ in range(15):
            limiter.try_acquire("surel-uji-laju")
            sent.append(time.monotonic())
    assert max(sum(1 for later in sent if at <= later < at + 1.0) for at in sent) <= 10
    assert _channel_limiter("surel-uji-laju", None) is None


def test_resolving_a_channel_with_several_ambiguous_drafts_asks_which(db: Database, receiver: FakeWebhook) -> None:
    """id and en both lost their answer on one channel; the operator finds only the id post. One
    answer for both would record the en post as out (lost) or send the id post again (twice)."""
    from pasopati.publications import operator

    cat = on(load_catalog(), webhook(receiver))
    incident = opened(db, cat, "kesehatan", Severity.SEDANG)
    ids = stored_draft(db, incident, body="Lapas Cipinang sedang menangani peristiwa di blok hunian dan akan menyampaikan perkembangan.")
    en = stored_draft(db, incident, body="Cipinang Prison is handling an incident in a residential block and will share updates.",
                      id=f"{incident.id}-{incident.severity.value}-holding_statement-en", language="en")
    plan = cat.plan(incident.category, incident.severity)
    assert decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [ids, en], Verdict.APPROVE, authority(cat, incident)[0]).accepted
    for draft in (ids, en):
        receiver.fail_next(Fault.drop(store=True))
        assert sending.publish(db, incident, draft.id, CHANNEL, cat, quick()).status is PublicationStatus.AMBIGUOUS
    settle: dict[str, Any] = {"channel": CHANNEL, "recipient": None, "by": "Kepala Humas", "proof": "kode TOTP", "reason": "terlihat di penerima"}
    with pytest.raises(operator.NothingToDo, match=r"2 drafts are ambiguous .*--draft"):
        operator.resolve(db, incident, cat, quick(), sent=True, location=f"{receiver.url}/hook/1", **settle)
    (out,) = operator.resolve(db, incident, cat, quick(), sent=True, location=f"{receiver.url}/hook/1", draft=ids.id, **settle)
    assert out.draft_id == ids.id and out.status is PublicationStatus.SENT
    (again,) = operator.resolve(db, incident, cat, quick(), sent=False, location=None, **settle)
    assert again.draft_id == en.id and again.status is PublicationStatus.SENT and len(receiver.posts) == 3  # each lost once, en again


def test_a_lookup_that_chokes_on_a_hostile_answer_leaves_the_delivery_ambiguous_not_the_watcher_crashed(
    db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """X's timeline answered with ``data`` an object, not a list: the adapter's lookup raised
    AttributeError, which escaped recover() — the watcher's pass failed at that publication (and
    never reached the others'), every minute, and the delivery stayed "sending"."""

    from pytest_httpserver import HTTPServer

    from pasopati.plan.channels import XConfig

    api = HTTPServer(host="127.0.0.1", port=0)
    api.expect_request("/2/users/1/tweets").respond_with_json({"data": {"id": "1"}})
    api.start()
    try:
        monkeypatch.setenv("PASOPATI_SECRET_X_TOKEN", "token")
        cat = on(load_catalog(), XConfig(title="Uji", adapter="x", format="text", api_base=api.url_for("/"), user_id="1",  # type: ignore[arg-type]
                                         token_secret="x-token", timeout_seconds=1))
        incident, draft = approved(db, cat)
        left_sending_by_a_dead_worker(db, incident, draft, CHANNEL, cat)
        settled = sending.publish(db, incident, draft.id, CHANNEL, cat, quick(), send=False)
        assert settled.status is PublicationStatus.AMBIGUOUS and "AttributeError" in (settled.error or "")
        assert [r.method for r, _ in api.log] == ["GET"]  # looked up, nothing posted
    finally:
        api.clear()
        api.stop()


def test_a_retry_after_that_is_not_a_number_is_ignored_and_the_429_retried(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Telegram says the wait in its JSON; a remote answering ``"retry_after": NaN`` made the wait
    time.sleep(nan): ValueError, and a 429 — nothing published — became "ambiguous"."""
    from pytest_httpserver import HTTPServer

    from pasopati.plan.channels import TelegramConfig

    api = HTTPServer(host="127.0.0.1", port=0)
    api.expect_ordered_request("/botT0K3N/sendMessage").respond_with_data(
        '{"ok": false, "error_code": 429, "description": "Too Many Requests", "parameters": {"retry_after": NaN}}',
        status=429, content_type="application/json")
    api.expect_ordered_request("/botT0K3N/sendMessage").respond_with_json({"ok": True, "result": {"message_id": 5, "chat": {"id": -1001}}})
    api.start()
    try:
        monkeypatch.setenv("PASOPATI_SECRET_TG_TOKEN", "T0K3N")
        cat = on(load_catalog(), TelegramConfig(title="Uji", adapter="telegram", api_base=api.url_for("/"),  # type: ignore[arg-type]
                                                chat_id="@ditjenpas_info", token_secret="tg-token", timeout_seconds=1))
        incident, draft = approved(db, cat)
        publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
        assert publication.status is PublicationStatus.SENT and publication.location == "https://t.me/ditjenpas_info/5"
        assert len(api.log) == 2
    finally:
        api.clear()
        api.stop()


def test_a_list_address_respelt_in_another_case_is_not_a_new_journalist(db: Database, tmp_path: Path) -> None:
    """The e-mail channel de-duplicates its list ignoring case; the exactly-once key does too, so an
    operator who rewrites "Redaksi@Kompas.com" as "redaksi@kompas.com" before a retry sends nothing again."""
    from pasopati.publications import operator
    from tests.smtp_server import Fault as SMTPFault
    from tests.smtp_server import SMTPServer, running

    busy = "penuh@media.co.id"
    with running(SMTPServer()) as server:
        server.inject(SMTPFault.reply("rcpt", "550 5.1.1 mailbox unavailable", rcpt=busy, times=1))
        cat, settings = journalist_list(tmp_path, server.port, ["Redaksi@Kompas.com", busy])
        incident, draft = approved(db, cat)
        first = sending.publish(db, incident, draft.id, CHANNEL, cat, settings)
        assert first.status is PublicationStatus.PARTIAL and [m.rcpt_tos for m in server.messages] == [("Redaksi@Kompas.com",)]
        (tmp_path / "wartawan.yaml").write_text(f"- redaksi@kompas.com\n- {busy}\n")
        operator.retry(db, incident, cat, settings, channel=CHANNEL, include_refused=True)  # the mailbox was fixed
        assert [m.rcpt_tos for m in server.messages] == [("Redaksi@Kompas.com",), (busy,)]
        assert publications.get(db, first.id).status is PublicationStatus.SENT  # type: ignore[union-attr]


def test_resolving_one_ambiguous_journalist_as_not_sent_sends_only_that_one(db: Database, tmp_path: Path) -> None:
    """`publish resolve --not-sent` answers for the ambiguous delivery it names: another journalist's
    failed delivery waits for `publish retry`, the operator's own call."""
    from pasopati.plan.channels import EmailConfig
    from pasopati.publications import operator
    from tests.smtp_server import Fault as SMTPFault
    from tests.smtp_server import SMTPServer, running

    lost, down = "redaksi@kompas.com", "penuh@media.co.id"
    (tmp_path / "channels.yaml").write_text("")
    with running(SMTPServer()) as server:
        server.inject(SMTPFault.drop(store=False, rcpt=lost))  # the connection drops after the data: outcome unknown
        server.inject(SMTPFault.reply("rcpt", "451 4.3.0 try later", rcpt=down, times=None))
        cat = on(load_catalog(), EmailConfig(title="Uji", adapter="email", host="127.0.0.1", port=server.port, security="none",
                                             sender="humas@ditjenpas.go.id", recipients=[lost, down]))
        settings = quick(channels_file=tmp_path / "channels.yaml")
        incident, draft = approved(db, cat)
        first = sending.publish(db, incident, draft.id, CHANNEL, cat, settings)
        statuses = {d.recipient: d.status for d in publications.deliveries(db, first.id)}
        assert statuses == {lost: DeliveryStatus.AMBIGUOUS, down: DeliveryStatus.FAILED}
        before = len(server.messages)
        server.heal()  # the busy mailbox would take mail now: still only `publish retry` sends it
        operator.resolve(db, incident, cat, settings, channel=CHANNEL, recipient=None, sent=False, location=None,
                         by="Operator Uji", proof="totp", reason="tidak ada di kotak surat redaksi")
        assert [m.rcpt_tos for m in server.messages[before:]] == [(lost,)]
        statuses = {d.recipient: d.status for d in publications.deliveries(db, first.id)}
        assert statuses == {lost: DeliveryStatus.SENT, down: DeliveryStatus.FAILED}


def test_two_settlers_of_a_dead_publishers_delivery_post_it_once(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A resumed run and `publish retry` (or the watcher and a retry) both find a delivery a dead
    process left ``sending``. One takes it over and looks it up; the other leaves it. Before, the
    slower lookup's "absent" was written over the other's receipt and the post went out twice."""
    import threading

    from pasopati.plan.channels import FacebookConfig
    from tests.fakes.facebook import FakeFacebookPage

    page = FakeFacebookPage()
    monkeypatch.setenv("PASOPATI_SECRET_FB_UJI", page.token)
    try:
        cat = on(load_catalog(), FacebookConfig.model_validate({
            "adapter": "facebook", "title": "Uji", "graph_base": f"{page.url}/v21.0", "page_id": page.page_id,
            "token_secret": "fb-uji", "timeout_seconds": 5}))
        incident, draft = approved(db, cat)
        left_sending_by_a_dead_worker(db, incident, draft, CHANNEL, cat)
        page.fail_next(Fault.timeout(1.5, store=True, method="GET"))  # the first lookup's "absent" arrives late
        first = threading.Thread(target=sending.publish, args=(db, incident, draft.id, CHANNEL, cat, quick()))
        first.start()
        time.sleep(0.5)
        sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
        first.join(30)
        assert len(page.posts) == 1 and len(page.calls("POST", "/feed")) == 1, "no second attempt (Facebook refusing a duplicate is no safety net)"
        assert [p.status for p in publications.publications(db, incident.id)] == [PublicationStatus.SENT]
    finally:
        page.stop()


def test_a_post_the_remote_stores_late_is_found_by_the_second_lookup(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer is lost and the first lookup finds nothing yet (the remote still storing it); the
    lookup three delays later finds it: one post, never a second attempt on a single "absent"."""
    from pasopati.plan.channels import FacebookConfig
    from tests.fakes.facebook import FakeFacebookPage

    page = FakeFacebookPage()
    monkeypatch.setenv("PASOPATI_SECRET_FB_UJI", page.token)
    try:
        cat = on(load_catalog(), FacebookConfig.model_validate({
            "adapter": "facebook", "title": "Uji", "graph_base": f"{page.url}/v21.0", "page_id": page.page_id,
            "token_secret": "fb-uji", "timeout_seconds": 0.5}))
        incident, draft = approved(db, cat)
        page.fail_next(Fault.timeout(1.0, store=True),  # stored, its answer too late
                       Fault.status(200, body={"data": []}, method="GET"))  # not listed yet at the first lookup
        published = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
        assert published.status is PublicationStatus.SENT
        assert len(page.posts) == 1 and len(page.calls("POST", "/feed")) == 1 and len(page.calls("GET", "/posts")) == 2
    finally:
        page.stop()


def test_a_token_the_remote_echoes_is_struck_from_everything_stored(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A debugging proxy or a wrong api_base quoting the request headers in its error put the bearer
    token in the delivery, the publication and the audit log (never rewritten, read by auditors)."""
    import re

    from tests.fakes.server import Answer, Request

    token = "hook-s3cret-0123456789abcdef"

    class Echoing(FakeWebhook):
        def _post(self, request: Request, match: re.Match[str]) -> Answer:
            return Answer(400, f"Bad Request. Your headers: {json.dumps(request.headers)}", {"Content-Type": "text/plain"})

    echo = Echoing()
    monkeypatch.setenv("PASOPATI_SECRET_HOOK_TOKEN", token)
    try:
        cat = on(load_catalog(), webhook(echo, token_secret="hook-token"))
        incident, draft = approved(db, cat)
        publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    finally:
        echo.stop()
    (delivery,) = publications.deliveries(db, publication.id)
    stored = {"delivery": delivery.error, "publication": publication.error,
              **{e.kind: json.dumps(e.details) for e in audit.events(db, incident_id=incident.id)}}
    assert "[rahasia]" in (delivery.error or "") and not [where for where, text in stored.items() if token in (text or "")]


def test_a_credential_pasted_with_a_typographic_quote_is_refused_not_ambiguous(db: Database, receiver: FakeWebhook,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASOPATI_SECRET_HOOK_TOKEN", "hook-s3cret\u2019")
    cat = on(load_catalog(), webhook(receiver, token_secret="hook-token"))
    incident, draft = approved(db, cat)
    publication = sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    (delivery,) = publications.deliveries(db, publication.id)
    assert receiver.calls() == [] and delivery.status is DeliveryStatus.REFUSED and "cannot carry" in (delivery.error or "")


def test_a_journalist_taken_off_the_list_before_a_retry_no_longer_holds_the_release_partial(db: Database, tmp_path: Path) -> None:
    """A mailbox that refused the release and was then taken off the list: the retry withdraws its
    delivery (recorded) and the release is complete for everyone still listed."""
    from pasopati.publications import operator
    from tests.smtp_server import Fault as SMTPFault
    from tests.smtp_server import SMTPServer, running

    gone = "mantan@koran.co.id"
    with running(SMTPServer()) as server:
        server.inject(SMTPFault.reply("rcpt", "550 5.1.1 no such mailbox", rcpt=gone, times=None))
        cat, settings = journalist_list(tmp_path, server.port, ["redaksi@kompas.com", gone])
        incident, draft = approved(db, cat)
        assert sending.publish(db, incident, draft.id, CHANNEL, cat, settings).status is PublicationStatus.PARTIAL
        (tmp_path / "wartawan.yaml").write_text("- redaksi@kompas.com\n")
        (done,) = operator.retry(db, incident, cat, settings, channel=CHANNEL)
    assert done.status is PublicationStatus.SENT and done.deliveries_total == 1 and len(server.messages) == 1
    (event,) = [e for e in audit.events(db, incident_id=incident.id) if e.kind == "publication.recipients_withdrawn"]
    assert event.details["recipients"] == [gone]


def test_a_blank_text_is_never_published_even_approved(db: Database, receiver: FakeWebhook) -> None:
    cat = on(load_catalog(), webhook(receiver))
    incident = opened(db, cat, "kesehatan", Severity.SEDANG)
    draft = stored_draft(db, incident, body=" \n")  # stored around every door that refuses it
    plan = cat.plan(incident.category, incident.severity)
    assert decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, authority(cat, incident)[0]).accepted
    with pytest.raises(publications.NotApproved, match="no words"):
        sending.publish(db, incident, draft.id, CHANNEL, cat, quick())
    assert receiver.calls() == []


def test_an_emptied_recipients_list_withdraws_nobody_and_says_so(db: Database, tmp_path: Path) -> None:
    """Someone truncates the list file before a retry: that is a mistake to show, not every journalist
    leaving the list (the release would have counted as complete with half the list never reached)."""
    from pasopati.publications import operator
    from tests.smtp_server import Fault as SMTPFault
    from tests.smtp_server import SMTPServer, running

    busy = "penuh@media.co.id"
    with running(SMTPServer()) as server:
        server.inject(SMTPFault.reply("rcpt", "451 4.3.0 try later", rcpt=busy, times=None))
        cat, settings = journalist_list(tmp_path, server.port, ["redaksi@kompas.com", busy])
        incident, draft = approved(db, cat)
        assert sending.publish(db, incident, draft.id, CHANNEL, cat, settings).status is PublicationStatus.PARTIAL
        (tmp_path / "wartawan.yaml").write_text("")
        (after,) = operator.retry(db, incident, cat, settings, channel=CHANNEL)
    assert after.status is PublicationStatus.PARTIAL and after.deliveries_total == 2
    assert "recipients list is empty" in (after.error or "")


def test_a_credential_cut_short_by_an_excerpt_is_struck_too() -> None:
    """Errors quote a remote's answer up to 300 characters; one that cut the echoed token left its
    first 20 characters in the audit log."""
    from pasopati.publications.channels.secrets import redact, remember

    token = remember("tok-9f8e7d6c5b4a39281706abcd")
    assert redact(f"answered 400: {{'authorization': 'Bearer {token[:20]}") == "answered 400: {'authorization': 'Bearer [rahasia]"
    assert redact(f"x {token} y") == "x [rahasia] y"
    assert redact("Lapas Kelas IIA Samarinda tok-9f8") == "Lapas Kelas IIA Samarinda tok-9f8"  # a short start is nobody's secret
