"""pasopati.notify against real local receivers: SMTP (aiosmtpd), HTTP (json://), a closed port and a
server that accepts connections but never answers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import apprise
import pytest

from pasopati.team import delivery as notify
from tests.notify_receivers import HTTPInbox, SMTPInbox, http_inbox, smtp_inbox  # noqa: F401

TITLE = "Siaga I — Lapas Kelas I Cipinang"
BODY = "Kericuhan di blok hunian; Kalapas diminta segera konfirmasi ke Humas Ditjenpas.\nCatatan: café — ok"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # released on exit: connecting is refused


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Listens (the kernel completes the handshake) but never accepts or speaks: only a timeout ends it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def test_email_arrives_through_local_smtp_with_title_and_body(smtp_inbox: SMTPInbox) -> None:
    to = "kalapas.cipinang@pasopati.example"

    delivery = notify.send(smtp_inbox.contact(to), TITLE, BODY)

    assert delivery == notify.Delivery(contact=delivery.contact, ok=True, error=None)
    [mail] = smtp_inbox.wait_for(1)
    assert mail.rcpt_tos == [to]
    assert mail.mail_from == "pasopati@pasopati.example"
    assert mail.subject == TITLE
    assert "Kericuhan di blok hunian" in mail.body
    assert "café — ok" in mail.body  # non-ASCII survives encoding and decoding


def test_json_notification_arrives(http_inbox: HTTPInbox) -> None:
    delivery = notify.send(http_inbox.contact("/hooks/humas"), TITLE, BODY)

    assert delivery.ok and delivery.error is None
    [posted] = http_inbox.received("/hooks/humas")
    assert posted["title"] == TITLE
    assert posted["message"] == BODY


@pytest.mark.parametrize("scheme", ["mailto", "json"])
def test_refused_connection_fails_fast_with_reason(scheme: str) -> None:
    port = closed_port()
    contact = f"{scheme}://127.0.0.1:{port}/x" if scheme == "json" else (
        f"mailto://127.0.0.1:{port}?mode=insecure&from=a@pasopati.example&to=b@pasopati.example"
    )

    started = time.monotonic()
    delivery = notify.send(contact, TITLE, BODY)

    assert time.monotonic() - started < 3
    assert not delivery.ok
    assert delivery.error is not None and "Connection refused" in delivery.error
    assert BODY not in delivery.error  # the reason, not an echo of the message


def test_default_timeout_bounds_a_server_that_never_answers(silent_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # apprise's own email default is 15 s; ours applies because the URL sets no cto.
    monkeypatch.setattr(notify, "CONNECT_TIMEOUT", 0.5)
    contact = f"mailto://127.0.0.1:{silent_port}?mode=insecure&from=a@pasopati.example&to=b@pasopati.example"

    started = time.monotonic()
    delivery = notify.send(contact, TITLE, BODY)

    assert time.monotonic() - started < 3
    assert not delivery.ok
    assert delivery.error is not None and "timed out" in delivery.error
    assert "cto=0.5" in delivery.contact


def test_timeout_set_in_the_url_wins_over_the_default(silent_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify, "CONNECT_TIMEOUT", 30.0)
    contact = f"mailto://127.0.0.1:{silent_port}?mode=insecure&cto=0.5&from=a@pasopati.example&to=b@pasopati.example"

    started = time.monotonic()
    delivery = notify.send(contact, TITLE, BODY)

    assert time.monotonic() - started < 3
    assert not delivery.ok and "cto=0.5" in delivery.contact


@pytest.mark.parametrize("contact", ["", "   ", "nonsense://foo", "mailto://", "json://", "not a url"])
def test_invalid_contact_is_reported_not_raised(contact: str) -> None:
    delivery = notify.send(contact, TITLE, BODY)

    assert not delivery.ok
    assert delivery.error is not None and delivery.error.startswith("invalid apprise URL")


def test_send_many_runs_in_parallel_and_keeps_order(
    smtp_inbox: SMTPInbox, http_inbox: HTTPInbox, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notify, "CONNECT_TIMEOUT", 1.0)
    refused = closed_port()
    silent = f"mailto://127.0.0.1:{silent_port}?mode=insecure&from=a@pasopati.example&to=late@pasopati.example"
    messages = [
        (silent, "s1", "tidak ada jawaban"),
        (smtp_inbox.contact("kakanwil.dki@pasopati.example"), "m1", "satu"),
        (silent, "s2", "tidak ada jawaban"),
        (f"json://127.0.0.1:{refused}/down", "r1", "ditolak"),
        (http_inbox.contact("/hooks/media-center"), "j1", "dua"),
        ("nonsense://foo", "x1", "tidak valid"),
        (silent, "s3", "tidak ada jawaban"),
        (smtp_inbox.contact("humas.dki@pasopati.example"), "m2", "tiga"),
    ]

    started = time.monotonic()
    deliveries = notify.send_many(messages)
    elapsed = time.monotonic() - started

    assert elapsed < 2.5  # three 1 s timeouts one after another would take over 3 s
    assert [d.ok for d in deliveries] == [False, True, False, False, True, False, False, True]
    assert "kakanwil.dki" in deliveries[1].contact and "humas.dki" in deliveries[7].contact
    assert "/hooks/media-center" in deliveries[4].contact
    # Each failure carries its own reason, not a neighbour's log lines.
    for i in (0, 2, 6):
        assert "timed out" in (deliveries[i].error or "") and "refused" not in (deliveries[i].error or "")
    assert str(refused) in (deliveries[3].error or "") and "timed out" not in (deliveries[3].error or "")
    assert (deliveries[5].error or "").startswith("invalid apprise URL")
    assert sorted(m.subject for m in smtp_inbox.wait_for(2)) == ["m1", "m2"]
    assert [p["message"] for p in http_inbox.received("/hooks/media-center")] == ["dua"]


def test_send_many_of_nothing() -> None:
    assert notify.send_many([]) == []


def test_password_is_masked_in_delivery(http_inbox: HTTPInbox) -> None:
    secret = "s3cretPassw0rd"
    url = http_inbox.contact("/hooks/auth").replace("json://", f"json://operator:{secret}@")
    refused = f"json://operator:{secret}@127.0.0.1:{closed_port()}/x"
    unparseable = f"nonsense://operator:{secret}@host.example/x"

    delivered, failed, invalid = notify.send_many([(url, "t", "b"), (refused, "t", "b"), (unparseable, "t", "b")])

    assert delivered.ok and http_inbox.received("/hooks/auth") != []
    assert not failed.ok and not invalid.ok
    for delivery in (delivered, failed, invalid):
        assert secret not in delivery.model_dump_json()
        assert "operator" in delivery.contact  # masked, not dropped: the user stays visible


def test_apprise_logger_is_left_as_found(http_inbox: HTTPInbox) -> None:
    level, filters = apprise.logger.level, list(apprise.logger.filters)

    notify.send_many([(http_inbox.contact("/a"), "t", "b"), (f"json://127.0.0.1:{closed_port()}/x", "t", "b")])

    assert apprise.logger.level == level
    assert apprise.logger.filters == filters
