"""Shared test infrastructure: one real Prefect server per session (prefect_test_harness), one
``pasopati serve`` process serving the 20 deployments against it, a real HTTP server standing in
for a channel's API, and a temporary store — all started once, because each costs seconds."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from pasopati.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer

    from pasopati.db import Database
    from tests.channel_api import ChannelAPI
    from tests.notify_receivers import SMTPInbox

WEBHOOK_CHANNEL = "medsos-ditjenpas"


def pytest_configure(config: pytest.Config) -> None:
    # Before anything reads settings: the whole session (and the serve process) uses a temp store,
    # SQLite by default or, with PASOPATI_TEST_STORE=postgresql, a fresh PostgreSQL database.
    config.addinivalue_line("markers", "e2e: needs the session's Prefect server and `pasopati serve`")
    config.addinivalue_line(
        "markers",
        "both_stores: an end-to-end test run on the SQLite and on the PostgreSQL store (concurrency, the watcher,"
        " characters PostgreSQL refuses, the audit chain); the rest of the e2e tier runs on SQLite only — store logic"
        " has fast tests on both stores",
    )
    parent = Path(config.rootpath) / ".pasopati"
    parent.mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="test-session-", dir=parent))  # sessions may run side by side
    os.environ["PASOPATI_DATA_DIR"] = str(root)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(root / "prefect-results")
    # One credential key for the session (pasopati.identity.keys): the test process and `pasopati
    # serve` seal and open TOTP secrets with it; `up` keeps it in a Prefect Secret block instead.
    from cryptography.fernet import Fernet

    os.environ.setdefault("PASOPATI_CREDENTIAL_KEY", Fernet.generate_key().decode())
    # TOTP steps of 5 s (RFC 6238's X; 30 in production): one person acts several times a minute in
    # the end-to-end tests, and a code is used once per step. tests/test_identity.py keeps 30.
    os.environ.setdefault("PASOPATI_TOTP_STEP_SECONDS", "5")
    # The channel-down test waits out every retry; the retry logic is the same at any spacing.
    os.environ.setdefault("PASOPATI_PUBLISH_RETRY_SECONDS", "0.3")
    if os.environ.get("PASOPATI_TEST_STORE") == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.exit("PostgreSQL unreachable at 127.0.0.1:5432: the PostgreSQL-store tier is skipped", returncode=0)
        os.environ["PASOPATI_DATABASE_URL"] = create_postgres_database(url, "pasopati_store")
    from pasopati.db import Database
    from pasopati.db.schema import upgrade
    from pasopati.settings import get_settings

    get_settings.cache_clear()
    store = Database(get_settings().database)
    upgrade(store)
    store.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need a Prefect server form the end-to-end tier (`-m e2e`; `-m "not e2e"`: the fast tier)."""
    for item in items:
        if {"prefect_api", "served", "intake_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


def pytest_unconfigure(config: pytest.Config) -> None:
    if os.environ.get("PASOPATI_KEEP_TEST_DATA") != "1":
        shutil.rmtree(os.environ["PASOPATI_DATA_DIR"], ignore_errors=True)
        if os.environ.get("PASOPATI_TEST_STORE") == "postgresql":
            drop_postgres_database(os.environ["PASOPATI_DATABASE_URL"])


def create_postgres_database(url: str, prefix: str) -> str:
    """A new, empty database beside ``url``'s; returns its URL."""
    import sqlalchemy

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return sqlalchemy.engine.make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    import sqlalchemy

    target = sqlalchemy.engine.make_url(url)
    admin = sqlalchemy.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {target.database} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh store made by the migrations, on SQLite and on the machine's PostgreSQL."""
    with fresh_store(request.param, tmp_path) as database:
        yield database


@contextmanager
def fresh_store(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A store made by the migrations: a SQLite file under ``tmp_path``, or a PostgreSQL schema."""
    from pasopati.db import Database
    from pasopati.db.schema import upgrade

    if kind == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'store.db'}")
        upgrade(database)
        yield database
        database.dispose()
        return
    with postgres_schema() as database:
        upgrade(database)
        yield database


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[Database]:
    """An empty schema of its own on the machine's PostgreSQL (skips where unreachable), dropped after."""
    import sqlalchemy

    from pasopati.db import Database

    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    database = Database(f"{url}?options=-csearch_path%3D{schema}")
    try:
        yield database
    finally:
        database.dispose()
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return Path(os.environ["PASOPATI_DATA_DIR"])


@pytest.fixture(scope="session")
def prefect_api(data_dir: Path) -> Iterator[str]:
    """The session's Prefect server, locked like `pasopati up`'s: its credential is generated into
    the session's data directory, where the `pasopati serve` and intake processes (and the runs and
    watcher they start) find it by themselves, as they do under `up`; the in-process client is
    given it. So every e2e test proves the stack works locked."""
    from prefect.settings import (
        PREFECT_API_AUTH_STRING,
        PREFECT_API_URL,
        temporary_settings,
    )

    from pasopati.server_auth import ensure_login
    from pasopati.settings import get_settings

    login = ensure_login(get_settings())
    with (
        prefect_server(data_dir / "prefect-server", auth=login) as api_url,
        temporary_settings({PREFECT_API_URL: api_url, PREFECT_API_AUTH_STRING: login}),
    ):
        yield api_url


@contextmanager
def prefect_server(home: Path, auth: str | None = None) -> Iterator[str]:
    """A real Prefect server started the way `pasopati up` starts one, on a free port, locked with
    ``auth`` (``user:password``) if given. Its database is PostgreSQL where reachable (twenty
    runbooks at once make SQLite lock and back off, see PREFECT_NOTES), else SQLite under ``home``."""
    import sqlalchemy

    from pasopati.launcher import start_server
    from pasopati.settings import Settings

    env = {"PREFECT_HOME": str(home)}
    url = postgres_url()
    database = f"pasopati_prefect_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT") if url else None
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f"CREATE DATABASE {database}"))
        pg = sqlalchemy.engine.make_url(url).set(drivername="postgresql+asyncpg", database=database)
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = pg.render_as_string(hide_password=False)
    settings = Settings(port=free_port())
    server = start_server(settings, env_overrides=env, auth=auth)
    try:
        yield settings.api_url
    finally:
        server.terminate()
        server.wait(timeout=30)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            admin.dispose()


@pytest.fixture(scope="session")
def team_inbox() -> Iterator[SMTPInbox]:
    """A real SMTP server (aiosmtpd) receiving every notification to the crisis team."""
    from aiosmtpd.controller import Controller

    from tests.notify_receivers import HOST, SMTPInbox

    inbox = SMTPInbox()
    controller = Controller(inbox, hostname=HOST, port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@pytest.fixture(scope="session")
def runbooks_dir(data_dir: Path, team_inbox: SMTPInbox) -> Path:
    """The real runbooks, with each person's mailto contact delivered through the local SMTP server
    (the addresses stay the roster's own, so a test sees who was notified)."""
    target = data_dir / "runbooks"
    shutil.copytree(PROJECT_ROOT / "runbooks", target, dirs_exist_ok=True)
    roster = yaml.safe_load((target / "roster.yaml").read_text())
    for person in roster["people"]:
        person["contact"] = team_inbox.contact(person["contact"].removeprefix("mailto://"))
    (target / "roster.yaml").write_text(yaml.safe_dump(roster, allow_unicode=True, sort_keys=False))
    os.environ["PASOPATI_RUNBOOKS_DIR"] = str(target)
    from pasopati.plan.catalog import catalog
    from pasopati.settings import get_settings

    get_settings.cache_clear()
    catalog.cache_clear()
    return target


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh local WordPress for the session (tests/wordpress_site.py): cold about 30 s, warm about 3 s."""
    from tests.wordpress_site import local_wordpress

    yield from local_wordpress(tmp_path_factory)


@pytest.fixture(scope="session")
def channel_api() -> Iterator[ChannelAPI]:
    from tests.channel_api import ChannelAPI

    api = ChannelAPI()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def channels_file(data_dir: Path, channel_api: ChannelAPI, runbooks_dir: Path) -> Path:
    """The real channel config, with one channel carried by a webhook to the local channel API."""
    config = yaml.safe_load((PROJECT_ROOT / "runbooks" / "channels.yaml").read_text())
    title = config["channels"][WEBHOOK_CHANNEL]["title"]
    config["channels"][WEBHOOK_CHANNEL] = {"title": title, "adapter": "webhook", "url": channel_api.url}
    path = data_dir / "channels.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    os.environ["PASOPATI_CHANNELS_FILE"] = str(path)
    from pasopati.plan.catalog import catalog
    from pasopati.settings import get_settings

    get_settings.cache_clear()
    catalog.cache_clear()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def feed_server() -> Iterator[HTTPServer]:
    """A real HTTP server publishing a Google-Alerts-style Atom feed (content set by the test)."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    feeds = Path(os.environ["PASOPATI_DATA_DIR"]) / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - name: uji\n    url: {server.url_for('/alerts.atom')}\n")
    os.environ["PASOPATI_FEEDS_FILE"] = str(feeds)
    yield server
    server.clear()
    server.stop()


@contextmanager
def pasopati_process(
    command: str, prefect_api: str, data_dir: Path, ready: Callable[[], bool], timeout: float = 90
) -> Iterator[subprocess.Popen[bytes]]:
    """`pasopati <command>` in its own process (as `pasopati up` starts it), once ``ready()``."""
    log_path = data_dir / f"{command}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pasopati.cli", command],
            env={**os.environ, "PREFECT_API_URL": prefect_api},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir,  # runs must not depend on the working directory
        )
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"pasopati {command} did not come up:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def intake_url(prefect_api: str, channels_file: Path, feed_server: HTTPServer, data_dir: Path) -> Iterator[str]:
    import requests

    port = free_port()
    os.environ["PASOPATI_INTAKE_PORT"] = str(port)
    from pasopati.settings import get_settings

    get_settings.cache_clear()
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(f"{url}/health", timeout=1).ok
        except requests.RequestException:
            return False

    with pasopati_process("intake", prefect_api, data_dir, healthy, timeout=60):
        yield url


class Served:
    """The session's `pasopati serve` process; a test may restart it, as an operator would."""

    def __init__(self, prefect_api: str, data_dir: Path):
        self.prefect_api, self.data_dir = prefect_api, data_dir
        self._running: Any = None
        self.start()

    def start(self) -> None:
        from prefect import get_client

        with get_client(sync_client=True) as client:
            ready = lambda: len(client.read_deployments()) >= 24
            self._running = pasopati_process("serve", self.prefect_api, self.data_dir, ready)
            self.process = self._running.__enter__()

    def stop(self) -> None:
        self._running.__exit__(None, None, None)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def served(prefect_api: str, channels_file: Path, intake_url: str, data_dir: Path) -> Iterator[Served]:
    handle = Served(prefect_api, data_dir)
    yield handle
    handle.stop()


def postgres_url() -> str | None:
    """The machine's PostgreSQL, or None where unreachable (never tolerated under CI=true)."""
    import sqlalchemy

    url = os.environ.get("PASOPATI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect():
            return url
    except sqlalchemy.exc.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but PostgreSQL is unreachable at {url}: {exc}")
        return None
    finally:
        engine.dispose()
