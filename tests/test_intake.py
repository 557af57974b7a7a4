"""Alert intake over HTTP: auth, validation that keeps what it refuses, correlation and escalation —
against the real Prefect server with the runbooks served (runs really start and are cancelled)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect import get_client

from pasopati.alerts.classify import load_rules
from pasopati.db import get_database
from pasopati.intake.app import create_app
from pasopati.intake.auth import Credentials
from pasopati.intake.pipeline import Intake
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import Severity
from pasopati.settings import get_settings
from pasopati.starts.prefect import PrefectRuns
from tests.driver import read_run
from tests.records import audit_events, records

TOKEN = {"Authorization": "Bearer rahasia-uji", "X-Pasopati-Source": "meltwater"}
ANALYST = {"Authorization": "Bearer rahasia-analis", "X-Pasopati-Source": "analis"}
pytestmark = pytest.mark.usefixtures("served")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    intake = Intake(get_database(), catalog(), load_rules(), PrefectRuns(), get_settings())
    creds = Credentials(tokens={"meltwater": "rahasia-uji", "analis": "rahasia-analis"}, hmac_keys={"pemantau": "kunci-hmac"})
    with TestClient(create_app(intake, creds)) as test_client:
        yield test_client


def stored_count() -> int:
    return len(records().alerts())


def post(client: TestClient, body: object, headers: dict[str, str] = TOKEN) -> dict:  # type: ignore[type-arg]
    response = client.post("/alerts", content=json.dumps(body), headers=headers)
    assert response.status_code < 500, response.text
    return {"status": response.status_code, **response.json()}


def test_unauthenticated_is_refused_and_nothing_stored(client: TestClient) -> None:
    body = {"text": "Tiga narapidana kabur dari Lapas Cipinang"}
    before = stored_count()
    assert client.post("/alerts", json=body).status_code == 401
    assert client.post("/alerts", json=body, headers={**TOKEN, "Authorization": "Bearer salah"}).status_code == 401
    raw = json.dumps(body).encode()
    bad = {"X-Pasopati-Source": "pemantau", "X-Pasopati-Signature": "sha256=" + "0" * 64}
    assert client.post("/alerts", content=raw, headers=bad).status_code == 401
    assert stored_count() == before
    ts, nonce = str(int(time.time())), uuid4().hex
    good = hmac.new(b"kunci-hmac", f"{ts}.{nonce}.".encode() + raw, hashlib.sha256).hexdigest()
    signed = {"X-Pasopati-Source": "pemantau", "X-Pasopati-Timestamp": ts, "X-Pasopati-Nonce": nonce}
    response = client.post("/alerts", content=raw, headers={**signed, "X-Pasopati-Signature": f"sha256={good}"})
    assert response.status_code in (200, 202), response.text
    assert stored_count() == before + 1


def test_malformed_input_is_stored_answered_4xx_and_replayable(client: TestClient) -> None:
    not_json = client.post("/alerts", content=b"{kabur", headers=TOKEN)
    assert not_json.status_code == 422 and "body is not JSON" in not_json.json()["detail"]
    record = records().alert(not_json.json()["alert_id"])
    assert record and record.status == "rejected" and record.raw == "{kabur"

    result = post(client, [{"title": "tanpa teks"}, {"text": "Rapat koordinasi humas pemasyarakatan", "reach": -5}])
    assert result["accepted"] == 1 and result["rejected"] == 1  # a field that cannot be read only warns (issue 12)
    assert [e["detail"] for e in result["errors"]] == ["[0].text: Field required"]
    (kept,) = result["outcomes"]
    assert any(r.startswith("reach: ") and "left out" in r for r in kept["reasons"]), kept["reasons"]
    rejected = records().alert(result["errors"][0]["alert_id"])
    assert rejected and rejected.status == "rejected" and json.loads(rejected.raw) == {"title": "tanpa teks"}

    fixed = client.post(
        f"/alerts/{rejected.id}/replay", content=json.dumps({"title": "tanpa teks", "text": "Pameran karya warga binaan"}), headers=ANALYST
    )
    assert fixed.status_code == 200, fixed.text
    # The replay is a record of its own, the caller's, linked to the original, which stays as received.
    replayed = records().alert(fixed.json()["alert_id"])
    assert replayed and replayed.status in {"ignored", "watch"} and replayed.replay_of == rejected.id
    assert replayed.source == "analis" and "Pameran karya" in replayed.raw  # whose credential made the call
    original = records().alert(rejected.id)
    assert original and original.status == "rejected" and json.loads(original.raw) == {"title": "tanpa teks"}


@pytest.mark.both_stores
def test_characters_postgresql_refuses_are_kept_not_a_500(client: TestClient) -> None:
    """NUL (JSON "\\u0000"), a lone surrogate ("\\ud800") and a raw NUL byte: stored, answered, never a 500
    (on the SQLite store and, in the PostgreSQL-store tier, on PostgreSQL)."""
    escaped = client.post("/alerts", content=b'{"text": "Rapat koordinasi\\u0000 humas \\ud800 pemasyarakatan"}', headers=TOKEN)
    assert escaped.status_code in (200, 202), escaped.text
    record = records().alert(escaped.json()["outcomes"][0]["alert_id"])
    assert record is not None and record.text == "Rapat koordinasi\ufffd humas \ufffd pemasyarakatan"
    raw = client.post("/alerts", content=b'{"text": "kabur\x00"}', headers=TOKEN)
    assert raw.status_code == 422, raw.text
    kept = records().alert(raw.json()["alert_id"])
    assert kept is not None and kept.status == "rejected" and "\x00" not in kept.raw and "kabur" in kept.raw


@pytest.mark.both_stores
def test_same_crisis_from_many_outlets_starts_one_run(client: TestClient) -> None:
    first = post(client, {"text": "Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi", "url": "https://berita.example/a"})
    assert first["status"] == 202
    started = first["outcomes"][0]
    assert started["status"] == "started", started
    assert started["category"] == "keamanan-ketertiban" and started["unit"] == "lapas-pangkalpinang"
    assert started["reasons"], "a decision lists the rules that fired"
    more = post(
        client,
        {
            "documents": [
                {"url": "https://berita.example/a", "title": "Napi kabur", "content": "Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi"},
                {"url": "https://lain.example/b", "content": "Tiga narapidana kabur dari Lapas Pangkalpinang dini hari tadi, kata petugas"},
                {"url": "https://lain.example/c", "content": "Petugas Lapas Pangkalpinang masih mencari warga binaan yang melarikan diri"},
            ]
        },
    )
    statuses = [o["status"] for o in more["outcomes"]]
    assert statuses[0] == "duplicate" and statuses[1] == "duplicate" and statuses[2] in {"attached", "duplicate"}, more
    assert {o["incident_id"] for o in more["outcomes"]} == {started["incident_id"]}
    assert {o["flow_run_id"] for o in more["outcomes"]} == {started["flow_run_id"]}
    assert len(records().alerts(incident_id=started["incident_id"])) == 4


def test_more_severe_alert_escalates_the_open_incident(client: TestClient) -> None:
    first = post(client, {"text": "Seorang warga binaan Lapas Banyuasin dilaporkan kabur saat kerja bakti"})["outcomes"][0]
    assert first["status"] == "started", first
    worse = post(
        client,
        {
            "text": "Dua petugas tewas dalam kerusuhan dan pelarian massal di Lapas Banyuasin; Komisi XIII DPR minta penjelasan",
            "reach": 2_000_000,
        },
    )["outcomes"][0]
    assert worse["status"] == "escalated", worse
    assert worse["incident_id"] == first["incident_id"] and worse["flow_run_id"] != first["flow_run_id"]
    assert Severity(worse["severity"]).rank > Severity(first["severity"]).rank
    old = wait_for(lambda: read_run(UUID(first["flow_run_id"])), lambda r: r.state.is_final())
    assert old.state.is_cancelled() and "escalated" in (old.state.message or "")
    incident = records().incident(first["incident_id"])
    assert incident and incident.severity.value == worse["severity"] and incident.flow_run_id == worse["flow_run_id"]
    new = read_run(UUID(worse["flow_run_id"]))
    with get_client(sync_client=True) as prefect:
        assert prefect.read_deployment(new.deployment_id).name == worse["severity"]
    # The new run takes over the same incident (no second incident for the same crisis).
    wait_for(lambda: records().incident_for_run(worse["flow_run_id"]), lambda i: i is not None and i.id == first["incident_id"])


def test_an_alert_about_a_closed_incident_opens_a_new_linked_one(client: TestClient) -> None:
    """A closed incident never takes new alerts silently: the next alert opens a new incident that follows it."""
    from pasopati.incidents import service as incidents

    first = post(client, {"text": "Kebakaran melanda gudang LPKA Bandung, api cepat membesar"})["outcomes"][0]
    assert first["status"] == "started", first
    assert incidents.close(get_database(), first["incident_id"], by="Kepala Humas Jabar", reason="api padam", flow_run_id=first["flow_run_id"])
    again = post(client, {"text": "Kebakaran kembali terjadi di dapur LPKA Bandung malam ini"})["outcomes"][0]
    assert again["status"] == "started" and again["incident_id"] != first["incident_id"], again
    assert any("sudah ditutup" in reason for reason in again["reasons"]), again["reasons"]
    follower = records().incident(again["incident_id"])
    assert follower is not None and follower.follows_id == first["incident_id"]
    opened = next(e for e in audit_events(follower.id) if e.kind == "incident.opened")
    assert opened.details["follows_id"] == first["incident_id"] and opened.details["alert_ids"]
    # Both closed; the first report sent again (a sender retrying after a timeout): kept with the closed
    # incident it repeats — nothing reopened, no run started, no severity raised by "a repeat".
    assert incidents.close(get_database(), again["incident_id"], by="Kepala Humas Jabar", reason="padam", flow_run_id=again["flow_run_id"])
    resent = post(client, {"text": "Kebakaran melanda gudang LPKA Bandung, api cepat membesar"})["outcomes"][0]
    assert resent["status"] == "duplicate" and resent["incident_id"] == first["incident_id"], resent
    assert any("not reopened" in reason for reason in resent["reasons"])


def test_below_threshold_is_watched_and_irrelevant_ignored(client: TestClient) -> None:
    outcomes = post(
        client,
        [
            {"text": "Gempa magnitudo 5,0 mengguncang Sukabumi, warga panik keluar rumah"},
            {"text": "Warga binaan Lapas Sukamiskin mengikuti pelatihan barista"},
        ],
    )["outcomes"]
    assert [o["status"] for o in outcomes][0] == "ignored"
    assert outcomes[1]["status"] in {"ignored", "watch"} and outcomes[1]["flow_run_id"] is None


def test_a_feed_item_starts_a_run(feed_server, served) -> None:  # type: ignore[no-untyped-def]
    feed_server.expect_request("/alerts.atom").respond_with_data(ATOM, content_type="application/atom+xml")
    from prefect.deployments import run_deployment

    run = run_deployment("pantau-umpan/terjadwal", timeout=120)
    assert run.state.is_completed(), run.state.message
    alerts = records().alerts(url="https://berita.example/nabire-ricuh")
    assert len(alerts) == 1 and alerts[0].source == "feeds", alerts
    assert alerts[0].status == "started" and alerts[0].unit_id == "lapas-nabire"
    assert read_run(UUID(alerts[0].flow_run_id)).state is not None  # type: ignore[arg-type]
    # Polling again posts nothing new.
    again = run_deployment("pantau-umpan/terjadwal", timeout=120)
    assert again.state.result().new == 0  # type: ignore[union-attr]


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Google Alert - lapas</title>
  <id>tag:google.com,2005:reader/user/0/state/com.google/alerts/1</id>
  <updated>2026-11-24T03:00:00Z</updated>
  <entry>
    <id>tag:google.com,2013:googlealerts/feed:1</id>
    <title type="html">Kerusuhan pecah di &lt;b&gt;Lapas Nabire&lt;/b&gt;, dua warga binaan tewas</title>
    <link href="https://berita.example/nabire-ricuh"/>
    <published>2026-11-24T02:55:00Z</published>
    <updated>2026-11-24T02:55:00Z</updated>
    <content type="html">Kerusuhan antarblok di &lt;b&gt;Lapas Nabire&lt;/b&gt; menyebabkan dua warga binaan tewas.</content>
  </entry>
</feed>
"""


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12,
)
ALERTISH = st.fixed_dictionaries(
    {"text": st.text(max_size=80)},
    optional={
        "url": st.text(max_size=30),
        "reach": st.integers(min_value=-10, max_value=10**12),
        "published_at": st.text(max_size=25),
        "sentiment": st.text(max_size=10),
        "unit": st.text(max_size=20),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON | ALERTISH | st.lists(ALERTISH, max_size=3) | st.builds(lambda d: {"documents": d}, st.lists(JSON, max_size=3)))
def test_fuzzed_bodies_never_get_a_5xx(client: TestClient, body: object) -> None:
    response = client.post("/alerts", content=json.dumps(body), headers=TOKEN)
    assert response.status_code < 500, response.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_fuzzed_bytes_never_get_a_5xx(client: TestClient, raw: bytes) -> None:
    assert client.post("/alerts", content=raw, headers=TOKEN).status_code < 500


def wait_for(read, done, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"timed out waiting; last: {value!r}"
        time.sleep(0.3)


def test_openapi_documents_the_accepted_bodies(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"Alert", "MeltwaterBatch"} <= set(spec["components"]["schemas"])
    body = spec["paths"]["/alerts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert len(body["oneOf"]) == 3
    assert client.get("/docs").status_code == 200


def test_health_fails_when_the_store_is_deleted_under_the_intake(tmp_path: Path) -> None:
    """/health writes a probe each call: a store deleted (or unwritable) under a running intake is a
    503 naming the store, and alerts are refused with 503 instead of vanishing into an unlinked file."""
    from pasopati.db import Database
    from pasopati.db.schema import upgrade

    path = tmp_path / "store.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    intake = Intake(db, catalog(), load_rules(), PrefectRuns(), get_settings())
    with TestClient(create_app(intake, Credentials(tokens={"meltwater": "rahasia-uji"}, hmac_keys={}))) as test_client:
        assert test_client.get("/health").json()["ok"] is True
        path.unlink()
        response = test_client.get("/health")
        assert response.status_code == 503 and str(path) in response.json()["problems"][0]
        refused = test_client.post("/alerts", json={"text": "Rapat koordinasi humas"}, headers=TOKEN)
        assert refused.status_code == 503 and "store unavailable" in refused.json()["detail"]
        assert not path.exists(), "no new empty store was created behind the operator's back"


def test_a_batch_of_more_items_than_the_limit_gets_413_and_stores_nothing(client: TestClient) -> None:
    before = stored_count()
    limit = get_settings().intake_max_batch_items
    body = [{"text": f"Rapat koordinasi humas ke-{i}"} for i in range(limit + 1)]
    response = client.post("/alerts", content=json.dumps(body), headers=TOKEN)
    assert response.status_code == 413 and f"at most {limit}" in response.json()["detail"]
    assert stored_count() == before
