"""The Facebook Page adapter against a real local server speaking the Graph API
(tests/fakes/facebook.py): what lands at the fake, and how each fault is classified (fast tier)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pasopati.plan.channels import FacebookConfig
from pasopati.publications.channels import (
    OutgoingMessage,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
)
from pasopati.publications.channels.facebook import FacebookChannel, adapter
from pasopati.settings import Settings
from tests.fakes.facebook import FakeFacebookPage
from tests.fakes.server import Fault

LINK = "https://www.ditjenpas.go.id/pernyataan/msg-7"
TEXT = ("Lapas Kelas I Cipinang: Situasi Terkendali\n\nJakarta, Senin, 30 November 2026 — Lapas Kelas I Cipinang "
        "memastikan 12 warga binaan dan petugas dalam keadaan aman.\n\n" + LINK + "\n\n#Pemasyarakatan")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeFacebookPage]:
    running = FakeFacebookPage()
    yield running
    running.stop()


@pytest.fixture
def fake(server: FakeFacebookPage, monkeypatch: pytest.MonkeyPatch) -> FakeFacebookPage:
    server.reset()
    monkeypatch.setenv("PASOPATI_SECRET_FB_DITJENPAS", server.token)
    return server


def channel(fake: FakeFacebookPage, timeout: float = 0.5) -> FacebookChannel:
    config = FacebookConfig.model_validate({"adapter": "facebook", "title": "Facebook Ditjenpas", "graph_base": f"{fake.url}/v21.0",
                                            "page_id": fake.page_id, "token_secret": "fb-ditjenpas", "timeout_seconds": timeout})
    return adapter("facebook-ditjenpas", config, Settings())


def message(text: str = TEXT, **changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {"idempotency_key": "a1" * 16, "channel": "facebook-ditjenpas", "incident_id": "inc-1", "language": "id",
                                 "message_type": "press_release", "body": "Isi", "text": text, "link": LINK}
    return OutgoingMessage.model_validate(fields | changes)


def earlier(fake: FakeFacebookPage) -> tuple[dict[str, object], Reference]:
    post = fake.add("Angka awal: 10 warga binaan.", age_seconds=3600)
    page, _, number = str(post["id"]).partition("_")
    location = f"https://www.facebook.com/{page}/posts/{number}"
    return post, Reference(remote_id=str(post["id"]), location=location, message_type="press_release")


def test_publish_posts_message_and_link_with_the_page_token(fake: FakeFacebookPage) -> None:
    receipt = channel(fake).publish(message())
    assert [(p["message"], p["link"]) for p in fake.posts] == [(TEXT, LINK)]
    post_id = str(fake.posts[0]["id"])
    assert receipt.remote_id == post_id and not receipt.already_published
    assert receipt.location == f"https://www.facebook.com/{fake.page_id}/posts/{post_id.split('_')[1]}"
    (sent,) = fake.calls("POST", "/feed")
    assert sent.path == f"/v21.0/{fake.page_id}/feed" and sent.headers["authorization"] == f"Bearer {fake.token}"
    assert "access_token" not in sent.form() and channel(fake).recipients() == [""]


def test_without_a_link_only_the_message_is_sent(fake: FakeFacebookPage) -> None:
    channel(fake).publish(message(link=""))
    assert set(fake.calls("POST", "/feed")[0].form()) == {"message"}


def test_server_error_is_unavailable(fake: FakeFacebookPage) -> None:
    fake.fail_next(Fault.status(500, body={"error": {"message": "An unknown error has occurred.", "type": "OAuthException", "code": 1}}))
    with pytest.raises(Unavailable):
        channel(fake).publish(message())
    assert fake.posts == []


def test_429_with_retry_after_is_unavailable_with_its_delay(fake: FakeFacebookPage) -> None:
    fake.fail_next(Fault.status(429, retry_after=1))
    with pytest.raises(Unavailable) as caught:
        channel(fake).publish(message())
    assert caught.value.retry_after == 1 and fake.posts == []


@pytest.mark.parametrize("code", [2, 4, 17, 32, 341, 368, 613])
def test_transient_graph_codes_are_unavailable(fake: FakeFacebookPage, code: int) -> None:
    fake.fail_next(Fault.status(400, body={"error": {"message": "later", "type": "OAuthException", "code": code}}))
    with pytest.raises(Unavailable, match=f"Graph error {code} "):
        channel(fake).publish(message())


def test_page_throttling_is_unavailable_until_access_is_regained(fake: FakeFacebookPage) -> None:
    fake.throttle(minutes=5)
    with pytest.raises(Unavailable, match="80001") as caught:
        channel(fake).publish(message())
    assert caught.value.retry_after == 5 * 60


@pytest.mark.parametrize("code", [100, 200, 10])
def test_permission_and_parameter_errors_are_refused(fake: FakeFacebookPage, code: int) -> None:
    fake.fail_next(Fault.status(400 if code == 100 else 403, body={"error": {"message": "no", "type": "OAuthException", "code": code}}))
    with pytest.raises(Refused, match=f"Graph error {code} "):
        channel(fake).publish(message())


def test_wrong_token_is_refused(fake: FakeFacebookPage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASOPATI_SECRET_FB_DITJENPAS", "expired-token")
    with pytest.raises(Refused, match=r"Graph error 190 .*Invalid OAuth access token"):
        channel(fake).publish(message())
    assert fake.posts == []


def test_html_page_with_200_is_refused(fake: FakeFacebookPage) -> None:
    fake.fail_next(Fault.html_200())
    with pytest.raises(Refused, match="not the API's JSON"):
        channel(fake).publish(message())


@pytest.mark.parametrize("fault", [Fault.timeout(1.0, store=True), Fault.drop(store=True)], ids=["timeout", "drop"])
def test_lost_answer_is_uncertain_and_find_returns_the_stored_post(fake: FakeFacebookPage, fault: Fault) -> None:
    fake.fail_next(fault)
    facebook = channel(fake)
    with pytest.raises(Uncertain):
        facebook.publish(message())
    found = facebook.find(message())
    assert found is not None and found.already_published
    assert [p["id"] for p in fake.posts] == [found.remote_id]


def test_drop_before_storing_is_uncertain_and_find_says_not_published(fake: FakeFacebookPage) -> None:
    fake.fail_next(Fault.drop(store=False))
    facebook = channel(fake)
    with pytest.raises(Uncertain):
        facebook.publish(message())
    assert facebook.find(message()) is None
    facebook.publish(message())
    assert len(fake.posts) == 1


def test_duplicate_post_is_found_not_doubled(fake: FakeFacebookPage) -> None:
    before = fake.add(TEXT, link=LINK, age_seconds=120)
    receipt = channel(fake).publish(message())
    assert receipt.already_published and receipt.remote_id == before["id"] and len(fake.posts) == 1


def test_find_ignores_visitors_and_old_posts_and_pages_on(fake: FakeFacebookPage) -> None:
    facebook = channel(fake)
    fake.add(TEXT, visitor=True)
    fake.add(TEXT, age_seconds=2 * 24 * 3600)
    assert facebook.find(message()) is None
    ours = fake.add(TEXT.replace("\n", "\r\n") + " ", age_seconds=3600)
    for n in range(130):
        fake.add(f"Kabar lain {n}", age_seconds=60)
    found = facebook.find(message())
    assert found is not None and found.remote_id == ours["id"]
    pages = fake.calls("GET", "/posts")[-2:]
    assert ["after" in r.query for r in pages] == [False, True] and all("access_token" not in r.query for r in pages)


def test_find_failure_is_unavailable(fake: FakeFacebookPage) -> None:
    fake.fail_next(Fault.status(400, method="GET", body={"error": {"message": "bad", "type": "OAuthException", "code": 190}}))
    with pytest.raises(Unavailable, match="cannot look up"):
        channel(fake).find(message())


@pytest.mark.parametrize(("language", "words"), [
    ("id", "Ralat: sebagian informasi dalam unggahan ini keliru. Ralatnya dapat dibaca di "),
    ("en", "Correction: part of the information in this post was wrong. The correction: "),
])
def test_correction_comments_on_the_earlier_post_with_the_new_link(fake: FakeFacebookPage, language: str, words: str) -> None:
    original, reference = earlier(fake)
    receipt = channel(fake).publish(message("Ralat: 12 warga binaan.", message_type="correction", language=language, reference=reference))
    (comment,) = fake.comments
    assert comment["post_id"] == original["id"] and comment["message"] == words + receipt.location
    assert len(fake.posts) == 2 and receipt.note is None


def test_update_comment_in_indonesian(fake: FakeFacebookPage) -> None:
    _, reference = earlier(fake)
    receipt = channel(fake).publish(message("Pemutakhiran: situasi normal.", message_type="update", reference=reference))
    assert fake.comments[0]["message"] == f"Informasi terbaru mengenai hal ini: {receipt.location}"


def test_failed_comment_is_a_note_not_a_failure(fake: FakeFacebookPage) -> None:
    _, reference = earlier(fake)
    fake.fail_next(Fault.status(403, path="/comments", body={"error": {"message": "(#200) Permissions error", "type": "OAuthException",
                                                                        "code": 200}}))
    receipt = channel(fake).publish(message(reference=reference))
    assert len(fake.posts) == 2 and fake.comments == [] and "Permissions error" in (receipt.note or "")


def test_retract_reference_deletes_the_earlier_post_without_comment(fake: FakeFacebookPage) -> None:
    original, reference = earlier(fake)
    receipt = channel(fake).publish(message(reference=reference, retract_reference=True))
    assert [p["id"] for p in fake.posts] == [receipt.remote_id] and [p["id"] for p in fake.deleted] == [original["id"]]
    assert fake.comments == [] and receipt.note is None


def test_failed_retraction_is_a_note(fake: FakeFacebookPage) -> None:
    _, reference = earlier(fake)
    fake.fail_next(Fault.status(503, method="DELETE"))
    receipt = channel(fake).publish(message(reference=reference, retract_reference=True))
    assert len(fake.posts) == 2 and "not deleted" in (receipt.note or "")


def test_retract_deletes_and_a_missing_post_is_refused(fake: FakeFacebookPage) -> None:
    original, reference = earlier(fake)
    facebook = channel(fake)
    facebook.retract(reference)
    assert fake.posts == [] and [p["id"] for p in fake.deleted] == [original["id"]]
    with pytest.raises(Refused, match="does not exist"):
        facebook.retract(reference)
