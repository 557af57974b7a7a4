"""Scheduled feed polling (Google Alerts style RSS/Atom): new items go to the alert intake, the same
door as every other alert, so correlation sees them all in one place."""

import html
import re

import feedparser
import requests
import yaml
from prefect import flow, get_run_logger, task
from pydantic import BaseModel, HttpUrl

from pasopati.alerts import service as alerts_service
from pasopati.alerts.models import Alert
from pasopati.db import get_database
from pasopati.intake.auth import credentials
from pasopati.settings import get_settings

FEED_SOURCE = "feeds"
TAGS = re.compile(r"<[^>]+>")


class Feed(BaseModel):
    name: str
    url: HttpUrl


class FeedsConfig(BaseModel):
    feeds: list[Feed] = []


class FeedReport(BaseModel):
    feeds: int
    items: int
    new: int
    posted: int
    failed_feeds: list[str]


@task(name="baca-umpan", retries=2, retry_delay_seconds=5)
def read_feed(feed: Feed) -> list[Alert]:
    response = requests.get(str(feed.url), timeout=15)
    response.raise_for_status()
    parsed = feedparser.parse(response.content)
    alerts = []
    for entry in parsed.entries:
        # Google Alerts bolds the matched words (<b>kabur</b>): tags out, spaces as one.
        text = " ".join(html.unescape(TAGS.sub(" ", entry.get("summary", "") or entry.get("title", ""))).split())
        title = html.unescape(TAGS.sub("", entry.get("title", ""))).strip() or None
        published = entry.get("published") or entry.get("updated")
        alerts.append(
            Alert(
                source=FEED_SOURCE,
                platform="news",
                url=entry.get("link") or None,
                title=title,
                text=text or title or "(kosong)",
                published_at=published,
                # Google News names the outlet in <source>; Google Alerts leaves the author empty.
                author=(entry.get("source") or {}).get("title") or entry.get("author") or feed.name,
            )
        )
    return alerts


@task(name="kirim-ke-intake")
def post_new(alerts: list[Alert]) -> int:
    """Post the items the intake has not seen (by URL), in batches the intake takes."""
    db = get_database()
    new = [a for a in alerts if not (a.url and alerts_service.find(db, url=str(a.url)))]
    if not new:
        return 0
    settings = get_settings()
    token = credentials(settings).tokens[FEED_SOURCE]
    size = settings.intake_max_batch_items  # the intake answers 413 to a larger batch
    for start in range(0, len(new), size):
        response = requests.post(
            f"http://{settings.host}:{settings.intake_port}/alerts",
            json=[a.model_dump(mode="json", exclude_none=True) for a in new[start:start + size]],
            headers={"Authorization": f"Bearer {token}", "X-Pasopati-Source": FEED_SOURCE},
            timeout=30,
        )
        response.raise_for_status()
    return len(new)


@flow(name="pantau-umpan", persist_result=True)
def poll_feeds() -> FeedReport:
    settings = get_settings()
    config = FeedsConfig.model_validate(yaml.safe_load(settings.feeds_file.read_text()) or {})
    items: list[Alert] = []
    failed = []
    for feed in config.feeds:
        state = read_feed(feed, return_state=True)
        if state.is_completed():
            items += state.result()
        else:
            failed.append(feed.name)
            get_run_logger().error("feed %s (%s) could not be read: %s", feed.name, feed.url, state.message)
    posted = post_new(items) if items else 0
    return FeedReport(feeds=len(config.feeds), items=len(items), new=posted, posted=posted, failed_feeds=failed)
