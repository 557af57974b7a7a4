"""The Telegram adapter against a real local Bot API fake (tests/fakes/telegram.py): one message
per call, each fault mapped to what the sender must know, the token in no error, corrections as
replies, retraction by deleteMessage. Fast tier: no Prefect server."""

from __future__ import annotations

import socket
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from pasopati.drafts.renderings import Format, render
from pasopati.plan.channels import TelegramConfig
from pasopati.publications.channels import (
    ChannelError,
    LookupUnsupported,
    OutgoingMessage,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
    adapter_for,
)
from pasopati.publications.channels.telegram import TelegramChannel
from pasopati.settings import Settings
from tests.fakes.server import Fault
from tests.fakes.telegram import FakeTelegram, ParseError, parse_markdown_v2

TOKEN = "7012345678:AAH-fAkE_t0ken9876543210abcdefghij"
SECRET = "telegram-ditjenpas"
LINK = "https://www.ditjenpas.go.id/pernyataan/x"
PRESS = (Path(__file__).parent / "data" / "renderings" / "siaran_pers.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeTelegram]:
    api = FakeTelegram(TOKEN)
    yield api
    api.stop()


@pytest.fixture
def fake(server: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> FakeTelegram:
    monkeypatch.setenv("PASOPATI_SECRET_TELEGRAM_DITJENPAS", TOKEN)
    server.reset()
    return server


def channel(api_base: str, chat_id: str = "@ditjenpas_info", timeout: float = 2.0) -> TelegramChannel:
    config = TelegramConfig(adapter="telegram", title="Kanal Telegram Ditjenpas", api_base=api_base, chat_id=chat_id,
                            token_secret=SECRET, timeout_seconds=timeout)
    adapter = adapter_for("telegram-ditjenpas", config, Settings())
    assert isinstance(adapter, TelegramChannel)
    return adapter


def message(text: str = "Pernyataan awal\\.", key: str = "0" * 32, **extra: object) -> OutgoingMessage:
    fields: dict[str, object] = {"idempotency_key": key, "channel": "telegram-ditjenpas", "incident_id": "inc-1",
                                 "message_type": "holding_statement", "language": "id", "body": "Pernyataan awal.",
                                 "text": text, "link": LINK}
    return OutgoingMessage.model_validate(fields | extra)


def long_statement() -> str:
    """The press release with its body paragraphs twice: more than one Telegram message."""
    blocks = PRESS.split("\n\n")
    body = blocks[4:11]
    return "\n\n".join(blocks[:11] + body + blocks[11:])


def test_each_part_of_a_rendered_statement_is_one_post(fake: FakeTelegram) -> None:
    rendering = render(long_statement(), Format.TELEGRAM, language="id", link=LINK)
    assert len(rendering.messages) >= 2
    tg = channel(fake.url)
    receipts = [tg.publish(message(part, rendering=rendering.as_dict())) for part in rendering.messages]
    assert [p["text"] for p in fake.posts] == list(rendering.messages)  # the fake's MarkdownV2 parse accepted every part
    assert "Lapas Kelas IIA Garut" in fake.posts[0]["plain"] and "\\" not in fake.posts[0]["plain"]
    assert [r.location for r in receipts] == [f"https://t.me/ditjenpas_info/{p['message_id']}" for p in fake.posts]
    assert [r.remote_id for r in receipts] == [str(p["message_id"]) for p in fake.posts]
    sent = [r.json() for r in fake.calls(path="sendMessage")]
    assert {(s["chat_id"], s["parse_mode"]) for s in sent} == {("@ditjenpas_info", "MarkdownV2")}
    assert [s["link_preview_options"] for s in sent] == [{"is_disabled": True}] * (len(sent) - 1) + [
        {"url": LINK, "prefer_small_media": True}]  # only the part that links to the statement previews it


@pytest.mark.parametrize("text", ["Lapas Kelas IIA Garut.", "Nomor: PAS.12-HM.01", "*tebal tanpa penutup", "(WBP)"])
def test_unescaped_markdown_is_refused_with_telegrams_reason(fake: FakeTelegram, text: str) -> None:
    with pytest.raises(Refused, match="can't parse entities"):
        channel(fake.url).publish(message(text))
    assert fake.posts == []


@pytest.mark.parametrize(("text", "shown"), [
    ("*Judul* _SIARAN PERS_ 14\\.10 WIB", "Judul SIARAN PERS 14.10 WIB"),
    ("[tautan](https://x.go.id/a_(b\\))", "tautan"),
    ("`kode_1.2` dan ```\npre*()```", "kode_1.2 dan \npre*()"),
    ("> kutipan\n__garis__ ~coret~ ||rahasia||", " kutipan\ngaris coret rahasia"),
])
def test_the_fakes_markdown_v2_parser_accepts_valid_text(text: str, shown: str) -> None:
    assert parse_markdown_v2(text) == shown


@pytest.mark.parametrize("text", ["a - b", "a!", "*a _b* c_", "[a](b", "a \\", "x > y", "a | b"])
def test_the_fakes_markdown_v2_parser_refuses_invalid_text(text: str) -> None:
    with pytest.raises(ParseError):
        parse_markdown_v2(text)


def test_server_error_is_unavailable(fake: FakeTelegram) -> None:
    fake.fail_next(Fault.status(500, body={"ok": False, "error_code": 500, "description": "Internal Server Error"}))
    with pytest.raises(Unavailable, match="Internal Server Error"):
        channel(fake.url).publish(message())
    assert fake.posts == []


def test_flood_wait_is_unavailable_with_retry_after_from_the_body(fake: FakeTelegram) -> None:
    fake.flood(retry_after=7)
    with pytest.raises(Unavailable, match="retry after 7") as caught:
        channel(fake.url).publish(message())
    assert caught.value.retry_after == 7.0
    assert fake.posts == []


@pytest.mark.parametrize("fault", [Fault.timeout(1.0, store=True), Fault.drop(store=True), Fault.drop(store=False)],
                         ids=["timeout-after-store", "drop-after-store", "drop-before-store"])
def test_a_lost_answer_is_uncertain_and_cannot_be_looked_up(fake: FakeTelegram, fault: Fault) -> None:
    tg = channel(fake.url, timeout=0.5)
    fake.fail_next(fault)
    with pytest.raises(Uncertain):
        tg.publish(message())
    assert len(fake.posts) == (1 if fault.store else 0)  # the client cannot tell these apart…
    with pytest.raises(LookupUnsupported, match="cannot read a channel's history"):
        tg.find(message())  # …and nothing can ask Telegram


def test_wrong_token_is_refused_naming_the_secret(fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASOPATI_SECRET_TELEGRAM_DITJENPAS", "7012345678:AAwrong-token")
    with pytest.raises(Refused, match=f"401: Unauthorized.*{SECRET}") as caught:
        channel(fake.url).publish(message())
    assert "AAwrong-token" not in str(caught.value)


def test_bot_without_admin_rights_is_refused(fake: FakeTelegram) -> None:
    fake.member = False
    with pytest.raises(Refused, match="403: Forbidden: bot is not a member.*administrator"):
        channel(fake.url).publish(message())


def test_an_html_page_answered_200_is_refused(fake: FakeTelegram) -> None:
    fake.fail_next(Fault.html_200())
    with pytest.raises(Refused, match="not the Bot API's JSON"):
        channel(fake.url).publish(message())


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


FAULTS = {
    "500": lambda f: f.fail_next(Fault.status(500)),
    "429": lambda f: f.flood(3),
    "timeout": lambda f: f.fail_next(Fault.timeout(1.0)),
    "drop": lambda f: f.fail_next(Fault.drop()),
    "html": lambda f: f.fail_next(Fault.html_200()),
    "parse": lambda f: None,
}


@pytest.mark.parametrize("case", [*FAULTS, "unreachable"])
def test_the_token_appears_in_no_error(fake: FakeTelegram, case: str) -> None:
    tg = channel(closed_port() if case == "unreachable" else fake.url, timeout=0.5)
    if case in FAULTS:
        FAULTS[case](fake)
    with pytest.raises(ChannelError) as caught:
        tg.publish(message("tanda titik tak di-escape." if case == "parse" else "Teks\\."))
    printed = "".join(traceback.format_exception(caught.value))
    assert TOKEN not in printed and TOKEN.split(":")[1] not in printed
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert "<token>" in str(caught.value) or case in {"429", "parse", "html"}  # the URL is named, redacted


def test_a_token_pasted_with_a_newline_appears_in_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests sends (and urllib3 names) the path with the newline as %0A: that form is redacted too."""
    monkeypatch.setenv("PASOPATI_SECRET_TELEGRAM_DITJENPAS", TOKEN + "\n")
    with pytest.raises(ChannelError) as caught:
        channel(closed_port(), timeout=0.5).publish(message("Teks\\."))
    assert TOKEN.split(":")[1] not in str(caught.value) and "<token>" in str(caught.value)


def test_a_correction_replies_to_the_earlier_post(fake: FakeTelegram) -> None:
    tg = channel(fake.url)
    first = tg.publish(message("Pernyataan awal\\."))
    reference = Reference(remote_id=first.remote_id, location=first.location, message_type="holding_statement")
    second = tg.publish(message("*RALAT* Jumlah yang benar: 2 orang\\.", key="1" * 32, message_type="correction", reference=reference))
    assert second.note is None
    assert fake.posts[1]["reply_to"] == fake.posts[0]["message_id"]
    assert fake.calls(path="sendMessage")[1].json()["reply_parameters"] == {
        "message_id": fake.posts[0]["message_id"], "allow_sending_without_reply": True}


def test_a_correction_is_sent_even_when_the_earlier_post_is_gone(fake: FakeTelegram) -> None:
    reference = Reference(remote_id="999", location="https://t.me/ditjenpas_info/999", message_type="holding_statement")
    channel(fake.url).publish(message("Ralat\\.", message_type="correction", reference=reference))
    assert len(fake.posts) == 1 and fake.posts[0]["reply_to"] is None


def test_retract_deletes_the_post(fake: FakeTelegram) -> None:
    tg = channel(fake.url)
    first = tg.publish(message())
    tg.retract(Reference(remote_id=first.remote_id, location=first.location, message_type="holding_statement"))
    assert fake.visible() == [] and fake.calls(path="deleteMessage")[0].json() == {
        "chat_id": "@ditjenpas_info", "message_id": int(first.remote_id or 0)}


def test_retract_deletes_every_message_of_a_long_statement(fake: FakeTelegram) -> None:
    """A statement longer than 4 096 characters went out as several messages (one delivery each);
    the reference carries the later ones, and a retraction leaves none of them standing."""
    tg = channel(fake.url)
    parts = [tg.publish(message(f"Bagian {i}\\.", key=f"{i:032x}")) for i in range(3)]
    reference = Reference(remote_id=parts[0].remote_id, location=parts[0].location, message_type="press_release",
                          later_parts=[p.remote_id or "" for p in parts[1:]])
    tg.retract(reference)
    assert fake.visible() == [] and len(fake.calls(path="deleteMessage")) == 3


def test_a_retracting_correction_deletes_the_earlier_post_after_sending(fake: FakeTelegram) -> None:
    tg = channel(fake.url)
    first = tg.publish(message())
    reference = Reference(remote_id=first.remote_id, location=first.location, message_type="holding_statement")
    second = tg.publish(message("Ralat\\.", key="1" * 32, reference=reference, retract_reference=True))
    assert [p["plain"] for p in fake.visible()] == ["Ralat."] and second.note is None


def test_a_failed_deletion_is_a_note_not_a_failure(fake: FakeTelegram) -> None:
    tg = channel(fake.url)
    first = tg.publish(message())
    fake.deletable = False  # as after 48 hours
    reference = Reference(remote_id=first.remote_id, location=first.location, message_type="holding_statement")
    second = tg.publish(message("Ralat\\.", key="1" * 32, reference=reference, retract_reference=True))
    assert len(fake.visible()) == 2
    assert second.note and "was not deleted" in second.note and "can't be deleted" in second.note
    with pytest.raises(Refused, match="can't be deleted"):
        tg.retract(reference)


def test_a_private_channel_gets_a_members_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASOPATI_SECRET_TELEGRAM_DITJENPAS", TOKEN)
    api = FakeTelegram(TOKEN, username=None)
    try:
        receipt = channel(api.url, chat_id="-1001234567890").publish(message())
    finally:
        api.stop()
    assert receipt.location == f"https://t.me/c/1234567890/{api.posts[0]['message_id']}"
    assert api.calls()[0].json()["chat_id"] == -1001234567890
