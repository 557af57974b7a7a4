"""The stream CLI's helpers: JSON lines of alerts in, JSON lines of classifications out, a bad line reported
and skipped."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from pydantic import ValidationError

from pasopati.alerts.classify.classifier import classify
from pasopati.alerts.classify.schema import Rules
from pasopati.alerts.entities import UnitDirectory
from pasopati.alerts.models import Alert
from pasopati.plan.roster import Roster

STREAM_FIELDS = {"relevant", "category", "severity", "unit", "kanwil", "action", "score", "reasons"}


def classify_stream(lines: Iterable[str], out: TextIO, rules: Rules, roster: Roster, directory: UnitDirectory | None = None) -> int:
    """Classify JSON lines (Alert fields, ``text`` required) into JSON lines; returns the number of
    invalid lines. An invalid line yields ``{"error": …, "line": n}`` and processing continues;
    blank lines are skipped. ``directory``: as ``classify`` (the CLI passes the gazetteer, as intake)."""
    errors = 0
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            alert = _parse_alert(line)
        except ValueError as exc:
            errors += 1
            out.write(json.dumps({"error": str(exc), "line": n}, ensure_ascii=False) + "\n")
            continue
        result = classify(alert, rules, roster, directory=directory)
        record = {"line": n, **result.model_dump(include=STREAM_FIELDS)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return errors


def _parse_alert(line: str) -> Alert:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object with a 'text' field, got {type(data).__name__}")
    try:
        return Alert.model_validate(data)
    except ValidationError as exc:
        problems = (f"{'.'.join(map(str, e['loc'])) or '(object)'}: {e['msg']}" for e in exc.errors())
        raise ValueError("; ".join(problems)) from None
