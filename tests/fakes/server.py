"""A real HTTP/1.1 server on 127.0.0.1 for one API, with faults injected per request.

An API module subclasses ``FakeAPI`` and routes requests to handlers that return ``Answer``s and
store what was posted. A test queues faults with ``fail_next`` and asserts on ``posts`` (what the
remote holds — the receiver's truth: no double post) and ``requests`` (every call, timed, to check
backoff and Retry-After).

Faults (each consumed by the next request that matches its method and path pattern):
- ``Fault.status(500)`` / ``Fault.status(429, retry_after=1)``: answer that, store nothing;
- ``Fault.timeout(seconds, store=…)``: wait before answering (past the client's timeout), storing
  the post first or not;
- ``Fault.drop(store=True)``: store the post, then close the connection without an answer (the
  "accepted but the answer was lost" window); ``store=False`` drops before storing;
- ``Fault.kill(pid, store=True)``: store the post, SIGKILL process ``pid`` (the publisher), then drop;
- ``Fault.html_200()``: answer 200 with an HTML page and store nothing (a misrouted call).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """A form-encoded body (Graph API, Bot API accept both) as single values."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}

    def params(self) -> dict[str, Any]:
        """JSON body, form body or query string, whichever the client used."""
        kind = self.headers.get("content-type", "")
        if "json" in kind:
            return dict(self.json() or {})
        if "form" in kind:
            return self.form()
        return {k: v[-1] for k, v in self.query.items()}


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes/str
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/html; charset=UTF-8")
        return json.dumps(self.body).encode(), "application/json; charset=UTF-8"


@dataclass
class Fault:
    kind: str
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0
    store: bool = False
    pid: int = 0
    body: Any = None
    method: str = "POST"
    path: str = ""  # a regular expression searched in the path; "" matches every path

    @classmethod
    def status_(cls, status: int, retry_after: float | None = None, body: Any = None, **match: Any) -> Fault:
        return cls("status", status=status, retry_after=retry_after, body=body, **match)

    @classmethod
    def timeout(cls, seconds: float, store: bool = True, **match: Any) -> Fault:
        return cls("timeout", seconds=seconds, store=store, **match)

    @classmethod
    def drop(cls, store: bool = True, **match: Any) -> Fault:
        return cls("drop", store=store, **match)

    @classmethod
    def kill(cls, pid: int, store: bool = True, **match: Any) -> Fault:
        return cls("kill", pid=pid, store=store, **match)

    @classmethod
    def html_200(cls, **match: Any) -> Fault:
        return cls("html", **match)

    def matches(self, request: Request) -> bool:
        return request.method == self.method and (not self.path or re.search(self.path, request.path) is not None)


Fault.status = Fault.status_  # type: ignore[assignment]  # the spelling the tests read: Fault.status(500)

Handler = Callable[[Request, re.Match[str]], Answer]


class FakeAPI:
    """Subclasses call ``route`` in ``__init__`` and keep what they store in ``posts``."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.posts: list[dict[str, Any]] = []
        self.requests: list[Request] = []
        self.faults: deque[Fault] = deque()
        self.lock = threading.RLock()
        self.latency = 0.0  # seconds every answer waits (benchmarks: a remote's round trip)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    def fail_next(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls(self, method: str = "POST", path: str = "") -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == method and re.search(path, r.path)]

    # --- the server side ---------------------------------------------------------------------
    def _answer(self, request: Request) -> Answer | None:
        """None: drop the connection without an answer."""
        with self.lock:
            self.requests.append(request)
            fault = next((f for f in self.faults if f.matches(request)), None)
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return Answer(fault.status, fault.body if fault.body is not None else {"error": f"injected {fault.status}"}, headers)
        if fault is not None and fault.kind == "html":
            return Answer(200, "<!DOCTYPE html><html><body><h1>Beranda</h1></body></html>", {"Content-Type": "text/html; charset=UTF-8"})
        if fault is not None and not fault.store:
            if fault.kind == "timeout":
                time.sleep(fault.seconds)
                return Answer(503, {"error": "late"})
            return None
        answer = self._dispatch(request)
        if fault is None:
            if self.latency:
                time.sleep(self.latency)
            return answer
        if fault.kind == "timeout":
            time.sleep(fault.seconds)
            return answer
        if fault.kind == "kill":
            os.kill(fault.pid, signal.SIGKILL)
            time.sleep(0.2)
        return None

    def _dispatch(self, request: Request) -> Answer:
        for method, pattern, handler in self.routes:
            if method == request.method and (match := pattern.match(request.path)):
                return handler(request, match)
        return Answer(404, {"error": f"no route {request.method} {request.path}"})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()},
                                  body, time.monotonic())
                answer = api._answer(request)
                if answer is None:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                data, kind = answer.encoded()
                self.send_response(answer.status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (its timeout): what it sees is the test's point

            do_GET = do_POST = do_DELETE = do_PUT = _serve

        return _Handler
