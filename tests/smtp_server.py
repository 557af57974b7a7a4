"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the e-mail channel, with faults per message or
per recipient, recording every message it accepts with its envelope (the receiver's truth).

Faults (``server.inject(fault)``; each is used ``times`` times, ``None`` for every time; a fault
with ``rcpt`` applies only to transactions to that address, else to the next at its stage):
- ``Fault.reply("rcpt", "550 5.1.1 …", rcpt=a)``: answer RCPT TO:<a> with that, store nothing;
- ``Fault.reply("data", "451 4.3.0 …")``: answer that to the message content, store nothing;
- ``Fault.drop(store=True)``: store the message, then close the connection instead of the 250
  (the "accepted but the answer was lost" window of RFC 1047); ``store=False`` drops before storing;
- ``Fault.slow(stage, seconds, store=…)``: wait that long before answering MAIL, RCPT or the content
  (past the client's timeout), at "data" storing the message first or not.

``with running(SMTPServer(users={USER: PASSWORD})) as server:`` requires AUTH (PLAIN or LOGIN,
allowed without TLS: localhost only); without users it takes mail from anyone.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
USER, PASSWORD = "humas@ditjenpas.go.id", "kata-sandi-uji"
Stage = Literal["mail", "rcpt", "data"]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass(frozen=True)
class Fault:
    stage: Stage
    answer: str | None = None  # None: the normal answer (after ``delay``), unless ``disconnect``
    delay: float = 0.0
    disconnect: bool = False
    store: bool = False  # "data" only: keep the message before the fault
    rcpt: str | None = None
    times: int | None = 1

    @classmethod
    def reply(cls, stage: Stage, answer: str, *, rcpt: str | None = None, times: int | None = 1) -> Fault:
        return cls(stage, answer=answer, rcpt=rcpt, times=times)

    @classmethod
    def drop(cls, *, store: bool = True, rcpt: str | None = None) -> Fault:
        return cls("data", disconnect=True, store=store, rcpt=rcpt)

    @classmethod
    def slow(cls, stage: Stage, seconds: float, *, store: bool = False, rcpt: str | None = None) -> Fault:
        return cls(stage, delay=seconds, store=store, rcpt=rcpt)


class SMTPServer:
    """The aiosmtpd handler; its hooks run on the controller's event-loop thread."""

    def __init__(self, *, users: dict[str, str] | None = None) -> None:
        self.users = users or {}
        self.messages: list[Received] = []
        self.logins: list[str] = []
        self.connections = 0
        self._faults: list[tuple[Fault, list[int | None]]] = []  # with the uses left (None: unlimited)
        self._lock = threading.Lock()
        self.port = _free_port()

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append((fault, [fault.times]))

    def heal(self) -> None:
        """Every fault gone: the server answers normally from now on."""
        with self._lock:
            self._faults.clear()

    def to(self, address: str) -> list[Received]:
        """The messages whose envelope reached ``address``."""
        return [m for m in self.messages if address in m.rcpt_tos]

    def _take(self, stage: Stage, rcpts: list[str]) -> Fault | None:
        with self._lock:
            for entry in self._faults:
                fault, left = entry
                if fault.stage == stage and (fault.rcpt is None or fault.rcpt in rcpts):
                    if left[0] is not None:
                        left[0] -= 1
                        if left[0] <= 0:
                            self._faults.remove(entry)
                    return fault
        return None

    def _store(self, envelope: Envelope) -> None:
        assert isinstance(envelope.content, bytes)
        with self._lock:
            self.messages.append(Received(envelope.mail_from or "", tuple(envelope.rcpt_tos), envelope.content))

    async def _apply(self, server: SMTP, fault: Fault | None, envelope: Envelope) -> str | None:
        """The fault's answer, or None to answer normally; a disconnect never returns."""
        if fault is None:
            return None
        if fault.store:
            self._store(envelope)
        await asyncio.sleep(fault.delay)  # cancelled if the client gives up and disconnects
        if fault.disconnect:
            assert server.transport is not None
            server.transport.close()  # aiosmtpd's connection_lost cancels this handler coroutine
            await asyncio.Event().wait()
        return fault.answer

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]) -> list[str]:
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        if answer := await self._apply(server, self._take("mail", []), envelope):
            return answer
        envelope.mail_from, envelope.mail_options = address, list(options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        if answer := await self._apply(server, self._take("rcpt", [address]), envelope):
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self._take("data", list(envelope.rcpt_tos))
        if answer := await self._apply(server, fault, envelope):
            return answer
        if not (fault and fault.store):
            self._store(envelope)
        return "250 OK: queued"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object) -> AuthResult:
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if self.users.get(login) == password:
                with self._lock:
                    self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def _free_port() -> int:
    # aiosmtpd's Controller connects to its own port to confirm start-up: it needs a real number.
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(server: SMTPServer) -> Iterator[SMTPServer]:
    """``server`` listening on ``HOST:server.port`` for the block; AUTH required when it has users."""
    auth = bool(server.users)
    controller = Controller(
        server, hostname=HOST, port=server.port, authenticator=server.authenticate if auth else None,
        auth_required=auth, auth_require_tls=False,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
