"""Facebook Page (Graph API): one feed post per message, with a Page access token (permissions
pages_manage_posts, pages_read_engagement, pages_manage_engagement for comments).

Calls (https://developers.facebook.com/docs/graph-api/reference/page/feed, …/reference/post,
…/reference/object/comments), under ``graph_base`` (``https://graph.facebook.com/v21.0``):
- ``POST /{page_id}/feed`` form ``message``, ``link``? → ``{"id": "{page_id}_{post_id}"}``; the receipt
  is ``https://www.facebook.com/{page_id}/posts/{post_id}`` (the long-standing permalink form, which
  Facebook redirects to the post; asking ``GET /{post-id}?fields=permalink_url`` would be one more call
  that can fail after the post exists).
- ``GET /{page_id}/posts?fields=id,message,created_time&limit=100&since=…`` (``/posts``, not ``/feed``:
  only what the Page itself published — a visitor's post with our text is not our post), next page
  with ``after`` = ``paging.cursors.after`` while ``paging.next`` is given.
- ``POST /{post-id}/comments`` form ``message`` → ``{"id"}``; ``DELETE /{post-id}`` → ``{"success": true}``.

The token goes in ``Authorization: Bearer`` (Graph accepts it as well as ``access_token``): never in a
URL, where a connection error's message (and so a log or a receipt) would carry it, and never sent to
an address taken from an answer (``paging.next``: cursors are used instead).

Errors: ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id", "is_transient"?}}``,
classified by code after Meta's "Handling Errors" and "Rate Limits" guides: 1, 2 (temporary), 4, 17,
32, 341, 613, 80001 to 80014 (throttling), 368 (temporarily blocked: "wait and retry") or
``is_transient`` → Unavailable (``retry_after`` from ``Retry-After`` or ``X-Business-Use-Case-Usage``'s
``estimated_time_to_regain_access``, minutes); 506 (duplicate post) → the post is looked up and returned
as already published; any other (190 token, 10 and 200 to 299 permissions, 100 parameter…) → Refused.

A correction or an update is a new feed post, and a comment on the earlier post points to it (words:
``templates/channels/facebook_update_comment.j2``). Editing the earlier post instead would change, without
trace, what readers had already seen and shared; a new post also reaches the Page's followers again.
When the runbook asks to retract the earlier post, it is deleted instead of annotated.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import requests

from pasopati.plan.channels import FacebookConfig
from pasopati.publications.channels.api import CLIENT_ERRORS, call, json_of, retry_after
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
from pasopati.texts import render

TRANSIENT = frozenset({1, 2, 4, 17, 32, 341, 368, 613}) | frozenset(range(80001, 80015))
DUPLICATE = 506
LOOKBACK = timedelta(hours=24)
PAGES = 3  # of 100 posts: a Page posts a few times a day
COMMENT_TEMPLATE = "channels/facebook_update_comment.j2"


def permalink(post_id: str) -> str:
    page, _, post = post_id.partition("_")
    return f"https://www.facebook.com/{page}/posts/{post}" if post else f"https://www.facebook.com/{post_id}"


class FacebookChannel:
    # A post can land on the remote after its request's answer was lost: a lookup right after a
    # crash may miss it (sending.publish waits before settling what a dead process left).
    late_arrivals = True

    def __init__(self, name: str, config: FacebookConfig, templates_dir: Path):
        self.name, self.config, self.templates_dir = name, config, templates_dir
        self.base = str(config.graph_base).rstrip("/")
        self.session = requests.Session()

    def recipients(self) -> list[str]:
        return [""]

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        token = secret(self.config.token_secret, what=self.name)
        return call(self.session, method, self.base + path, what=self.name, timeout=self.config.timeout_seconds,
                    accept=CLIENT_ERRORS, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def publish(self, message: OutgoingMessage) -> Receipt:
        """One feed post, then the comment on (or the deletion of) ``message.reference``. Raises
        Unavailable, Refused or Uncertain (``base``); a duplicate found by lookup is a receipt."""
        form = {"message": message.text, **({"link": message.link} if message.link else {})}
        response = self._call("POST", f"/{self.config.page_id}/feed", data=form)
        if response.status_code in CLIENT_ERRORS:
            if (_error(response) or {}).get("code") == DUPLICATE:
                found = self.find(message)
                if found is None:
                    raise Refused(f"{self.name}: Graph refuses the post as a duplicate of one not found among the Page's "
                                  f"posts of the last {LOOKBACK}: {_describe(response)}")
                return self.follow_up(message, found)
            self._raise(response, "posting")
        body = json_of(response, what=self.name)
        post_id = str(body.get("id") or "") if isinstance(body, dict) else ""
        if "_" not in post_id:  # 2xx without a post id: accepted or not, Graph did not say
            raise Uncertain(f"{self.name}: Graph answered {response.status_code} without a post id: {response.text[:200]!r}")
        return self.follow_up(message, Receipt(location=permalink(post_id), remote_id=post_id))

    def follow_up(self, message: OutgoingMessage, receipt: Receipt) -> Receipt:
        """What a correction or an update does to the earlier post once the new one exists: delete
        it (``retract_reference``) or comment on it with a link to ``receipt``. A failure is a note
        on the receipt, never a failed delivery: the new post stands."""
        reference = message.reference
        if reference is None:
            return receipt
        try:
            if message.retract_reference:
                self.retract(reference)
            else:
                self.comment(reference, message, receipt.location)
        except ChannelError as exc:
            done = "deleted" if message.retract_reference else "given a comment linking the new post"
            notes = [n for n in (receipt.note, f"the earlier post {reference.location} was not {done}: {exc}") if n]
            return receipt.model_copy(update={"note": "; ".join(notes)})
        return receipt

    def comment(self, reference: Reference, message: OutgoingMessage, location: str) -> str:
        """``POST /{post-id}/comments``: the template's words with ``location``; the comment's id."""
        text = render(self.templates_dir, COMMENT_TEMPLATE, language=message.language.split("-")[0].lower(),
                      message_type=message.message_type, location=location).strip()
        response = self._call("POST", f"/{_post_id(reference, self.name)}/comments", data={"message": text})
        if response.status_code in CLIENT_ERRORS:
            self._raise(response, "commenting")
        body = json_of(response, what=self.name)
        return str(body.get("id") or "") if isinstance(body, dict) else ""

    def retract(self, reference: Reference) -> None:
        """``DELETE /{post-id}``. Raises Unavailable, Refused or Uncertain; a post already gone is
        answered code 100 ("does not exist, cannot be loaded due to missing permissions…"): Refused,
        since Graph does not say which."""
        response = self._call("DELETE", f"/{_post_id(reference, self.name)}")
        if response.status_code in CLIENT_ERRORS:
            self._raise(response, "deleting")
        body = json_of(response, what=self.name)
        if not (isinstance(body, dict) and body.get("success") is True):
            raise Refused(f"{self.name}: Graph did not confirm the deletion: {response.text[:200]!r}")

    def find(self, message: OutgoingMessage) -> Receipt | None:
        """The Page's own post whose ``message`` is ``message.text`` (NFC, line ends and outer space
        normalised) among its posts of the last 24 hours (at most 300), or None. Raises Unavailable
        when Graph cannot be asked now."""
        since = int((datetime.now(UTC) - LOOKBACK).timestamp())
        params: dict[str, Any] = {"fields": "id,message,created_time", "limit": 100, "since": since}
        wanted = _normal(message.text)
        for _ in range(PAGES):
            page = self._lookup(params)
            for post in page.get("data") or []:
                if isinstance(post, dict) and _normal(str(post.get("message") or "")) == wanted and post.get("id"):
                    return Receipt(location=permalink(str(post["id"])), remote_id=str(post["id"]), already_published=True)
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not (paging.get("next") and after):
                break
            params["after"] = after
        return None

    def _lookup(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._call("GET", f"/{self.config.page_id}/posts", params=params)
            if response.status_code in CLIENT_ERRORS:
                self._raise(response, "looking up earlier posts")
            page = json_of(response, what=self.name)
        except ChannelError as exc:  # a lookup creates nothing: whatever failed, ask again later
            raise Unavailable(f"{self.name}: cannot look up earlier posts: {exc}", retry_after=getattr(exc, "retry_after", None)) from exc
        if not isinstance(page, dict):
            raise Unavailable(f"{self.name}: the Page's posts answer is not an object: {str(page)[:120]}")
        return page

    def _raise(self, response: requests.Response, doing: str) -> NoReturn:
        error = _error(response) or {}
        text = f"{self.name}: {doing}: {_describe(response)}"
        if error.get("code") in TRANSIENT or error.get("is_transient") is True:
            raise Unavailable(text, retry_after=retry_after(response.headers) or _regain(response.headers))
        raise Refused(text)


def _post_id(reference: Reference, what: str) -> str:
    if not reference.remote_id:
        raise Refused(f"{what}: the earlier post {reference.location} has no post id")
    return reference.remote_id


def _error(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _describe(response: requests.Response) -> str:
    """'Graph error 190/460 (OAuthException): message [fbtrace_id …]', else the status and body."""
    error = _error(response)
    if error is None:
        return f"answered {response.status_code}: {response.text[:300]}"
    code = "/".join(str(error[k]) for k in ("code", "error_subcode") if error.get(k) is not None)
    trace = f" [fbtrace_id {error['fbtrace_id']}]" if error.get("fbtrace_id") else ""
    return f"Graph error {code} ({error.get('type', '?')}), HTTP {response.status_code}: {error.get('message', '')}{trace}"


def _regain(headers: Any) -> float | None:
    """Seconds from ``X-Business-Use-Case-Usage`` (Page tokens are rate-limited per business use
    case): ``{"<id>": [{"type": "pages", "estimated_time_to_regain_access": <minutes>, …}]}``."""
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
        minutes = [float(e.get("estimated_time_to_regain_access") or 0) for v in usage.values() for e in v if isinstance(e, dict)]
    except (ValueError, AttributeError, TypeError):
        return None
    return max(minutes) * 60 if minutes and max(minutes) > 0 else None


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()


def adapter(name: str, config: FacebookConfig, settings: Settings) -> FacebookChannel:
    return FacebookChannel(name, config, settings.templates_dir)
