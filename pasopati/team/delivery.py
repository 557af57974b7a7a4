"""Notify people through apprise (``Person.contact`` holds an apprise URL) and report, per message,
whether it was delivered and if not, why."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
import pydantic

# An unreachable server must not stall a crisis run: apprise defaults to 4 s (email: 15 s) per socket.
CONNECT_TIMEOUT = 3.0  # apprise URL param `cto`; the email plugin uses it for every SMTP socket operation
READ_TIMEOUT = 5.0  # apprise URL param `rto`; HTTP-based plugins only
MAX_PARALLEL = 8


class Delivery(pydantic.BaseModel):
    contact: str  # the apprise URL with any password masked: deliveries get logged and stored
    ok: bool
    error: str | None = None


def send(contact: str, title: str, body: str) -> Delivery:
    """Send one notification; never raises, so one bad contact cannot break a runbook step."""
    contact = contact.strip()
    if not contact:
        return Delivery(contact="", ok=False, error="invalid apprise URL: empty contact")
    try:
        with _apprise_log() as log:
            plugin = apprise.Apprise.instantiate(contact)
        if plugin is None:
            return _failed(contact, _mask_unparsed(contact), _reason("invalid apprise URL", log))
        _apply_default_timeouts(contact, plugin)
        masked = plugin.url(privacy=True)
        notifier = apprise.Apprise()
        notifier.add(plugin)
        with _apprise_log() as log:
            # body_format=TEXT: our bodies are plain text; apprise escapes them for HTML targets (email).
            # notify() returns None when nothing was sent: that is not a delivery either.
            ok = bool(notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
        return Delivery(contact=masked, ok=True) if ok else _failed(contact, masked, _reason("not delivered", log))
    except Exception as exc:  # a plugin bug must still come back as a failed Delivery
        return _failed(contact, _mask_unparsed(contact), f"{type(exc).__name__}: {exc}")


def _failed(contact: str, masked: str, error: str) -> Delivery:
    # apprise's log lines may quote the URL; a password must not reach the stored error either.
    try:
        password = urlsplit(contact).password
    except ValueError:
        password = None
    for secret in {password, unquote(password or "")} - {None, ""}:
        error = error.replace(secret, "****")
    return Delivery(contact=masked, ok=False, error=error)


def send_many(messages: list[tuple[str, str, str]]) -> list[Delivery]:
    """Send (contact, title, body) messages concurrently; results come back in input order."""
    if not messages:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(messages))) as pool:
        return list(pool.map(lambda m: send(*m), messages))


def _apply_default_timeouts(contact: str, plugin: apprise.NotifyBase) -> None:
    # Only where the URL leaves them unset: a contact that asks for longer keeps it.
    params = {key.lower() for key, _ in parse_qsl(urlsplit(contact).query)}
    if "cto" not in params:
        plugin.socket_connect_timeout = CONNECT_TIMEOUT
    if "rto" not in params:
        plugin.socket_read_timeout = READ_TIMEOUT


def mask(contact: str) -> str:
    """``contact`` with a password in its authority replaced, for records made before sending."""
    return _mask_unparsed(contact)


def _mask_unparsed(contact: str) -> str:
    # No plugin to mask it for us: keep the user, hide a password in the authority (user:password@).
    try:
        parts = urlsplit(contact)
    except ValueError:
        return "<unparseable>"
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return contact
    return parts._replace(netloc=f"{userinfo.partition(':')[0]}:****@{host}").geturl()


def _reason(prefix: str, log: list[tuple[int, str]]) -> str:
    # apprise logs the summary at WARNING and the cause ("Socket Exception: [Errno 111] Connection
    # refused", the server's "Response Details") at DEBUG; other DEBUG lines are noise or echo the body.
    lines = [
        " ".join(msg.split())[:300]
        for level, msg in log
        if level >= logging.WARNING or msg.startswith(("Socket Exception", "Response Details"))
    ]
    return f"{prefix}: {'; '.join(dict.fromkeys(lines))}" if lines else prefix


# apprise's own LogCapture adds a handler to the shared "apprise" logger and toggles its level, so with
# concurrent sends each would collect the others' lines. apprise notifies a single plugin in the
# calling thread, so a per-thread buffer attributes every line to the right send.
_APPRISE_LOGGER: logging.Logger = apprise.logger  # the logging.getLogger("apprise") every plugin logs to
_local = threading.local()
_lock = threading.Lock()
_active = 0
_restore_level = logging.NOTSET


class _ThreadCapture(logging.Filter):
    def __init__(self, passthrough: int) -> None:
        super().__init__()
        self.passthrough = passthrough

    def filter(self, record: logging.LogRecord) -> bool:
        buffer: list[tuple[int, str]] | None = getattr(_local, "buffer", None)
        if buffer is not None:
            buffer.append((record.levelno, record.getMessage()))
        # We lowered the logger's level to see DEBUG causes; the app's handlers still get only what
        # they would have got before.
        return record.levelno >= self.passthrough


_filter = _ThreadCapture(logging.WARNING)


@contextmanager
def _apprise_log() -> Iterator[list[tuple[int, str]]]:
    """Collect apprise's log messages (DEBUG and up) emitted by this thread inside the block."""
    global _active, _restore_level
    with _lock:
        if _active == 0:
            _restore_level = _APPRISE_LOGGER.level
            _filter.passthrough = _APPRISE_LOGGER.getEffectiveLevel()
            _APPRISE_LOGGER.setLevel(logging.DEBUG)
            _APPRISE_LOGGER.addFilter(_filter)
        _active += 1
    buffer: list[tuple[int, str]] = []
    _local.buffer = buffer
    try:
        yield buffer
    finally:
        _local.buffer = None
        with _lock:
            _active -= 1
            if _active == 0:
                _APPRISE_LOGGER.removeFilter(_filter)
                _APPRISE_LOGGER.setLevel(_restore_level)
