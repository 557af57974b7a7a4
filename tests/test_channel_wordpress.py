"""The WordPress channel against a real WordPress (Debian's package, MariaDB, PHP's built-in server:
``scripts/wordpress.sh``), asserting on what WordPress holds, read back over its REST API."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from pasopati.drafts.renderings import Format, render
from pasopati.plan.channels import WordPressConfig
from pasopati.publications.channels import (
    OutgoingMessage,
    Reference,
    Refused,
    Uncertain,
    adapter_for,
)
from pasopati.publications.channels.secrets import env_name
from pasopati.publications.channels.wordpress import (
    WordPressChannel,
    slug_for,
    stamp_for,
)
from pasopati.settings import PROJECT_ROOT, get_settings
from tests.wordpress_site import SECRET, WRONG_SECRET, Site

PRESS = (PROJECT_ROOT / "tests" / "data" / "renderings" / "siaran_pers.txt").read_text(encoding="utf-8")
CORRECTION = """RALAT
Nomor: PAS.12-HM.01.02-46 Tahun 2026

Ralat Jumlah Penghuni Lapas Kelas IIA Garut

Bandung, Senin, 30 November 2026 — Dalam siaran pers Nomor PAS.12-HM.01.02-45 tertulis jumlah penghuni Lapas Kelas IIA Garut 1.124 orang. Jumlah yang benar adalah 1.142 orang.

Narahubung:
Bagian Humas Kanwil Jawa Barat, telepon (022) 1234567
"""
UPDATE_EN = """UPDATE

Search for the Remaining Inmate of Garut Prison Continues

Bandung, Tuesday, 1 December 2026 — The search for the second inmate continues with the Garut Police.
"""
CHANNEL = "situs-ditjenpas"
def config(base_url: str, secret: str = SECRET) -> WordPressConfig:
    return WordPressConfig.model_validate({"adapter": "wordpress", "title": "Situs web resmi (uji)", "base_url": base_url,
                                           "username": "pasopati", "password_secret": secret, "timeout_seconds": 15})


def channel(site: Site, secret: str = SECRET) -> WordPressChannel:
    adapter = adapter_for(CHANNEL, config(site.url, secret), get_settings())
    assert isinstance(adapter, WordPressChannel)
    return adapter


def message(body: str = PRESS, *, message_type: str = "press_release", language: str = "id", **extra: Any) -> OutgoingMessage:
    """A delivery of an approved website rendering, with its own idempotency key."""
    rendering = render(body, Format.WEBSITE, language=language, link="https://www.ditjenpas.go.id/pernyataan/x")
    return OutgoingMessage(idempotency_key=uuid.uuid4().hex, channel=CHANNEL, incident_id="inc-wp", message_type=message_type,
                           language=language, body=body, text=rendering.text, rendering=rendering.as_dict(), **extra)


def raw_post(site: Site, slug: str, title: str) -> dict[str, Any]:
    """A post made directly (not by the adapter), as a person or another tool would."""
    response = requests.post(f"{site.url}/wp-json/wp/v2/posts", auth=(site.user, site.password), timeout=10,
                             json={"title": title, "content": "<p>Dibuat langsung.</p>", "status": "publish", "slug": slug})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_publishes_the_website_rendering_as_a_post(site: Site) -> None:
    sent = message()
    receipt = channel(site).publish(sent)
    [post] = site.holding(sent)
    assert receipt.remote_id == str(post["id"]) and not receipt.already_published and receipt.note is None
    assert receipt.location == post["link"] == f"{site.url}/{slug_for(sent)}/"  # WordPress's link, pretty permalinks
    assert post["title"]["raw"] == "Dua Warga Binaan Lapas Kelas IIA Garut Melarikan Diri, Satu Telah Ditemukan"
    assert str(sent.rendering["html"]).strip() in post["content"]["raw"] and stamp_for(sent) in post["content"]["raw"]
    assert "<h2>Narahubung</h2>" in post["content"]["rendered"]
    assert post["excerpt"]["raw"].startswith("Bandung, Senin, 30 November 2026 — Kantor Wilayah")
    assert (post["status"], post["slug"]) == ("publish", slug_for(sent))
    assert slug_for(sent) == f"dua-warga-binaan-lapas-kelas-iia-garut-melarikan-diri-satu-{sent.marker}"


def test_find_after_a_lost_answer_finds_the_post_and_nothing_is_posted_twice(site: Site) -> None:
    sent = message()
    published = channel(site).publish(sent)
    found = channel(site).find(sent)  # a new adapter, as after a restart: only WordPress remembers
    assert found is not None and found.already_published
    assert (found.remote_id, found.location) == (published.remote_id, published.location)
    assert len(site.holding(sent)) == 1
    assert channel(site).find(message()) is None  # never sent: certainly not there


def test_a_repeated_slug_gets_a_suffix_and_find_still_knows_its_own_post(site: Site) -> None:
    sent = message()
    ours = channel(site).publish(sent)
    copy = raw_post(site, slug_for(sent), "Salinan dengan slug yang sama")
    assert copy["slug"] == f"{slug_for(sent)}-2"  # WordPress de-duplicates the slug
    found = channel(site).find(sent)
    assert found is not None and found.remote_id == ours.remote_id

    # The other way round: someone holds the slug first, the adapter's post gets "-2" and is still found.
    later = message()
    squatter = raw_post(site, slug_for(later), "Lebih dulu memakai slug ini")
    receipt = channel(site).publish(later)
    assert receipt.location.endswith(f"/{slug_for(later)}-2/")  # the link WordPress made, not one we built
    found = channel(site).find(later)
    assert found is not None and found.remote_id == receipt.remote_id != str(squatter["id"])


def test_plain_permalinks_answer_html_and_the_adapter_falls_back_without_posting_twice(site: Site) -> None:
    site.permalinks("plain")
    try:
        before = site.posts(per_page=1, orderby="id")
        probe = requests.post(f"{site.url}/wp-json/wp/v2/posts", auth=(site.user, site.password), timeout=10,
                              json={"title": "Tidak dibuat", "status": "publish"})
        assert probe.status_code == 200 and "text/html" in probe.headers["Content-Type"]
        assert site.posts(per_page=1, orderby="id") == before  # …and WordPress created nothing
        adapter = channel(site)
        first, second = message(), message()
        receipt = adapter.publish(first)
        [post] = site.holding(first)
        assert receipt.remote_id == str(post["id"]) and receipt.location == post["link"] == f"{site.url}/?p={post['id']}"
        assert adapter.publish(second).remote_id == str(site.holding(second)[0]["id"])  # remembered: ?rest_route=
        found = channel(site).find(first)
        assert found is not None and found.remote_id == receipt.remote_id
        # Sent again by a fresh adapter (the first answer was lost): /wp-json/ answers a page, the lookup
        # before the fallback finds the post, and the fallback never posts it.
        again = channel(site).publish(first)
        assert again.already_published and again.remote_id == receipt.remote_id
    finally:
        site.permalinks("pretty")
    assert len(site.holding(first)) == 1 and len(site.holding(second)) == 1


def test_a_base_url_that_is_not_wordpress_is_refused_and_nothing_is_posted_again(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = HTTPServer(host="127.0.0.1", port=0)
    pages.expect_request("/").respond_with_data("<!DOCTYPE html><html><body>Beranda</body></html>", content_type="text/html")
    pages.expect_request("/wp-json/wp/v2/posts").respond_with_data("<html><body>Beranda</body></html>", content_type="text/html")
    pages.start()
    try:
        monkeypatch.setenv(env_name("wp-halaman"), "abcd efgh ijkl mnop qrst uvwx")
        base = pages.url_for("/").rstrip("/")
        adapter = adapter_for(CHANNEL, config(base, "wp-halaman"), get_settings())
        with pytest.raises(Refused, match=rf"^{CHANNEL}: {re.escape(base)} does not answer WordPress's REST API"):
            adapter.publish(message())
        calls = [(request.method, request.path, request.args.get("rest_route")) for request, _ in pages.log]
        assert calls[0] == ("POST", "/wp-json/wp/v2/posts", None)
        assert [c for c in calls[1:] if c[0] != "GET"] == []  # the page answer was looked up, never re-posted
    finally:
        pages.clear()
        pages.stop()


def test_a_2xx_to_the_create_that_is_not_a_post_is_uncertain_not_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """201 with JSON that is not a post (a plugin wrapping the answer): the post may exist, so it is
    looked up, never 'certainly not published' (Refused, which `publish retry --include-refused` re-posts)."""
    api = HTTPServer(host="127.0.0.1", port=0)
    api.expect_request("/wp-json/wp/v2/posts", method="POST").respond_with_json({"data": {"id": 7}}, status=201)
    api.start()
    try:
        monkeypatch.setenv(env_name("wp-plugin"), "abcd efgh ijkl mnop qrst uvwx")
        adapter = adapter_for(CHANNEL, config(api.url_for("/").rstrip("/"), "wp-plugin"), get_settings())
        with pytest.raises(Uncertain, match="answered 201 to the post's creation: it may have been created"):
            adapter.publish(message())
    finally:
        api.clear()
        api.stop()


def test_a_wrong_password_is_refused_naming_the_channel(site: Site) -> None:
    sent = message()
    with pytest.raises(Refused, match=rf"^{CHANNEL}: POST .* answered 401: .* application password in secret '{WRONG_SECRET}'"):
        channel(site, WRONG_SECRET).publish(sent)
    assert site.holding(sent) == []


def test_a_correction_adds_one_notice_to_the_original_and_an_update_can_retract_it(site: Site) -> None:
    adapter = channel(site)
    original = adapter.publish(message())
    reference = Reference(remote_id=original.remote_id, location=original.location, message_type="press_release")
    correction = message(CORRECTION, message_type="correction", reference=reference)
    corrected = adapter.publish(correction)
    assert corrected.note is None
    # The sender's second try after a lost answer: the lookup finds the correction, the notice is not doubled.
    found = channel(site).find(correction)
    assert found is not None and found.remote_id == corrected.remote_id
    assert channel(site).annotate(correction, found) is None
    notices = site.post(original.remote_id or "")["content"]["raw"].split('data-pasopati-update="')
    assert len(notices) == 2 and notices[1].startswith(f'{correction.marker}"')
    assert site.post(original.remote_id or "")["content"]["raw"].startswith('<p class="pasopati-pemberitahuan"')
    assert f'<strong>Ralat:</strong> sebagian informasi dalam pernyataan ini telah diralat. Baca ralatnya: <a href="{corrected.location}">' \
           "Ralat Jumlah Penghuni Lapas Kelas IIA Garut</a>." in notices[0] + notices[1]

    update = message(UPDATE_EN, message_type="update", language="en", reference=reference, retract_reference=True)
    updated = adapter.publish(update)
    assert updated.note is None
    trashed = site.post(original.remote_id or "")
    assert trashed["status"] == "trash" and "<strong>Update:</strong> the information in this statement has been updated." in trashed["content"]["raw"]
    adapter.retract(reference)  # again: already in the trash is retracted
    assert site.post(original.remote_id or "")["status"] == "trash"
    assert {p["status"] for p in (site.post(corrected.remote_id or ""), site.post(updated.remote_id or ""))} == {"publish"}


def test_a_notice_that_fails_is_a_note_and_the_new_post_stands(site: Site) -> None:
    gone = Reference(remote_id="987654", location=f"{site.url}/tidak-ada/", message_type="press_release")
    correction = message(CORRECTION, message_type="correction", reference=gone, retract_reference=True)
    receipt = channel(site).publish(correction)
    assert receipt.note is not None and "987654" in receipt.note and "not added" in receipt.note
    assert [p["id"] for p in site.holding(correction)] == [int(receipt.remote_id or 0)]
