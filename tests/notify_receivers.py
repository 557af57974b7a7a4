"""Real local receivers for apprise notifications: an SMTP server (aiosmtpd) and an HTTP endpoint
(pytest-httpserver) for ``json://``. Import the fixtures where needed:
``from tests.notify_receivers import smtp_inbox, http_inbox  # noqa: F401``."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pytest_httpserver import HTTPServer

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    subject: str
    body: str  # the text/plain part, decoded (falls back to the HTML part)


class SMTPInbox:
    """Collects every message the local SMTP server accepts."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self._arrived = threading.Condition()
        self.port = _free_port()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # aiosmtpd calls this on its own event-loop thread, once per accepted message.
        assert isinstance(envelope.content, bytes)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        mail = Mail(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            subject=str(msg["subject"] or ""),
            body=part.get_content() if part is not None else "",
        )
        with self._arrived:
            self.messages.append(mail)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def contact(self, to_addr: str, from_addr: str = "pasopati@pasopati.example") -> str:
        # Plain mailto:// with mode=insecure: no STARTTLS, no login (no user/password in the URL).
        # smtp= pins the server so apprise does not derive one from the from-address's domain.
        return (
            f"mailto://{HOST}:{self.port}?mode=insecure&smtp={HOST}"
            f"&from={quote(from_addr, safe='@')}&to={quote(to_addr, safe='@')}"
        )

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Mail]:
        """Block until at least ``n`` messages have arrived; fails the test on timeout."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= n, timeout):
                raise AssertionError(f"expected {n} message(s) within {timeout}s, got {len(self.messages)}")
            return list(self.messages)


class HTTPInbox:
    """apprise ``json://`` targets served by pytest-httpserver; records the JSON posted to each path."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server

    def contact(self, path: str) -> str:
        path = "/" + path.lstrip("/")
        self.server.expect_request(path, method="POST").respond_with_data("OK")
        return f"json://{HOST}:{self.server.port}{path}"

    def received(self, path: str) -> list[dict[str, Any]]:
        path = "/" + path.lstrip("/")
        return [json.loads(request.get_data()) for request, _ in list(self.server.log) if request.path == path]


def _free_port() -> int:
    # aiosmtpd's Controller connects to its own port to confirm start-up, so it needs a real number,
    # not 0; the bind-then-release race is acceptable on a test machine.
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_inbox() -> Iterator[SMTPInbox]:
    inbox = SMTPInbox()
    controller = Controller(inbox, hostname=HOST, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def http_inbox(httpserver: HTTPServer) -> HTTPInbox:
    return HTTPInbox(httpserver)
