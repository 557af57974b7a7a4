"""The WhatsApp adapter against a real local Cloud API fake (tests/fakes/whatsapp.py): one
template message per recipient and call, recipients from channels.yaml and a file, Meta's error
codes mapped to what the sender must know, corrections quoting the earlier message, paced sends
within the number's throughput. Fast tier: no Prefect server."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from pasopati.drafts.renderings import Format, render
from pasopati.plan.channels import WhatsAppConfig
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
from pasopati.publications.channels.whatsapp import WhatsAppChannel
from pasopati.settings import Settings
from tests.fakes.server import Fault
from tests.fakes.whatsapp import PHONE_NUMBER_ID, FakeWhatsApp, meta_error

TOKEN = "EAAGm0PX4ZCpsBAFakeCloudApiToken1234567890"
LINK = "https://www.ditjenpas.go.id/pernyataan/x"
PRESS = (Path(__file__).parent / "data" / "renderings" / "siaran_pers.txt").read_text(encoding="utf-8")
WHATSAPP = render(PRESS, Format.WHATSAPP, language="id", link=LINK)
RENDERING, PARAMETERS = WHATSAPP.as_dict(), list(WHATSAPP.parameters)
NUMBER = "+6281234567890"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeWhatsApp]:
    api = FakeWhatsApp(TOKEN)
    yield api
    api.stop()


@pytest.fixture
def fake(server: FakeWhatsApp, monkeypatch: pytest.MonkeyPatch) -> FakeWhatsApp:
    monkeypatch.setenv("PASOPATI_SECRET_WHATSAPP_CLOUD", TOKEN)
    server.reset()
    return server


def channel(fake: FakeWhatsApp, tmp_path: Path, timeout: float = 2.0, **fields: object) -> WhatsAppChannel:
    config = WhatsAppConfig.model_validate({
        "adapter": "whatsapp", "title": "WhatsApp Humas", "graph_base": fake.graph_base, "phone_number_id": PHONE_NUMBER_ID,
        "token_secret": "whatsapp-cloud", "recipients": [NUMBER], "timeout_seconds": timeout, **fields})
    adapter = adapter_for("wa-humas", config, Settings(channels_file=tmp_path / "channels.yaml"))
    assert isinstance(adapter, WhatsAppChannel)
    return adapter


def message(recipient: str = NUMBER, key: str = "0" * 32, **extra: object) -> OutgoingMessage:
    fields: dict[str, object] = {"idempotency_key": key, "channel": "wa-humas", "incident_id": "inc-1",
                                 "message_type": "press_release", "language": "id", "body": PRESS,
                                 "text": RENDERING["text"], "rendering": RENDERING, "recipient": recipient, "link": LINK}
    return OutgoingMessage.model_validate(fields | extra)


def test_one_template_message_per_call(fake: FakeWhatsApp, tmp_path: Path) -> None:
    receipt = channel(fake, tmp_path).publish(message())
    [post] = fake.posts
    assert (post["to"], post["template"], post["language"]) == ("6281234567890", "pernyataan_resmi", "id")
    assert post["parameters"] == PARAMETERS and post["context"] is None
    assert receipt.location == f"wa:{NUMBER}/{post['id']}" and receipt.remote_id == post["id"]
    [request] = fake.calls()
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.json() == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890", "type": "template",
        "template": {"name": "pernyataan_resmi", "language": {"code": "id"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in PARAMETERS]}]}}


def test_recipients_inline_then_file_once_each_in_order(fake: FakeWhatsApp, tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "wartawan.yaml").write_text(
        "# Daftar wartawan\n- '+6281111111111'\n- 6281234567890\n- '+6282222222222'\n- '6281111111111'\n")
    wa = channel(fake, tmp_path, recipients=[NUMBER, "6283333333333"], recipients_file="lists/wartawan.yaml")
    assert wa.recipients() == [NUMBER, "+6283333333333", "+6281111111111", "+6282222222222"]


@pytest.mark.parametrize(("content", "reason"), [
    ("- '+6281111111111'\n- '0812-3456-7890'\n", r"wartawan.yaml, entry 2 \('0812-3456-7890'\) is not a phone number"),
    ("nomor: '+6281111111111'\n", "is not a YAML list"),
    ("- [unclosed\n", "cannot read the recipients file"),
    (None, "cannot read the recipients file"),
])
def test_a_bad_recipients_file_is_refused_naming_file_and_entry(fake: FakeWhatsApp, tmp_path: Path, content: str | None,
                                                                reason: str) -> None:
    if content is not None:
        (tmp_path / "wartawan.yaml").write_text(content)
    with pytest.raises(Refused, match=reason):
        channel(fake, tmp_path, recipients_file="wartawan.yaml").recipients()


def test_no_recipient_at_all_is_refused(fake: FakeWhatsApp, tmp_path: Path) -> None:
    (tmp_path / "kosong.yaml").write_text("")
    with pytest.raises(Refused, match="no recipient"):
        channel(fake, tmp_path, recipients=[], recipients_file="kosong.yaml").recipients()


@pytest.mark.parametrize(("fault", "retry_after"), [
    (Fault.status(500, body=meta_error(500, 131000, "Something went wrong").body), None),
    (Fault.status(503, body=meta_error(503, 2, "Service temporarily unavailable").body), None),
    (Fault.status(400, body=meta_error(400, 130429, "Rate limit hit").body), 1.0),
    (Fault.status(429, body=meta_error(429, 130429, "Rate limit hit").body), 1.0),
    (Fault.status(400, body=meta_error(400, 131056, "pair rate limit hit").body), 6.0),
    (Fault.status(400, body=meta_error(400, 80007, "Rate limit issues").body, retry_after=30), 30.0),
], ids=["500-131000", "503-2", "400-130429", "429-130429", "131056", "80007-header"])
def test_temporary_failures_are_unavailable(fake: FakeWhatsApp, tmp_path: Path, fault: Fault, retry_after: float | None) -> None:
    fake.fail_next(fault)
    with pytest.raises(Unavailable) as caught:
        channel(fake, tmp_path).publish(message())
    assert caught.value.retry_after == retry_after and fake.posts == []


def test_throughput_over_the_limit_is_unavailable(fake: FakeWhatsApp, tmp_path: Path) -> None:
    fake.max_per_second = 5
    wa = channel(fake, tmp_path)
    with pytest.raises(Unavailable, match="130429") as caught:
        for i in range(20):  # an unpaced burst
            wa.publish(message(f"+62812000000{i:02d}", key=f"{i:032x}"))
    assert caught.value.retry_after == 1.0 and len(fake.posts) == 5


def test_sends_paced_at_the_channels_rate_stay_within_throughput(fake: FakeWhatsApp, tmp_path: Path) -> None:
    """What the sender does with ``rate_per_second`` (at most that many sends a second), against a
    number allowed only a little more: every message is accepted."""
    fake.max_per_second = 10
    wa = channel(fake, tmp_path, rate_per_second=8)
    interval, due = 1 / (wa.config.rate_per_second or 1), time.monotonic()
    for i in range(12):
        time.sleep(max(0.0, due - time.monotonic()))
        due = max(due, time.monotonic()) + interval
        wa.publish(message(f"+62812000000{i:02d}", key=f"{i:032x}"))
    assert len(fake.posts) == 12  # unpaced, the 11th would be refused (test above)


@pytest.mark.parametrize(("setup", "reason"), [
    (lambda f: f.undeliverable.add("6281234567890"), "131026.*cannot receive WhatsApp"),
    (lambda f: f.templates.clear(), "132001.*does not exist in language 'id'"),
    (lambda f: f.templates.update({("pernyataan_resmi", "id"): 4}), "132000.*parameters do not match"),
    (lambda f: setattr(f, "token", "another"), "190.*renew the secret 'whatsapp-cloud'"),
], ids=["131026", "132001", "132000", "190"])
def test_permanent_failures_are_refused(fake: FakeWhatsApp, tmp_path: Path, setup: object, reason: str) -> None:
    setup(fake)  # type: ignore[operator]
    with pytest.raises(Refused, match=reason):
        channel(fake, tmp_path).publish(message())
    assert fake.posts == []


@pytest.mark.parametrize("fault", [Fault.timeout(1.0, store=True), Fault.drop(store=True), Fault.drop(store=False)],
                         ids=["timeout-after-store", "drop-after-store", "drop-before-store"])
def test_a_lost_answer_is_uncertain_and_cannot_be_looked_up(fake: FakeWhatsApp, tmp_path: Path, fault: Fault) -> None:
    wa = channel(fake, tmp_path, timeout=0.5)
    fake.fail_next(fault)
    with pytest.raises(Uncertain):
        wa.publish(message())
    assert len(fake.posts) == (1 if fault.store else 0)
    with pytest.raises(LookupUnsupported):
        wa.find(message())


def test_an_html_page_answered_200_is_refused(fake: FakeWhatsApp, tmp_path: Path) -> None:
    fake.fail_next(Fault.html_200())
    with pytest.raises(Refused, match="not the API's JSON"):
        channel(fake, tmp_path).publish(message())


@pytest.mark.parametrize("fault", [Fault.status(500), Fault.status(400, body=meta_error(400, 100, "Invalid parameter").body),
                                   Fault.drop(), Fault.timeout(1.0)], ids=["500", "400", "drop", "timeout"])
def test_the_token_appears_in_no_error(fake: FakeWhatsApp, tmp_path: Path, fault: Fault) -> None:
    fake.fail_next(fault)
    with pytest.raises(ChannelError) as caught:
        channel(fake, tmp_path, timeout=0.5).publish(message())
    assert TOKEN not in "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize(("parameters", "reason"), [
    (["Siaran Pers: Judul", "Baris satu\nbaris dua", LINK], "parameter 2 contains a newline"),
    (["Judul\tdengan tab", "Isi", LINK], "parameter 1 contains a newline or a tab"),
    (["Judul", "Isi     berspasi", LINK], "parameter 2 has more than 4 consecutive spaces"),
    (["Judul", "x" * 1100, LINK], "over 1024"),
    (["Judul", "", LINK], "parameter 2 is empty"),
    ([], "no template parameters"),
])
def test_parameters_meta_would_refuse_are_refused_before_sending(fake: FakeWhatsApp, tmp_path: Path,
                                                                  parameters: list[str], reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        channel(fake, tmp_path).publish(message(rendering=RENDERING | {"parameters": parameters}))
    assert fake.calls() == []


def test_the_channels_template_is_sent_whatever_the_rendering_names(fake: FakeWhatsApp, tmp_path: Path) -> None:
    fake.templates[("info_darurat", "en_US")] = 3
    channel(fake, tmp_path, template="info_darurat", template_language="en_US").publish(message())
    assert (fake.posts[0]["template"], fake.posts[0]["language"]) == ("info_darurat", "en_US")  # RENDERING names pernyataan_resmi


def test_a_correction_quotes_the_earlier_message_to_the_same_number(fake: FakeWhatsApp, tmp_path: Path) -> None:
    wa = channel(fake, tmp_path)
    first = wa.publish(message())
    reference = Reference(remote_id=first.remote_id, location=first.location, message_type="press_release")
    second = wa.publish(message(key="1" * 32, message_type="correction", reference=reference, retract_reference=True))
    assert fake.posts[1]["context"] == first.remote_id
    assert fake.calls()[1].json()["context"] == {"message_id": first.remote_id}
    assert second.note and "cannot delete" in second.note  # asked to retract: WhatsApp cannot


def test_a_reference_to_another_number_is_not_quoted(fake: FakeWhatsApp, tmp_path: Path) -> None:
    reference = Reference(remote_id="wamid.X", location="wa:+6289999999999/wamid.X", message_type="press_release")
    receipt = channel(fake, tmp_path).publish(message(reference=reference))
    assert fake.posts[0]["context"] is None and receipt.note and "not a message to +6281234567890" in receipt.note


def test_retract_is_refused(fake: FakeWhatsApp, tmp_path: Path) -> None:
    with pytest.raises(Refused, match="cannot delete a delivered message"):
        channel(fake, tmp_path).retract(Reference(remote_id="wamid.X", location=f"wa:{NUMBER}/wamid.X", message_type="press_release"))


def test_a_recipient_that_is_no_number_is_refused(fake: FakeWhatsApp, tmp_path: Path) -> None:
    with pytest.raises(Refused, match="not a phone number"):
        channel(fake, tmp_path).publish(message("081234567890"))
    assert fake.calls() == []
