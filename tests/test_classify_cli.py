"""`pasopati classify`: JSON lines in, one JSON line per alert out, bad lines named and skipped."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pasopati.cli import app


def test_classify_reads_stdin_and_writes_json_lines() -> None:
    lines = [
        json.dumps({"text": "Dua napi kabur dari Rutan Salemba, polisi masih memburu"}),
        "{not json",
        json.dumps({"text": "Harga cabai naik di pasar induk"}),
        json.dumps({"text": "Empat warga binaan kabur dari Lapas Narkotika Kelas IIA Samarinda"}),
    ]
    result = CliRunner().invoke(app, ["classify"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == 4
    assert out[0]["category"] == "keamanan-ketertiban" and out[0]["unit"] == "rutan-salemba"
    assert out[0]["kanwil"] == "kanwil-dki-jakarta"
    assert out[0]["action"] == "start" and out[0]["severity"] and out[0]["reasons"]
    assert out[1]["line"] == 2 and "error" in out[1]
    assert out[2]["action"] == "ignore"
    # Units outside the sample roster, as intake finds them (the gazetteer): unit and Kanwil.
    assert (out[3]["unit"], out[3]["kanwil"]) == ("lapas-narkotika-samarinda", "kanwil-kalimantan-timur")
