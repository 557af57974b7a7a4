"""The e-mail channel against a real SMTP server (aiosmtpd, tests/smtp_server.py) with AUTH: what
arrives, per recipient, and which failure each broken conversation is (Refused / Unavailable /
Uncertain), asserted at the receiving server."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pasopati.drafts.renderings import Format, render
from pasopati.plan.channels import EmailConfig
from pasopati.publications.channels import (
    ChannelError,
    LookupUnsupported,
    OutgoingMessage,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
    adapter_for,
)
from pasopati.publications.channels.smtp import CONVERSATION_TIMEOUTS, EmailChannel
from pasopati.settings import Settings
from tests.smtp_server import PASSWORD, USER, Fault, SMTPServer, running

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

STATEMENT = (Path(__file__).parent / "data" / "renderings" / "siaran_pers.txt").read_text(encoding="utf-8")
LINK = "https://www.ditjenpas.go.id/pernyataan/x"
SENDER = "humas@ditjenpas.go.id"
JOURNALISTS = ["budi.santoso@tempo.co", "redaksi@kompas.com", "sari+pas@detik.com"]


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    with running(SMTPServer(users={USER: PASSWORD})) as server:
        yield server


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASOPATI_SECRET_SMTP_HUMAS", PASSWORD)


def config(server: SMTPServer | None = None, **changes: object) -> EmailConfig:
    fields: dict[str, object] = {
        "adapter": "email", "title": "Daftar wartawan", "host": "127.0.0.1", "port": server.port if server else 25,
        "security": "none", "username": USER, "password_secret": "smtp-humas", "sender": f"Humas Ditjenpas <{SENDER}>",
        "reply_to": "pers@ditjenpas.go.id", "timeout_seconds": 5,
    }
    return EmailConfig.model_validate(fields | changes)


def channel(server: SMTPServer, tmp_path: Path, **changes: object) -> EmailChannel:
    adapter = adapter_for("surel-wartawan", config(server, **changes), Settings(channels_file=tmp_path / "channels.yaml"))
    assert isinstance(adapter, EmailChannel)
    return adapter


def message(recipient: str, key: str = "0" * 32, body: str = STATEMENT, **changes: object) -> OutgoingMessage:
    rendering = render(body, Format.EMAIL, language="id", link=LINK)
    return OutgoingMessage(
        idempotency_key=key, channel="surel-wartawan", incident_id="inc-garut", message_type="press_release",
        language="id", body=body, text=rendering.text, rendering=rendering.as_dict(), recipient=recipient, link=LINK,
        **changes,  # type: ignore[arg-type]
    )


def lines(text: str) -> list[str]:
    """A part's text as lines: on the wire (and so when parsed) every line ends in CRLF."""
    return text.rstrip("\r\n").splitlines()


def test_statement_reaches_each_journalist_alone(smtp_server: SMTPServer, secret: None, tmp_path: Path) -> None:
    email = channel(smtp_server, tmp_path)
    receipts = [email.publish(message(to, key=f"{i:032x}")) for i, to in enumerate(JOURNALISTS)]

    rendering = render(STATEMENT, Format.EMAIL, language="id", link=LINK)
    assert [m.rcpt_tos for m in smtp_server.messages] == [(to,) for to in JOURNALISTS]
    assert smtp_server.logins == [USER] * 3
    for i, (to, receipt, got) in enumerate(zip(JOURNALISTS, receipts, smtp_server.messages, strict=True)):
        mail = got.message
        assert got.mail_from == SENDER
        assert mail["To"] == to and mail["Cc"] is None and mail["Bcc"] is None
        assert not [other for other in JOURNALISTS if other != to and other.encode() in got.content]
        assert mail["From"] == f"Humas Ditjenpas <{SENDER}>" and mail["Reply-To"] == "pers@ditjenpas.go.id"
        assert mail["Subject"] == rendering.subject and mail["Date"] is not None
        assert mail["Message-ID"] == f"<{i:032x}@ditjenpas.go.id>" == receipt.remote_id
        assert receipt.location == f"mailto:{to}" and not receipt.already_published
        assert mail.get_content_type() == "multipart/alternative"
        text, html = mail.get_body(("plain",)), mail.get_body(("html",))
        assert text is not None and html is not None
        assert lines(text.get_content()) == lines(STATEMENT)
        assert lines(html.get_content()) == lines(rendering.html or "")
        assert "Kepala Kantor Wilayah Direktorat Jenderal Pemasyarakatan Jawa Barat" in html.get_content()
    with pytest.raises(LookupUnsupported):
        email.find(message(JOURNALISTS[0]))


def test_one_bad_address_fails_only_its_recipient(smtp_server: SMTPServer, secret: None, tmp_path: Path) -> None:
    gone, full = "mantan.wartawan@koran.co.id", "penuh@media.co.id"
    smtp_server.inject(Fault.reply("rcpt", "550 5.1.1 <mantan.wartawan@koran.co.id>: mailbox unavailable", rcpt=gone, times=None))
    smtp_server.inject(Fault.reply("rcpt", "450 4.2.1 mailbox busy, try later", rcpt=full))
    email = channel(smtp_server, tmp_path)
    outcomes: dict[str, type[ChannelError] | None] = {}
    for i, to in enumerate([JOURNALISTS[0], gone, full, JOURNALISTS[1]]):
        try:
            email.publish(message(to, key=f"{i:032x}"))
            outcomes[to] = None
        except ChannelError as exc:
            outcomes[to] = type(exc)
    assert outcomes == {JOURNALISTS[0]: None, gone: Refused, full: Unavailable, JOURNALISTS[1]: None}
    assert [m.rcpt_tos for m in smtp_server.messages] == [(JOURNALISTS[0],), (JOURNALISTS[1],)]
    email.publish(message(full, key=f"{2:032x}"))  # 450 was for once: the retry arrives
    assert len(smtp_server.to(full)) == 1


@pytest.mark.parametrize(
    ("fault", "timeout", "error", "stored"),
    [
        (Fault.reply("mail", "451 4.7.1 greylisted, try again later"), 5, Unavailable, 0),
        (Fault.reply("mail", "553 5.7.1 sender not allowed"), 5, Refused, 0),
        (Fault.slow("rcpt", 3), 0.5, Unavailable, 0),  # timeout before the content: nothing sent
        (Fault.reply("data", "451 4.3.0 queue full"), 5, Unavailable, 0),
        (Fault.reply("data", "554 5.6.0 message rejected"), 5, Refused, 0),
        (Fault.drop(store=True), 5, Uncertain, 1),  # accepted, the answer lost
        (Fault.drop(store=False), 5, Uncertain, 0),  # the client cannot tell this one from the one above
        (Fault.slow("data", 3, store=True), 0.5, Uncertain, 1),
    ],
    ids=["mail-451", "mail-553", "rcpt-timeout", "data-451", "data-554", "drop-stored", "drop-unstored", "data-timeout"],
)
def test_where_the_conversation_broke_decides_the_failure(
    smtp_server: SMTPServer, secret: None, tmp_path: Path, fault: Fault, timeout: float, error: type[ChannelError], stored: int
) -> None:
    smtp_server.inject(fault)
    with pytest.raises(error):
        channel(smtp_server, tmp_path, timeout_seconds=timeout).publish(message(JOURNALISTS[0]))
    assert len(smtp_server.to(JOURNALISTS[0])) == stored


def test_wrong_password_is_refused(smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PASOPATI_SECRET_SMTP_HUMAS", "salah")
    with pytest.raises(Refused, match="535"):
        channel(smtp_server, tmp_path).publish(message(JOURNALISTS[0]))
    assert smtp_server.messages == [] and smtp_server.logins == []


def test_starttls_not_offered_is_refused_before_any_password(smtp_server: SMTPServer, secret: None, tmp_path: Path) -> None:
    with pytest.raises(Refused, match="STARTTLS"):
        channel(smtp_server, tmp_path, security="starttls").publish(message(JOURNALISTS[0]))
    assert smtp_server.messages == [] and smtp_server.logins == []


def test_publish_from_several_threads(smtp_server: SMTPServer, secret: None, tmp_path: Path) -> None:
    email = channel(smtp_server, tmp_path)
    addresses = [f"wartawan{i}@media.co.id" for i in range(24)]
    with ThreadPoolExecutor(6) as pool:
        receipts = list(pool.map(lambda i: email.publish(message(addresses[i], key=f"{i:032x}")), range(24)))
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted(addresses)
    assert [r.remote_id for r in receipts] == [f"<{i:032x}@ditjenpas.go.id>" for i in range(24)]


def test_unreachable_server_is_unavailable(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    email = EmailChannel("surel-wartawan", config(port=port, username=None, password_secret=None), Settings())
    with pytest.raises(Unavailable, match="nothing sent"):
        email.publish(message(JOURNALISTS[0]))


def test_correction_threads_under_the_earlier_message(smtp_server: SMTPServer, secret: None, tmp_path: Path) -> None:
    email = channel(smtp_server, tmp_path)
    first = email.publish(message(JOURNALISTS[0], key="a" * 32))
    correction = STATEMENT.replace("1.124 orang", "1.142 orang").replace("\n***", "\n.\n***")  # a lone dot survives
    earlier = Reference(remote_id=first.remote_id, location=first.location, message_type="press_release")
    email.publish(message(JOURNALISTS[0], key="b" * 32, body=correction, reference=earlier))

    original, ralat = (m.message for m in smtp_server.to(JOURNALISTS[0]))
    assert ralat["In-Reply-To"] == ralat["References"] == original["Message-ID"] == f"<{'a' * 32}@ditjenpas.go.id>"
    assert ralat["Message-ID"] == f"<{'b' * 32}@ditjenpas.go.id>" and original["In-Reply-To"] is None
    text = ralat.get_body(("plain",))
    assert text is not None and lines(text.get_content()) == lines(correction)


def test_recipients_inline_then_file_validated(tmp_path: Path) -> None:
    (tmp_path / "wartawan.yaml").write_text(
        "- redaksi@kompas.com\n- ' Budi.Santoso@Tempo.co '\n- sari+pas@detik.com\n- redaksi@kompas.com\n", encoding="utf-8"
    )
    settings = Settings(channels_file=tmp_path / "channels.yaml")
    listed = config(recipients=["budi.santoso@tempo.co", "redaksi@kompas.com"], recipients_file="wartawan.yaml")
    assert EmailChannel("surel-wartawan", listed, settings).recipients() == JOURNALISTS

    (tmp_path / "wartawan.yaml").write_text("- redaksi@kompas.com\n- redaksi kompas\n", encoding="utf-8")
    with pytest.raises(Refused, match=r"wartawan\.yaml: 'redaksi kompas' is not an e-mail address"):
        EmailChannel("surel-wartawan", listed, settings).recipients()
    (tmp_path / "wartawan.yaml").write_text("- {nama: Budi, surel: budi@tempo.co}\n", encoding="utf-8")
    with pytest.raises(Refused, match=r"wartawan\.yaml: \{'nama'"):
        EmailChannel("surel-wartawan", listed, settings).recipients()
    (tmp_path / "wartawan.yaml").write_text("redaksi@kompas.com\n", encoding="utf-8")
    with pytest.raises(Refused, match="not a YAML list"):
        EmailChannel("surel-wartawan", listed, settings).recipients()
    missing = config(recipients_file="tidak-ada.yaml")
    with pytest.raises(Refused, match="tidak-ada.yaml"):
        EmailChannel("surel-wartawan", missing, settings).recipients()
    # A list saved as Latin-1 (an "é" from a spreadsheet): Refused naming the file, not a raw
    # UnicodeDecodeError that failed the publish task before the publication was recorded at all.
    (tmp_path / "wartawan.yaml").write_bytes("- redaksi@kompas.com\n- r\u00e9daksi@tempo.co\n".encode("latin-1"))
    with pytest.raises(Refused, match=r"wartawan\.yaml: 'utf-8' codec can't decode"):
        EmailChannel("surel-wartawan", listed, settings).recipients()


@pytest.mark.parametrize("host", ["smtp.kemenkumham.go.id", "10.0.0.25"])
def test_a_login_without_tls_is_refused_for_a_remote_relay(host: str) -> None:
    with pytest.raises(ValueError, match=rf"security: none would send the login in clear to {re.escape(host)}"):
        config(host=host)
    assert config(host=host, security="starttls").host == host
    assert config(host=host, username=None, password_secret=None).security == "none"  # an open relay takes no login
    assert config(host="localhost").security == "none"


def test_a_tarpit_greeting_ends_the_attempt_at_the_conversation_deadline(tmp_path: Path, secret: None) -> None:
    """A server that drips "220-" continuation lines (each read beating the timeout) held the
    publisher as long as it liked; the watchdog ends the attempt, nothing having been sent."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def tarpit() -> None:
        conn, _ = server.accept()
        try:
            for _ in range(200):
                conn.sendall(b"220-tarpit\r\n")
                time.sleep(0.1)
        except OSError:
            pass
        finally:
            conn.close()

    threading.Thread(target=tarpit, daemon=True).start()
    email = adapter_for("surel-wartawan", config(None, port=server.getsockname()[1], timeout_seconds=0.5),
                        Settings(channels_file=tmp_path / "channels.yaml"))
    started = time.monotonic()
    try:
        with pytest.raises(Unavailable, match="nothing sent|disconnected"):
            email.publish(message(JOURNALISTS[0]))
    finally:
        server.close()
    assert time.monotonic() - started < 0.5 * CONVERSATION_TIMEOUTS + 2


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for localhost / 127.0.0.1 (cryptography), valid for a day."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_release_goes_out_over_tls_to_a_relay_whose_certificate_verifies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str) -> None:
    """The whole conversation over TLS (implicit, and STARTTLS) against aiosmtpd: the relay is
    named for the certificate check (a client built before connecting had named none, and every
    message failed 'check_hostname requires server_hostname')."""
    import ssl

    from aiosmtpd.controller import Controller

    from pasopati.publications.channels import smtp as smtp_module

    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client's default context trusts this relay
    smtp_module._tls.cache_clear()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    handler = SMTPServer()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            **({"ssl_context": server_tls} if security == "tls" else {"tls_context": server_tls}))
    if security == "tls":  # the controller's own start-up probe speaks no TLS
        def ready() -> None:
            client = ssl.create_default_context(cafile=str(cert))
            with socket.create_connection(("127.0.0.1", port), 2) as raw, client.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.recv(1024)
        controller._trigger_server = ready  # type: ignore[method-assign]
    controller.start()
    try:
        email = adapter_for("surel-wartawan", config(None, host="localhost", port=port, security=security, username=None,
                                                     password_secret=None), Settings(channels_file=tmp_path / "channels.yaml"))
        receipt = email.publish(message(JOURNALISTS[0]))
    finally:
        controller.stop()
        smtp_module._tls.cache_clear()
    assert receipt.location == f"mailto:{JOURNALISTS[0]}" and [m.rcpt_tos for m in handler.messages] == [(JOURNALISTS[0],)]
