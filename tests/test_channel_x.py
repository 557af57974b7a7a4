"""The X adapter against a real local server speaking X API v2 (tests/fakes/x.py): what lands at
the fake, and how each fault is classified (fast tier: no Prefect server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pasopati.plan.channels import XConfig
from pasopati.publications.channels import (
    OutgoingMessage,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
)
from pasopati.publications.channels.x import XChannel, adapter
from pasopati.settings import Settings
from tests.fakes.server import Fault
from tests.fakes.x import FakeX

TEXT = ("[SIARAN PERS] Lapas Kelas I Cipinang memastikan 12 warga binaan & petugas dalam keadaan aman.\n"
        "https://www.ditjenpas.go.id/pernyataan/msg-7\n#Pemasyarakatan")
LINK = "https://www.ditjenpas.go.id/pernyataan/msg-7"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeX]:
    running = FakeX()
    yield running
    running.stop()


@pytest.fixture
def fake(server: FakeX, monkeypatch: pytest.MonkeyPatch) -> FakeX:
    server.reset()
    monkeypatch.setenv("PASOPATI_SECRET_X_DITJENPAS", server.token)
    return server


def channel(fake: FakeX, timeout: float = 0.5) -> XChannel:
    config = XConfig.model_validate({"adapter": "x", "title": "X Ditjenpas", "api_base": fake.url, "user_id": fake.user_id,
                                     "token_secret": "x-ditjenpas", "timeout_seconds": timeout})
    return adapter("x-ditjenpas", config, Settings())


def message(text: str = TEXT, **changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {"idempotency_key": "0f" * 16, "channel": "x-ditjenpas", "incident_id": "inc-1", "language": "id",
                                 "message_type": "press_release", "body": "Isi", "text": text, "link": LINK}
    return OutgoingMessage.model_validate(fields | changes)


def test_publish_posts_the_text_with_the_token(fake: FakeX) -> None:
    receipt = channel(fake).publish(message())
    assert [p["text"] for p in fake.posts] == [TEXT]
    assert receipt.remote_id == fake.posts[0]["id"] and not receipt.already_published
    assert receipt.location == f"https://x.com/i/web/status/{receipt.remote_id}"
    (sent,) = fake.calls("POST", "/2/tweets")
    assert sent.headers["authorization"] == f"Bearer {fake.token}" and sent.json() == {"text": TEXT}
    assert channel(fake).recipients() == [""]


def test_server_error_is_unavailable_and_stores_nothing(fake: FakeX) -> None:
    fake.fail_next(Fault.status(500))
    with pytest.raises(Unavailable):
        channel(fake).publish(message())
    assert fake.posts == []


def test_429_with_retry_after_is_unavailable_with_its_delay(fake: FakeX) -> None:
    fake.fail_next(Fault.status(429, retry_after=1, body={"title": "Too Many Requests", "status": 429}))
    with pytest.raises(Unavailable) as caught:
        channel(fake).publish(message())
    assert caught.value.retry_after == 1 and fake.posts == []


def test_429_with_x_rate_limit_reset_is_unavailable_until_the_reset(fake: FakeX) -> None:
    fake.rate_limit(30)
    with pytest.raises(Unavailable) as caught:
        channel(fake).publish(message())
    assert caught.value.retry_after is not None and 25 <= caught.value.retry_after <= 32


@pytest.mark.parametrize("fault", [Fault.timeout(1.0, store=True), Fault.drop(store=True)], ids=["timeout", "drop"])
def test_lost_answer_is_uncertain_and_find_returns_the_stored_post(fake: FakeX, fault: Fault) -> None:
    fake.fail_next(fault)
    x = channel(fake)
    with pytest.raises(Uncertain):
        x.publish(message())
    found = x.find(message())
    assert found is not None and found.already_published
    assert [p["id"] for p in fake.posts] == [found.remote_id]  # the sender stops here: one post
    assert found.location == f"https://x.com/i/web/status/{found.remote_id}"


def test_drop_before_storing_is_uncertain_and_find_says_not_published(fake: FakeX) -> None:
    fake.fail_next(Fault.drop(store=False))
    x = channel(fake)
    with pytest.raises(Uncertain):
        x.publish(message())
    assert x.find(message()) is None
    x.publish(message())
    assert len(fake.posts) == 1


def test_wrong_token_is_refused(fake: FakeX, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASOPATI_SECRET_X_DITJENPAS", "expired")
    with pytest.raises(Refused, match="Unauthorized"):
        channel(fake).publish(message())
    assert fake.posts == []


def test_html_page_with_200_is_refused(fake: FakeX) -> None:
    fake.fail_next(Fault.html_200())
    with pytest.raises(Refused, match="not the API's JSON"):
        channel(fake).publish(message())


def test_too_long_is_refused_with_x_problem(fake: FakeX) -> None:
    with pytest.raises(Refused, match="Invalid Request"):
        channel(fake).publish(message("x" * 281))


def test_duplicate_content_is_found_not_doubled(fake: FakeX) -> None:
    earlier = fake.add(TEXT, age_seconds=600)
    receipt = channel(fake).publish(message())
    assert receipt.already_published and receipt.remote_id == earlier["id"]
    assert len(fake.posts) == 1


def test_duplicate_older_than_the_lookup_is_refused(fake: FakeX) -> None:
    fake.add(TEXT, age_seconds=3 * 24 * 3600)
    with pytest.raises(Refused, match="duplicate"):
        channel(fake).publish(message())
    assert len(fake.posts) == 1


def test_find_looks_past_the_first_page(fake: FakeX) -> None:
    x = channel(fake)
    fake.add(TEXT, age_seconds=3600)
    for n in range(120):
        fake.add(f"Postingan lain nomor {n}", age_seconds=60)
    found = x.find(message())
    assert found is not None and found.remote_id == fake.posts[0]["id"]
    assert [r.query.get("pagination_token") is not None for r in fake.calls("GET")] == [False, True]


def test_find_compares_the_links_x_shortened(fake: FakeX) -> None:
    x = channel(fake)
    fake.add(TEXT.replace("msg-7", "msg-8"))  # same words, another statement's link
    assert x.find(message()) is None
    bare = "Info lengkap di ditjenpas.go.id & https://www.ditjenpas.go.id/pernyataan/msg-7/ <resmi>"
    fake.add(bare)
    assert x.find(message(bare.replace("msg-7/", "msg-7"))) is not None


def test_find_failure_is_unavailable(fake: FakeX) -> None:
    fake.fail_next(Fault.status(401, method="GET"))
    with pytest.raises(Unavailable, match="cannot look up"):
        channel(fake).find(message())


def test_correction_replies_to_the_earlier_post(fake: FakeX) -> None:
    earlier = fake.add("[SIARAN PERS] Angka awal: 10 warga binaan.", age_seconds=3600)
    reference = Reference(remote_id=earlier["id"], location=f"https://x.com/i/web/status/{earlier['id']}", message_type="press_release")
    receipt = channel(fake).publish(message("[RALAT] Yang benar: 12 warga binaan.", reference=reference, message_type="correction"))
    reply = fake.posts[-1]
    assert reply["id"] == receipt.remote_id and reply["in_reply_to"] == earlier["id"]
    assert fake.calls("POST")[0].json()["reply"] == {"in_reply_to_tweet_id": earlier["id"]}
    assert len(fake.posts) == 2 and receipt.note is None


def test_reply_to_a_deleted_post_is_posted_alone_with_a_note(fake: FakeX) -> None:
    reference = Reference(remote_id="1850000000000000000", location="https://x.com/i/web/status/1850000000000000000", message_type="update")
    receipt = channel(fake).publish(message(reference=reference))
    assert [p["in_reply_to"] for p in fake.posts] == [None] and "cannot be replied to" in (receipt.note or "")


def test_retract_reference_deletes_the_earlier_post(fake: FakeX) -> None:
    earlier = fake.add("[SIARAN PERS] Angka awal: 10 warga binaan.")
    reference = Reference(remote_id=earlier["id"], location="https://x.com/i/web/status/" + earlier["id"], message_type="press_release")
    receipt = channel(fake).publish(message(reference=reference, retract_reference=True))
    assert [p["id"] for p in fake.posts] == [receipt.remote_id] and fake.posts[0]["in_reply_to"] is None
    assert [p["id"] for p in fake.deleted] == [earlier["id"]] and receipt.note is None


def test_failed_retraction_is_a_note_not_a_failure(fake: FakeX) -> None:
    earlier = fake.add("[SIARAN PERS] Angka awal: 10 warga binaan.")
    reference = Reference(remote_id=earlier["id"], location="https://x.com/i/web/status/" + earlier["id"], message_type="press_release")
    fake.fail_next(Fault.status(503, method="DELETE"))
    receipt = channel(fake).publish(message(reference=reference, retract_reference=True))
    assert len(fake.posts) == 2 and "not deleted" in (receipt.note or "")


def test_retract_deletes_and_an_absent_post_counts_as_retracted(fake: FakeX) -> None:
    earlier = fake.add("[SIARAN PERS] Angka awal.")
    reference = Reference(remote_id=earlier["id"], location="https://x.com/i/web/status/" + earlier["id"], message_type="press_release")
    x = channel(fake)
    x.retract(reference)
    x.retract(reference)
    assert fake.posts == [] and [p["id"] for p in fake.deleted] == [earlier["id"]]
