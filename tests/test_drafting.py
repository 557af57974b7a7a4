"""Drafts are rendered from the supplied facts only; what nobody confirmed says so explicitly."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from pasopati.drafts.rendering import render_message
from pasopati.facts.models import Fact
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import load_catalog
from pasopati.plan.runbook import MessageType, Severity
from pasopati.team.models import Team
from pasopati.texts import environment

DETECTED = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 3, 20, tzinfo=UTC)
NOT_CONFIRMED = {"id": "belum dapat dikonfirmasi", "en": "not yet confirmed"}


def incident(category: str, severity: Severity, tz: str = "Asia/Jakarta") -> Incident:
    return Incident(
        id="00000000-0000-0000-0000-000000000001",
        flow_run_id=None,
        category=category,
        category_title="Keamanan dan Ketertiban",
        severity=severity,
        unit_id="lapas-cipinang",
        unit_name="Lapas Kelas I Cipinang",
        unit_type="lapas",
        kanwil_id="kanwil-dki-jakarta",
        kanwil_name="Kanwil DKI Jakarta",
        province="DKI Jakarta",
        timezone=tz,
        summary="Tiga warga binaan kabur dari blok B",
        detected_at=DETECTED,
        opened_at=DETECTED,
    )


def fact(item_id: str, value: str, *, public: bool = True, source: str = "Polres") -> Fact:
    return Fact(item_id=item_id, label=item_id, value=value, source=source, public=public, verified_by="uji", recorded_at=NOW)


def render(category: str, severity: Severity, facts: list[Fact], message_type: MessageType, language: str = "id", tz: str = "Asia/Jakarta") -> str:
    cat = load_catalog()
    plan = cat.plan(category, severity)
    spec = plan.plan.message(message_type)
    assert spec is not None
    return render_message(
        incident=incident(category, severity, tz),
        plan=plan,
        spokesperson="Kepala Bagian Humas dan Protokol",
        team=Team(incident_id="x", severity=severity, members=[], assembled_at=NOW),
        facts=facts,
        spec=spec,
        language=language,
        templates_dir=cat.templates_dir,
        now=NOW,
    ).body


@pytest.mark.parametrize("category", ["keamanan-ketertiban", "kesehatan", "opini-publik", "tata-kelola-integritas", "bencana-alam"])
@pytest.mark.parametrize("message_type", [t for t in MessageType if t is not MessageType.CORRECTION])
def test_only_supplied_facts_and_explicit_gaps(category: str, message_type: MessageType) -> None:
    plan = load_catalog().plan(category, Severity.BERAT)
    public_items = [i for i in plan.checklist if i.public]
    supplied = {"apa": "Tiga warga binaan kabur", "kapan": "Senin dini hari", "di_mana": "Lapas Kelas I Cipinang"}
    body = render(category, Severity.BERAT, [fact(k, v) for k, v in supplied.items()], message_type)
    for value in supplied.values():
        assert value in body, f"supplied fact {value!r} missing from {message_type.value}"
    unconfirmed = [i for i in (plan.checklist if message_type is MessageType.SITUATION_REPORT else public_items) if i.id not in supplied]
    if message_type is not MessageType.SOCIAL_POST:  # a social post is too short to list every gap
        assert body.count(NOT_CONFIRMED["id"]) >= len(unconfirmed), body
        for item in unconfirmed:
            assert item.label in body, f"unconfirmed item {item.label!r} not shown as such in {message_type.value}"
    # No number in the text that did not come from the facts or the clock (no invented counts).
    allowed = set(re.findall(r"\d+", " ".join(supplied.values()) + " 24 November 2026 10.00 10.20 WIB"))
    invented = set(re.findall(r"\d+", body)) - allowed - {"1", "2"}  # "Kelas I", list numbering
    deadlines = set(re.findall(r"\d+", " ".join(str(x) for x in [plan.plan.press_conference_within_minutes, plan.plan.update_every_minutes] if x)))
    assert not (invented - deadlines - _clock_digits(body)), f"numbers not from facts: {invented} in\n{body}"


def _clock_digits(body: str) -> set[str]:
    """Digits of rendered times (next update, deadline) — produced by the clock, not facts."""
    return {d for stamp in re.findall(r"\d{1,2} \w+ \d{4} pukul \d{2}\.\d{2}", body) for d in re.findall(r"\d+", stamp)}


def test_non_public_facts_stay_internal() -> None:
    plan = load_catalog().plan("kesehatan", Severity.BERAT)
    secret = next(i for i in plan.checklist if not i.public)
    facts = [fact("apa", "Seorang warga binaan meninggal dunia"), fact(secret.id, "RAHASIA-MEDIS-123", public=False)]
    for message_type in (MessageType.HOLDING_STATEMENT, MessageType.PRESS_RELEASE, MessageType.SOCIAL_POST):
        assert "RAHASIA-MEDIS-123" not in render("kesehatan", Severity.BERAT, facts, message_type)
    assert "RAHASIA-MEDIS-123" in render("kesehatan", Severity.BERAT, facts, MessageType.SITUATION_REPORT)


def test_english_where_the_runbook_asks_and_local_time_zone() -> None:
    facts = [fact("apa", "Gempa M6,1 merusak tembok")]
    body_en = render("bencana-alam", Severity.LUAR_BIASA, facts, MessageType.HOLDING_STATEMENT, "en", tz="Asia/Jayapura")
    assert NOT_CONFIRMED["en"] in body_en
    body_id = render("bencana-alam", Severity.LUAR_BIASA, facts, MessageType.HOLDING_STATEMENT, "id", tz="Asia/Jayapura")
    assert "24 November 2026 pukul 12.00 WIT" in body_id  # detection 03:00 UTC in Nabire's zone


def test_strict_undefined(tmp_path: Path) -> None:
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "x.j2").write_text("{{ incident.tidak_ada }}")
    with pytest.raises(UndefinedError):
        environment(tmp_path).get_template("id/x.j2").render(incident={})
