"""`pasopati up` starts and stops like a service: the real command, as a process, on its own data
directory and free ports. Ctrl-C or SIGTERM stops it and everything it started within 15 s with
exit code 0 and no traceback; a second `up` is refused; after `up` itself is killed, the next `up`
stops what it left running and takes over. (Each `up` costs ~25 s: few tests, each doing much.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from pasopati import server_auth
from pasopati.launcher import group_members, process_start, stop_group
from pasopati.settings import Settings
from tests.conftest import free_port

pytestmark = [pytest.mark.e2e]
STOP_WITHIN = 15.0
QUIET = {"text": "Warga binaan Lapas Sukamiskin mengikuti pelatihan barista"}  # stored, starts nothing


def stack_env(tmp_path: Path) -> dict[str, str]:
    """The environment of an operator's shell: none of the session's PASOPATI_/PREFECT_ settings,
    a data directory and Prefect home of its own, free ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PASOPATI_", "PREFECT_"))}
    return env | {
        "PASOPATI_DATA_DIR": str(tmp_path / "data"),
        "PASOPATI_PORT": str(free_port()),
        "PASOPATI_INTAKE_PORT": str(free_port()),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_LOCAL_STORAGE_PATH": str(tmp_path / "prefect-results"),
    }


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def data_dir(self) -> Path:
        return Path(self.env["PASOPATI_DATA_DIR"])

    def url(self, which: str) -> str:
        return f"http://127.0.0.1:{self.env['PASOPATI_PORT' if which == 'prefect' else 'PASOPATI_INTAKE_PORT']}"

    def processes(self) -> set[tuple[int, int]]:
        """(pid, start) of every process it started: its children and their process groups."""
        record = json.loads((self.data_dir / "up.pid.json").read_text())
        return {member for child in record["children"] for member in group_members(child["pid"])}

    def healthy(self) -> bool:
        """Its own three children run (not a previous `up`'s), the intake answers, and the runner
        has registered every deployment on the locked server."""
        try:
            record = json.loads((self.data_dir / "up.pid.json").read_text())
        except (OSError, ValueError):
            return False
        if record["up"]["pid"] != self.process.pid or len(record["children"]) < 3:
            return False
        login = server_auth.read_login(Settings(data_dir=self.data_dir))
        try:
            if not login or not requests.get(f"{self.url('intake')}/health", timeout=2).ok:
                return False
            # Not paused: registered by this runner (a stopped one pauses its deployments).
            serving = {"deployments": {"paused": {"eq_": False}}}
            count = requests.post(f"{self.url('prefect')}/api/deployments/count", json=serving,
                                  headers=server_auth.authorization(login), timeout=2)
            return count.ok and count.json() >= 24
        except requests.RequestException:
            return False

    def stop(self, signum: signal.Signals) -> float:
        """Send ``signum``; seconds until `up` exited."""
        began = time.monotonic()
        self.process.send_signal(signum)
        self.process.wait(timeout=60)
        return time.monotonic() - began


STARTED: list[Up] = []


@pytest.fixture(autouse=True)
def no_stack_outlives_its_test() -> Iterator[None]:
    """Whatever a failing test leaves: its `up` gets SIGTERM (it stops its children), then SIGKILL
    along with its children."""
    yield
    while STARTED:
        up = STARTED.pop()
        if up.process.poll() is None:
            up.process.terminate()
            try:
                up.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                up.process.kill()
                up.process.wait()
        try:
            record = json.loads((up.data_dir / "up.pid.json").read_text())
        except (OSError, ValueError):
            continue
        for child in record["children"]:
            if child["start"] is not None:
                stop_group(child["pid"], child["start"], patience=5)


def start_up(env: dict[str, str], log: Path) -> Up:
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "pasopati.cli", "up"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, cwd=log.parent)
    up = Up(process, log, env)
    STARTED.append(up)
    deadline = time.monotonic() + 180
    while not up.healthy():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"`pasopati up` did not come up:\n{up.output[-4000:]}")
        time.sleep(0.5)
    return up


def alive(processes: set[tuple[int, int]]) -> set[tuple[int, int]]:
    return {(pid, start) for pid, start in processes if process_start(pid) == start}


def run_up(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pasopati.cli", "up"]
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=120)


def test_ctrl_c_stops_everything_cleanly_and_a_second_up_is_refused(tmp_path: Path) -> None:
    env = stack_env(tmp_path)
    up = start_up(env, tmp_path / "up.log")
    started = up.processes()
    assert len(started) >= 3, started  # server, intake, runner (+ the runner's forkserver)

    second = run_up(env)  # the same data directory
    assert second.returncode == 2 and "already running from" in second.stderr, second.stderr
    elsewhere = run_up(env | {"PASOPATI_DATA_DIR": str(tmp_path / "other")})  # the same ports
    assert elsewhere.returncode == 2 and f"port {env['PASOPATI_INTAKE_PORT']} is taken" in elsewhere.stderr
    assert alive(started) == started, "a refused `up` touched nothing"

    took = up.stop(signal.SIGINT)
    print(f"SIGINT → `up` exited in {took:.1f} s")
    assert up.process.returncode == 0, up.output[-3000:]
    assert took < STOP_WITHIN
    assert not alive(started), f"left running: {alive(started)}"
    assert "Traceback" not in up.output, up.output[-6000:]
    assert not (up.data_dir / "up.pid.json").exists()


def test_after_up_is_killed_the_next_up_takes_over_and_sigterm_stops_it(tmp_path: Path) -> None:
    env = stack_env(tmp_path)
    crashed = start_up(env, tmp_path / "crashed.log")
    orphans = crashed.processes()
    crashed.process.kill()
    crashed.process.wait()
    time.sleep(1)
    assert alive(orphans) == orphans, "the children keep serving when `up` dies"

    up = start_up(env, tmp_path / "up.log")
    assert "ended without stopping its runner" in up.output and "stopped the old Prefect server" in up.output, up.output
    assert not alive(orphans), f"left running by the dead `up`: {alive(orphans)}"
    token = json.loads((up.data_dir / "intake-tokens.json").read_text())["manual"]
    answer = requests.post(f"{up.url('intake')}/alerts", json=QUIET, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code in (200, 202), answer.text

    started = up.processes()
    took = up.stop(signal.SIGTERM)
    print(f"SIGTERM → `up` exited in {took:.1f} s")
    assert up.process.returncode == 0, up.output[-3000:]
    assert took < STOP_WITHIN
    assert not alive(started), f"left running: {alive(started)}"
    assert "Traceback" not in up.output, up.output[-6000:]
