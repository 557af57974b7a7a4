"""``pasopati up``: the whole embedded stack — Prefect server (SQLite) with its UI, the store and
all runbook deployments served — in one command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from pasopati.alerts.classify import load_rules
from pasopati.db import Database, StoreUnavailable
from pasopati.db import schema
from pasopati.intake.auth import LOCAL_SOURCE, credentials, local_token_file
from pasopati.plan.catalog import load_catalog
from pasopati.settings import Settings, get_settings


def server_healthy(api_url: str) -> bool:
    try:
        return requests.get(f"{api_url}/health", timeout=2).ok
    except requests.RequestException:
        return False


def start_server(
    settings: Settings, timeout_seconds: float = 90, env_overrides: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **(env_overrides or {}),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Without this the UI keeps calling port 4200 when another port is chosen.
        "PREFECT_UI_API_URL": settings.api_url,
        "PREFECT_SERVER_API_PORT": str(settings.port),
    }
    env.pop("PREFECT_API_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", settings.host, "--port", str(settings.port)],
        env=env,
        # Its own session: a Ctrl-C in the terminal reaches `up`, which stops the server last,
        # after the runner has paused its deployments on it.
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_seconds
    while not server_healthy(settings.api_url):
        if process.poll() is not None:
            raise RuntimeError(f"Prefect server exited with code {process.returncode}")
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError(f"Prefect server not healthy at {settings.api_url} after {timeout_seconds:.0f} s")
        time.sleep(0.5)
    return process


def prepare_store(settings: Settings) -> str:
    """Migrate the store or refuse (pasopati.db.schema's policy), then check it is healthy.

    Raises SchemaOutdated with the exact command to run, or StoreUnavailable naming the problem."""
    db = Database(settings.database)
    if db.sqlite and not db.sqlite.path.exists() and local_token_file(settings).exists():
        # Not a first start: this data directory served before, so its store went missing.
        raise StoreUnavailable(
            f"the store {db.sqlite.path} is missing, but PASOPATI ran from {settings.data_dir} before"
            f" ({local_token_file(settings).name} is there): restore the store, or start a new, empty one"
            " deliberately with `pasopati db upgrade`"
        )
    try:
        sqlite = db.sqlite is not None
        revision = None if sqlite and not db.sqlite.path.exists() else schema.current_revision(db)  # type: ignore[union-attr]
        note = f"store {db.describe()} at {revision}"
        if revision != schema.head_revision():
            if not (sqlite or settings.auto_migrate):
                schema.require_current(db)  # raises with the command (PASOPATI_AUTO_MIGRATE=true to let `up` do it)
            before, after = schema.upgrade(db)
            note = f"store {db.describe()} migrated {before or 'empty'} → {after}"
        problems = schema.health(db, thorough=True)
    finally:
        db.dispose()
    if problems:
        raise StoreUnavailable("; ".join(problems))
    return note


class AlreadyRunning(RuntimeError):
    """Another PASOPATI already serves on these ports: a second one would pause its deployments on exit."""


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def up() -> None:
    settings = get_settings()
    load_catalog(settings)  # refuse to start on an invalid runbook: raises CatalogError
    load_rules()  # … or on invalid classification rules: raises RulesError
    if port_in_use(settings.host, settings.intake_port):
        raise AlreadyRunning(
            f"port {settings.intake_port} is taken: PASOPATI (or something else) is already running here."
            " Stop it first, or give this one other ports (PASOPATI_PORT, PASOPATI_INTAKE_PORT) and its own PASOPATI_DATA_DIR"
        )
    print(f"PASOPATI: {prepare_store(settings)}", flush=True)
    server = None
    if not server_healthy(settings.api_url):
        server = start_server(settings)
    os.environ["PREFECT_API_URL"] = settings.api_url
    # The intake runs in its own process: a burst of alerts never slows the runner, and back.
    intake = subprocess.Popen([sys.executable, "-m", "pasopati.cli", "intake"], start_new_session=True)
    credentials(settings)  # creates the local token on first start
    print(f"PASOPATI: Prefect UI at {settings.ui_url}  (store: {settings.database})", flush=True)
    print(
        f"PASOPATI: alert intake at http://{settings.host}:{settings.intake_port}/alerts (docs: /docs);"
        f" local token for source '{LOCAL_SOURCE}' in {local_token_file(settings)}",
        flush=True,
    )
    # The flows are served by their own module, in their own process (the core never imports them).
    serving = subprocess.Popen([sys.executable, "-m", "flows.serve"], start_new_session=True)
    for signum in (signal.SIGINT, signal.SIGTERM):  # `kill` stops the stack as cleanly as Ctrl-C (also when
        signal.signal(signum, _interrupt)           # started in the background, where SIGINT comes ignored)
    try:
        while serving.poll() is None:
            for name, process in (("Prefect server", server), ("alert intake", intake)):
                if process is not None and process.poll() is not None:
                    print(f"PASOPATI: the {name} stopped (exit {process.returncode}); stopping everything", flush=True)
                    return
            time.sleep(1)
        print(f"PASOPATI: the runner stopped (exit {serving.returncode}); stopping everything", flush=True)
    except KeyboardInterrupt:
        print("PASOPATI: stopping (the runner pauses its deployments first)…", flush=True)
    finally:
        # The runner first (it pauses its deployments on the server), then the intake, the server last.
        for process in (serving, intake, server):
            stop(process)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop(process: subprocess.Popen[bytes] | None, patience: float = 30) -> None:
    """SIGINT (a clean shutdown), then SIGKILL if it does not end within ``patience`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=patience)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
