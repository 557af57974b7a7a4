"""Who may send alerts, per source: a bearer token, or a signed request.

A signed request carries (HMAC key per source in ``PASOPATI_INTAKE_HMAC_KEYS``)::

    X-Pasopati-Source:    pemantau
    X-Pasopati-Timestamp: 1764470123                    unix seconds, the sender's clock
    X-Pasopati-Nonce:     4f1c2a9e-b7d0-4d1e           8–128 characters of A-Z a-z 0-9 _ -, new per request
    X-Pasopati-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<nonce>." followed by the body bytes>

It is refused when the timestamp is more than ``PASOPATI_INTAKE_SIGNATURE_WINDOW_SECONDS`` (300)
from the intake's clock, or when the source used that nonce before within the window — also after
a restart of the intake: nonces are kept in a file (NonceLedger).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pasopati.settings import Settings

LOCAL_SOURCE = "manual"
# Sources inside this installation that get a generated token: operators' manual reports, the feed poller.
LOCAL_SOURCES = (LOCAL_SOURCE, "feeds")
NONCE = re.compile(r"[A-Za-z0-9_-]{8,128}")


class NotAuthenticated(Exception):
    """Why a request is refused, in one line (the 401's ``detail`` names it)."""


class NonceLedger:
    """The nonces of accepted signed requests, per source, for as long as their timestamps are in
    the window; in ``path`` (None: in memory only, for tests) so a replay after a restart is refused.

    The file is JSON lines: a first line ``{"since": <unix s>}`` — the ledger is complete for
    timestamps from then on — then one ``{"source", "nonce", "ts"}`` per accepted request, appended
    and fsync'd before the request is answered. At most once a window, entries whose timestamp left
    the window are dropped by rewriting the file atomically, and ``since`` moves up to the cut.
    A timestamp before ``since`` is refused: whether it was seen cannot be told (the file is new or
    was lost, or the window was made longer since). Processes sharing the file (one intake, tests)
    take ``<path>.lock`` and read what the others appended before deciding.
    """

    def __init__(self, path: Path | None = None, window_seconds: float = 300):
        self.path, self.window = path, window_seconds
        self._seen: dict[tuple[str, str], float] = {}
        self._since: float | None = None
        self._file: tuple[int, int] | None = None  # (device, inode) of the file read so far
        self._offset = 0  # bytes of it read, up to the end of its last complete line
        self._pruned_at = 0.0
        self._lock = threading.Lock()

    def open(self, now: float | None = None) -> None:
        """Load the file, or start it (``since`` = now) when there is none. Called at the intake's
        start, so its first signed request is not refused as older than a ledger made just then."""
        with self._lock, self._locked():
            self._catch_up(time.time() if now is None else now)

    def claim(self, source: str, nonce: str, ts: float, now: float) -> str | None:
        """Record ``source``'s ``nonce`` (timestamp ``ts``, unix s); None, or why it is refused."""
        with self._lock, self._locked():
            self._catch_up(now)
            assert self._since is not None
            if ts < self._since:
                return f"timestamp {ts:.0f} predates the nonce record (complete since {self._since:.0f}): sign it anew"
            if (source, nonce) in self._seen:
                return "nonce already used: a replay (sign each request with a new nonce)"
            self._append({"source": source, "nonce": nonce, "ts": ts})  # raises OSError (disk full…)
            self._seen[(source, nonce)] = ts
            if now - self._pruned_at > self.window:
                self._prune(now)
        return None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield  # released when closed

    def _catch_up(self, now: float) -> None:
        """Read what was appended since last time (by us or another process); start the file if none."""
        if self.path is None:
            if self._since is None:
                self._since = math.floor(now)
            return
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            if self._since is None:  # a first start (or a lost file): complete from now on only
                self._since = math.floor(now)
            self._rewrite()  # what we remember stays refused even if the file was deleted under us
            return
        if (stat.st_dev, stat.st_ino) != self._file or stat.st_size < self._offset:  # new to us, or rewritten
            self._seen.clear()
            self._file, self._offset = (stat.st_dev, stat.st_ino), 0
        with self.path.open("rb") as ledger:
            ledger.seek(self._offset)
            tail = ledger.read()
        complete = tail[: tail.rfind(b"\n") + 1]  # a line torn by a crash was never answered: skip it
        self._offset += len(complete)
        for line in complete.splitlines():
            try:
                entry = json.loads(line)
                if "since" in entry:
                    self._since = float(entry["since"])
                else:
                    self._seen[(entry["source"], entry["nonce"])] = float(entry["ts"])
            except (ValueError, KeyError, TypeError):
                continue
        if self._since is None:  # a file without its first line: complete from now on only
            self._since = math.floor(now)

    def _append(self, entry: dict[str, object]) -> None:
        if self.path is None:
            return
        line = json.dumps(entry).encode() + b"\n"
        with self.path.open("ab") as ledger:
            if ledger.tell() > self._offset:  # after a torn line: start a fresh one
                line = b"\n" + line
            ledger.write(line)
            ledger.flush()
            os.fsync(ledger.fileno())  # durable before the request is answered
            self._offset = ledger.tell()

    def _prune(self, now: float) -> None:
        cut = now - self.window
        self._seen = {key: ts for key, ts in self._seen.items() if ts >= cut}
        self._since = max(self._since or cut, math.floor(cut))
        self._pruned_at = now
        self._rewrite()

    def _rewrite(self) -> None:
        """Replace the file with what we remember, atomically (write, fsync, rename, fsync the dir)."""
        if self.path is None:
            return
        lines = [{"since": self._since}, *({"source": s, "nonce": n, "ts": ts} for (s, n), ts in self._seen.items())]
        temp = self.path.with_name(self.path.name + ".tmp")
        with temp.open("wb") as out:
            out.write(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        temp.replace(self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        stat = self.path.stat()
        self._file, self._offset = (stat.st_dev, stat.st_ino), size


@dataclass(frozen=True)
class Credentials:
    tokens: dict[str, str]
    hmac_keys: dict[str, str]
    window_seconds: float = 300
    nonces: NonceLedger = field(default_factory=NonceLedger)  # in memory unless given a file

    def check(
        self,
        source: str,
        body: bytes,
        *,
        authorization: str | None = None,
        signature: str | None = None,
        timestamp: str | None = None,
        nonce: str | None = None,
        now: float | None = None,
    ) -> None:
        """Raises NotAuthenticated naming the problem unless the request is ``source``'s: its bearer
        token, or its signature (see the module) with a fresh timestamp and an unused nonce, which
        is then recorded. ``now``: unix seconds (default: the clock). Blocks on an fsync."""
        token = self.tokens.get(source)
        if token and authorization and authorization.startswith("Bearer "):
            # Bytes, not str: compare_digest refuses non-ASCII str (a header anyone can send).
            if hmac.compare_digest(authorization.removeprefix("Bearer ").strip().encode(), token.encode()):
                return
            if not signature:
                raise NotAuthenticated("the bearer token does not match")
        key = self.hmac_keys.get(source)
        if key and signature:
            self._check_signed(source, key, body, signature, timestamp, nonce, time.time() if now is None else now)
            return
        raise NotAuthenticated("send Authorization: Bearer <token>, or sign the request (X-Pasopati-Signature)")

    def _check_signed(
        self, source: str, key: str, body: bytes, signature: str, timestamp: str | None, nonce: str | None, now: float
    ) -> None:
        if not timestamp or not nonce:
            raise NotAuthenticated("a signed request needs X-Pasopati-Timestamp and X-Pasopati-Nonce")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise NotAuthenticated("X-Pasopati-Timestamp must be unix seconds (digits only)")
        if not NONCE.fullmatch(nonce):
            raise NotAuthenticated("X-Pasopati-Nonce must be 8–128 characters of A-Z a-z 0-9 _ -")
        expected = hmac.new(key.encode(), f"{timestamp}.{nonce}.".encode() + body, hashlib.sha256).hexdigest()
        if not signature.startswith("sha256=") or not hmac.compare_digest(
            signature.removeprefix("sha256=").encode(), expected.encode()
        ):
            raise NotAuthenticated("the signature does not match (sha256=HMAC of '<timestamp>.<nonce>.' + body)")
        skew = int(timestamp) - now
        if abs(skew) > self.window_seconds:
            raise NotAuthenticated(
                f"X-Pasopati-Timestamp is {skew:+.0f} s from the intake's clock, outside ±{self.window_seconds:.0f} s"
            )
        if refused := self.nonces.claim(source, nonce, int(timestamp), now):
            raise NotAuthenticated(refused)


def local_token_file(settings: Settings) -> Path:
    return settings.data_dir / "intake-tokens.json"


def nonce_file(settings: Settings) -> Path:
    return settings.data_dir / "intake-nonces.jsonl"


def credentials(settings: Settings) -> Credentials:
    """Configured credentials, plus a token for 'manual' generated once per installation so the
    embedded default works without configuration yet never accepts unauthenticated alerts."""
    path = local_token_file(settings)
    generated: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if set(LOCAL_SOURCES) - set(generated):
        generated = {source: generated.get(source) or secrets.token_urlsafe(24) for source in LOCAL_SOURCES}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(generated))
        path.chmod(0o600)
    window = settings.intake_signature_window_seconds
    return Credentials(
        tokens={**generated, **settings.intake_tokens},
        hmac_keys=dict(settings.intake_hmac_keys),
        window_seconds=window,
        nonces=NonceLedger(nonce_file(settings), window),
    )
