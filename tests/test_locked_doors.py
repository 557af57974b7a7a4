"""Locked doors: the Prefect server answers only PASOPATI's credential (basic auth), and a signed
alert is good once, within its time window — also after the intake restarts."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi.testclient import TestClient

from pasopati import server_auth
from pasopati.intake.auth import Credentials, NonceLedger, credentials
from pasopati.settings import Settings, get_settings

KEY = "kunci-uji-hmac"
QUIET = {"text": "Warga binaan Lapas Sukamiskin mengikuti pelatihan barista"}  # stored, starts nothing


# ---------------------------------------------------------------- the Prefect server's lock

@pytest.mark.e2e
def test_the_prefect_api_answers_only_the_credential(prefect_api: str) -> None:
    login = server_auth.read_login(get_settings())
    assert login and login.startswith("pasopati:")
    locked = server_auth.authorization(login)
    wrong = server_auth.authorization("pasopati:salah")
    flow = requests.post(f"{prefect_api}/flows/", json={"name": "pintu-terkunci"}, headers=locked, timeout=5).json()
    run = requests.post(f"{prefect_api}/flow_runs/", json={"flow_id": flow["id"]}, headers=locked, timeout=5).json()["id"]
    assert requests.get(f"{prefect_api}/health", timeout=5).status_code == 200  # stays open for probes
    for headers in ({}, wrong):
        assert requests.post(f"{prefect_api}/flow_runs/{run}/resume", json={}, headers=headers, timeout=5).status_code == 401
        assert requests.post(f"{prefect_api}/flow_runs/filter", json={}, headers=headers, timeout=5).status_code == 401
        assert requests.get(f"{prefect_api}/flow_runs/filter", headers=headers, timeout=5).status_code == 401
    assert requests.post(f"{prefect_api}/flow_runs/filter", json={"limit": 1}, headers=locked, timeout=5).status_code == 200
    # Past the lock: the run is not paused, so the server declines to resume it (resumes of paused
    # runs through the lock: every approval in tests/test_human_gates.py).
    resumed = requests.post(f"{prefect_api}/flow_runs/{run}/resume", json={}, headers=locked, timeout=5)
    assert resumed.status_code == 200 and resumed.json()["status"] == "ABORT", resumed.text


@pytest.mark.e2e
def test_the_cli_finds_the_credential_by_itself_and_respects_a_set_one(prefect_api: str, data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != server_auth.CLIENT_VAR} | {"PREFECT_API_URL": prefect_api}
    command = [sys.executable, "-m", "pasopati.cli", "pending"]
    found = subprocess.run(command, check=False, env=env, cwd=data_dir, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    wrong = subprocess.run(command, check=False, env={**env, server_auth.CLIENT_VAR: "pasopati:salah"}, cwd=data_dir,
                           capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "refuses the credential (401)" in wrong.stderr, wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_the_credential_is_made_once_private_and_yields_to_the_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (server_auth.SERVER_VAR, server_auth.CLIENT_VAR):
        monkeypatch.delenv(var, raising=False)
    settings = Settings(data_dir=tmp_path / "data")
    assert server_auth.read_login(settings) is None
    login, origin = server_auth.server_login(settings)
    path = server_auth.credential_file(settings)
    assert origin == str(path) and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"user": "pasopati", "password": login.split(":", 1)[1], "login": login}
    assert server_auth.ensure_login(settings) == login  # generated once
    assert os.environ[server_auth.CLIENT_VAR] == login  # what `up`'s children inherit
    assert login.split(":", 1)[1] not in server_auth.redacted(login)
    monkeypatch.setenv(server_auth.SERVER_VAR, "operator:rahasia")
    assert server_auth.server_login(settings) == ("operator:rahasia", server_auth.SERVER_VAR)
    assert os.environ[server_auth.CLIENT_VAR] == "operator:rahasia"  # clients follow the server's
    monkeypatch.setenv(server_auth.CLIENT_VAR, "operator:lain")  # set by the user: left alone
    assert server_auth.server_login(settings) == ("operator:rahasia", server_auth.SERVER_VAR)
    assert server_auth.use_credential(settings) == "operator:lain"


# ---------------------------------------------------------------- signed alerts

def signed(body: bytes, *, ts: float | None = None, nonce: str | None = None, key: str = KEY) -> dict[str, str]:
    timestamp = str(int(time.time() if ts is None else ts))
    nonce = nonce or uuid.uuid4().hex
    signature = hmac.new(key.encode(), f"{timestamp}.{nonce}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Pasopati-Source": "pemantau", "X-Pasopati-Timestamp": timestamp, "X-Pasopati-Nonce": nonce,
            "X-Pasopati-Signature": f"sha256={signature}", "Content-Type": "application/json"}


@pytest.fixture
def intake_data(tmp_path: Path) -> Settings:
    """Settings of an intake whose keys and replay record live in a data directory of its own."""
    return Settings(data_dir=tmp_path / "intake", intake_hmac_keys={"pemantau": KEY})


@pytest.fixture
def start_intake(intake_data: Settings) -> Iterator[object]:
    """Starts an intake app (over the session's store) on ``intake_data``: call again to "restart"."""
    from pasopati.alerts.classify import load_rules
    from pasopati.db import get_database
    from pasopati.intake.app import create_app
    from pasopati.intake.pipeline import Intake
    from pasopati.plan.catalog import catalog
    from pasopati.starts.prefect import PrefectRuns

    clients: list[TestClient] = []

    def start() -> TestClient:
        intake = Intake(get_database(), catalog(), load_rules(), PrefectRuns(), get_settings())
        client = TestClient(create_app(intake, credentials(intake_data)))
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def refusal(response: requests.Response) -> str:
    assert response.status_code == 401, response.text
    detail = response.json()["detail"]
    assert "\n" not in detail and "nothing was stored or started" in detail
    return detail


def test_a_signed_alert_is_accepted_once_also_after_a_restart(start_intake, intake_data: Settings) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps(QUIET).encode()
    first = start_intake()  # before signing: a new record vouches only for what follows its start
    headers = signed(body)
    accepted = first.post("/alerts", content=body, headers=headers)
    assert accepted.status_code in (200, 202), accepted.text
    assert "nonce already used" in refusal(first.post("/alerts", content=body, headers=headers))
    restarted = start_intake()  # a new app object reading the same data directory
    assert "nonce already used" in refusal(restarted.post("/alerts", content=body, headers=headers))
    record = (intake_data.data_dir / "intake-nonces.jsonl").read_text().splitlines()
    assert sum(headers["X-Pasopati-Nonce"] in line for line in record) == 1
    # The same nonce from another source, or a fresh one from this source, is no replay.
    assert restarted.post("/alerts", content=body, headers=signed(body)).status_code in (200, 202)


def test_stale_unsigned_malformed_and_forged_requests_are_refused_in_one_line(start_intake) -> None:  # type: ignore[no-untyped-def]
    client = start_intake()
    body = json.dumps(QUIET).encode()
    assert "outside ±300 s" in refusal(client.post("/alerts", content=body, headers=signed(body, ts=time.time() - 400)))
    assert "outside ±300 s" in refusal(client.post("/alerts", content=body, headers=signed(body, ts=time.time() + 400)))
    good = signed(body)
    for missing in ("X-Pasopati-Timestamp", "X-Pasopati-Nonce"):
        headers = {k: v for k, v in good.items() if k != missing}
        assert "needs X-Pasopati-Timestamp and X-Pasopati-Nonce" in refusal(client.post("/alerts", content=body, headers=headers))
    for nonce in ("kurang", "ada spasi di sini", "a" * 129, "titik.titik.titik", "ñandú-ñandú-ñandú".encode("latin-1")):
        headers = signed(body, nonce="placeholder-nonce") | {"X-Pasopati-Nonce": nonce}
        assert "X-Pasopati-Nonce must be 8–128" in refusal(client.post("/alerts", content=body, headers=headers))
    for timestamp in ("kemarin", "1.5e9", "9" * 5000, "-1"):
        headers = good | {"X-Pasopati-Timestamp": timestamp}
        assert "unix seconds" in refusal(client.post("/alerts", content=body, headers=headers))
    assert "does not match" in refusal(client.post("/alerts", content=body, headers=signed(body, key="kunci-lain")))
    tampered = signed(body)
    assert "does not match" in refusal(client.post("/alerts", content=body + b" ", headers=tampered))
    # The body alone signed (the old format) no longer passes.
    old = hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
    assert "does not match" in refusal(client.post("/alerts", content=body, headers=good | {"X-Pasopati-Signature": f"sha256={old}"}))


def test_the_nonce_record_is_pruned_past_the_window_and_refuses_what_it_cannot_vouch_for(tmp_path: Path) -> None:
    path, t0 = tmp_path / "nonces.jsonl", 1_800_000_000.0
    ledger = NonceLedger(path, window_seconds=300)
    ledger.open(now=t0)
    assert "predates" in (ledger.claim("a", "nonce-0001", int(t0) - 10, now=t0) or "")  # made at t0: older unknown
    assert ledger.claim("a", "nonce-0001", int(t0), now=t0) is None
    assert ledger.claim("b", "nonce-0001", int(t0), now=t0) is None  # per source
    assert "already used" in (NonceLedger(path).claim("a", "nonce-0001", int(t0), now=t0 + 1) or "")
    for i in range(2, 6):
        assert ledger.claim("a", f"nonce-000{i}", int(t0) + 60 * i, now=t0 + 60 * i) is None
    # 400 s on, the first entries left the window: the file is rewritten without them, and its
    # horizon moves up with the cut (a window made longer later cannot revive them).
    assert ledger.claim("a", "nonce-0006", int(t0) + 400, now=t0 + 400) is None
    kept = [json.loads(line) for line in path.read_text().splitlines()]
    assert kept[0] == {"since": int(t0) + 100}
    assert {e["nonce"] for e in kept[1:]} == {"nonce-0002", "nonce-0003", "nonce-0004", "nonce-0005", "nonce-0006"}
    longer = NonceLedger(path, window_seconds=900)
    assert "predates" in (longer.claim("a", "nonce-0001", int(t0), now=t0 + 401) or "")
    # A line torn by a crash (never answered) is skipped, and the next entry starts a line of its own.
    with path.open("ab") as out:
        out.write(b'{"source": "a", "non')
    assert ledger.claim("a", "nonce-0007", int(t0) + 402, now=t0 + 402) is None
    assert "already used" in (NonceLedger(path).claim("a", "nonce-0007", int(t0) + 402, now=t0 + 403) or "")


def test_memory_only_credentials_still_refuse_replays() -> None:
    creds = Credentials(tokens={}, hmac_keys={"pemantau": KEY})
    creds.nonces.open()
    body = b"{}"
    headers = signed(body)
    args = {"signature": headers["X-Pasopati-Signature"], "timestamp": headers["X-Pasopati-Timestamp"],
            "nonce": headers["X-Pasopati-Nonce"]}
    creds.check("pemantau", body, **args)
    with pytest.raises(Exception, match="already used"):
        creds.check("pemantau", body, **args)
