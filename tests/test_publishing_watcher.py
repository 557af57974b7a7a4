"""The watcher's pass over publications left ``sending`` (pasopati.watch.settle_stuck_publications):
a publisher killed at any step is found, and one publication it cannot settle does not hide the
others. Fast tier: a real killed process, a real HTTP receiver, no Prefect server."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from pasopati.db import Database
from pasopati.plan.catalog import load_catalog
from pasopati.plan.channels import ChannelsConfig
from pasopati.publications import service as publications
from pasopati.publications.models import DeliveryStatus, PublicationStatus
from pasopati.watch import settle_stuck_publications
from tests.fakes.webhook import FakeWebhook
from tests.test_publishing_safety import (
    CHANNEL,
    approved,
    left_sending_by_a_dead_worker,
    on,
    quick,
    webhook,
)

# As sending.publish does, up to its claim; then killed before the write-ahead record.
CLAIM_THEN_DIE = """
import os, signal, sys
from dataclasses import replace
from pasopati.db import Database
from pasopati.incidents import service as incidents
from pasopati.plan.catalog import load_catalog
from pasopati.plan.channels import ChannelsConfig, WebhookConfig
from pasopati.publications import service
from pasopati.publications.owner import me
url, db_url, incident_id, draft_id, content_hash = sys.argv[1:6]
db = Database(db_url)
cat = load_catalog()
cat = replace(cat, channels=ChannelsConfig(channels=dict(cat.channels.channels) | {"akun-upt": WebhookConfig(title="Uji", adapter="webhook", url=url)}))
service.claim(db, incidents.get(db, incident_id), draft_id, content_hash, "akun-upt", cat, [("", 0)], owner=me())
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_publisher_killed_between_its_claim_and_its_write_ahead_is_found_and_retried_once(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    crashed: list[str] = []  # marking the run Crashed on a Prefect server: tests/test_publishing_runs_e2e.py
    monkeypatch.setattr("pasopati.runs.crash_abandoned_run", lambda run_id, what: crashed.append(run_id) or True)
    receiver = FakeWebhook()
    try:
        cat = on(load_catalog(), webhook(receiver))
        incident, draft = approved(db, cat)
        done = subprocess.run([sys.executable, "-c", CLAIM_THEN_DIE, receiver.hook, db.url, incident.id, draft.id, draft.content_hash],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == -9, done.stderr[-2000:]
        (stuck,) = publications.publications(db, incident.id)
        assert stuck.status is PublicationStatus.SENDING
        (found,) = settle_stuck_publications(db, cat)
        assert incident.id in found and CHANNEL in found
        assert crashed == [incident.flow_run_id]
        assert settle_stuck_publications(db, cat) == [], "reported once, not on every pass"
        from pasopati.publications import operator

        (retried,) = operator.retry(db, incident, cat, quick())
        assert retried.status is PublicationStatus.SENT and len(receiver.posts) == 1
    finally:
        receiver.stop()


def test_a_publication_on_a_channel_no_longer_configured_does_not_hide_the_others(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pasopati.runs.crash_abandoned_run", lambda run_id, what: True)
    receiver = FakeWebhook()
    try:
        cat = on(load_catalog(), webhook(receiver))
        cat = dataclasses.replace(cat, channels=ChannelsConfig(
            channels=dict(cat.channels.channels) | {"akun-lama": webhook(receiver)}, statement_url=cat.channels.statement_url))
        incident, draft = approved(db, cat)
        for channel in (CHANNEL, "akun-lama"):
            left_sending_by_a_dead_worker(db, incident, draft, channel, cat)
        renamed = dataclasses.replace(cat, channels=ChannelsConfig(
            channels={k: v for k, v in cat.channels.channels.items() if k != "akun-lama"}, statement_url=cat.channels.statement_url))
        found = settle_stuck_publications(db, renamed)
        assert any("akun-lama" in line and "not in channels.yaml" in line for line in found), found
        (settled,) = [p for p in publications.publications(db, incident.id) if p.channel == CHANNEL]
        assert [d.status for d in publications.deliveries(db, settled.id)] == [DeliveryStatus.AMBIGUOUS]
    finally:
        receiver.stop()
