"""A Facebook Page on the Graph API as far as the Facebook adapter uses it, with Graph's shapes
(https://developers.facebook.com/docs/graph-api), every path under a version (``/v21.0/…``):

- ``POST /{page}/feed`` (form, JSON or query: ``message``, ``link``) → ``{"id": "{page}_{post}"}``;
  error 100 without ``message`` or ``link``, 506 "Duplicate status message" when the Page's latest post
  has the same message (Facebook refuses consecutive duplicates).
- ``GET /{page}/feed`` (the Page's and visitors' posts) and ``GET /{page}/posts`` (the Page's own):
  ``fields``, ``limit`` (≤ 100, default 25), ``since`` (unix time), ``after`` → newest first,
  ``{"data": […], "paging": {"cursors": {"before", "after"}, "next"?}}``.
- ``GET /{post}?fields=…`` (``permalink_url`` too), ``POST /{post}/comments`` → ``{"id"}``,
  ``DELETE /{post}`` → ``{"success": true}``; a post that is not there: error 100, subcode 33.
- The token as ``access_token`` (any parameter place) or ``Authorization: Bearer|OAuth``; none: HTTP 400
  code 104; a wrong one: HTTP 400 code 190 (OAuthException). ``throttle(minutes)`` answers HTTP 400 code
  80001 with ``X-Business-Use-Case-Usage`` until then.

``posts`` holds the feed (each with ``from``: the Page's id or a visitor's), ``comments`` the comments,
``deleted`` the deleted posts.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from tests.fakes.server import Answer, FakeAPI, Request

V = r"/v[0-9]+\.[0-9]+"
POST_ID = r"(?P<post>[0-9]+_[0-9]+)"
VISITOR = "100000000000042"
DUPLICATE_CODE = 506  # "Duplicate status message"


def graph_error(status: int, code: int, message: str, kind: str = "OAuthException", subcode: int | None = None,
                headers: dict[str, str] | None = None) -> Answer:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "A" + secrets.token_urlsafe(8)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status, {"error": error}, headers or {})


class FakeFacebookPage(FakeAPI):
    def __init__(self, token: str = "page-access-token", page_id: str = "104000000000001"):
        super().__init__()
        self.token, self.page_id = token, page_id
        self.comments: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []
        self.throttled_until = 0.0
        self._serial = 122100000000000000
        self.route("POST", rf"{V}/(?P<page>[0-9]+)/feed", self._create)
        self.route("GET", rf"{V}/(?P<page>[0-9]+)/(?P<edge>feed|posts)", self._list)
        self.route("GET", rf"{V}/{POST_ID}", self._read)
        self.route("POST", rf"{V}/{POST_ID}/comments", self._comment)
        self.route("DELETE", rf"{V}/{POST_ID}", self._delete)

    def reset(self) -> None:
        """Forget every post, call and fault (one server serves a test module: stopping one takes 0.5 s)."""
        with self.lock:
            for kept in (self.posts, self.comments, self.deleted, self.requests, self.faults):
                kept.clear()
            self.throttled_until = 0.0

    def throttle(self, minutes: int) -> None:
        self.throttled_until = time.time() + minutes * 60

    def add(self, message: str, *, link: str = "", age_seconds: float = 0, visitor: bool = False) -> dict[str, Any]:
        """A post the Page (or a visitor on it) already holds."""
        with self.lock:
            self._serial += 1
            post = {"id": f"{self.page_id}_{self._serial}", "message": message, "link": link,
                    "from": VISITOR if visitor else self.page_id,
                    "created_time": datetime.fromtimestamp(time.time() - age_seconds, UTC)}
            self.posts.append(post)
            return post

    def _guard(self, request: Request) -> Answer | None:
        auth = request.headers.get("authorization", "")
        token = request.params().get("access_token") or request.query.get("access_token", [""])[-1] or re.sub(r"^(Bearer|OAuth) ", "", auth)
        if not token:
            return graph_error(400, 104, "An access token is required to request this resource.")
        if token != self.token:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if time.time() < self.throttled_until:
            minutes = int((self.throttled_until - time.time()) // 60) + 1
            usage = f'{{"{self.page_id}": [{{"type": "pages", "call_count": 100, "total_cputime": 3, "total_time": 4, ' \
                    f'"estimated_time_to_regain_access": {minutes}}}]}}'
            return graph_error(400, 80001, "There have been too many calls to this Page account. Wait a bit and try again.",
                               headers={"X-Business-Use-Case-Usage": usage})
        return None

    def _create(self, request: Request, match: re.Match[str]) -> Answer:
        if refused := self._guard(request):
            return refused
        params = request.params()
        message, link = str(params.get("message") or ""), str(params.get("link") or "")
        if match["page"] != self.page_id:
            return graph_error(400, 100, f"(#100) Object with ID '{match['page']}' does not exist", "GraphMethodException", 33)
        if not message and not link:
            return graph_error(400, 100, "(#100) Missing message or attachment", "OAuthException")
        with self.lock:
            own = [p for p in self.posts if p["from"] == self.page_id]
            if own and own[-1]["message"] == message:
                return graph_error(400, DUPLICATE_CODE, "Duplicate status message")
            post = self.add(message, link=link)
        return Answer(200, {"id": post["id"]})

    def _list(self, request: Request, match: re.Match[str]) -> Answer:
        if refused := self._guard(request):
            return refused
        query = {k: v[-1] for k, v in request.query.items()}
        limit = min(int(query.get("limit", "25")), 100)
        fields = query.get("fields", "id,message,created_time").split(",")
        since = float(query.get("since", "0"))
        with self.lock:
            shown = [p for p in self.posts if (match["edge"] == "feed" or p["from"] == self.page_id)
                     and p["created_time"].timestamp() >= since]
        shown.sort(key=lambda p: p["created_time"], reverse=True)
        offset = int(base64.b64decode(query["after"]).decode()) if "after" in query else 0
        page = shown[offset:offset + limit]
        body: dict[str, Any] = {"data": [_fields(p, fields) for p in page]}
        if page:
            cursor = base64.b64encode(str(offset + len(page)).encode()).decode()
            body["paging"] = {"cursors": {"before": base64.b64encode(str(offset).encode()).decode(), "after": cursor}}
            if offset + limit < len(shown):
                body["paging"]["next"] = f"{self.url}{request.path}?limit={limit}&after={cursor}"
        return Answer(200, body)

    def _find(self, post_id: str) -> dict[str, Any] | None:
        return next((p for p in self.posts if p["id"] == post_id), None)

    def _missing(self, post_id: str) -> Answer:
        return graph_error(400, 100, f"Unsupported request. Object with ID '{post_id}' does not exist, cannot be loaded due "
                                     "to missing permissions, or does not support this operation.", "GraphMethodException", 33)

    def _read(self, request: Request, match: re.Match[str]) -> Answer:
        if refused := self._guard(request):
            return refused
        with self.lock:
            post = self._find(match["post"])
        if post is None:
            return self._missing(match["post"])
        fields = request.query.get("fields", ["id,message,created_time"])[-1].split(",")
        return Answer(200, _fields(post, fields))

    def _comment(self, request: Request, match: re.Match[str]) -> Answer:
        if refused := self._guard(request):
            return refused
        message = str(request.params().get("message") or "")
        with self.lock:
            if self._find(match["post"]) is None:
                return self._missing(match["post"])
            if not message:
                return graph_error(400, 100, "(#100) Missing message or attachment")
            self._serial += 1
            comment = {"id": f"{match['post'].split('_')[1]}_{self._serial}", "post_id": match["post"], "message": message}
            self.comments.append(comment)
        return Answer(200, {"id": comment["id"]})

    def _delete(self, request: Request, match: re.Match[str]) -> Answer:
        if refused := self._guard(request):
            return refused
        with self.lock:
            post = self._find(match["post"])
            if post is None:
                return self._missing(match["post"])
            self.posts.remove(post)
            self.deleted.append(post)
        return Answer(200, {"success": True})



def _fields(post: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    page, _, number = post["id"].partition("_")
    values = {"id": post["id"], "message": post["message"], "created_time": post["created_time"].strftime("%Y-%m-%dT%H:%M:%S+0000"),
              "permalink_url": f"https://www.facebook.com/{page}/posts/{number}", "from": {"id": post["from"]}}
    return {f: values[f] for f in fields if f in values and (f != "message" or post["message"])}
