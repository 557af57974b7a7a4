"""One HTTP call for the API adapters, with its outcome classified the same way for every channel
(``base``: Unavailable / Refused / Uncertain). Adapters parse the API's own error body on top."""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import (
    ConnectTimeout,
    InvalidHeader,
    InvalidJSONError,
    InvalidURL,
    MissingSchema,
    ReadTimeout,
)
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from pasopati.publications.channels.base import Refused, Unavailable, Uncertain

# 504: a gateway gave up waiting for the application, which may still have stored the post.
UNCERTAIN_STATUSES = frozenset({504})
# RFC 9110: 408 Request Timeout and 429 Too Many Requests are the 4xx answers worth repeating.
RETRYABLE_4XX = frozenset({408, 429})
# The 4xx answers an adapter reads itself (via ``call(accept=…)``) for its API's error document.
CLIENT_ERRORS = frozenset(range(400, 500)) - RETRYABLE_4XX
# A connection error whose cause names one of these never got the request to the application.
_NEVER_SENT = ("NewConnectionError", "NameResolutionError", "ConnectTimeoutError", "Connection refused")


# The connection each call's worker thread is using (thread id → connection): at the call's
# deadline the caller shuts its socket, so the worker's blocked read fails and the thread ends. An
# abandoned worker otherwise kept its thread and socket for as long as the remote dripped bytes:
# 1 000 WhatsApp recipients against such a remote left 957 threads and ran the process out of files.
_IN_FLIGHT: dict[int, HTTPConnection] = {}
_IN_FLIGHT_LOCK = threading.Lock()


class _Tracking:
    """Registers the connection under the thread that sends a request on it."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT[threading.get_ident()] = self  # type: ignore[assignment]
        super().request(*args, **kwargs)  # type: ignore[misc]


class _TrackedHTTPConnection(_Tracking, HTTPConnection):
    pass


class _TrackedHTTPSConnection(_Tracking, HTTPSConnection):
    pass


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _TrackedAdapter(HTTPAdapter):
    """requests' adapter whose connections say which thread uses them (see _IN_FLIGHT)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


def pooled_session(connections: int = 10) -> requests.Session:
    """A session keeping up to ``connections`` connections per host alive (requests keeps 10): a
    list channel sends ``publish_parallel`` messages at once, and a smaller pool closes and reopens
    connections all the time (urllib3 warns "Connection pool is full": seen in bench/publishing.py).
    Its connections can be shut by ``call`` at a call's deadline."""
    session = requests.Session()
    adapter = _TrackedAdapter(pool_connections=connections, pool_maxsize=connections)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _tracked(session: requests.Session) -> None:
    """Mount the tracking adapter on a plain session (once)."""
    if not isinstance(session.get_adapter("http://x"), _TrackedAdapter):
        adapter = _TrackedAdapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)


def _shut(worker: threading.Thread) -> bool:
    """Shut the socket ``worker`` is using; True if its request had gone out on a connection
    (False: still resolving or connecting — nothing was sent)."""
    with _IN_FLIGHT_LOCK:
        connection = _IN_FLIGHT.pop(worker.ident or 0, None)
    sock = getattr(connection, "sock", None) if connection is not None else None
    if sock is None:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP-date, RFC 9110 §10.2.3),
    or from ``x-rate-limit-reset`` (X API: epoch seconds); None when absent or unreadable."""
    value = headers.get("Retry-After")
    now = time.time() if now is None else now
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    reset = headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit() and headers.get("x-rate-limit-remaining", "").strip() == "0":
        return max(0.0, float(reset) - now)
    return None


def call(
    session: requests.Session, method: str, url: str, *, what: str, timeout: float, accept: frozenset[int] = frozenset(),
    **kwargs: Any,
) -> requests.Response:
    """``session.request(method, url, …)``; returns a response with a 2xx status (or one in
    ``accept``, which the adapter reads itself). Raises
    Unavailable (5xx but 504, 408, 429 — with ``retry_after`` — or no connection made), Refused
    (any other 4xx, a malformed URL) or Uncertain (the request may have been received: read
    timeout, connection dropped after sending, 504). ``what`` names the channel in messages.

    The whole call ends within (1 + ANSWER_DEADLINE_TIMEOUTS) × ``timeout``: ``timeout`` bounds each
    socket read, so a remote dripping its headers a byte at a time held a publisher (and its
    channel's slot) for as long as it liked (issue 11 review). Past that the call is Uncertain and
    its thread is left to the socket's own end."""
    outcome: dict[str, Any] = {}
    _tracked(session)

    def attempt() -> None:
        try:
            outcome["response"] = _call(session, method, url, what=what, timeout=timeout, accept=accept, **kwargs)
        except BaseException as exc:  # noqa: BLE001  handed to the caller's thread as it is
            outcome["error"] = exc
        finally:
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT.pop(threading.get_ident(), None)

    worker = threading.Thread(target=attempt, name=f"{what}: {method}", daemon=True)
    worker.start()
    deadline = timeout * (1 + ANSWER_DEADLINE_TIMEOUTS)
    worker.join(deadline)
    if worker.is_alive():
        sent = _shut(worker)
        worker.join(timeout)  # its read fails at once now: the thread and its socket end here
        if not sent:  # still resolving the name or connecting: nothing went out
            raise Unavailable(f"{what}: no connection to {url} within {deadline:g} s")
        raise Uncertain(f"{what}: {url} gave no complete answer within {deadline:g} s (the post may have been received)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def _call(
    session: requests.Session, method: str, url: str, *, what: str, timeout: float, accept: frozenset[int], **kwargs: Any,
) -> requests.Response:
    try:
        response = session.request(method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs)
    except (MissingSchema, InvalidURL) as exc:
        raise Refused(f"{what}: invalid URL {url!r}: {exc}") from exc
    except InvalidHeader:
        # Raised before anything is sent; its message quotes the header value, which is often a
        # credential (``Bearer <token>`` read with a trailing line break): never repeated here.
        names = ", ".join(sorted(kwargs.get("headers") or {}))
        raise Refused(f"{what}: a request header ({names}) has a line break or leading/trailing whitespace in its "
                      "value (a credential read with a newline?): nothing sent") from None
    except InvalidJSONError as exc:  # the body could not be encoded: nothing sent
        raise Refused(f"{what}: the request body is not valid JSON: {exc}") from None
    except UnicodeEncodeError:
        # http.client writes headers as Latin-1 before sending anything: a credential pasted with a
        # typographic quote or a non-breaking space cannot be sent (its value never repeated here).
        raise Refused(f"{what}: a request header or credential holds a character HTTP headers cannot carry "
                      "(a credential pasted with a typographic quote?): nothing sent") from None
    except ConnectTimeout as exc:
        raise Unavailable(f"{what}: no connection to {url} within {timeout:g} s") from exc
    except ReadTimeout as exc:
        raise Uncertain(f"{what}: {url} sent no answer within {timeout:g} s (the post may have been received)") from exc
    except RequestsConnectionError as exc:
        if any(mark in repr(exc) for mark in _NEVER_SENT):
            raise Unavailable(f"{what}: cannot connect to {url}: {exc}") from exc
        raise Uncertain(f"{what}: connection to {url} dropped before an answer (the post may have been received): {exc}") from exc
    except requests.RequestException as exc:
        raise Uncertain(f"{what}: {url}: {exc} (the post may have been received)") from exc
    status = response.status_code
    _read_bounded(response, what=what, url=url, timeout=timeout)
    if 200 <= status < 300 or status in accept:
        return response
    detail = f"{what}: {method} {url} answered {status}: {response.text[:300]}"
    if status in UNCERTAIN_STATUSES:
        raise Uncertain(detail)
    if status >= 500 or status in RETRYABLE_4XX:
        raise Unavailable(detail, retry_after=retry_after(response.headers))
    raise Refused(detail)


# An API's answer to a post is a few kilobytes; anything past this is not the API (or hostile).
MAX_ANSWER_BYTES = 2 * 1024 * 1024
# ``timeout`` bounds each read; a remote sending one byte per read would keep a publisher (and its
# channel slot) forever: the whole answer must arrive within this many timeouts.
ANSWER_DEADLINE_TIMEOUTS = 3


def _read_bounded(response: requests.Response, *, what: str, url: str, timeout: float) -> None:
    """Read the answer's body with a size cap and an overall deadline (issue 11 review: a reply
    dripped one byte every 0.5 s hung publishing; a 400 MB reply took 856 MB of memory). The status
    line came: for a 2xx the remote may hold the post (Uncertain), else its status decides."""
    deadline = time.monotonic() + timeout * ANSWER_DEADLINE_TIMEOUTS
    body = bytearray()
    problem = None
    try:
        # read1: whatever one socket read brings (iter_content waits to fill a whole chunk, so a
        # dripping remote never let the deadline be checked). Decoded as requests would (gzip…).
        while chunk := response.raw.read1(65536, decode_content=True):
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                problem = f"answered {response.status_code} with more than {MAX_ANSWER_BYTES} bytes"
                break
            if time.monotonic() > deadline:
                problem = f"answered {response.status_code} but its body did not arrive within {timeout * ANSWER_DEADLINE_TIMEOUTS:g} s"
                break
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:  # raw reads raise urllib3's own
        problem = f"answered {response.status_code} but the body was cut off: {exc}"
    finally:
        response.close()
    if problem is None:
        response._content = bytes(body)  # what requests itself stores after reading a body
        return
    if 200 <= response.status_code < 300 or response.status_code in UNCERTAIN_STATUSES:
        raise Uncertain(f"{what}: {url} {problem} (the post may have been received)")
    if response.status_code >= 500 or response.status_code in RETRYABLE_4XX:
        raise Unavailable(f"{what}: {url} {problem}", retry_after=retry_after(response.headers))
    raise Refused(f"{what}: {url} {problem}")


def json_of(response: requests.Response, *, what: str) -> Any:
    """The JSON body of an answer. A web page (text/html) is Refused: a server that does not route
    the call to the API (a wrong ``api_base``) answers so and creates nothing. A 2xx claiming JSON
    (or nothing) that does not parse is Uncertain: an answer cut or garbled on its way may follow a
    stored post (looked up, else ambiguous; never sent again on a guess). Any other: Refused."""
    try:
        return response.json()
    except ValueError as exc:
        kind = response.headers.get("Content-Type", "no content type")
        if 200 <= response.status_code < 300 and not is_page(response):
            raise Uncertain(f"{what}: {response.url} answered {response.status_code} with {kind}, not the API's JSON "
                            f"(the post may have been received): {response.text[:120]!r}") from exc
        raise Refused(f"{what}: {response.url} answered {response.status_code} with {kind}, not the API's JSON: {response.text[:120]!r}") from exc


def is_page(response: requests.Response) -> bool:
    """An HTML page rather than an API's answer."""
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower() in {"text/html", "application/xhtml+xml"}
