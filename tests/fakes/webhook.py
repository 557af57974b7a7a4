"""A generic webhook receiver: stores each POST's JSON and key; optionally de-duplicates on the key."""

from __future__ import annotations

import re

from tests.fakes.server import Answer, FakeAPI, Request


class FakeWebhook(FakeAPI):
    def __init__(self, deduplicates: bool = False) -> None:
        super().__init__()
        self.deduplicates = deduplicates
        self.route("POST", "/hook", self._post)

    @property
    def hook(self) -> str:
        return f"{self.url}/hook"

    def _post(self, request: Request, match: re.Match[str]) -> Answer:
        key = request.headers.get("idempotency-key")
        with self.lock:
            if self.deduplicates and any(p["key"] == key for p in self.posts):
                return Answer(409, {"error": "duplicate key"})
            self.posts.append({"key": key, **request.json()})
            number = len(self.posts)
        return Answer(201, {"id": number}, {"Location": f"{self.url}/hook/{number}"})
