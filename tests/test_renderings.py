"""One approved body, many renderings (pasopati.drafts.renderings): limits and content per
channel, edits reaching every channel, and property tests over any string."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from pasopati.drafts.renderings import Format, Rendering, limit_problems, parts, render
from pasopati.drafts.renderings.kinds import KINDS

DATA = Path(__file__).parent / "data" / "renderings"
HOLDING = (DATA / "pernyataan_awal.txt").read_text(encoding="utf-8")
PRESS = (DATA / "siaran_pers.txt").read_text(encoding="utf-8")
ENGLISH = (DATA / "press_release_en.txt").read_text(encoding="utf-8")
CLARIFICATION = (DATA / "klarifikasi.txt").read_text(encoding="utf-8")
SAMPLES = {
    "holding": HOLDING,
    "press": PRESS,
    "english": ENGLISH,
    "hoax": CLARIFICATION,
}
LINK = "https://ditjenpas.go.id/berita/2026/11/30/dua-warga-binaan-lapas-garut"
TAGS = ("#Pemasyarakatan", "#KanwilJabar")
INSTITUTION = "Kanwil Ditjenpas Jawa Barat"
MDV2_SPECIAL = set("_*[]()~`>#+-=|{}.!")


def language_of(body: str) -> str:
    return "en" if body is ENGLISH else "id"


def rendered(body: str, fmt: Format, **overrides: object) -> Rendering:
    options: dict[str, object] = {
        "language": language_of(body),
        "link": LINK,
        "hashtags": TAGS,
        "institution": INSTITUTION,
    }
    options.update(overrides)
    return render(body, fmt, **options)  # type: ignore[arg-type]


def words(text: str) -> list[str]:
    return text.split()


def telegram_visible(message: str) -> str:
    """Check MarkdownV2 the way the Bot API parses it and return the text it displays.

    Outside entities every special character must be escaped; "*" and "_" open and close
    bold and italic; "[text](url)" is an inline link whose (url) part escapes only ")"
    and "\\". Raises AssertionError on any unescaped special character or open entity.
    """
    visible: list[str] = []
    open_entities: list[str] = []
    i = 0
    while i < len(message):
        c = message[i]
        if c == "\\":
            assert i + 1 < len(message), "dangling backslash"
            assert 1 <= ord(message[i + 1]) <= 126, "escaped a non-ASCII character"
            visible.append(message[i + 1])
            i += 2
        elif c in "*_":
            if open_entities and open_entities[-1] == c:
                open_entities.pop()
            else:
                open_entities.append(c)
            i += 1
        elif c == "[":
            open_entities.append("[")
            i += 1
        elif c == "]":
            assert open_entities and open_entities[-1] == "[", "] outside a link"
            assert message[i + 1 : i + 2] == "(", "link text without (url)"
            j = i + 2
            while message[j] != ")":
                j += 2 if message[j] == "\\" else 1
            open_entities.pop()
            i = j + 1
        else:
            assert c not in MDV2_SPECIAL, (
                f"unescaped {c!r} at {i}: {message[i - 20 : i + 20]!r}"
            )
            visible.append(c)
            i += 1
    assert not open_entities, f"entities left open: {open_entities}"
    return "".join(visible)


# --- the parser ---------------------------------------------------------------


def test_parts_of_a_press_release() -> None:
    p = parts(PRESS)
    assert p.letterhead == (
        "KEMENTERIAN IMIGRASI DAN PEMASYARAKATAN REPUBLIK INDONESIA",
        "KANTOR WILAYAH DIREKTORAT JENDERAL PEMASYARAKATAN JAWA BARAT",
    )
    assert (p.kind, p.number) == ("SIARAN PERS", "PAS.12-HM.01.02-45 Tahun 2026")
    assert (
        p.title
        == "Dua Warga Binaan Lapas Kelas IIA Garut Melarikan Diri, Satu Telah Ditemukan"
    )
    assert p.dateline == "Bandung, Senin, 30 November 2026"
    assert p.lead.startswith(
        "Kantor Wilayah Direktorat Jenderal Pemasyarakatan Jawa Barat"
    )
    assert p.sections == (
        (
            "Narahubung",
            (
                "Bagian Humas Kanwil Jawa Barat, telepon (022) 1234567,"
                " humas.jabar@kemenimipas.go.id"
            ),
        ),
    )
    assert p.signature == (
        "Budi Hartono",
        "Kepala Kantor Wilayah Direktorat Jenderal Pemasyarakatan Jawa Barat",
    )
    assert len(p.paragraphs) == 7
    assert [x[:17] for x in p.paragraphs if x.startswith('"')] == ['"Kami menyesalkan']
    assert not any("***" in x or "Narahubung" in x for x in p.paragraphs)


def test_parts_of_the_other_samples() -> None:
    holding, english, hoax = parts(HOLDING), parts(ENGLISH), parts(CLARIFICATION)
    assert (holding.kind, holding.number, holding.sections) == (
        "PERNYATAAN AWAL",
        "",
        (),
    )
    assert holding.signature[0] == "Budi Hartono"
    assert (english.kind, english.dateline) == (
        "PRESS RELEASE",
        "Jakarta, Monday, 30 November 2026",
    )
    assert english.sections[0][0] == "Media contact"
    assert english.signature[0] == "Andi Prasetyo"
    assert hoax.sections[0][0] == "Narahubung"  # "Narahubung: …" on one line
    assert hoax.paragraphs[-1].startswith("Masyarakat diimbau")


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("", ""),
        ("   \n\t\n  ", ""),
        ("***", ""),
        ("Satu baris saja.", "Satu baris saja."),
        # No letterhead, no kind, no title: the first non-empty line is the title.
        (
            "\n\nBandung, Senin, 30 November 2026 — Kanwil mengonfirmasi peristiwa.\n",
            "Bandung, Senin, 30 November 2026 — Kanwil mengonfirmasi peristiwa.",
        ),
    ],
)
def test_parts_degrade_gracefully(body: str, title: str) -> None:
    p = parts(body)
    assert p.title == title
    assert p.letterhead == () and p.kind == ""


def test_parts_tolerate_an_approvers_layout() -> None:
    body = (
        "SIARAN PERS\r\n\r\nNomor: 7\r\n\r\nJudul Singkat\r\n\r\n"
        "Jakarta — Isi pertama. Isi kedua.\r\n\r\nBudi Hartono\r\nKepala Bagian Humas"
        "\r\n\r\nNarahubung:\r\n\r\nHumas Ditjenpas, telepon (021) 3847654\r\n\r\n-selesai-"
    )
    p = parts(body)
    assert (p.letterhead, p.kind, p.number, p.title) == (
        (),
        "SIARAN PERS",
        "7",
        "Judul Singkat",
    )
    assert (p.dateline, p.lead) == ("", "Jakarta — Isi pertama. Isi kedua.")
    assert p.sections == (("Narahubung", "Humas Ditjenpas, telepon (021) 3847654"),)
    assert p.signature == ("Budi Hartono", "Kepala Bagian Humas")
    assert p.paragraphs == ()


# --- one test per format ------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_x_post(name: str) -> None:
    body = SAMPLES[name]
    post = rendered(body, Format.X).text
    p = parts(body)
    assert parse_tweet(post).weightedLength <= 280
    assert limit_problems(rendered(body, Format.X)) == []
    tag = {"holding": "[PERNYATAAN AWAL]", "press": "[SIARAN PERS]"}.get(name)
    tag = tag or {"english": "[PRESS RELEASE]", "hoax": "[KLARIFIKASI]"}[name]
    assert post.startswith(tag + " ")
    assert LINK in post
    for absent in (
        "Narahubung",
        "Media contact",
        p.signature[0],
        p.letterhead[0],
        p.dateline,
    ):
        assert absent not in post
    # The lead from its start, whole words only, whole sentences unless one is too long.
    said = post.splitlines()[0].removeprefix(tag).split()
    assert said == words(p.lead)[: len(said)]
    assert said[-1].endswith((".", '"', "…"))
    assert all(t in TAGS for t in post.split() if t.startswith("#"))


def test_x_posts_the_title_when_not_even_the_first_sentence_fits() -> None:
    """A sentence cut short can say the opposite (a rumour without its denial): never posted."""
    sentence = " ".join(["Beredar kabar puluhan warga binaan kabur"] * 12) + ", dan kabar itu tidak benar."
    body = f"KLARIFIKASI\n\nKonten yang Beredar mengenai Lapas Cipinang\n\nJakarta, 1 Desember 2026 — {sentence} Kedua."
    post = rendered(body, Format.X).text
    assert post.splitlines()[0].endswith("Konten yang Beredar mengenai Lapas Cipinang") and "kabur" not in post
    assert parse_tweet(post).weightedLength <= 280
    title = " ".join(["Petugas pemasyarakatan mencatat 1.124 penghuni"] * 12)
    long_title = rendered(f"SIARAN PERS\n\n{title}\n\nJakarta — {sentence}", Format.X).text
    head = long_title.splitlines()[0]
    assert head.endswith("…") and parse_tweet(long_title).weightedLength <= 280
    kept = head.removeprefix("[SIARAN PERS] ").removesuffix("…").split()
    assert kept == title.split()[: len(kept)]  # never inside a word or a number
    short = "SIARAN PERS\n\nJudul\n\nJakarta — Satu kalimat pendek."
    assert rendered(short, Format.X).text.endswith("\n#Pemasyarakatan #KanwilJabar")


def test_x_counts_urls_as_23_and_cjk_as_2() -> None:
    long_link = "https://ditjenpas.go.id/" + "a" * 300
    post = rendered(PRESS, Format.X, link=long_link).text
    assert (
        long_link in post
        and limit_problems(rendered(PRESS, Format.X, link=long_link)) == []
    )
    cjk = "PERNYATAAN AWAL\n\nJudul\n\n" + "矫正机构通知。" * 60
    post = rendered(cjk, Format.X).text
    cjk = sum(1 for c in post if c in "矫正机构通知。")
    assert cjk > 100  # the rule: URL 23, a CJK character 2, Latin 1
    assert parse_tweet(post).weightedLength == len(post) - len(LINK) + 23 + cjk <= 280


def test_telegram_messages() -> None:
    r = rendered(PRESS, Format.TELEGRAM)
    assert r.messages and r.text == r.messages[0]
    assert all(len(m.encode("utf-16-le")) // 2 <= 4096 for m in r.messages)
    assert limit_problems(r) == []
    first = r.messages[0]
    assert first.startswith(
        "_SIARAN PERS_\nNomor: PAS\\.12\\-HM\\.01\\.02\\-45 Tahun 2026"
    )
    assert (
        "\n\n*Dua Warga Binaan Lapas Kelas IIA Garut Melarikan Diri, Satu Telah"
        in first
    )
    assert (
        "*Narahubung:*\nBagian Humas Kanwil Jawa Barat, telepon \\(022\\)"
        in r.messages[-1]
    )
    target = LINK.replace("\\", "\\\\").replace(")", "\\)")
    assert r.messages[-1].endswith(f"]({target})")
    visible = "\n\n".join(telegram_visible(m) for m in r.messages)
    assert "KEMENTERIAN" not in visible and "***" not in visible
    for paragraph in parts(PRESS).paragraphs:
        assert paragraph in visible


def test_telegram_splits_a_long_body_at_paragraphs() -> None:
    paragraph = (
        "Petugas pemasyarakatan melakukan penghitungan ulang (SDP) pada pukul 06.00 WIB"
        " dan hasilnya dilaporkan kepada Kepala Kantor Wilayah. "
    ) * 4
    body = PRESS.replace(
        "Narahubung:", (paragraph.strip() + "\n\n") * 25 + "Narahubung:"
    )
    assert len(body) > 10_000
    r = rendered(body, Format.TELEGRAM)
    assert len(r.messages) >= 3 and limit_problems(r) == []
    for message in r.messages:
        assert len(message.encode("utf-16-le")) // 2 <= 4096
        text = telegram_visible(message)
        assert not text.startswith(" ") and not text.endswith(" ")
    visible = "\n\n".join(telegram_visible(m) for m in r.messages)
    assert visible.count(paragraph.strip()) == 25  # split between paragraphs, none lost


def test_telegram_splits_a_paragraph_longer_than_a_message() -> None:
    sentence = "Layanan kunjungan dihentikan sementara hingga Rabu, 2 Desember 2026. "
    body = "RALAT\n\nJudul: koreksi\n\nJakarta — " + sentence * 120
    r = rendered(body, Format.TELEGRAM)
    assert len(r.messages) >= 3 and limit_problems(r) == []
    for message in r.messages:
        assert telegram_visible(message).count("Rabu, 2 Desember 2026.") >= 1


def test_whatsapp_parameters() -> None:
    for body in SAMPLES.values():
        r = rendered(body, Format.WHATSAPP)
        assert r.template == "pernyataan_resmi" and len(r.parameters) == 3
        assert limit_problems(r) == []
        for parameter in r.parameters:
            assert parameter and "\n" not in parameter and "\t" not in parameter
            assert "     " not in parameter
        assert sum(len(x) for x in r.parameters) <= 824
        first, second, link = r.parameters
        p = parts(body)
        assert first.endswith(p.title) and link == LINK
        assert second.startswith(" ".join(p.lead.split()[:8]))
        assert p.dateline not in second and "Narahubung" not in second
        assert second.endswith((".", '"', "…"))
    press = rendered(PRESS, Format.WHATSAPP).parameters
    assert press[0] == f"Siaran Pers: {parts(PRESS).title}"
    hoax = rendered(CLARIFICATION, Format.WHATSAPP).parameters
    assert hoax[0] == parts(CLARIFICATION).title  # already opens with "Klarifikasi"
    assert (
        rendered(PRESS, Format.WHATSAPP, whatsapp_template="ralat_v2").template
        == "ralat_v2"
    )


def test_email() -> None:
    hostile = PRESS.replace(
        "tidak bertindak sendiri.", "tidak <script>alert(1)</script> & sendiri."
    )
    r = rendered(hostile, Format.EMAIL)
    assert r.text == hostile
    assert r.subject == (
        "Kanwil Ditjenpas Jawa Barat — Siaran Pers: Dua Warga Binaan Lapas Kelas IIA Garut"
        " Melarikan Diri, Satu Telah Ditemukan"
    )
    assert limit_problems(r) == []
    html = r.html or ""
    assert (
        "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    )
    assert html.startswith('<!DOCTYPE html>\n<html lang="id">')
    assert (
        "<header>\n<p>KEMENTERIAN IMIGRASI" in html
        and "<strong>SIARAN PERS</strong>" in html
    )
    assert "<h1>Dua Warga Binaan" in html and "<h2>Narahubung</h2>" in html
    assert "<p>Budi Hartono<br>\nKepala Kantor Wilayah" in html
    assert f'<a href="{LINK}">' in html
    english = rendered(ENGLISH, Format.EMAIL, institution="")
    assert (
        english.subject
        == "Press Release: Two Inmates Escape from Garut Class IIA Prison"
    )
    assert '<html lang="en">' in (english.html or "")


def test_email_subject_is_one_short_line() -> None:
    r = rendered(
        PRESS, Format.EMAIL, institution="Kanwil\r\nBcc: semua@contoh.id " + "X" * 30
    )
    assert "\n" not in (r.subject or "") and "\r" not in (r.subject or "")
    long_title = "Judul " + "sangat panjang " * 20
    r = rendered(f"SIARAN PERS\n\n{long_title}\n\nJakarta — Isi.", Format.EMAIL)
    assert r.subject and len(r.subject) <= 150 and r.subject.endswith(" sangat…")
    assert limit_problems(r) == []


def test_website() -> None:
    r = rendered(PRESS.replace("(SDP)", "<b>(SDP)</b>"), Format.WEBSITE)
    assert r.title == parts(PRESS).title
    html = r.html or ""
    assert html.startswith("<p>Bandung, Senin, 30 November 2026 — Kantor Wilayah")
    assert "<h2>Narahubung</h2>\n<p>Bagian Humas Kanwil" in html
    assert "&lt;b&gt;(SDP)&lt;/b&gt;" in html and "<b>" not in html
    assert "<html" not in html and "KEMENTERIAN" not in html and "***" not in html
    assert limit_problems(r) == []


def test_facebook() -> None:
    r = rendered(PRESS, Format.FACEBOOK)
    p = parts(PRESS)
    assert r.text.startswith(
        p.title + "\n\nBandung, Senin, 30 November 2026 — Kantor Wilayah"
    )
    assert r.text.endswith(f"\n\n{LINK}\n\n#Pemasyarakatan #KanwilJabar")
    for paragraph in p.paragraphs:
        assert paragraph in r.text
    for absent in (
        "KEMENTERIAN",
        "SIARAN PERS",
        "Narahubung",
        "Budi Hartono\nKepala",
        "***",
    ):
        assert absent not in r.text
    assert limit_problems(r) == []


def test_facebook_cuts_a_huge_body_to_its_limit() -> None:
    huge = "RALAT\n\nJudul\n\n" + "\n\n".join(["Kalimat satu. Kalimat dua."] * 4000)
    r = rendered(huge, Format.FACEBOOK)
    assert limit_problems(r) == [] and r.text.endswith(
        LINK + "\n\n#Pemasyarakatan #KanwilJabar"
    )


@pytest.mark.parametrize(
    "body",
    [
        "\ud800 lone surrogate\n\nJakarta — Isi.",
        "\x00\ufeffJudul\u2028\u2028Jakarta — Isi.\r\n\r\n***\r\n-selesai-",
        "x" * 100_000,
    ],
)
def test_odd_bodies_render_within_limits(body: str) -> None:
    for fmt in Format:
        assert limit_problems(rendered(body, fmt)) == [], fmt


def test_text_is_the_body_unchanged() -> None:
    for body in (PRESS, "", "  odd\r\n\x00 body "):
        assert rendered(body, Format.TEXT).text == body


def test_as_dict() -> None:
    d = rendered(PRESS, Format.WHATSAPP).as_dict()
    assert d["format"] == "whatsapp" and d["template"] == "pernyataan_resmi"
    assert isinstance(d["parameters"], list) and len(d["parameters"]) == 3
    assert set(d) == {
        "format",
        "text",
        "messages",
        "subject",
        "html",
        "title",
        "template",
        "parameters",
    }


@pytest.mark.parametrize(
    "link", ["", "https://a.id/x y", "https://a.id/\nx", "https://a.id/\u202e"]
)
def test_a_link_with_whitespace_or_controls_is_refused(link: str) -> None:
    with pytest.raises(ValueError, match="link"):
        render(PRESS, Format.X, language="id", link=link)


def test_bad_hashtags_language_and_template_are_refused() -> None:
    with pytest.raises(ValueError, match="hashtags"):
        render(PRESS, Format.X, language="id", link=LINK, hashtags=["#dua kata"])
    with pytest.raises(ValueError, match="language"):
        render(PRESS, Format.EMAIL, language='id" onload="x', link=LINK)
    with pytest.raises(ValueError, match="whatsapp_template"):
        render(
            PRESS,
            Format.WHATSAPP,
            language="id",
            link=LINK,
            whatsapp_template="Bad Name",
        )
    bare = render(
        PRESS, Format.FACEBOOK, language="id", link=LINK, hashtags="Pemasyarakatan"
    )
    assert bare.text.endswith("#Pemasyarakatan")


def test_english_tags() -> None:
    body = ENGLISH.replace("PRESS RELEASE", "INITIAL STATEMENT")
    post = rendered(body, Format.X, language="en").text
    assert post.startswith("[STATEMENT] The Directorate General")
    assert rendered(PRESS, Format.X, language="en").text.startswith(
        "[PRESS RELEASE] Kantor"
    )


# --- an edit reaches every channel --------------------------------------------


def test_an_edited_lead_sentence_reaches_every_short_channel() -> None:
    before = "menyampaikan keprihatinan atas peristiwa"
    after = "menyampaikan keprihatinan mendalam atas peristiwa"
    edited = HOLDING.replace(before, after)
    for fmt, pick in (
        (Format.X, lambda r: r.text),
        (Format.WHATSAPP, lambda r: r.parameters[1]),
        (Format.FACEBOOK, lambda r: r.text),
    ):
        assert before in pick(rendered(HOLDING, fmt)), fmt
        assert after in pick(rendered(edited, fmt)) and before not in pick(
            rendered(edited, fmt)
        )


def test_a_removed_sentence_is_gone_from_every_rendering() -> None:
    sentence = "Satu di antaranya telah ditemukan oleh tim gabungan pada pukul 14.10 WIB hari ini."
    assert sentence in PRESS
    edited = PRESS.replace(sentence + " ", "")
    for fmt in Format:
        before, after = rendered(PRESS, fmt), rendered(edited, fmt)
        texts = [after.text, *after.messages, *after.parameters, after.html or ""]
        texts += [telegram_visible(m) for m in after.messages]
        assert not any(sentence in t for t in texts), fmt
        if fmt is not Format.X:  # the post holds the first sentence only
            old = [before.text, *before.parameters, before.html or ""]
            old += [telegram_visible(m) for m in before.messages]
            assert any(sentence in t for t in old), fmt


def test_a_removed_first_sentence_is_gone_from_the_x_post_too() -> None:
    first = parts(HOLDING).lead.split(". ")[0] + "."
    assert first in rendered(HOLDING, Format.X).text
    edited = HOLDING.replace(first + " ", "")
    for fmt in Format:
        r = rendered(edited, fmt)
        texts = [r.text, *r.parameters, r.html or ""]
        texts += [telegram_visible(m) for m in r.messages]
        assert not any(first in t for t in texts), fmt
    post = rendered(edited, Format.X).text
    assert post.startswith("[PERNYATAAN AWAL] Per pukul 06.00 WIB, menurut data")


# --- properties: any string ---------------------------------------------------

FIXED = set("".join(k.tag_id + k.tag_en + k.label_id + k.label_en for k in KINDS))
FIXED |= set(" \n…—:#[]NomorNumber")
FRAGMENTS = [
    *PRESS.split("\n"),
    *HOLDING.split("\n"),
    *ENGLISH.split("\n"),
    "",
    "",
    "Narahubung:",
    "***",
    "-selesai-",
    "PERNYATAAN AWAL",
    "Nomor: 1",
    "Jakarta — ",
]
bodies = st.one_of(
    st.text(max_size=3000),
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=200)), max_size=60
    ).map("\n".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=120).map("\n".join),
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(bodies)
def test_parts_never_raise(body: str) -> None:
    p = parts(body)
    assert "\n" not in p.title and all("\n" not in line for line in p.letterhead)
    for paragraph in (p.lead, *p.paragraphs):
        assert paragraph == paragraph.strip()


@SETTINGS
@given(bodies, st.sampled_from(["id", "en"]))
def test_renderings_never_raise_and_stay_within_limits(
    body: str, language: str
) -> None:
    has_text = bool(parts(body).title)
    # The title may come in its own case (an all-capitals title is shown in title case).
    allowed = set(body) | set(body.lower()) | set(body.upper()) | set(body.title()) | set(LINK) | set("".join(TAGS)) | FIXED
    for fmt in Format:
        r = render(
            body,
            fmt,
            language=language,
            link=LINK,
            hashtags=TAGS,
            institution=INSTITUTION,
        )
        problems = limit_problems(r)
        if has_text:
            assert problems == [], (fmt, problems)
        else:
            assert all(
                re.fullmatch(r"WhatsApp parameter \d is empty", x) for x in problems
            )
        if fmt in (Format.X, Format.WHATSAPP, Format.FACEBOOK):
            assert set(r.text) <= allowed, set(r.text) - allowed
        for message in r.messages:
            telegram_visible(message)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=400))
def test_x_never_cuts_inside_a_word(sentence: str) -> None:
    body = f"SIARAN PERS\n\nJudul\n\n{sentence}"
    head = rendered(body, Format.X).text.split("\n" + LINK)[0]
    said = head.removeprefix("[SIARAN PERS]").strip().removesuffix("…").split()
    lead = parts(body).lead.split() or parts(body).title.split()
    if said and said != lead[: len(said)]:
        # Only the last kept word may have lost trailing punctuation before "…".
        assert said[:-1] == lead[: len(said) - 1]
        assert lead[len(said) - 1].startswith(said[-1])
        assert set(lead[len(said) - 1][len(said[-1]) :]) <= set(" ,;:—–-…")
