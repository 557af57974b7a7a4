"""X (API v2): one post on the account of an OAuth 2.0 user-context token (scopes tweet.read,
tweet.write, users.read; the Secret block holds the access token — X's user tokens expire after
two hours unless refreshed with offline.access, and an expired one is answered 401: Refused).

Calls (https://docs.x.com/x-api/posts/create-post, …/delete-post, …/get-posts-by-user):
- ``POST {api_base}/2/tweets`` ``{"text", "reply"?: {"in_reply_to_tweet_id"}}`` → 201
  ``{"data": {"id", "text"}}``; receipt ``https://x.com/i/web/status/{id}`` (the username is not
  configured; X redirects the i/web form to the canonical one).
- ``GET {api_base}/2/users/{user_id}/tweets?max_results=100&start_time=…&tweet.fields=created_at,entities``
  (newest first, next page with ``pagination_token`` = ``meta.next_token``) → ``{"data": [{"id",
  "text", "created_at", "entities": {"urls": [{"url", "expanded_url"}]}}], "meta": {…}}``.
- ``DELETE {api_base}/2/tweets/{id}`` → ``{"data": {"deleted": true}}``.

Errors are problem documents, ``{"title", "detail", "type", "status"}`` and/or ``{"errors": [{"message"}]}``.
429 carries ``x-rate-limit-reset`` (epoch seconds): Unavailable with ``retry_after``. 403 "You are not
allowed to create a Tweet with duplicate content." means an identical post exists: it is looked up
and returned as already published (X's refusal is the lookup hint). Any other 4xx: Refused.

A correction or update replies to the earlier post (``reference``), so whoever opens the earlier
post sees the new one under it, and the thread shows it in followers' timelines; a quote would leave
the earlier post pointing nowhere. When the earlier post is to be retracted, the new one stands alone
(a reply under a deleted post shows "This post is unavailable") and the earlier one is deleted after.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from twitter_text import extract_urls_with_indices

from pasopati.plan.channels import XConfig
from pasopati.publications.channels.api import CLIENT_ERRORS, call, json_of
from pasopati.publications.channels.base import (
    ChannelError,
    OutgoingMessage,
    Receipt,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
)
from pasopati.publications.channels.secrets import secret
from pasopati.settings import Settings

_DUPLICATE = re.compile(r"duplicate content", re.IGNORECASE)
_REPLY_GONE = re.compile(r"reply to a (Tweet|post) that is deleted or not visible", re.IGNORECASE)
# find: a lost answer is looked up within minutes, so the post would be among the newest. At most
# two pages of 100 within the last 24 hours (X's timeline endpoint serves up to 3,200).
LOOKBACK = timedelta(hours=24)
PAGES = 2


def status_url(tweet_id: str) -> str:
    return f"https://x.com/i/web/status/{tweet_id}"


class XChannel:
    # A post can land on the remote after its request's answer was lost: a lookup right after a
    # crash may miss it (sending.publish waits before settling what a dead process left).
    late_arrivals = True

    def __init__(self, name: str, config: XConfig):
        self.name, self.config = name, config
        self.base = str(config.api_base).rstrip("/")
        self.session = requests.Session()

    def recipients(self) -> list[str]:
        return [""]

    def _call(self, method: str, path: str, *, accept: frozenset[int] = frozenset(), **kwargs: Any) -> requests.Response:
        token = secret(self.config.token_secret, what=self.name)
        return call(self.session, method, self.base + path, what=self.name, timeout=self.config.timeout_seconds,
                    accept=accept, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def publish(self, message: OutgoingMessage) -> Receipt:
        """One post (a reply to ``message.reference`` unless that is to be retracted). Raises
        Unavailable, Refused or Uncertain (``base``); a duplicate found by lookup is a receipt."""
        reference = message.reference if message.reference and message.reference.remote_id else None
        reply_to = None if reference is None or message.retract_reference else reference.remote_id
        note = None
        response = self._post(message.text, reply_to)
        if reply_to and response.status_code == 403 and _REPLY_GONE.search(_problem(response)):
            note = f"the earlier post {reply_to} cannot be replied to (deleted?): posted on its own"
            response = self._post(message.text, None)
        if response.status_code in CLIENT_ERRORS:
            problem = _problem(response)
            if response.status_code == 403 and _DUPLICATE.search(problem):
                found = self.find(message)
                if found is None:
                    raise Refused(f"{self.name}: X refuses the post as a duplicate of a post older than the lookup "
                                  f"({LOOKBACK}, {PAGES * 100} posts): {problem}")
                return self.follow_up(message, found)
            raise Refused(f"{self.name}: X refused the post ({response.status_code}): {problem}")
        data = json_of(response, what=self.name)
        tweet_id = str((data.get("data") or {}).get("id") or "") if isinstance(data, dict) else ""
        if not tweet_id.isdigit():  # 2xx without a post id: accepted or not, X did not say
            raise Uncertain(f"{self.name}: X answered {response.status_code} without a post id: {response.text[:200]!r}")
        return self.follow_up(message, Receipt(location=status_url(tweet_id), remote_id=tweet_id, note=note))

    def _post(self, text: str, reply_to: str | None) -> requests.Response:
        body: dict[str, Any] = {"text": text}
        if reply_to:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        return self._call("POST", "/2/tweets", json=body, accept=CLIENT_ERRORS)

    def follow_up(self, message: OutgoingMessage, receipt: Receipt) -> Receipt:
        """Once the post exists (posted or found): delete the earlier post when the runbook asks
        (``retract_reference``); a failure is a note on the receipt, the new post stands."""
        if not (message.retract_reference and message.reference):
            return receipt
        try:
            self.retract(message.reference)
        except ChannelError as exc:
            notes = [n for n in (receipt.note, f"the earlier post was not deleted: {exc}") if n]
            return receipt.model_copy(update={"note": "; ".join(notes)})
        return receipt

    def retract(self, reference: Reference) -> None:
        """``DELETE /2/tweets/{id}``; a post already gone (404) counts as retracted, an answer other
        than ``{"data": {"deleted": true}}`` does not. Raises Unavailable, Refused or Uncertain."""
        if not reference.remote_id:
            raise Refused(f"{self.name}: the earlier post {reference.location} has no post id to delete")
        response = self._call("DELETE", f"/2/tweets/{reference.remote_id}", accept=frozenset({404}))
        if response.status_code == 404:
            return
        body = json_of(response, what=self.name)
        if not (isinstance(body, dict) and (body.get("data") or {}).get("deleted") is True):
            raise Refused(f"{self.name}: X did not delete {reference.remote_id}: {response.text[:200]!r}")

    def find(self, message: OutgoingMessage) -> Receipt | None:
        """The account's post with ``message.text`` among its last 200 posts of the last 24 hours,
        or None. Matched on the words, with every link masked (X returns links as t.co, text with
        ``&amp;``/``&lt;``/``&gt;``, NFC-normalised), and on the links themselves where X says what
        they expand to (``entities.urls``). Raises Unavailable when X cannot be asked now."""
        since = (datetime.now(UTC) - LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ")
        params: dict[str, Any] = {"max_results": 100, "tweet.fields": "created_at,entities", "start_time": since}
        words, links = _comparable(message.text)
        for _ in range(PAGES):
            page = self._lookup(params)
            for tweet in page.get("data") or []:
                if _same(tweet, words, links):
                    return Receipt(location=status_url(str(tweet["id"])), remote_id=str(tweet["id"]), already_published=True)
            if not (token := (page.get("meta") or {}).get("next_token")):
                break
            params["pagination_token"] = token
        return None

    def _lookup(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            page = json_of(self._call("GET", f"/2/users/{self.config.user_id}/tweets", params=params), what=self.name)
        except ChannelError as exc:  # a lookup creates nothing: whatever failed, ask again later
            raise Unavailable(f"{self.name}: cannot look up earlier posts: {exc}", retry_after=getattr(exc, "retry_after", None)) from exc
        if not isinstance(page, dict):
            raise Unavailable(f"{self.name}: the timeline answer is not an object: {str(page)[:120]}")
        return page


def _problem(response: requests.Response) -> str:
    """``title: detail; message…`` from X's problem document, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(body, dict):
        return response.text[:300]
    errors = [e.get("message") or e.get("detail") for e in body.get("errors") or [] if isinstance(e, dict)]
    head = ": ".join(str(s) for s in (body.get("title"), body.get("detail")) if s)
    return "; ".join(str(s) for s in (head, *errors) if s) or response.text[:300]


def _comparable(text: str) -> tuple[str, list[str]]:
    """(the text, NFC, with every link X would make replaced by a mark; those links as written)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    words, links, last = [], [], 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        words.append(text[last:start] + "\x00")
        links.append(found["url"])
        last = end
    words.append(text[last:])
    return "".join(words), links


def _link(url: str) -> str:
    """Scheme, 'www.' and a final '/' dropped, host lower-cased: X expands 'ditjenpas.go.id' to
    'http://ditjenpas.go.id'."""
    bare = re.sub(r"^https?://", "", url.strip(), flags=re.IGNORECASE).rstrip("/")
    host, _, rest = bare.partition("/")
    host = host.lower().removeprefix("www.")
    return f"{host}/{rest}" if rest else host


def _same(tweet: dict[str, Any], words: str, links: list[str]) -> bool:
    """Same words, links masked; and each t.co link X expands (``entities.urls``) is the one posted."""
    words_there, shown = _comparable(html.unescape(str(tweet.get("text") or "")))
    if words_there != words:
        return False
    urls = (tweet.get("entities") or {}).get("urls") or []
    expanded = {u.get("url"): u.get("expanded_url") for u in urls if isinstance(u, dict) and u.get("expanded_url")}
    return all(_link(str(expanded[t])) == _link(posted) for t, posted in zip(shown, links, strict=True) if t in expanded)


def adapter(name: str, config: XConfig, settings: Settings) -> XChannel:
    return XChannel(name, config)
