"""X API v2 as far as the X adapter uses it, with X's shapes (https://docs.x.com/x-api):

- ``POST /2/tweets`` ``{"text", "reply"?: {"in_reply_to_tweet_id"}}`` → 201 ``{"data": {"id", "text",
  "edit_history_tweet_ids"}}``; 400 ``invalid-request`` problem beyond 280 characters (plain count:
  the weighted count is the renderer's business); 403 "duplicate content" for the text of a post the
  account holds; 403 for a reply to a post that is gone.
- ``GET /2/users/{id}/tweets?max_results=5..100&pagination_token&start_time&tweet.fields`` → newest
  first, ``{"data": […], "meta": {"result_count", "newest_id", "oldest_id", "next_token"?}}``, no
  ``data`` when empty. Links come back as ``https://t.co/…`` with ``entities.urls`` (X shortens every
  link it recognises, twitter-text's rules), ``&``/``<``/``>`` as HTML entities.
- ``DELETE /2/tweets/{id}`` → ``{"data": {"deleted": true}}``; 404 ``resource-not-found`` if absent.
- 401 ``Unauthorized`` problem without ``Authorization: Bearer <token>``; ``rate_limit(seconds)``
  answers every call 429 with ``x-rate-limit-*`` headers until then.

``posts`` holds the account's live posts as posted (``text`` unshortened), ``deleted`` the deleted.
"""

from __future__ import annotations

import hashlib
import html
import re
import time
from datetime import UTC, datetime
from typing import Any

from twitter_text import extract_urls_with_indices, parse_tweet

from tests.fakes.server import Answer, FakeAPI, Request

PROBLEMS = "https://api.twitter.com/2/problems/"


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any) -> Answer:
    return Answer(status, {"title": title, "detail": detail, "type": kind, "status": status, **extra})


class FakeX(FakeAPI):
    def __init__(self, token: str = "x-user-token", user_id: str = "1790000000000000001"):
        super().__init__()
        self.token, self.user_id = token, user_id
        self.deleted: list[dict[str, Any]] = []
        self.limited_until = 0.0
        self._serial = 1860000000000000000
        self.route("POST", r"/2/tweets", self._create)
        self.route("GET", r"/2/users/(?P<user>[0-9]+)/tweets", self._timeline)
        self.route("DELETE", r"/2/tweets/(?P<id>[0-9]+)", self._delete)

    def reset(self) -> None:
        """Forget every post, call and fault (one server serves a test module: stopping one takes 0.5 s)."""
        with self.lock:
            for kept in (self.posts, self.deleted, self.requests, self.faults):
                kept.clear()
            self.limited_until = 0.0

    def rate_limit(self, seconds: float) -> None:
        self.limited_until = time.time() + seconds

    def add(self, text: str, *, age_seconds: float = 0, reply_to: str | None = None) -> dict[str, Any]:
        """A post the account already holds (made elsewhere, or long ago)."""
        with self.lock:
            self._serial += 1
            post = {"id": str(self._serial), "text": text, "author_id": self.user_id, "in_reply_to": reply_to,
                    "created_at": datetime.fromtimestamp(time.time() - age_seconds, UTC)}
            self.posts.append(post)
            return post

    def _guard(self, request: Request) -> Answer | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return problem(401, "Unauthorized", "Unauthorized")
        if time.time() < self.limited_until:
            answer = problem(429, "Too Many Requests", "Too Many Requests")
            answer.headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                              "x-rate-limit-reset": str(int(self.limited_until) + 1)}
            return answer
        return None

    def _create(self, request: Request, match: re.Match[str]) -> Answer:
        if refused := self._guard(request):
            return refused
        body = request.json() or {}
        text = body.get("text")
        # X counts a post's weighted length (twitter-text: every link 23, CJK 2), not its characters.
        if not isinstance(text, str) or not text or not parse_tweet(text).valid:
            return Answer(400, {
                "errors": [{"parameters": {"text": [str(text)[:40]]}, "message": "text must be 1 to 280 characters"}],
                "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                "type": PROBLEMS + "invalid-request"})
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        with self.lock:
            if any(p["text"] == text for p in self.posts):
                return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
            if reply_to and not any(p["id"] == reply_to for p in self.posts):
                return problem(403, "Forbidden", "You attempted to reply to a Tweet that is deleted or not visible to you.")
            post = self.add(text, reply_to=reply_to)
        return Answer(201, {"data": {"id": post["id"], "text": _shown(text)[0], "edit_history_tweet_ids": [post["id"]]}})

    def _timeline(self, request: Request, match: re.Match[str]) -> Answer:
        if refused := self._guard(request):
            return refused
        query = {k: v[-1] for k, v in request.query.items()}
        size = int(query.get("max_results", "10"))
        if not 5 <= size <= 100:
            return Answer(400, {"errors": [{"parameters": {"max_results": [str(size)]},
                                            "message": "The `max_results` query parameter value is not between 5 and 100"}],
                                "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                                "type": PROBLEMS + "invalid-request"})
        fields = set(query.get("tweet.fields", "").split(","))
        since = datetime.fromisoformat(query["start_time"]) if "start_time" in query else None
        with self.lock:
            mine = [p for p in self.posts if match["user"] == self.user_id and (since is None or p["created_at"] >= since)]
        mine.sort(key=lambda p: int(p["id"]), reverse=True)
        offset = int(query["pagination_token"].removeprefix("7140dibdnow9c7btw")) if "pagination_token" in query else 0
        page = mine[offset:offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(mine):
            meta["next_token"] = f"7140dibdnow9c7btw{offset + size}"
        if not page:
            return Answer(200, {"meta": meta})
        return Answer(200, {"data": [_public(p, fields) for p in page], "meta": meta})

    def _delete(self, request: Request, match: re.Match[str]) -> Answer:
        if refused := self._guard(request):
            return refused
        with self.lock:
            post = next((p for p in self.posts if p["id"] == match["id"]), None)
            if post is None:
                return problem(404, "Not Found Error", f"Could not find tweet with id: [{match['id']}].",
                               PROBLEMS + "resource-not-found")
            self.posts.remove(post)
            self.deleted.append(post)
        return Answer(200, {"data": {"deleted": True}})


def _shown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The text as X serves it: each link a t.co link (with its entity), then &, <, > escaped."""
    out, entities, last = [], [], 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        short = "https://t.co/" + hashlib.sha256(found["url"].encode()).hexdigest()[:10]
        out.append(text[last:start])
        position = sum(len(s) for s in out)
        out.append(short)
        expanded = found["url"] if re.match(r"https?://", found["url"]) else "http://" + found["url"]
        entities.append({"start": position, "end": position + len(short), "url": short, "expanded_url": expanded,
                         "display_url": re.sub(r"^https?://(www\.)?", "", expanded)[:26]})
        last = end
    out.append(text[last:])
    return html.escape("".join(out), quote=False), entities


def _public(post: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    text, urls = _shown(post["text"])
    shown: dict[str, Any] = {"id": post["id"], "text": text, "edit_history_tweet_ids": [post["id"]]}
    if "created_at" in fields:
        shown["created_at"] = post["created_at"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if "entities" in fields and urls:
        shown["entities"] = {"urls": urls}
    return shown
