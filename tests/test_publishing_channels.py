"""An approved luar-biasa press release on all six real channel shapes at once — the website (a
real WordPress), X, a Facebook Page, a Telegram channel, WhatsApp to a list and e-mail to the
journalist list (real local servers speaking each API, a real SMTP server) — asserting at every
receiver: one post per recipient, the website post's address in the social posts, receipts stored,
nothing posted again by a second pass, a correction that refers to the originals, and a lost answer
that is looked up (X) or left for an operator (Telegram). Fast tier: no Prefect server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from pasopati.db import Database
from pasopati.decisions.gates import GATE_FULL
from pasopati.decisions.models import Verdict
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.channels import (
    ChannelsConfig,
    EmailConfig,
    FacebookConfig,
    TelegramConfig,
    WhatsAppConfig,
    WordPressConfig,
    XConfig,
)
from pasopati.plan.runbook import MessageType, Severity
from pasopati.publications import sending
from pasopati.publications import service as publications
from pasopati.publications.models import DeliveryStatus, PublicationStatus
from pasopati.settings import get_settings
from tests.fakes.facebook import FakeFacebookPage
from tests.fakes.server import Fault
from tests.fakes.telegram import FakeTelegram
from tests.fakes.whatsapp import PHONE_NUMBER_ID, FakeWhatsApp
from tests.fakes.x import FakeX
from tests.people import Authenticators, decide
from tests.smtp_server import SMTPServer, running
from tests.test_store import authority, opened, stored_draft
from tests.wordpress_site import SECRET, Site

PHONES = ["+6281200000001", "+6281200000002", "+6281200000003"]
JOURNALISTS = ["redaksi@kompas.example", "desk@antara.example", "news@detik.example"]
CHANNELS = ["situs-ditjenpas", "medsos-ditjenpas", "akun-kanwil", "media-center", "posko-keluarga", "siaran-pers"]
RELEASE = """SIARAN PERS
Nomor: PAS-HM.01.02-TIGA Tahun 2026

Ditjenpas Menangani Gangguan Keamanan di Lapas Kelas I Cipinang

Jakarta, Senin, 30 November 2026 — Direktorat Jenderal Pemasyarakatan menangani gangguan keamanan di Lapas Kelas I Cipinang bersama kepolisian. Situasi di dalam lapas kini terkendali dan layanan kunjungan ditunda sementara demi keselamatan pengunjung.

Keluarga warga binaan dapat menghubungi posko informasi di depan lapas. Perkembangan selanjutnya akan disampaikan melalui kanal resmi Direktorat Jenderal Pemasyarakatan.

Narahubung:
Bagian Hubungan Masyarakat Ditjenpas
"""


@dataclasses.dataclass
class Receivers:
    x: FakeX
    facebook: FakeFacebookPage
    telegram: FakeTelegram
    whatsapp: FakeWhatsApp
    smtp: SMTPServer
    site: Site


@pytest.fixture
def receivers(site: Site, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receivers]:
    x, facebook = FakeX(), FakeFacebookPage()
    telegram, whatsapp = FakeTelegram("123456:telegram-uji"), FakeWhatsApp("wa-uji")
    for name, token in [("x-uji", x.token), ("fb-uji", facebook.token), ("tg-uji", "123456:telegram-uji"), ("wa-uji", "wa-uji")]:
        monkeypatch.setenv(f"PASOPATI_SECRET_{name.upper().replace('-', '_')}", token)
    with running(SMTPServer()) as smtp:
        yield Receivers(x, facebook, telegram, whatsapp, smtp, site)
    for api in (x, facebook, telegram, whatsapp):
        api.stop()


def six(cat: Catalog, r: Receivers) -> Catalog:
    configs: dict[str, Any] = {
        "situs-ditjenpas": WordPressConfig(title="Situs", adapter="wordpress", base_url=r.site.url, username=r.site.user,  # type: ignore[arg-type]
                                           password_secret=SECRET, timeout_seconds=15),
        "medsos-ditjenpas": XConfig(title="X", adapter="x", api_base=r.x.url, user_id=r.x.user_id, token_secret="x-uji", timeout_seconds=2),  # type: ignore[arg-type]
        "akun-kanwil": FacebookConfig(title="FB", adapter="facebook", graph_base=f"{r.facebook.url}/v21.0", page_id=r.facebook.page_id,  # type: ignore[arg-type]
                                      token_secret="fb-uji", timeout_seconds=2),
        "media-center": TelegramConfig(title="TG", adapter="telegram", api_base=r.telegram.url, chat_id="@ditjenpas_info",  # type: ignore[arg-type]
                                       token_secret="tg-uji", timeout_seconds=2),
        "posko-keluarga": WhatsAppConfig(title="WA", adapter="whatsapp", graph_base=f"{r.whatsapp.url}/v21.0",  # type: ignore[arg-type]
                                         phone_number_id=PHONE_NUMBER_ID, token_secret="wa-uji", recipients=PHONES, timeout_seconds=2),
        "siaran-pers": EmailConfig(title="Surel", adapter="email", host="127.0.0.1", port=r.smtp.port, security="none",
                                   sender="humas@ditjenpas.go.id", recipients=JOURNALISTS, timeout_seconds=5),
    }
    channels = dict(cat.channels.channels) | configs
    return dataclasses.replace(cat, channels=ChannelsConfig(channels=channels, statement_url=cat.channels.statement_url))


def quick() -> Any:
    return get_settings().model_copy(update={"publish_retry_seconds": 0.05, "publish_backoff_max_seconds": 0.2,
                                             "publish_lookup_delay_seconds": 0.05})


def approved_release(db: Database, cat: Catalog, body: str = RELEASE, **update: Any) -> Any:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.LUAR_BIASA, summary="Gangguan keamanan di Lapas Cipinang")
    draft = stored_draft(db, incident, body=body, **{"id": f"{incident.id}-luar-biasa-press_release-id",
                                                      "message_type": MessageType.PRESS_RELEASE, "channels": CHANNELS, **update})
    plan = cat.plan(incident.category, incident.severity)
    approvers = authority(cat, incident)
    assert len(approvers) >= plan.plan.approval.approvers_required == 2
    for name in approvers[:2]:
        decision = decide(db, Authenticators(db), incident, plan, GATE_FULL, [draft], Verdict.APPROVE, name)
        assert decision.accepted, decision.refusal
    return incident, draft


def publish_everywhere(db: Database, incident: Any, draft: Any, cat: Catalog) -> dict[str, Any]:
    """One channel after another, the website first (the flow: the website and e-mail, then the short posts)."""
    return {channel: sending.publish(db, incident, draft.id, channel, cat, quick()) for channel in CHANNELS}


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_an_approved_luar_biasa_release_goes_out_once_on_all_six_channels(db: Database, receivers: Receivers) -> None:
    r = receivers
    cat = six(load_catalog(), r)
    incident, draft = approved_release(db, cat)
    results = publish_everywhere(db, incident, draft, cat)
    assert {c: p.status for c, p in results.items()} == dict.fromkeys(CHANNELS, PublicationStatus.SENT)

    website = [p for p in r.site.posts() if "Gangguan Keamanan di Lapas Kelas I Cipinang" in str(p["title"])]
    assert len(website) == 1 and results["situs-ditjenpas"].location == website[0]["link"]
    link = website[0]["link"]
    assert len(r.x.posts) == 1 and link in r.x.posts[0]["text"]
    assert len(r.facebook.posts) == 1 and r.facebook.posts[0]["link"] == link
    assert r.telegram.posts and any(link in p["plain"] for p in r.telegram.posts)
    assert sorted(p["to"] for p in r.whatsapp.posts) == sorted(n.lstrip("+") for n in PHONES)
    assert sorted(m.rcpt_tos for m in r.smtp.messages) == sorted((a,) for a in JOURNALISTS)
    for message in r.smtp.messages:
        assert message.message["To"] == message.rcpt_tos[0] and "Cipinang" in str(message.message["Subject"])

    for channel, publication in results.items():  # receipts stored before success was reported
        rows = publications.deliveries(db, publication.id)
        assert rows and all(d.status is DeliveryStatus.SENT and d.location and d.accepted_at for d in rows), channel
    assert results["posko-keluarga"].deliveries_total == 3 and results["siaran-pers"].deliveries_total == 3

    counts = (len(r.site.posts()), len(r.x.posts), len(r.facebook.posts), len(r.telegram.posts), len(r.whatsapp.posts), len(r.smtp.messages))
    publish_everywhere(db, incident, draft, cat)  # a retry, a resume, a re-run
    assert (len(r.site.posts()), len(r.x.posts), len(r.facebook.posts), len(r.telegram.posts), len(r.whatsapp.posts),
            len(r.smtp.messages)) == counts

    # A correction refers to what it corrects: a reply on X and Telegram, a comment on Facebook, a
    # notice on the website post, In-Reply-To in e-mail, context on WhatsApp.
    ralat = stored_draft(db, incident, body=RELEASE.replace("SIARAN PERS", "RALAT").replace("ditunda sementara", "dibuka kembali"),
                         id=f"{incident.id}-luar-biasa-correction-id", message_type=MessageType.CORRECTION, channels=CHANNELS)
    plan = cat.plan(incident.category, incident.severity)
    for name in authority(cat, incident)[:2]:
        assert decide(db, Authenticators(db), incident, plan, GATE_FULL, [ralat], Verdict.APPROVE, name).accepted
    corrected = publish_everywhere(db, incident, ralat, cat)
    assert all(p.status is PublicationStatus.SENT for p in corrected.values())
    assert r.x.posts[-1]["in_reply_to"] == r.x.posts[0]["id"]
    assert r.telegram.posts[-1]["reply_to"] is not None
    assert all(p["context"] for p in r.whatsapp.posts[3:]) and len(r.whatsapp.posts) == 6
    replies = [m.message for m in r.smtp.messages[3:]]
    assert len(replies) == 3 and all(m["In-Reply-To"] for m in replies)
    original = r.site.post(website[0]["id"])
    assert "data-pasopati-update" in str(original["content"]["raw"])


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_lost_answers_are_looked_up_where_the_api_allows_and_left_to_an_operator_where_not(
    db: Database, receivers: Receivers,
) -> None:
    r = receivers
    cat = six(load_catalog(), r)
    incident, draft = approved_release(db, cat)
    r.x.fail_next(Fault.drop(store=True))
    r.telegram.fail_next(Fault.drop(store=True))
    r.facebook.fail_next(Fault.status(500), Fault.status(429, retry_after=1))
    results = publish_everywhere(db, incident, draft, cat)
    assert results["medsos-ditjenpas"].status is PublicationStatus.SENT and len(r.x.posts) == 1  # found by lookup
    assert results["akun-kanwil"].status is PublicationStatus.SENT and len(r.facebook.posts) == 1  # retried
    tg = results["media-center"]
    assert tg.status in {PublicationStatus.AMBIGUOUS, PublicationStatus.PARTIAL} and len(r.telegram.posts) >= 1
    before = len(r.telegram.posts)
    publish_everywhere(db, incident, draft, cat)
    assert len(r.telegram.posts) == before and len(r.x.posts) == 1, "nothing of unknown outcome is sent again"
    ambiguous = [d for d in publications.deliveries(db, tg.id) if d.status is DeliveryStatus.AMBIGUOUS]
    assert len(ambiguous) == 1
    settled = publications.resolve(db, incident, [ambiguous[0].id], sent=True, location="https://t.me/ditjenpas_info/1",
                                   by="Kepala Bagian Humas", proof="kode TOTP", why="terlihat di kanal", draft=draft)
    assert settled is not None and settled.status is PublicationStatus.SENT


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_ralat_takes_the_wrong_post_down_only_where_the_runbook_asks(db: Database, receivers: Receivers) -> None:
    """``ralat_retracts`` names the website, X, Facebook and Telegram: there the wrong post is gone
    (trash, deleted) and the ralat stands alone; WhatsApp cannot delete (a note says so) and e-mail
    is not named: the journalists' copy is replied to, never recalled."""
    r = receivers
    cat = six(load_catalog(), r)
    retracting = ["situs-ditjenpas", "medsos-ditjenpas", "akun-kanwil", "media-center", "posko-keluarga"]
    runbook = cat.runbooks["keamanan-ketertiban"].model_copy(update={"ralat_retracts": retracting})
    cat = dataclasses.replace(cat, runbooks={**cat.runbooks, "keamanan-ketertiban": runbook})
    incident, draft = approved_release(db, cat)
    first = publish_everywhere(db, incident, draft, cat)
    assert all(p.status is PublicationStatus.SENT for p in first.values())
    wrong_site = next(p for p in r.site.posts() if "Gangguan Keamanan" in str(p["title"]))
    wrong_tweet, wrong_fb = r.x.posts[0], r.facebook.posts[0]
    wrong_telegram = [p["message_id"] for p in r.telegram.visible()]

    ralat = stored_draft(db, incident, body=RELEASE.replace("SIARAN PERS", "RALAT").replace("ditunda sementara", "dibuka kembali"),
                         id=f"{incident.id}-luar-biasa-correction-id", message_type=MessageType.CORRECTION, channels=CHANNELS)
    plan = cat.plan(incident.category, incident.severity)
    assert plan.ralat_retracts == retracting
    for name in authority(cat, incident)[:2]:
        assert decide(db, Authenticators(db), incident, plan, GATE_FULL, [ralat], Verdict.APPROVE, name).accepted
    corrected = publish_everywhere(db, incident, ralat, cat)
    assert all(p.status is PublicationStatus.SENT for p in corrected.values())

    assert r.site.post(wrong_site["id"])["status"] == "trash"
    assert r.x.deleted == [wrong_tweet] and r.x.posts[-1]["in_reply_to"] is None
    assert [p["id"] for p in r.facebook.deleted] == [wrong_fb["id"]] and not r.facebook.comments
    assert not any(p["message_id"] in wrong_telegram for p in r.telegram.visible())
    wa = publications.deliveries(db, corrected["posko-keluarga"].id)
    assert len(r.whatsapp.posts) == 6 and all("cannot delete" in (d.error or "") for d in wa)  # a sent delivery's note
    replies = [m.message for m in r.smtp.messages[3:]]
    assert len(replies) == 3 and all(m["In-Reply-To"] for m in replies)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_ralat_takes_down_every_message_of_a_long_telegram_statement(db: Database, receivers: Receivers) -> None:
    """A release longer than one Telegram message went out as several deliveries; the ralat's
    retraction finds all of them through the store, not only the first."""
    r = receivers
    cat = six(load_catalog(), r)
    runbook = cat.runbooks["keamanan-ketertiban"].model_copy(update={"ralat_retracts": ["media-center"]})
    cat = dataclasses.replace(cat, runbooks={**cat.runbooks, "keamanan-ketertiban": runbook})
    paragraph = ("Petugas bersama kepolisian melakukan pemeriksaan menyeluruh di setiap blok hunian dan memastikan"
                 " seluruh layanan berjalan kembali secara bertahap sesuai prosedur yang berlaku. ")
    long_release = RELEASE.replace("Narahubung:", "\n\n".join([paragraph * 3] * 12) + "\n\nNarahubung:")
    incident, draft = approved_release(db, cat, body=long_release, channels=["media-center"])
    first = sending.publish(db, incident, draft.id, "media-center", cat, quick())
    assert first.status is PublicationStatus.SENT and first.deliveries_total >= 2
    wrong = {p["message_id"] for p in r.telegram.visible()}
    assert len(wrong) == first.deliveries_total

    ralat = stored_draft(db, incident, body=RELEASE.replace("SIARAN PERS", "RALAT").replace("ditunda sementara", "dibuka kembali"),
                         id=f"{incident.id}-luar-biasa-correction-id", message_type=MessageType.CORRECTION, channels=["media-center"])
    plan = cat.plan(incident.category, incident.severity)
    for name in authority(cat, incident)[:2]:
        assert decide(db, Authenticators(db), incident, plan, GATE_FULL, [ralat], Verdict.APPROVE, name).accepted
    assert sending.publish(db, incident, ralat.id, "media-center", cat, quick()).status is PublicationStatus.SENT
    assert not wrong & {p["message_id"] for p in r.telegram.visible()}
