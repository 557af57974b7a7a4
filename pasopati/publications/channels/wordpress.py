"""WordPress website channel: the REST API (``/wp/v2/posts``) with an application password.

One ``publish`` creates one post from the ``website`` rendering (title, HTML article, excerpt). WordPress
has no idempotency key, so every post carries two things a lost answer can be found by (``find``):

- a deterministic slug ``<title-words>-<marker>``: WordPress keeps it, or appends ``-2``, ``-3``… when a
  post already holds it (drafts keep it as given);
- a stamp at the end of its content, ``<!-- pasopati:<idempotency key> -->`` (an HTML comment: not shown,
  kept by WordPress's HTML filter even for users without ``unfiltered_html``, and found by its search).
  A post is ours only if it holds our stamp: a post someone else gave our slug is never taken for ours.

Why the routing dance: WordPress answers a REST call it does not route — pretty permalinks off (then
``/wp-json/…`` is the home page or a redirect to it), or a base URL with the wrong path — with a web page
(``200``/``301``/``404`` and HTML) and creates nothing. A 2xx is success only with the API's JSON post
(``id`` and ``link``). When ``/wp-json/…`` answers a page, the ``?rest_route=/wp/v2/…`` form (which needs
no permalinks) is used for the rest of the adapter's life; a create is then preceded by a lookup, so a
post that was made after all is not made twice. If that form answers a page too, ``Refused`` names the
base URL.

Corrections and updates (``message.reference``, an earlier post on this site): after the new post is
created, a notice linking to it goes atop the earlier post (``templates/channels/website_update_notice.html.j2``,
once per new message: it carries the new message's marker), and with ``retract_reference`` the earlier post
is moved to the trash. Those steps never fail the delivery (the new post is published): a failure is put in
``Receipt.note``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

import requests

from pasopati.plan.channels import WordPressConfig
from pasopati.publications.channels.api import call
from pasopati.publications.channels.base import (
    ChannelError,
    OutgoingMessage,
    Receipt,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
)
from pasopati.publications.channels.secrets import remember_basic, secret
from pasopati.settings import Settings
from pasopati.texts import render

Route = Literal["pretty", "plain"]
# Every status a post of ours can have on the site (not trash: a trashed post was retracted on purpose).
STATUSES = "publish,future,draft,pending,private"
NOTICE_TEMPLATE = "channels/website_update_notice.html.j2"
# Answers read here rather than raised by `call`: a redirect or 404 may be a page (not routed), 410 is
# "already trashed", 401/403 get a hint.
_READ = frozenset({301, 302, 303, 307, 308, 401, 403, 404, 410})
_DENIED = frozenset({401, 403})
_SLUG_CHARACTERS = 60


class _NotTheAPI(Exception):
    """The answer was a web page (or a redirect), not the REST API's JSON: the call was not routed."""

    def __init__(self, detail: str, status: int):
        super().__init__(detail)
        self.status = status


def slug_for(message: OutgoingMessage) -> str:
    """``<title words>-<marker>`` in WordPress's slug alphabet (lower-case ASCII letters, digits, '-'):
    the same for every attempt at one delivery, and never all digits."""
    title = str(message.rendering.get("title") or message.message_type)
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.split(r"[^a-z0-9]+", ascii_title) if w]
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > _SLUG_CHARACTERS:
            break
        kept.append(word)
    return "-".join([*(kept or ["pernyataan"]), message.marker.lower()])


def stamp_for(message: OutgoingMessage) -> str:
    """The HTML comment that marks a post as this delivery's (the whole idempotency key)."""
    return f"<!-- pasopati:{message.idempotency_key} -->"


class WordPressChannel:
    """One WordPress site (``config.base_url``); ``recipients()`` is ``[""]``."""

    # A post can land on the remote after its request's answer was lost: a lookup right after a
    # crash may miss it (sending.publish waits before settling what a dead process left).
    late_arrivals = True

    def __init__(self, name: str, config: WordPressConfig, templates_dir: Path):
        self.name, self.config, self.templates_dir = name, config, templates_dir
        self.base = str(config.base_url).rstrip("/")
        self.session = requests.Session()
        self._route: Route | None = None  # the form that answered the API's JSON, once one has
        self._pretty_failed = False  # /wp-json/… answered a page: use ?rest_route= from now on
        self._password: str | None = None

    def recipients(self) -> list[str]:
        return [""]

    # --- the API -------------------------------------------------------------------------------------------

    def _auth(self) -> tuple[str, str]:
        if self._password is None:
            self._password = secret(self.config.password_secret, what=self.name)
            remember_basic(self.config.username, self._password)
        return self.config.username, self._password

    def _call(self, route: Route, method: str, path: str, params: dict[str, Any], body: dict[str, Any] | None) -> tuple[int, Any]:
        """(status, JSON) of one call by ``route``: 2xx, 404 or 410 with the API's JSON. Raises
        _NotTheAPI for a page or a redirect, and whatever ``api.call`` raises (Refused for 401…)."""
        if route == "pretty":
            url, query = f"{self.base}/wp-json{path}", params
        else:
            url, query = f"{self.base}/", {"rest_route": path, **params}
        response = call(self.session, method, url, what=self.name, timeout=self.config.timeout_seconds, accept=_READ,
                        params=query, json=body, auth=self._auth())
        kind = response.headers.get("Content-Type", "no content type")
        try:
            data = response.json() if "json" in kind else None
        except ValueError:
            data = None
        if data is None or 300 <= response.status_code < 400:
            where = response.headers.get("Location")
            raise _NotTheAPI(f"{method} {response.url} answered {response.status_code} with {kind}"
                             + (f", to {where}" if where else f": {response.text[:80]!r}"), response.status_code)
        self._route = route
        if response.status_code in _DENIED:
            # WordPress 6.1 answers a wrong application password like a missing one: 401 "rest_cannot_create"
            # ("not allowed to create posts as this user"), rarely "incorrect_password".
            raise Refused(f"{self.name}: {method} {response.url} answered {response.status_code}: {_error(data)} — check "
                          f"the user {self.config.username!r}, its role, and the application password in secret "
                          f"{self.config.password_secret!r}")
        return response.status_code, data

    def _rest(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
              creates: bool = False) -> tuple[int, Any]:
        """One call by the route that works, finding it on the first call. A create (``creates``) is never
        sent twice here: when ``/wp-json/…`` answers a page, _NotTheAPI goes to the caller, which looks
        the post up before trying the other form. Raises Refused when neither form reaches the API."""
        params = params or {}
        route: Route = self._route or ("plain" if self._pretty_failed else "pretty")
        try:
            return self._call(route, method, path, params, body)
        except _NotTheAPI as exc:
            if self._route == route:  # this form answered the API before: the page is something else
                if creates and 200 <= exc.status < 300:
                    raise Uncertain(f"{self.name}: {exc} — the site answered the API before, so the post may have "
                                    "been created (PHP output before the JSON?)") from exc
                raise Unavailable(f"{self.name}: {exc} — the site answered the API before") from exc
            if route == "plain":
                raise self._not_wordpress(exc) from exc
            self._pretty_failed = True
            if creates:
                raise
            first = exc
        try:
            return self._call("plain", method, path, params, body)
        except _NotTheAPI as exc:
            raise self._not_wordpress(first, exc) from exc

    def _not_wordpress(self, *answers: _NotTheAPI) -> Refused:
        return Refused(f"{self.name}: {self.base} does not answer WordPress's REST API (neither /wp-json/ nor "
                       f"?rest_route=): is base_url the site's address? " + "; ".join(map(str, answers)))

    def _receipt(self, data: Any, *, found: bool = False) -> Receipt:
        """A Receipt from the API's post: its ``link`` (as WordPress made it, with any ``-2``) and ``id``."""
        if not (isinstance(data, dict) and isinstance(data.get("id"), int) and isinstance(data.get("link"), str)):
            raise Refused(f"{self.name}: {self.base} answered JSON that is not a WordPress post: {str(data)[:120]!r}")
        return Receipt(location=data["link"], remote_id=str(data["id"]), already_published=found, note=None)

    # --- the channel ---------------------------------------------------------------------------------------

    def publish(self, message: OutgoingMessage) -> Receipt:
        """Create the post; Receipt(location=WordPress's link, remote_id=post id), with a ``note`` when
        the notice on (or the trashing of) ``message.reference`` failed. Raises Refused (401/403, not a
        website rendering, not WordPress), Unavailable (5xx, 429, no connection), Uncertain (no answer)."""
        rendering = message.rendering
        if not rendering.get("html"):
            raise Refused(f"{self.name}: a WordPress post needs the 'website' rendering (title and HTML), "
                          f"got format {rendering.get('format')!r}")
        post: dict[str, Any] = {
            "title": str(rendering.get("title") or ""),
            "content": f"{rendering['html']}{stamp_for(message)}\n",
            "excerpt": str(rendering.get("text") or ""),
            "status": self.config.status,
            "slug": slug_for(message),
        }
        if self.config.categories:
            post["categories"] = self.config.categories
        try:
            status, data = self._rest("POST", "/wp/v2/posts", body=post, creates=True)
        except _NotTheAPI:
            # /wp-json/ was not routed, so nothing was created there; make sure before posting again.
            if (earlier := self._find(message)) is not None:
                return earlier.model_copy(update={"note": self.annotate(message, earlier)})
            status, data = self._rest("POST", "/wp/v2/posts", body=post, creates=True)
        try:
            receipt = self._receipt(data)
        except Refused as exc:
            if not 200 <= status < 300:  # 404/410 JSON (rest_no_route…): nothing was created
                raise
            # A 2xx to the create: something was created, only its answer is not the post (a
            # plugin's wrapper…). Not "certainly not published": the sender looks the post up.
            raise Uncertain(f"{exc} (answered {status} to the post's creation: it may have been created)") from exc
        return receipt.model_copy(update={"note": self.annotate(message, receipt)})

    def find(self, message: OutgoingMessage) -> Receipt | None:
        """This delivery's post (status publish, future, draft, pending or private; the earliest if
        there were several) as Receipt(already_published=True), or None. Raises Unavailable when the
        site cannot be asked (whatever the reason: the sender must not conclude 'not published')."""
        try:
            return self._find(message)
        except ChannelError as exc:
            raise Unavailable(f"{self.name}: cannot look the post up: {exc}") from exc

    def _find(self, message: OutgoingMessage) -> Receipt | None:
        """Two lookups: the exact slug, and the search for the marker (WordPress searches title, excerpt
        and content: it finds the stamp) restricted to ``<slug>`` and ``<slug>-N``. Ours = holds the stamp."""
        slug, stamp = slug_for(message), stamp_for(message)
        common = {"status": STATUSES, "context": "edit", "per_page": 100, "orderby": "id", "order": "asc"}
        candidates: list[Any] = []
        for extra in ({"slug": slug}, {"search": message.marker}):
            _, data = self._rest("GET", "/wp/v2/posts", params={**common, **extra})
            if not isinstance(data, list):
                raise Refused(f"{self.name}: {self.base} answered a post lookup with {str(data)[:120]!r}")
            candidates += data
        own_slug = re.compile(rf"{re.escape(slug)}(?:-[0-9]+)?")
        ours = [post for post in candidates if isinstance(post, dict) and isinstance(post.get("id"), int)
                and own_slug.fullmatch(str(post.get("slug", ""))) and stamp in _content(post)]
        if not ours:
            return None
        return self._receipt(min(ours, key=lambda post: post["id"]), found=True)

    def follow_up(self, message: OutgoingMessage, receipt: Receipt) -> Receipt:
        """What ``publish`` does after creating the post, for a post found after a lost answer."""
        return receipt.model_copy(update={"note": self.annotate(message, receipt)})

    def annotate(self, message: OutgoingMessage, receipt: Receipt) -> str | None:
        """For a correction or update (``message.reference``): a notice atop the referenced post linking
        to ``receipt.location``, once (it carries the message's marker), and its trashing when
        ``retract_reference``. Returns what failed, for ``Receipt.note``, or None. Never raises
        ChannelError: the new post is published whatever happens here."""
        reference = message.reference
        if reference is None:
            return None
        if not (reference.remote_id or "").isdigit():
            return f"the earlier post {reference.location} has no WordPress post id: no notice added, nothing retracted"
        notes = []
        try:
            self._add_notice(reference.remote_id or "", message, receipt)
        except ChannelError as exc:
            notes.append(f"the notice on the earlier post {reference.location} was not added: {exc}")
        if message.retract_reference:
            try:
                self.retract(reference)
            except ChannelError as exc:
                notes.append(f"the earlier post {reference.location} was not moved to the trash: {exc}")
        return "; ".join(notes) or None

    def _add_notice(self, post_id: str, message: OutgoingMessage, receipt: Receipt) -> None:
        status, post = self._rest("GET", f"/wp/v2/posts/{post_id}", params={"context": "edit"})
        if status != 200 or not isinstance(post, dict):
            raise Refused(f"post {post_id}: {_error(post)}")
        raw = _content(post)
        if f'data-pasopati-update="{message.marker}"' in raw:
            return  # added by an earlier attempt
        notice = render(self.templates_dir, NOTICE_TEMPLATE, language=message.language, kind=message.message_type,
                        link=receipt.location, title=str(message.rendering.get("title") or receipt.location),
                        marker=message.marker).strip()
        status, answer = self._rest("POST", f"/wp/v2/posts/{post_id}", body={"content": f"{notice}\n{raw}"})
        if status != 200:
            raise Refused(f"post {post_id}: {_error(answer)}")

    def retract(self, reference: Reference) -> None:
        """Move the referenced post to the trash (WordPress keeps it there 30 days: it can be restored).
        A post already in the trash, or deleted, is retracted. Raises Refused (no post id, 401/403…),
        Unavailable or Uncertain as ``publish``."""
        if not (reference.remote_id or "").isdigit():
            raise Refused(f"{self.name}: {reference.location} has no WordPress post id to retract")
        status, answer = self._rest("DELETE", f"/wp/v2/posts/{reference.remote_id}")
        if status == 200 or (isinstance(answer, dict) and answer.get("code") in ("rest_already_trashed", "rest_post_invalid_id")):
            return
        raise Refused(f"{self.name}: post {reference.remote_id} not trashed: {_error(answer)}")


def _content(post: dict[str, Any]) -> str:
    """The post's stored content (``raw`` with context=edit; ``rendered`` keeps HTML comments too)."""
    content = post.get("content")
    if isinstance(content, dict):
        return str(content.get("raw") or content.get("rendered") or "")
    return ""


def _error(answer: Any) -> str:
    """WordPress's error (``{"code", "message"}``) in one line."""
    if isinstance(answer, dict) and "code" in answer:
        return f"{answer.get('code')}: {answer.get('message')}"
    return str(answer)[:120]


def adapter(name: str, config: WordPressConfig, settings: Settings) -> WordPressChannel:
    """The adapter for channel ``name`` (``pasopati.publications.channels.adapter_for``)."""
    return WordPressChannel(name, config, settings.templates_dir)
