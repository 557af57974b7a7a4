"""Send one approved draft on one channel: every delivery (recipient × part) exactly once.

The "accepted but we crashed" window, closed explicitly:
1. **Write-ahead.** Before the channel is called, the delivery is marked ``sending`` by this process
   (``owner``: host, pid and start time) in its own committed transaction.
2. **Send** one attempt at a time; the receipt is committed before the delivery counts as sent.
3. A process that dies between 1 and the receipt leaves ``sending`` behind. Whoever next handles
   the publication (a retry, a re-run, ``publish retry``, the watcher) sees its owner is gone and
   **looks the post up** where the API allows (``Channel.find``: the outbox file, WordPress by slug,
   X and Facebook by the account's own recent posts): found → sent, with the remote's receipt;
   certainly absent → sent again. Where the API cannot be asked (Telegram, WhatsApp, SMTP, a
   webhook that does not de-duplicate), the delivery becomes **ambiguous** and is never sent again
   until an operator says whether it arrived (``pasopati publish resolve``).
The same rule covers an attempt whose answer was lost while the process lives (a timeout, a
connection dropped after the request went out): look up, or ambiguous.

Retries (tenacity): only ``Unavailable`` is retried — exponential backoff with jitter, a remote's
``Retry-After`` honoured — at most ``publish_attempts`` times; ``Refused`` is never retried.
A list channel (e-mail, WhatsApp) sends at most ``rate_per_second`` (pyrate-limiter) with
``publish_parallel`` deliveries in flight.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from pyrate_limiter import Duration, Limiter, Rate
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pasopati.db import Database
from pasopati.drafts.channel_texts import rendering_for
from pasopati.drafts.models import Draft
from pasopati.drafts.renderings.model import Rendering
from pasopati.drafts.service import get as get_draft
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import MessageType
from pasopati.publications import service
from pasopati.publications.channels import (
    Channel,
    ChannelError,
    LookupUnsupported,
    OutgoingMessage,
    Receipt,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
    adapter_for,
)
from pasopati.publications.channels.api import ANSWER_DEADLINE_TIMEOUTS
from pasopati.publications.channels.secrets import redact
from pasopati.publications.models import (
    Delivery,
    DeliveryStatus,
    Publication,
    PublicationStatus,
    delivery_id,
    publication_id,
)
from pasopati.publications.owner import me
from pasopati.settings import Settings
from pasopati.time import utcnow

BATCH = 50  # deliveries per write-ahead transaction on a list channel


class Ambiguous(ChannelError):
    """The remote may hold the post and cannot be asked: an operator must resolve it."""


@dataclass(frozen=True)
class Unit:
    delivery_id: str
    recipient: str
    part: int
    text: str


def parts(rendering: Rendering) -> list[str]:
    """The messages one delivery of this rendering is made of: each Telegram message of a long
    statement is its own delivery (a crash after the first must not resend it); else one."""
    return list(rendering.messages) if len(rendering.messages) > 1 else [rendering.text]


def publish(db: Database, incident: Incident, draft_id: str, channel: str, cat: Catalog, settings: Settings, *,
            include_refused: bool = False, send: bool = True, only: set[str] | None = None) -> Publication:
    """Publish ``draft_id`` on ``channel`` (what is not out yet). Raises service.NotApproved
    (recorded) when no approval covers the text; every channel outcome is recorded, not raised.
    ``send=False`` (the watcher): only settle what a dead process left ``sending``. ``only``: send
    just these deliveries (ids; an operator's resolve), not every other failed one of the publication."""
    if (done := service.get(db, publication_id(draft_id, channel))) is not None and done.status is PublicationStatus.SENT:
        return done  # everything of it is out: nothing to claim, nothing to record again
    draft = get_draft(db, draft_id)
    if draft is None:
        raise service.NotApproved(f"no draft {draft_id}: not published")
    if (config := cat.channels.channels.get(channel)) is None:
        raise service.NotApproved(f"channel {channel!r} is not in channels.yaml (renamed or removed?): not published")
    website = {name for name, c in cat.channels.channels.items() if c.format == "website"}
    link = None if channel in website else service.link_for(db, draft, website)
    plan = cat.plan(incident.category, draft.severity)
    rendering = rendering_for(draft, channel, cat, plan.hashtags, link=link)
    # A ralat takes the wrong post down only where the runbook asks (Runbook.ralat_retracts).
    retract = draft.message_type is MessageType.CORRECTION and channel in plan.ralat_retracts
    adapter = adapter_for(channel, config, settings)
    try:
        recipients = adapter.recipients()
    except Refused as exc:  # a recipients file that cannot be read: nothing can be sent
        recipients, problem = [], str(exc)
    else:  # an emptied list is a mistake to show, never "everyone left the list" (which would withdraw them)
        problem = None if recipients else f"{channel}: the recipients list is empty: nothing sent"
    texts = parts(rendering)
    # By the exactly-once key: a recipient stored in another spelling (case) is the same recipient.
    units = {(key := delivery_id(incident.id, draft.id, draft.content_hash, channel, r, i)): Unit(key, r, i, text)
             for r in recipients for i, text in enumerate(texts)}
    if send:
        publication, draft, _ = service.claim(db, incident, draft_id, draft.content_hash, channel, cat,
                                                 [(u.recipient, u.part) for u in units.values()], owner=me(),
                                                 withdraw=problem is None)
    else:  # the watcher sends nothing, so it claims nothing: what a dead process left is settled even if
        # the approval no longer covers the text (a fact corrected since), else it stayed "sending" forever
        if (claimed := service.get(db, publication_id(draft_id, channel))) is None:
            raise service.NotApproved(f"draft {draft_id} was never claimed on {channel}: nothing to settle")
        publication = claimed
    if problem is not None:
        return service.summarise(db, incident, publication.id, draft, problem=problem)  # nothing to send: stays as it was
    sender = _Sender(db, adapter, draft, incident, channel, rendering, link or "", settings,
                     service.references_for(db, draft, channel), config.rate_per_second, retract=retract)
    _settle_abandoned(db, publication.id, sender, units, settings)
    pending = [units[d.id] for d in service.deliveries(db, publication.id)
               if d.id in units and (only is None or d.id in only) and (d.status in {DeliveryStatus.PENDING, DeliveryStatus.FAILED}
                                                      or (include_refused and d.status is DeliveryStatus.REFUSED))]
    if send:
        sender.send(pending, include_refused=include_refused)
    return service.summarise(db, incident, publication.id, draft)


def _settle_abandoned(db: Database, publication_id_: str, sender: _Sender, units: dict[str, Unit], settings: Settings) -> None:
    """What dead processes left ``sending`` on this publication, taken over (one settler only) and
    settled: looked up (sender.recover) once its remote must be done with the request — earlier,
    a later pass of the watcher or a later retry does it; a recipient no longer listed becomes
    ambiguous (it may have arrived: neither withdrawn nor sent again, `publish resolve` settles it)."""
    abandoned = service.release_abandoned(db, publication_id_, timedelta(seconds=settings.publish_lease_seconds))
    settled_by = utcnow() - timedelta(seconds=_settling_seconds(sender.adapter, settings))
    ripe = [d for d in abandoned if d.id in units and (d.started_at is None or d.started_at <= settled_by)]
    sender.recover(service.take_over(db, ripe, me()), units)
    dead = {d.id: d.owner for d in abandoned}
    for orphan in service.take_over(db, [d for d in abandoned if d.id not in units], me()):
        service.record_outcome(db, orphan.id, DeliveryStatus.AMBIGUOUS, owner=me(),
                               error=f"{orphan.recipient} was taken off the list while a process that ended ({dead[orphan.id]})"
                                     " was sending to them: it may have arrived")


class _Sender:
    def __init__(self, db: Database, adapter: Channel, draft: Draft, incident: Incident, channel: str, rendering: Rendering,
                 link: str, settings: Settings, references: dict[tuple[str, int], Reference], rate: float | None,
                 *, retract: bool = False):
        self.db, self.adapter, self.draft, self.incident, self.channel = db, adapter, draft, incident, channel
        self.rendering, self.link, self.settings, self.references = rendering, link, settings, references
        self.retract = retract
        self.limiter = _channel_limiter(channel, rate)

    def message(self, unit: Unit) -> OutgoingMessage:
        return OutgoingMessage(
            idempotency_key=unit.delivery_id, channel=self.channel, incident_id=self.incident.id,
            message_type=self.draft.message_type.value, language=self.draft.language, body=self.draft.body, text=unit.text,
            rendering=self.rendering.as_dict(), recipient=unit.recipient, link=self.link,
            reference=(reference := self.references.get((unit.recipient, 0)) if unit.part == 0 else None),
            retract_reference=self.retract and reference is not None,
        )

    def recover(self, abandoned: list[Delivery], units: dict[str, Unit]) -> None:
        """Settle deliveries a dead process left ``sending`` (taken over by this one: service.take_over):
        found, absent (sendable) or ambiguous."""
        for delivery in abandoned:
            unit = units.get(delivery.id)
            if unit is None:
                continue
            why = f"the process that was sending it ({delivery.owner}) ended before its receipt was stored"
            try:
                found = self.adapter.find(self.message(unit))
            except LookupUnsupported as exc:
                self.record(unit, DeliveryStatus.AMBIGUOUS, error=f"{why}; {exc}")
                continue
            except ChannelError as exc:
                self.record(unit, DeliveryStatus.AMBIGUOUS, error=f"{why}; lookup failed: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001  (an answer the adapter did not expect: as deliver, never a crash)
                self.record(unit, DeliveryStatus.AMBIGUOUS,
                                       error=f"{why}; lookup failed: {type(exc).__name__}: {exc}")
                continue
            if found is not None:
                receipt = _followed_up(self.adapter, self.message(unit), found.model_copy(update={"already_published": True}))
                self.record(unit, DeliveryStatus.SENT, receipt=receipt)
            else:
                self.record(unit, DeliveryStatus.FAILED, error=f"{why}; not on the remote: to be sent")

    def record(self, unit: Unit, status: DeliveryStatus, *, receipt: Receipt | None = None, error: str | None = None) -> None:
        """The outcome, stored only while this process holds the delivery (service.record_outcome),
        with any credential a remote echoed struck out (errors and notes reach the audit log)."""
        if receipt is not None and receipt.note:
            receipt = receipt.model_copy(update={"note": redact(receipt.note)})
        service.record_outcome(self.db, unit.delivery_id, status, owner=me(), receipt=receipt, error=redact(error))

    def send(self, pending: list[Unit], *, include_refused: bool) -> None:
        for batch in _batches(pending, BATCH):
            taken = set(service.write_ahead(self.db, [u.delivery_id for u in batch], me(), include_refused=include_refused))
            todo = [u for u in batch if u.delivery_id in taken]
            if len(todo) == 1:
                self.deliver(todo[0])
                continue
            with ThreadPoolExecutor(max_workers=min(len(todo), self.settings.publish_parallel) or 1) as pool:
                list(pool.map(self.deliver, todo))

    def deliver(self, unit: Unit) -> None:
        """One delivery to its end: sent (receipt stored), failed, refused or ambiguous."""
        message = self.message(unit)
        try:
            receipt = self._attempts(message)
        except Refused as exc:
            self.record(unit, DeliveryStatus.REFUSED, error=str(exc))
        except Ambiguous as exc:
            self.record(unit, DeliveryStatus.AMBIGUOUS, error=str(exc))
        except Unavailable as exc:
            self.record(unit, DeliveryStatus.FAILED, error=str(exc))
        except Exception as exc:  # noqa: BLE001  (an adapter bug: the outcome is unknown, so never sent again unasked)
            self.record(unit, DeliveryStatus.AMBIGUOUS, error=f"{type(exc).__name__}: {exc}")
        else:
            self.record(unit, DeliveryStatus.SENT, receipt=receipt)

    def _attempts(self, message: OutgoingMessage) -> Receipt:
        retrying = Retrying(
            retry=retry_if_exception_type(Unavailable), stop=self._stop, wait=self._wait, reraise=True, sleep=time.sleep,
        )
        return retrying(self._once, message)

    def _once(self, message: OutgoingMessage) -> Receipt:
        if self.limiter is not None:
            self.limiter.try_acquire(self.channel)
        try:
            return self.adapter.publish(message)
        except Uncertain as exc:
            return self._look_up(message, exc)

    def _look_up(self, message: OutgoingMessage, uncertain: Uncertain) -> Receipt:
        """The request went out and no answer came: the remote may hold the post, or still be
        storing it. Ask after a delay, and once more after three delays: a remote still busy with
        the first request (a PHP worker behind a locked database) answered "absent" to a single
        early lookup and got the post twice (issue 11 review). Absent both times: sent again
        (Unavailable); a channel that cannot be asked: Ambiguous. Never a post on a guess alone."""
        delay = self.settings.publish_lookup_delay_seconds or _timeout(self.adapter)
        for wait in (delay, 3 * delay):
            time.sleep(wait)
            try:
                found = self.adapter.find(message)
            except LookupUnsupported as unsupported:
                raise Ambiguous(f"{uncertain} — {unsupported}: resolve with `pasopati publish resolve`") from uncertain
            except ChannelError as lookup:
                raise Ambiguous(f"{uncertain} — and the lookup failed: {lookup}") from uncertain
            if found is not None:
                return _followed_up(self.adapter, message, found.model_copy(update={"already_published": True}))
        raise Unavailable(f"{uncertain} — not on the remote {4 * delay:g} s later: sending again") from uncertain

    def _wait(self, state: RetryCallState) -> float:
        initial = self.settings.publish_retry_seconds
        backoff = wait_exponential_jitter(initial=initial, max=self.settings.publish_backoff_max_seconds, jitter=initial)(state)
        asked = _asked(state)
        return max(asked, backoff) if asked is not None else backoff

    def _stop(self, state: RetryCallState) -> bool:
        asked = _asked(state)
        too_long = asked is not None and asked > self.settings.publish_retry_after_max_seconds
        return too_long or stop_after_attempt(self.settings.publish_attempts)(state)


def _asked(state: RetryCallState) -> float | None:
    """The wait the remote asked for, None when it named none or not a number: a Bot API answering
    ``"retry_after": NaN`` (Python's JSON reads it) made time.sleep(nan) raise, and the 429 — which
    certainly published nothing — became an "ambiguous" delivery for an operator."""
    asked = getattr(state.outcome.exception() if state.outcome else None, "retry_after", None)
    try:
        value = float(asked) if asked is not None else None
    except (TypeError, ValueError):
        return None
    return None if value is None or math.isnan(value) else value


def _followed_up(adapter: Channel, message: OutgoingMessage, receipt: Receipt) -> Receipt:
    """A post found after a lost answer still gets what ``publish`` does after posting (the
    comment on, or retraction of, the post it corrects) where the adapter has such a step."""
    follow_up = getattr(adapter, "follow_up", None)
    return follow_up(message, receipt) if follow_up is not None else receipt


def _settling_seconds(adapter: Channel, settings: Settings) -> float:
    """How long after a request went out its remote may still be storing it: the whole call's
    deadline (api.call) and the two lookups' delays (_Sender._look_up)."""
    if not getattr(adapter, "late_arrivals", False):  # a local outbox, a channel that cannot be asked
        return 0.0
    delay = settings.publish_lookup_delay_seconds or _timeout(adapter)
    return _timeout(adapter) * (1 + ANSWER_DEADLINE_TIMEOUTS) + 4 * delay


def _timeout(adapter: Channel) -> float:
    config = getattr(adapter, "config", None)
    return float(getattr(config, "timeout_seconds", 1.0))


# The limiter counts sends as they leave; the remote counts them as they arrive, and arrival jitter
# squeezes them: 80/s here reached the receiver as 81 in its busiest second (bench/publishing.py).
# Windows 5 % longer keep every one-second window at the remote within ``rate``.
_JITTER_MARGIN = 1.05


_LIMITERS: dict[tuple[str, float], Limiter] = {}
_LIMITERS_LOCK = threading.Lock()


def _channel_limiter(channel: str, rate: float | None) -> Limiter | None:
    """One limiter per channel in this process: a run publishes a channel's drafts (id, en) one
    after another, and a limiter of each publication's own let the second start a full second's
    worth while the first's last second was still within the remote's window (1.5 × the rate seen)."""
    if not rate:
        return None
    with _LIMITERS_LOCK:
        if (limiter := _LIMITERS.get((channel, rate))) is None:
            made = _limiter(rate)
            assert made is not None
            limiter = _LIMITERS[(channel, rate)] = made
    return limiter


def _limiter(rate: float | None) -> Limiter | None:
    """At most ``rate`` sends per second as the remote sees them (None: no limit)."""
    if not rate:
        return None
    if rate >= 1:
        return Limiter(Rate(int(rate), int(Duration.SECOND * _JITTER_MARGIN)))
    return Limiter(Rate(1, int(1000 * _JITTER_MARGIN / rate)))


def _batches(units: list[Unit], size: int) -> Iterator[list[Unit]]:
    for start in range(0, len(units), size):
        yield units[start:start + size]
