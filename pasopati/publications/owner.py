"""Who holds a write-ahead record: this process, named so that another process can tell whether it
is still alive (a delivery left ``sending`` by a dead process must be resolved, never waited on)."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from pasopati.time import utcnow


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), which
    tells a live process from a later one that reuses its pid; None when there is no such process
    or it is a zombie (state Z): a killed publisher its parent has not collected — its forkserver
    killed with it, and no init reaping orphans — keeps its stat, start time and all, and would
    otherwise count as still sending forever (as pasopati.launcher.process_start counts it gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # field 3 (state) onwards
    return None if fields[0] == "Z" else fields[19]


@lru_cache(maxsize=1)
def me() -> str:
    """``host:pid:start`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_ticks(os.getpid()) or '?'}"


def alive(owner: str | None, started_at: datetime | None, lease: timedelta) -> bool:
    """Whether ``owner`` may still be sending. On this host: its pid runs and started when it did.
    On another host (a second worker machine) we cannot look: alive until ``lease`` after the
    write-ahead record (longer than any attempt with its retries can take)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid, _, ticks = rest.partition(":")
    if host == socket.gethostname() and pid.isdigit():
        return _start_ticks(int(pid)) == ticks
    return started_at is not None and utcnow() - started_at < lease
