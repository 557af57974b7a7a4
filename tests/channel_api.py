"""A real HTTP server standing in for a social channel's posting API (pytest-httpserver)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


class ChannelAPI:
    """Records every POST it receives; can be switched down (503) to simulate an outage. ``after_store``,
    when set, is called with each post once it is stored and before it is answered (a test may hold
    the post there, or kill its sender: the post arrived, the answer never does)."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.server.expect_request("/posts", method="POST").respond_with_handler(self._handle)
        self.server.start()
        self.received: list[dict[str, Any]] = []
        self.down = False
        self.after_store: Callable[[dict[str, Any]], None] | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.server.url_for("/posts")

    def _handle(self, request: Request) -> Response:
        if self.down:
            return Response("maintenance", status=503)
        body = json.loads(request.data)
        with self._lock:
            self.received.append({"key": request.headers.get("Idempotency-Key"), **body})
            number = len(self.received)
        if self.after_store is not None:
            self.after_store(self.received[number - 1])
        return Response(json.dumps({"id": number}), status=201, headers={"Location": f"{self.url}/{number}"})

    def for_incident(self, incident_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.received if r["incident_id"] == incident_id]

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()
