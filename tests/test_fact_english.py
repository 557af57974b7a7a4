"""English that is English (issue 10, item 7): a free-text fact reaches an English text only in the
words its verifier gave in English for that same version, with the same figures."""

from __future__ import annotations

import pytest

from pasopati.db import Database
from pasopati.drafts.context import message_context
from pasopati.facts import service as facts
from pasopati.facts.service import UntrueTranslation
from pasopati.forms import verification_form
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import Severity
from pasopati.time import utcnow
from tests.test_store import opened

SOURCE = "Kepala Lapas Sukamiskin"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_english_goes_with_its_version_and_a_new_value_drops_it(db: Database, cat: Catalog) -> None:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.SEDANG)
    plan = cat.plan(incident.category, incident.severity)
    facts.submit(db, incident, plan, {"apa": "Dua warga binaan melarikan diri"}, source=SOURCE, by="Petugas Uji", change="v1", via="uji")
    # English alone: a new version of the same value, with its source kept.
    facts.submit(db, incident, plan, {}, values_en={"apa": "Two inmates escaped"}, source="", by="Petugas Uji", change="v2", via="uji")
    # The same English again changes nothing (a prefilled form submitted unchanged).
    facts.submit(db, incident, plan, {"apa": "Dua warga binaan melarikan diri"}, values_en={"apa": "Two inmates escaped"}, source=SOURCE,
                 by="Petugas Uji", change="v3", via="uji")
    # A new value without English: the old English translated another value and is dropped.
    facts.submit(db, incident, plan, {"apa": "Tiga warga binaan melarikan diri"}, source=SOURCE, by="Petugas Uji", change="v4", via="uji")
    history = [(f.version, f.value, f.value_en, f.source, f.change) for f in facts.history(db, incident.id) if f.item_id == "apa"]
    assert history == [
        (1, "Dua warga binaan melarikan diri", None, SOURCE, "v1"),
        (2, "Dua warga binaan melarikan diri", "Two inmates escaped", SOURCE, "v2"),
        (3, "Tiga warga binaan melarikan diri", None, SOURCE, "v4"),
    ]


@pytest.mark.parametrize(
    ("value", "english", "why"),
    [
        ("Dua warga binaan melarikan diri", "Three inmates escaped", "figures"),
        ("Sebanyak 12 warga binaan dievakuasi", "Twenty inmates were evacuated", "figures"),
        ("", "Two inmates escaped", "no Indonesian value"),
    ],
)
def test_an_english_value_with_other_figures_or_nothing_to_translate_is_refused(
    db: Database, cat: Catalog, value: str, english: str, why: str,
) -> None:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.SEDANG)
    plan = cat.plan(incident.category, incident.severity)
    with pytest.raises(UntrueTranslation, match=why):
        facts.submit(db, incident, plan, {"apa": value} if value else {}, values_en={"apa": english}, source=SOURCE, by="Petugas Uji",
                     change="v", via="uji")
    assert facts.history(db, incident.id) == [], "nothing of a refused submission is written"


def test_english_texts_state_the_english_words_with_the_zone_offset(db: Database, cat: Catalog) -> None:
    incident = opened(db, cat, "bencana-alam", Severity.LUAR_BIASA)
    plan = cat.plan(incident.category, incident.severity)
    current = facts.submit(
        db, incident, plan, {"apa": "Gempa merusak dinding blok hunian", "kapan": "pada pukul 05.00 WIB"},
        values_en={"apa": "An earthquake damaged the wall of a housing block", "kapan": "at 05:00 WIB"},
        source="Kepala Lapas", by="Petugas Uji", change="v", via="uji",
    )
    context = message_context(incident=incident, plan=plan, facts=current, cat=cat, language="en", now=utcnow(), public=True)
    assert context["lead"]["sentence"] == "An earthquake damaged the wall of a housing block"
    assert context["when"]["sentence"] == "The incident occurred at 05:00 WIB (UTC+7)"
    assert context["untranslated"] == []
    indonesian = message_context(incident=incident, plan=plan, facts=current, cat=cat, language="id", now=utcnow(), public=True)
    assert indonesian["lead"]["sentence"] == "Gempa merusak dinding blok hunian"


def test_the_verification_form_asks_english_for_public_free_text_items_only(cat: Catalog) -> None:
    plan = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    form = verification_form(plan)
    english = {name for name in form.model_fields if name.endswith("__en")}
    assert "apa__en" in english and "kapan__en" in english
    assert not any(plan.item(name.removesuffix("__en")).kind == "count" for name in english)  # type: ignore[union-attr]
    assert all(plan.item(name.removesuffix("__en")).public for name in english)  # type: ignore[union-attr]
    given = form(apa="Dua warga binaan kabur", apa__en="Two inmates escaped", verified_by="X", putaran="r")
    assert given.answers() == {"apa": "Dua warga binaan kabur"}
    assert given.english() == {"apa": "Two inmates escaped"}
