"""E-mail to the journalist list over SMTP: one message per recipient, text + HTML.

Each journalist gets a message of their own (``message.recipient`` alone in To:, no one sees the
other addresses) with a deterministic ``Message-ID: <{idempotency_key}@{sender's domain}>``, so a
receiver or a mail client can tell a second copy of the same message by it (RFC 5322 §3.6.4); a
correction or an update carries ``In-Reply-To``/``References`` to the earlier message's id (kept in
its receipt) and threads under it.

One call is one SMTP conversation (RFC 5321 §3.3): connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA.
Where it stopped says whether the recipient may hold the message:

- anything before the end of the content (the final ``CRLF.CRLF``) has been sent — no connection,
  a timeout, a disconnect, a 4xx/5xx to MAIL, RCPT or DATA, a refused login — leaves nothing with the
  server: a transaction without its end of data is discarded (§4.1.1.4). ``Unavailable`` for 4xx and
  the network, ``Refused`` for 5xx (a bad address, a refused sender, 535 bad credentials) and for a
  configuration no retry mends (no STARTTLS or AUTH offered, a certificate that does not verify);
- after the content went out, the server's reply decides: 2xx accepted, 4xx ``Unavailable``, 5xx
  ``Refused``; no reply (a disconnect, a timeout, a garbled line) is ``Uncertain``: the server may
  have queued it and only the answer was lost (RFC 1047, "Duplicate messages and SMTP").

That boundary is why the DATA step is ``docmd("DATA")`` + ``send`` + ``getreply`` rather than
``smtplib.SMTP.data()``, which does all three and cannot say how far it got. SMTP offers no lookup:
``find`` raises ``LookupUnsupported``.

A connection is opened per call: no shared state, so ``publish`` is safe from several threads. 1 000
recipients against a local aiosmtpd took 4–7 ms a message so (5–6 with 8 threads), 3.5–5 with one
connection kept per thread; composing the message alone is ~2.3 ms of it.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import threading
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from functools import cache

from pasopati.plan.channels import EmailConfig
from pasopati.publications.channels.base import (
    LookupUnsupported,
    OutgoingMessage,
    Receipt,
    Refused,
    Unavailable,
    Uncertain,
)
from pasopati.publications.channels.recipients import read_list
from pasopati.publications.channels.secrets import secret
from pasopati.settings import Settings

# An ASCII addr-spec (RFC 5322 §3.4.1 dot-atom local part, a dotted domain): what every server takes
# without SMTPUTF8, and nothing that could split a To: header (no comma, angle bracket, space).
_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def valid_address(address: str) -> bool:
    return bool(_ADDRESS.fullmatch(address))


@cache
def _local_hostname() -> str:
    return socket.getfqdn()  # EHLO's argument (RFC 5321 §4.1.1.1); a DNS lookup, so once per process


@cache
def _tls() -> ssl.SSLContext:
    """The system's CAs, certificate and host name verified; built once (loading the CAs takes
    ~25 ms) and shared: an SSLContext may wrap sockets from several threads."""
    return ssl.create_default_context()


def message_id(message: OutgoingMessage, sender: str) -> str:
    """``<{idempotency_key}@{domain of sender}>``: the same for every attempt at one recipient."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "pasopati.invalid"
    return f"<{message.idempotency_key}@{domain}>"


def compose(message: OutgoingMessage, config: EmailConfig) -> EmailMessage:
    """The RFC 5322 message for ``message.recipient``: multipart/alternative, text then HTML (or
    text alone if the rendering has no HTML), both quoted-printable UTF-8 (7-bit clean: no 8BITMIME
    needed). Raises ValueError for a header value with a line break."""
    rendering = message.rendering
    mail = EmailMessage(policy=SMTP_POLICY)
    mail["From"] = config.sender
    mail["To"] = message.recipient
    if config.reply_to:
        mail["Reply-To"] = config.reply_to
    first_line = next((line.strip() for line in message.text.splitlines() if line.strip()), "")
    mail["Subject"] = str(rendering.get("subject") or first_line[:150])
    mail["Date"] = format_datetime(datetime.now().astimezone())
    mail["Message-ID"] = message_id(message, config.sender)
    if message.reference and message.reference.remote_id:
        earlier = "<" + message.reference.remote_id.strip().strip("<>") + ">"
        mail["In-Reply-To"] = earlier
        mail["References"] = earlier
    mail.set_content(message.text, cte="quoted-printable")
    if html := rendering.get("html"):
        mail.add_alternative(str(html), subtype="html", cte="quoted-printable")
    mail["Content-Language"] = message.language  # after the parts: add_alternative moves Content-* into the first
    return mail


def _data(content: bytes) -> bytes:
    """The DATA payload: leading dots doubled, ended by ``CRLF.CRLF`` (RFC 5321 §4.5.2, §4.1.1.4)."""
    quoted = re.sub(rb"(?m)^\.", b"..", content)
    return quoted + (b"" if quoted.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _expect(reply: tuple[int, bytes], codes: range, step: str) -> None:
    code, text = reply
    if code not in codes:
        raise smtplib.SMTPResponseException(code, f"{text.decode(errors='replace')} (to {step})")


class EmailChannel:
    def __init__(self, name: str, config: EmailConfig, settings: Settings) -> None:
        self.name, self.config = name, config
        self.channels_file = settings.channels_file
        self._password: str | None = None  # loaded once: a Prefect Secret is an API call

    def recipients(self) -> list[str]:
        """Inline addresses, then the file's, de-duplicated (ignoring case) in order. Raises Refused
        naming the source and entry when one is not an address, or the file cannot be read."""
        entries: list[tuple[object, str]] = [(a, str(self.channels_file)) for a in self.config.recipients]
        if self.config.recipients_file:
            path = self.channels_file.parent / self.config.recipients_file
            entries += [(a, str(path)) for a in read_list(self.name, path, "addresses")]
        seen: set[str] = set()
        addresses = []
        for entry, source in entries:
            address = entry.strip() if isinstance(entry, str) else ""
            if not valid_address(address):
                raise Refused(f"{self.name}: {source}: {entry!r} is not an e-mail address")
            if address.casefold() not in seen:
                seen.add(address.casefold())
                addresses.append(address)
        return addresses

    def find(self, message: OutgoingMessage) -> Receipt | None:
        raise LookupUnsupported(f"{self.name}: an SMTP server cannot be asked whether it accepted a message")

    def publish(self, message: OutgoingMessage) -> Receipt:
        """One SMTP conversation for ``message.recipient``. Returns ``mailto:`` + the Message-ID;
        raises Unavailable, Refused or Uncertain (module docstring: where the line lies)."""
        what = f"{self.name}: {self.config.host}:{self.config.port} → {message.recipient}"
        if not valid_address(message.recipient):
            raise Refused(f"{what}: not an e-mail address")
        try:
            mail = compose(message, self.config)
        except ValueError as exc:
            raise Refused(f"{what}: cannot compose the message: {exc}") from exc
        payload, remote_id = _data(mail.as_bytes()), message_id(message, self.config.sender)
        smtp = self._client()
        # timeout_seconds bounds each socket read; a server dripping its greeting a line at a time
        # (a tarpit) held the publisher for as long as it liked. The whole conversation ends within
        # CONVERSATION_TIMEOUTS × timeout_seconds: the watchdog shuts the socket, and the read that
        # was waiting fails like any dropped connection (before the data: nothing held; after: Uncertain).
        watchdog = threading.Timer(self.config.timeout_seconds * CONVERSATION_TIMEOUTS, _shut, args=(smtp,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._converse(smtp, message, what, payload, remote_id)
        finally:
            watchdog.cancel()

    def _converse(self, smtp: smtplib.SMTP, message: OutgoingMessage, what: str, payload: bytes, remote_id: str) -> Receipt:
        try:  # Before the end of data is sent: the server holds nothing.
            self._open(smtp)
            _expect(smtp.mail(parseaddr(self.config.sender)[1]), range(250, 251), "MAIL FROM")
            _expect(smtp.rcpt(message.recipient), range(250, 252), "RCPT TO")
            _expect(smtp.docmd("DATA"), range(354, 355), "DATA")
            smtp.send(payload)  # sendall: raises unless every byte, the end of data last, was handed over
        except OSError as exc:  # smtplib.SMTPException is an OSError too
            _close(smtp)
            raise _unsent(exc, what) from exc
        try:  # The whole message is with the server: only its reply says whether it kept it.
            code, reply = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            raise Uncertain(f"{what}: no reply after the message was sent (it may have been accepted): {exc}") from exc
        finally:
            _close(smtp)
        detail = f"{what}: {code} {reply.decode(errors='replace')!r} after the message"
        if 200 <= code < 300:
            return Receipt(location=f"mailto:{message.recipient}", remote_id=remote_id)
        if 400 <= code < 600:
            raise Unavailable(detail) if code < 500 else Refused(detail)
        raise Uncertain(f"{detail} (not an SMTP reply: it may have been accepted)")

    def _client(self) -> smtplib.SMTP:
        """Not connected yet (so that the watchdog holds it before the first read)."""
        c, timeout, host = self.config, self.config.timeout_seconds, _local_hostname()
        if c.security == "tls":
            return smtplib.SMTP_SSL(local_hostname=host, timeout=timeout, context=_tls())
        return smtplib.SMTP(local_hostname=host, timeout=timeout)

    def _open(self, smtp: smtplib.SMTP) -> None:
        """Connected, greeted, secured and logged in as configured. ``timeout_seconds`` bounds each
        connect, read and write (smtplib's socket timeout); the watchdog, the whole conversation."""
        c = self.config
        # smtplib names the server for TLS (SNI, certificate check) from the host given to its
        # constructor, which _client leaves empty so the watchdog can hold the object first.
        smtp._host = c.host
        try:
            code, greeting = smtp.connect(c.host, c.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, greeting)
            smtp.ehlo_or_helo_if_needed()
            if c.security == "starttls":
                smtp.starttls(context=_tls())
                smtp.ehlo_or_helo_if_needed()  # RFC 3207 §4.2: forget the first EHLO, greet again
            if c.username and c.password_secret:
                if self._password is None:
                    self._password = secret(c.password_secret, what=self.name)
                smtp.login(c.username, self._password)
        except BaseException:
            _close(smtp)
            raise


def _unsent(exc: OSError, what: str) -> Refused | Unavailable:
    """The failure of a conversation that ended before the end of data was sent."""
    if isinstance(exc, smtplib.SMTPResponseException):  # a reply: 535 to AUTH, 421 greeting, 550 to RCPT…
        error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        detail = f"{what}: {exc.smtp_code} {error}"
        return Refused(detail) if 500 <= exc.smtp_code < 600 else Unavailable(detail)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Refused(f"{what}: the server's certificate does not verify: {exc}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Unavailable(f"{what}: disconnected before the message was sent: {exc}")
    if isinstance(exc, smtplib.SMTPException):  # STARTTLS or AUTH not offered, no common mechanism
        return Refused(f"{what}: {exc}")
    return Unavailable(f"{what}: no SMTP conversation, nothing sent: {exc!r}")  # refused, unreachable, timeout


# The whole conversation (connect, greeting, STARTTLS, AUTH, envelope, data, reply) within this many
# timeouts: each step is one round trip bounded by timeout_seconds, and greylisting servers delay one.
CONVERSATION_TIMEOUTS = 6


def _shut(smtp: smtplib.SMTP) -> None:
    """Shut the conversation's socket from the watchdog's thread (the waiting read fails at once)."""
    sock = getattr(smtp, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _close(smtp: smtplib.SMTP | None) -> None:
    """QUIT politely when still connected; never raises (the outcome is already known)."""
    if smtp is None:
        return
    try:
        if smtp.sock is not None:
            smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


def adapter(name: str, config: EmailConfig, settings: Settings) -> EmailChannel:
    return EmailChannel(name, config, settings)
