"""`pasopati publish retry|resolve` send from the operator's shell: they refuse to when that shell's
channels file is not the one `pasopati serve` publishes with (pasopati.publications.in_use)."""

from __future__ import annotations

from pathlib import Path

from pasopati.publications.in_use import mismatch, record
from pasopati.settings import Settings


def test_a_shell_with_another_channels_file_is_refused_naming_the_served_one(tmp_path: Path) -> None:
    served = tmp_path / "deploy" / "channels.yaml"
    served.parent.mkdir()
    served.write_text("channels:\n  akun-upt: {title: X, adapter: telegram}\n")
    record(Settings(data_dir=tmp_path / "data", channels_file=served))
    default = tmp_path / "channels.yaml"
    default.write_text("channels:\n  akun-upt: {title: X, adapter: outbox}\n")

    why = mismatch(Settings(data_dir=tmp_path / "data", channels_file=default))
    assert why is not None and f"PASOPATI_CHANNELS_FILE={served.resolve()}" in why and str(default) in why
    assert mismatch(Settings(data_dir=tmp_path / "data", channels_file=served)) is None
    served.write_text("channels:\n  akun-upt: {title: X, adapter: webhook}\n")
    assert mismatch(Settings(data_dir=tmp_path / "data", channels_file=served)) is None, "an edit reaches the runs and the CLI alike"


def test_nothing_recorded_leaves_the_shell_its_own_settings(tmp_path: Path) -> None:
    assert mismatch(Settings(data_dir=tmp_path, channels_file=tmp_path / "channels.yaml")) is None
    (tmp_path / "channels-in-use.json").write_text("not json")
    assert mismatch(Settings(data_dir=tmp_path, channels_file=tmp_path / "channels.yaml")) is None
