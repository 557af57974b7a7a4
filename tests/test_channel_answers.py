"""A remote's answer is untrusted input: one dripped a byte at a time, or far larger than any API
answer, must not hold a publisher (and its channel slot) for ever or fill its memory
(pasopati.publications.channels.api.call). Real sockets on loopback; fast tier."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from pasopati.publications.channels.api import MAX_ANSWER_BYTES, call
from pasopati.publications.channels.base import Refused, Uncertain


def answering(head: bytes, body_chunks: Iterator[bytes], pause: float = 0.0) -> str:
    """A one-shot HTTP server that sends ``head`` then each chunk (``pause`` s apart)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def run() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        try:
            conn.sendall(head)
            for chunk in body_chunks:
                conn.sendall(chunk)
                time.sleep(pause)
        except OSError:
            pass  # the client gave up: what we want
        finally:
            conn.close()
            server.close()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/posts"


def test_a_dripped_answer_is_cut_at_the_deadline_and_the_post_is_uncertain() -> None:
    url = answering(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
                    (b" " for _ in range(1000)), pause=0.2)
    started = time.monotonic()
    with pytest.raises(Uncertain, match="did not arrive within 3 s"):
        call(requests.Session(), "POST", url, what="uji", timeout=1.0, json={})
    assert time.monotonic() - started < 6, "bounded by 3 × the timeout, not by the remote"


def test_an_oversized_answer_is_not_read_whole() -> None:
    chunk = b"a" * (1 << 20)
    url = answering(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                    (b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(400)))
    with pytest.raises(Uncertain, match=f"more than {MAX_ANSWER_BYTES} bytes"):
        call(requests.Session(), "POST", url, what="uji", timeout=5.0, json={})


def test_an_oversized_error_keeps_its_status_meaning() -> None:
    url = answering(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 5000000\r\n\r\n",
                    (b"x" * 65536 for _ in range(80)))
    with pytest.raises(Refused, match="answered 400 with more than"):
        call(requests.Session(), "POST", url, what="uji", timeout=5.0, json={})


def test_an_ordinary_answer_reads_as_before() -> None:
    body = b'{"id": "42"}'
    url = answering(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body), iter([body]))
    response = call(requests.Session(), "POST", url, what="uji", timeout=5.0, json={})
    assert response.json() == {"id": "42"} and response.status_code == 201


def test_dripped_headers_end_the_call_at_its_deadline() -> None:
    """Each socket read beat the timeout, so headers a byte every 0.2 s held the call as long as
    the remote liked; the whole call is bounded now."""
    url = answering(b"HTTP/1.1 200 OK\r\n", (b"X-Pad: aaaa\r\n"[i % 13:i % 13 + 1] for i in range(400)), pause=0.2)
    started = time.monotonic()
    with pytest.raises(Uncertain, match="no complete answer within 4 s"):
        call(requests.Session(), "POST", url, what="uji", timeout=1.0, json={})
    assert time.monotonic() - started < 6


def test_a_2xx_cut_mid_json_is_uncertain_but_a_web_page_is_refused() -> None:
    from pasopati.publications.channels.api import json_of

    cut = b'{"messages": [{"id": "wamid.'
    url = answering(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(cut), iter([cut]))
    with pytest.raises(Uncertain, match="may have been received"):
        json_of(call(requests.Session(), "POST", url, what="uji", timeout=5.0, json={}), what="uji")
    page = b"<!DOCTYPE html><html><body>Beranda</body></html>"
    url = answering(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: %d\r\n\r\n" % len(page), iter([page]))
    with pytest.raises(Refused, match="not the API's JSON"):
        json_of(call(requests.Session(), "POST", url, what="uji", timeout=5.0, json={}), what="uji")


def test_a_credential_http_cannot_carry_is_refused_before_anything_is_sent() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    try:
        with pytest.raises(Refused, match="cannot carry") as caught:
            call(requests.Session(), "POST", f"http://127.0.0.1:{server.getsockname()[1]}/posts", what="uji", timeout=2.0,
                 headers={"Authorization": "Bearer token\u2019rahasia"}, json={})
        assert "rahasia" not in str(caught.value)
        try:  # the connection may have been made; no byte of the request reached the server
            conn, _ = server.accept()
        except TimeoutError:
            received = b""
        else:
            conn.settimeout(0.3)
            try:
                received = conn.recv(65536)
            except TimeoutError:
                received = b""
            conn.close()
        assert received == b""
    finally:
        server.close()


def test_calls_ended_at_their_deadline_leave_no_thread_or_socket_behind() -> None:
    """Each call past its deadline shuts its own socket: against a remote dripping headers, a list of
    1 000 recipients had left a thread and an open socket per recipient until the process ran out of files."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.is_set():
                conn.sendall(b"X")
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/messages"
    session = requests.Session()
    before = {t.name for t in threading.enumerate() if t.name.startswith("uji: POST")}
    try:
        for _ in range(12):
            with pytest.raises(Uncertain, match="no complete answer"):
                call(session, "POST", url, what="uji", timeout=0.1, json={})
        left = [t for t in threading.enumerate() if t.name.startswith("uji: POST") and t.name not in before]
        assert left == [], f"{len(left)} call threads still alive"
    finally:
        stop.set()
        server.close()
