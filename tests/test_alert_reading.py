"""Alerts as real sources send them (issue 12, "Feeds and bodies"): RSS and Atom feeds served by a
real local HTTP server, dates with and without zones, redirect links, vendor document shapes.
Fast tier: no Prefect server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from pasopati.alerts.models import Alert
from pasopati.alerts.reading import ASSUMED_ZONE, audience, moment, unwrapped
from pasopati.intake.formats import Unreadable, read_body

FEEDS = Path(__file__).parent / "data" / "feeds"


@pytest.mark.parametrize(("written", "expected"), [
    ("Tue, 11 Mar 2025 01:12:00 GMT", datetime(2025, 3, 11, 1, 12, tzinfo=UTC)),  # RSS pubDate (Google News)
    ("Mon, 10 Mar 2025 23:40:00 +0700", datetime(2025, 3, 10, 16, 40, tzinfo=UTC)),
    ("2025-03-11T01:12:00Z", datetime(2025, 3, 11, 1, 12, tzinfo=UTC)),  # Atom (Google Alerts)
    ("2025-03-11T08:12:00+07:00", datetime(2025, 3, 11, 1, 12, tzinfo=UTC)),
    ("29/09/2025", datetime(2025, 9, 29, tzinfo=ASSUMED_ZONE)),  # day first, no zone: WIB
    ("05/09/2025 14:05", datetime(2025, 9, 5, 14, 5, tzinfo=ASSUMED_ZONE)),  # 5 September, not 9 May
    ("2025-09-29 14:05", datetime(2025, 9, 29, 14, 5, tzinfo=ASSUMED_ZONE)),
])
def test_dates_are_read_as_written_with_their_zone(written: str, expected: datetime) -> None:
    read = moment(written)
    assert read == expected and read is not None and read.tzinfo is not None
    if written.endswith(("+0700", "+07:00")):
        assert read.utcoffset() == timedelta(hours=7)  # the zone as written, not converted


@pytest.mark.parametrize("bad", ["kemarin sore", "x" * 100, "32/13/2025"])
def test_what_is_no_date_is_said(bad: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        moment(bad)


@pytest.mark.parametrize(("written", "count"), [
    (1500, 1500), ("1500", 1500), ("1.500", 1500), ("1,500", 1500), ("1.5M", 1_500_000), ("1,2 jt", 1_200_000),
    ("15rb", 15_000), ("2K", 2_000), (3.0, 3),
])
def test_audience_figures_as_tools_print_them(written: object, count: int) -> None:
    assert audience(written) == count


@pytest.mark.parametrize(("link", "target"), [
    ("https://www.google.com/url?rct=j&sa=t&url=https://news.detik.com/berita/d-1/napi-kabur&ct=ga&usg=AOv",
     "https://news.detik.com/berita/d-1/napi-kabur"),
    ("https://www.google.co.id/url?q=https://regional.kompas.com/read/2025/03/11/kebakaran&sa=U",
     "https://regional.kompas.com/read/2025/03/11/kebakaran"),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.google.com%2Furl%3Furl%3Dhttps%253A%252F%252Fantaranews.com%252Fberita%252F1",
     "https://antaranews.com/berita/1"),  # two layers
    ("https://news.detik.com/berita/d-1/napi-kabur?utm_source=x", "https://news.detik.com/berita/d-1/napi-kabur?utm_source=x"),
    ("https://www.google.com/url?q=javascript:alert(1)", "https://www.google.com/url?q=javascript:alert(1)"),  # no absolute target
])
def test_redirect_links_are_unwrapped(link: str, target: str) -> None:
    assert unwrapped(link) == target
    assert str(Alert(text="x", url=link).url) == target


def serve(httpserver: HTTPServer, name: str, content_type: str) -> str:
    httpserver.expect_request(f"/{name}").respond_with_data((FEEDS / name).read_bytes(), content_type=content_type)
    return httpserver.url_for(f"/{name}")


def test_a_google_alerts_atom_feed_reads_with_the_real_address_and_time(httpserver: HTTPServer) -> None:
    from flows.feeds import Feed, read_feed

    (alert,) = read_feed.fn(Feed(name="google-alerts-lapas", url=serve(httpserver, "google-alerts.atom", "application/atom+xml")))
    assert str(alert.url) == "https://kaltim.tribunnews.com/2025/03/11/empat-anak-binaan-lpka-tenggarong-kabur"
    assert alert.published_at == datetime(2025, 3, 11, 1, 12, tzinfo=UTC)
    assert alert.title == "Empat Anak Binaan LPKA Tenggarong Kabur, Petugas Lakukan Pengejaran"
    assert "dilaporkan kabur pada Senin malam" in alert.text


def test_a_google_news_rss_feed_reads_every_item(httpserver: HTTPServer) -> None:
    """Its pubDate ("Tue, 11 Mar 2025 01:12:00 GMT") failed validation and the whole feed was lost."""
    from flows.feeds import Feed, read_feed

    alerts = read_feed.fn(Feed(name="google-news-lapas", url=serve(httpserver, "google-news.rss", "application/rss+xml")))
    assert [a.published_at for a in alerts] == [datetime(2025, 3, 11, 1, 12, tzinfo=UTC),
                                               datetime(2025, 3, 10, 23, 40, tzinfo=timezone(timedelta(hours=7)))]
    assert [a.author for a in alerts] == ["Kompas.com", "detikNews"]
    assert alerts[0].title is not None and "Lapas Kelas IIA Samarinda" in alerts[0].title


def test_an_outlet_feed_with_day_first_dates_reads_in_wib(httpserver: HTTPServer) -> None:
    from flows.feeds import Feed, read_feed

    alerts = read_feed.fn(Feed(name="berita-daerah", url=serve(httpserver, "outlet.rss", "application/rss+xml")))
    assert [a.published_at for a in alerts] == [datetime(2025, 9, 29, tzinfo=ASSUMED_ZONE), datetime(2025, 9, 29, 14, 5, tzinfo=ASSUMED_ZONE)]


def test_a_nested_social_listening_document_is_read_and_an_unreadable_field_only_warns() -> None:
    body = {"documents": [
        {"url": "https://x.com/akun/status/1", "published_date": "2025-03-11T08:00:00+07:00",
         "content": {"title": "Video viral", "opening_text": "Beredar video keributan di ruang kunjungan Rutan Salemba"},
         "source": {"name": "akun_warga", "type": "twitter"}, "metrics": {"reach": "1.5M"}, "enrichments": {"sentiment": "Negative"}},
        {"content": {"opening_text": "Warga binaan Lapas Cipinang kabur"}, "metrics": {"reach": "banyak sekali"},
         "published_date": "kemarin sore"},
        {"content": {"title": "Tanpa isi"}},
    ]}
    (raw0, first), (raw1, second), (raw2, third) = read_body(json.dumps(body).encode(), "pemantau")
    assert isinstance(first, Alert) and first.text.startswith("Beredar video") and first.title == "Video viral"
    assert (first.platform, first.author, first.reach, first.sentiment) == ("twitter", "akun_warga", 1_500_000, "negative")
    assert first.published_at == datetime(2025, 3, 11, 1, 0, tzinfo=UTC) and not first.warnings
    assert isinstance(second, Alert) and second.reach is None and second.published_at is None
    assert [w.split(":")[0] for w in second.warnings] == ["published_at", "reach"] and "banyak sekali" in raw1
    assert isinstance(third, str) and "text" in third  # nothing to read: rejected with the reason, kept raw


def test_a_batch_past_the_limit_is_refused_whole_and_a_text_past_an_article_is_refused_alone() -> None:
    from pasopati.alerts.models import MAX_ALERT_TEXT
    from pasopati.intake.formats import TooManyItems

    many = json.dumps([{"text": f"Berita {i}"} for i in range(6)]).encode()
    with pytest.raises(TooManyItems, match="6 items in one body: at most 5"):
        read_body(many, "pemantau", max_items=5)
    assert len(read_body(many, "pemantau", max_items=6)) == 6
    documents = json.dumps({"documents": [{"content": "x"}] * 3}).encode()
    with pytest.raises(TooManyItems):
        read_body(documents, "pemantau", max_items=2)
    long = json.dumps([{"text": "kabur " * (MAX_ALERT_TEXT // 6 + 1)}, {"text": "Napi kabur dari Lapas Cipinang"}]).encode()
    (_, refused), (_, kept) = read_body(long, "pemantau", max_items=10)
    assert isinstance(refused, str) and "text" in refused and isinstance(kept, Alert)


def test_one_unreadable_item_never_costs_the_batch_its_valid_items() -> None:
    """Issue 12: a lone surrogate (a truncated emoji) or an integer of more than 4 300 digits in one
    item lost the whole batch with a 500. The valid items are read; the bad field is left out, named."""
    body = (b'[{"text": "Tiga napi kabur dari Lapas Cipinang"}, {"text": "Video viral \\ud83d"},'
            b' {"text": "Kericuhan di Rutan Salemba", "reach": ' + b"9" * 5000 + b"}]")
    items = [item for _, item in read_body(body, "meltwater", 500)]
    assert all(isinstance(item, Alert) for item in items), items
    first, truncated, huge = items
    assert first.text == "Tiga napi kabur dari Lapas Cipinang" and truncated.text == "Video viral \ufffd"  # type: ignore[union-attr]
    assert huge.reach is None and any(w.startswith("reach: ") for w in huge.warnings)  # type: ignore[union-attr]


def test_a_body_nested_too_deeply_is_refused_with_the_reason_not_a_crash() -> None:
    deep = b'[{"text": "a"}, {"text": "b", "x": ' + b"[" * 60_000 + b"]" * 60_000 + b"}]"
    with pytest.raises(Unreadable, match="nested too deeply"):
        read_body(deep, "meltwater", 500)
