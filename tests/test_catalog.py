"""Runbooks as data: the shipped ones are valid, and a broken one is reported by file, field and reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pasopati.plan.catalog import CatalogError, load_catalog
from pasopati.plan.runbook import MessageType, Severity
from pasopati.settings import PROJECT_ROOT, Settings
from tests.driver import pasopati, pasopati_fails

CATEGORIES = ["bencana-alam", "keamanan-ketertiban", "kesehatan", "opini-publik", "tata-kelola-integritas"]


@pytest.fixture
def runbooks_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "runbooks"
    shutil.copytree(PROJECT_ROOT / "runbooks", folder)
    return folder


def settings_for(folder: Path) -> Settings:
    return Settings(runbooks_dir=folder, channels_file=folder / "channels.yaml")


def edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_shipped_runbooks_cover_every_category_and_severity() -> None:
    cat = load_catalog()
    assert cat.categories == CATEGORIES
    for category in CATEGORIES:
        for severity in Severity:
            plan = cat.plan(category, severity)
            assert plan.plan.messages[0].type is MessageType.HOLDING_STATEMENT
            assert {"apa", "di_mana", "kapan"} <= {i.id for i in plan.checklist}
            # Every team role resolves to a person at every sample unit.
            for unit in cat.roster.units:
                for slot in plan.plan.team:
                    assert cat.roster.holders(slot, unit), f"{category}/{severity.value}: {slot.role} at {unit.id}"


def test_deadlines_tighten_with_severity() -> None:
    cat = load_catalog()
    for category in CATEGORIES:
        holding = [cat.plan(category, s).plan.messages[0].deadline_minutes for s in Severity]
        assert holding == sorted(holding, reverse=True), f"{category}: {holding}"
        assert cat.plan(category, Severity.LUAR_BIASA).plan.approval.approvers_required == 2


def test_wrong_type_is_reported_with_file_field_and_reason(runbooks_copy: Path) -> None:
    edit(runbooks_copy / "kesehatan.yaml", lambda d: d["severities"]["berat"]["messages"][0].update(deadline_minutes="soon"))
    with pytest.raises(CatalogError) as raised:
        load_catalog(settings_for(runbooks_copy))
    assert "kesehatan.yaml: severities.berat.messages.0.deadline_minutes: Input should be a valid integer" in str(raised.value)


def test_unknown_role_channel_and_missing_severity_all_reported(runbooks_copy: Path) -> None:
    def break_it(d: dict) -> None:  # type: ignore[type-arg]
        d["severities"]["sedang"]["team"][0]["role"] = "juru-bicara-fiktif"
        d["severities"]["ringan"]["messages"][0]["channels"] = ["kanal-tak-ada"]
        d["ralat_retracts"] = ["situs-ditjenpas", "kanal-hapus"]

    edit(runbooks_copy / "bencana-alam.yaml", break_it)
    edit(runbooks_copy / "opini-publik.yaml", lambda d: d["severities"].pop("luar-biasa"))
    with pytest.raises(CatalogError) as raised:
        load_catalog(settings_for(runbooks_copy))
    message = str(raised.value)
    assert "bencana-alam.yaml: severities.sedang.team[0].role: unknown role 'juru-bicara-fiktif'" in message
    assert "bencana-alam.yaml: severities.ringan.messages[0].channels: unknown channel 'kanal-tak-ada'" in message
    assert "bencana-alam.yaml: ralat_retracts[1]: unknown channel 'kanal-hapus'" in message
    assert "opini-publik.yaml: severities: Value error, missing severities: ['luar-biasa']" in message


def test_invalid_yaml_names_the_line(runbooks_copy: Path) -> None:
    (runbooks_copy / "kesehatan.yaml").write_text("category: kesehatan\nseverities: [unclosed\n")
    with pytest.raises(CatalogError) as raised:
        load_catalog(settings_for(runbooks_copy))
    assert "kesehatan.yaml: line 3, column 1: not valid YAML" in str(raised.value)


def test_holding_statement_must_come_first(runbooks_copy: Path) -> None:
    edit(runbooks_copy / "kesehatan.yaml", lambda d: d["severities"]["ringan"]["messages"].reverse())
    with pytest.raises(CatalogError, match=r"kesehatan.yaml: severities.ringan.messages: Value error, the first message must be the holding_statement"):
        load_catalog(settings_for(runbooks_copy))


def test_cli_check_passes_and_fails(runbooks_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "ok: 5 categories × 4 severities = 20 runbooks" in pasopati("runbooks", "check")
    edit(runbooks_copy / "kesehatan.yaml", lambda d: d["severities"]["berat"].pop("approval"))
    monkeypatch.setenv("PASOPATI_RUNBOOKS_DIR", str(runbooks_copy))
    monkeypatch.setenv("PASOPATI_CHANNELS_FILE", str(runbooks_copy / "channels.yaml"))
    from pasopati.settings import get_settings

    get_settings.cache_clear()
    try:
        output = pasopati_fails("runbooks", "check")
    finally:
        get_settings.cache_clear()
    assert "kesehatan.yaml: severities.berat.approval: Field required" in output


def test_server_refuses_to_start_on_an_invalid_runbook(runbooks_copy: Path, tmp_path: Path) -> None:
    """`pasopati up` exits with the problem before starting any server (nothing listens on its port)."""
    edit(runbooks_copy / "kesehatan.yaml", lambda d: d.update(category="kesehatan-typo"))
    env = {
        **os.environ,
        "PASOPATI_RUNBOOKS_DIR": str(runbooks_copy),
        "PASOPATI_DATA_DIR": str(tmp_path / "data"),
        "PASOPATI_PORT": "4299",
    }
    env.pop("PASOPATI_CHANNELS_FILE", None)
    result = subprocess.run(
        [sys.executable, "-m", "pasopati.cli", "up"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "kesehatan.yaml: category: 'kesehatan-typo' does not match the file name" in result.stderr
    assert not (tmp_path / "data").exists(), "nothing may be started or created for an invalid runbook"
