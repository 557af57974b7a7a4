"""``pasopati up``: the whole embedded stack — Prefect server (SQLite) with its UI, the store and
all runbook deployments served — in one command, started and stopped like a service.

- The Prefect server is locked with basic auth (pasopati.server_auth); every child presents it.
- Ctrl-C or SIGTERM stops the children in order (runner, intake, server) within ~15 s, exit 0.
- ``data_dir/up.lock`` (flock, released by the kernel whenever ``up`` ends, even on SIGKILL) says
  whether an ``up`` is running from this data directory; a second one is refused.
- ``data_dir/up.pid.json`` names the children (pid, start time, command line). The children run in
  sessions of their own (a terminal's Ctrl-C reaches ``up`` alone, which stops them in order), so
  when ``up`` dies without stopping them (SIGKILL, OOM) they keep serving; the next ``up`` finds
  them there and stops them before starting its own.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from pasopati.alerts.classify import load_rules
from pasopati.db import Database, StoreUnavailable, schema
from pasopati.intake.auth import LOCAL_SOURCE, credentials, local_token_file
from pasopati.plan.catalog import load_catalog
from pasopati.server_auth import (
    CLIENT_VAR,
    SERVER_VAR,
    CredentialError,
    authorization,
    redacted,
    server_login,
)
from pasopati.settings import Settings, get_settings

# Seconds each child gets to stop cleanly after SIGINT before SIGKILL, in stopping order: the runner
# pauses its deployments (~3 s for 24), the intake ends at once, the server in ~1–2 s. The sum
# stays under the 15 s a service manager is given to stop us.
PATIENCE = {"runner": 8.0, "alert intake": 2.0, "Prefect server": 4.0}


def server_healthy(api_url: str) -> bool:
    try:
        return requests.get(f"{api_url}/health", timeout=2).ok
    except requests.RequestException:
        return False


def spawn_server(
    settings: Settings, env_overrides: dict[str, str] | None = None, auth: str | None = None
) -> subprocess.Popen[bytes]:
    """``prefect server start`` on ``settings.port``, locked with ``auth`` (``user:password``) if given."""
    env = {
        **os.environ,
        **(env_overrides or {}),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # Without this the UI keeps calling port 4200 when another port is chosen.
        "PREFECT_UI_API_URL": settings.api_url,
        "PREFECT_SERVER_API_PORT": str(settings.port),
        # A run waiting for a channel's slot (kanal-<channel>) is told by the server when to ask
        # again: the average slot hold × the slots denied so far, capped at this (Prefect's default
        # 30 s). Ten runs publishing at once then posted 20–40 s apart while each post takes well
        # under a second (CI, tests/test_runbook_runs.py); a poll a second is cheap for the server.
        "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    }
    if auth:
        env[SERVER_VAR] = auth  # /api/* answers 401 without it; /api/health stays open
    env.pop("PREFECT_API_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", settings.host, "--port", str(settings.port)],
        env=env,
        # Its own session: a Ctrl-C in the terminal reaches `up`, which stops the server last,
        # after the runner has paused its deployments on it.
        start_new_session=True,
    )


def wait_healthy(process: subprocess.Popen[bytes], api_url: str, timeout_seconds: float = 90) -> None:
    """Until ``api_url/health`` answers. Raises RuntimeError if the server exits or takes too long."""
    deadline = time.monotonic() + timeout_seconds
    while not server_healthy(api_url):
        if process.poll() is not None:
            raise RuntimeError(f"Prefect server exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Prefect server not healthy at {api_url} after {timeout_seconds:.0f} s")
        time.sleep(0.5)


def start_server(
    settings: Settings, timeout_seconds: float = 90, env_overrides: dict[str, str] | None = None, auth: str | None = None
) -> subprocess.Popen[bytes]:
    """A healthy Prefect server (see spawn_server); stopped again if it does not become healthy."""
    process = spawn_server(settings, env_overrides, auth)
    try:
        wait_healthy(process, settings.api_url, timeout_seconds)
    except BaseException:
        stop(process, patience=5)
        raise
    return process


def check_credential(api_url: str, login: str | None) -> None:
    """Raises CredentialError when the server at ``api_url`` refuses ``login`` (an already running
    server that is not ours, or locked with another credential)."""
    headers = authorization(login) if login else {}
    try:
        refused = requests.get(f"{api_url}/admin/version", headers=headers, timeout=5).status_code == 401
    except requests.RequestException:
        return  # unreachable is reported by whoever talks to it next
    if refused:
        raise CredentialError(
            f"the Prefect server already running at {api_url} refuses PASOPATI's credential (401): set"
            f" {CLIENT_VAR} to its user:password, or stop it and let `pasopati up` start its own"
        )


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
    """Another PASOPATI already serves on these ports or from this data directory: a second one
    would pause its deployments on exit."""


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


# ---------------------------------------------------------------- processes, by /proc (Linux)

def process_start(pid: int, zombies: bool = False) -> int | None:
    """When ``pid`` started (clock ticks after boot, /proc/PID/stat field 22), or None when no such
    process runs (a zombie counts as gone unless ``zombies``). With the pid it names one process,
    never a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 onwards
    return None if fields[0] == "Z" and not zombies else int(fields[19])


def process_cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def group_members(pgid: int) -> list[tuple[int, int]]:
    """(pid, start) of every live process in process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append((int(entry.name), int(fields[19])))
    return members


@contextmanager
def pinned(pid: int, start: int) -> Iterator[int | None]:
    """A pidfd for ``pid`` if it is still the process that started at ``start``, else None: signals
    sent through it reach that process or none, even if the pid is reused meanwhile."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        yield None
        return
    try:
        yield fd if process_start(pid) == start else None  # checked after opening: no race
    finally:
        os.close(fd)


def stop_group(pid: int, start: int, patience: float) -> bool:
    """Stop process ``pid`` (if still the one started at ``start``) and its process group: SIGINT,
    ``patience`` seconds to end cleanly, then SIGKILL; members left once it ended get SIGKILL (the
    forkserver and runs of the runner, say). Returns whether the leader was still running.
    The group must still be the leader's: the leader alive, or dead but not yet reaped."""
    members = group_members(pid)  # before the leader ends: the group exists while it does
    with pinned(pid, start) as fd:
        running = fd is not None
        if fd is not None:
            signal.pidfd_send_signal(fd, signal.SIGINT)
            if not select.select([fd], [], [], patience)[0]:  # a pidfd turns readable when its process ends
                signal.pidfd_send_signal(fd, signal.SIGKILL)
                select.select([fd], [], [], 5)
    # Later members must have started after the leader: a group id is never reused while in use.
    members += [m for m in group_members(pid) if m[1] >= start and m not in members]
    for member, member_start in members:
        with pinned(member, member_start) as fd:
            if fd is not None:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
    give_up = time.monotonic() + 3
    while any(process_start(m) == s for m, s in members) and time.monotonic() < give_up:
        time.sleep(0.05)
    return running


def stop(process: subprocess.Popen[bytes] | None, patience: float = 30) -> None:
    """Stop a child of ours and its process group (see stop_group), then reap it: no zombie."""
    if process is None or process.returncode is not None:
        return
    start = process_start(process.pid, zombies=True)
    if start is not None:  # not reaped yet, so the pid and the group are still this child's
        stop_group(process.pid, start, patience)
    process.wait()


def exit_status(process: subprocess.Popen[bytes]) -> int | None:
    """The child's exit code (negative: the signal) once it ended, else None — without reaping it,
    so stop() can still clear its process group safely."""
    try:
        ended = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped already
        return process.returncode
    if ended is None:
        return None
    return ended.si_status if ended.si_code == os.CLD_EXITED else -ended.si_status


# ---------------------------------------------------------------- the data directory's `up`

def pid_file(settings: Settings) -> Path:
    return settings.data_dir / "up.pid.json"


def _identity(pid: int) -> dict[str, Any]:
    return {"pid": pid, "start": process_start(pid), "cmdline": process_cmdline(pid)}


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def write_pid_file(settings: Settings, children: dict[str, subprocess.Popen[bytes]]) -> None:
    """``{"boot_id", "up": {pid, start, cmdline}, "children": [{"name", pid, start, cmdline}]}``,
    in starting order, replaced atomically after each start (a crash mid-start leaves it exact)."""
    record = {
        "boot_id": _boot_id(),
        "up": _identity(os.getpid()),
        "children": [{"name": name, **_identity(p.pid)} for name, p in children.items()],
    }
    path = pid_file(settings)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(record))
    temp.replace(path)


def claim_data_dir(settings: Settings) -> int:
    """Hold ``data_dir/up.lock`` for as long as this process lives (returns its fd) and stop what
    a previous ``up`` that died left running. Raises AlreadyRunning while another ``up`` holds it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.data_dir / "up.lock", os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by children
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        try:
            pid = str(json.loads(pid_file(settings).read_text())["up"]["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            pid = "PID"  # still starting: its pid file is not written yet
        raise AlreadyRunning(
            f"`pasopati up` is already running from {settings.data_dir}: stop it first (Ctrl-C there, or"
            f" `kill {pid}`), or give this one its own PASOPATI_DATA_DIR and ports (PASOPATI_PORT, PASOPATI_INTAKE_PORT)"
        ) from None
    take_over(settings)
    return fd


def take_over(settings: Settings) -> None:
    """Stop the children a dead ``up`` left running (we hold the lock, so it is dead): those its pid
    file names whose pid, start time and command line still match — never a reused pid."""
    path = pid_file(settings)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        record = {}
    if record.get("boot_id") == _boot_id():  # after a reboot nothing of it runs
        for child in reversed(record.get("children", [])):  # the runner first, the server last
            name, pid, start = child["name"], child["pid"], child["start"]
            if start is None or process_start(pid) != start or process_cmdline(pid) != child["cmdline"]:
                continue
            print(f"PASOPATI: the previous `pasopati up` (pid {record['up']['pid']}) ended without stopping"
                  f" its {name} (pid {pid}); stopping it…", flush=True)
            began = time.monotonic()
            stop_group(pid, start, PATIENCE.get(name, 5.0))
            print(f"PASOPATI: stopped the old {name} in {time.monotonic() - began:.1f} s", flush=True)
    path.unlink(missing_ok=True)


# ---------------------------------------------------------------- up

class _Stop(Exception):
    """SIGINT or SIGTERM: stop the stack."""


class _StopSignals:
    """SIGINT and SIGTERM raise _Stop in the main thread (``kill`` stops the stack as cleanly as
    Ctrl-C, also when started in the background, where SIGINT comes ignored) — except inside
    ``recording()``, where the raise waits until its end: a child started but not yet recorded would
    outlive ``up``. Only the first signal counts; a second Ctrl-C must not break the orderly stop
    it asked for into a traceback and orphans."""

    def __init__(self) -> None:
        self._deferring = False
        self._pending: str | None = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        self._pending = signal.Signals(signum).name
        if not self._deferring:
            raise _Stop(self._pending)

    @contextmanager
    def recording(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self._pending:
            raise _Stop(self._pending)


def up() -> None:
    """Run the stack until SIGINT/SIGTERM (then stop it and return) or a child ends (then stop
    the rest and exit 1). Raises AlreadyRunning, CredentialError, CatalogError, RulesError,
    SchemaOutdated or StoreUnavailable before starting anything."""
    settings = get_settings()
    load_catalog(settings)  # refuse to start on an invalid runbook: raises CatalogError
    load_rules()  # … or on invalid classification rules: raises RulesError
    lock = claim_data_dir(settings)  # noqa: F841  held until this process ends
    if port_in_use(settings.host, settings.intake_port):
        raise AlreadyRunning(
            f"port {settings.intake_port} is taken: PASOPATI (or something else) is already running here."
            " Stop it first, or give this one other ports (PASOPATI_PORT, PASOPATI_INTAKE_PORT) and its own PASOPATI_DATA_DIR"
        )
    print(f"PASOPATI: {prepare_store(settings)}", flush=True)
    # The server requires `login`; every child (intake, runner, the runs and the watcher it starts)
    # inherits PREFECT_API_AUTH_STRING, which server_login sets to it unless the user set it.
    login, origin = server_login(settings)
    os.environ["PREFECT_API_URL"] = settings.api_url
    children: dict[str, subprocess.Popen[bytes]] = {}
    failed = False
    signals = _StopSignals()

    def start(name: str, begin: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        with signals.recording():
            children[name] = begin()
            write_pid_file(settings, children)
        return children[name]

    try:
        if server_healthy(settings.api_url):
            check_credential(settings.api_url, os.environ[CLIENT_VAR])
        else:
            wait_healthy(start("Prefect server", lambda: spawn_server(settings, auth=login)), settings.api_url)
        # The intake runs in its own process: a burst of alerts never slows the runner, and back.
        start("alert intake", lambda: subprocess.Popen([sys.executable, "-m", "pasopati.cli", "intake"], start_new_session=True))
        credentials(settings)  # creates the local token on first start
        where = f"the `login` in {origin}" if origin.endswith(".json") else f"${origin}"
        print(f"PASOPATI: Prefect UI at {settings.ui_url}  (store: {settings.database})", flush=True)
        print(f"PASOPATI: the UI and API are locked: log in with {where} ({redacted(login)})", flush=True)
        print(
            f"PASOPATI: alert intake at http://{settings.host}:{settings.intake_port}/alerts (docs: /docs);"
            f" local token for source '{LOCAL_SOURCE}' in {local_token_file(settings)}",
            flush=True,
        )
        # The flows are served by their own module, in their own process (the core never imports them).
        start("runner", lambda: subprocess.Popen([sys.executable, "-m", "flows.serve"], start_new_session=True))
        while not failed:
            for name, process in children.items():
                if (status := exit_status(process)) is not None:
                    print(f"PASOPATI: the {name} stopped (exit {status}); stopping everything", flush=True)
                    failed = True
            time.sleep(0.5)
    except _Stop as received:
        print(f"PASOPATI: {received}: stopping (the runner pauses its deployments first)…", flush=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)  # nothing interrupts the orderly stop
        began = time.monotonic()
        # The runner first (it pauses its deployments on the server), then the intake, the server last.
        for name in ("runner", "alert intake", "Prefect server"):
            stop(children.get(name), PATIENCE[name])
        pid_file(settings).unlink(missing_ok=True)
        if children:
            print(f"PASOPATI: stopped in {time.monotonic() - began:.1f} s", flush=True)
    if failed:
        raise SystemExit(1)
