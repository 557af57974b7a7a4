"""The body shapes POST /alerts accepts, all read into ``Alert``s."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from pasopati.alerts.models import Alert

# Fields an alert can do without: one that cannot be read is dropped with a warning (the raw item is
# stored whole), never a reason to lose the alert (issue 12: reach "1.5M" rejected whole documents).
OPTIONAL_FIELDS = frozenset({"url", "title", "published_at", "author", "reach", "engagement", "sentiment", "unit", "platform"})


def lenient_alert(data: dict[str, Any]) -> Alert:
    """``data`` as an Alert; an optional field that does not validate is left out and named in
    ``Alert.warnings``. Raises ValidationError when what is missing is essential (the text)."""
    try:
        return Alert.model_validate(data)
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"] and str(e["loc"][0]) in OPTIONAL_FIELDS}
        if not bad:
            raise
        warnings = [f"{e['loc'][0]}: {e['msg']} ({str(e.get('input'))[:60]!r}): left out, kept in the raw alert"
                    for e in exc.errors() if e["loc"] and str(e["loc"][0]) in bad]
    alert = Alert.model_validate({k: v for k, v in data.items() if k not in bad})
    return alert.model_copy(update={"warnings": warnings})


def _first_text(*values: object) -> str | None:
    return next((v for v in values if isinstance(v, str) and v.strip()), None)


def _part(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def document_alert(doc: dict[str, Any], source: str) -> Alert:
    """One social-listening document as an Alert, in the shapes vendors document: flat
    (``url, title, content|opening_text|body|text, published_date, sentiment, reach, engagement,
    author, source_name, source_type``) or nested (``content {title, opening_text, body}``,
    ``source {name, type}``, ``metrics {reach, engagement}``, ``enrichments {sentiment}``)."""
    content, origin, metrics, enrichments = (_part(doc, n) for n in ("content", "source", "metrics", "enrichments"))
    sentiment = _first_text(enrichments.get("sentiment"), doc.get("sentiment"))
    sentiment = sentiment.lower() if sentiment else None
    fields: dict[str, Any] = {
        "source": source,
        "platform": _first_text(origin.get("type"), doc.get("source_type"), doc.get("platform")),
        "url": _first_text(doc.get("url"), content.get("url")),
        "title": _first_text(content.get("title"), doc.get("title")),
        "text": _first_text(content.get("opening_text"), content.get("body"), content.get("text"), doc.get("content"),
                            doc.get("opening_text"), doc.get("body"), doc.get("text")),
        "published_at": doc.get("published_date") or doc.get("published_at") or content.get("published_date"),
        "author": _first_text(doc.get("author"), origin.get("name"), doc.get("source_name")),
        "reach": metrics.get("reach", doc.get("reach")),
        "engagement": metrics.get("engagement", doc.get("engagement")),
        "sentiment": sentiment if sentiment in {"positive", "neutral", "negative"} else None,
    }
    return lenient_alert({k: v for k, v in fields.items() if v is not None})


class MeltwaterBatch(BaseModel):
    documents: list[dict[str, Any]] = Field(min_length=1)


class Unreadable(ValueError):
    """The body is not one of the accepted shapes; the message names what is wrong."""


class TooManyItems(ValueError):
    """More items in one body than the intake takes (PASOPATI_INTAKE_MAX_BATCH_ITEMS): nothing stored."""


def describe(exc: ValidationError, prefix: str) -> str:
    return "; ".join(f"{prefix}{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}" for e in exc.errors())


INT_DIGITS = 4300  # sys.get_int_max_str_digits(): longer digit strings are refused by int()


def read_body(body: bytes, source: str, max_items: int | None = None) -> list[tuple[str, Alert | str]]:
    """Split a body into items: (raw item, Alert) or (raw item, reason it was rejected). Raises
    Unreadable (not JSON, not a shape) or TooManyItems (more than ``max_items``)."""
    try:
        # An integer past Python's 4 300-digit limit stays its digits (a string): only its field is
        # unreadable, left out with a warning; the rest of the batch is read (issue 12).
        data = json.loads(body, parse_int=_integer)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Unreadable(f"body is not JSON: {str(exc)[:300]}") from exc
    except RecursionError as exc:
        raise Unreadable("body is nested too deeply to be an alert") from exc
    batch = data if isinstance(data, list) else data.get("documents") if isinstance(data, dict) else None
    count = len(batch) if isinstance(batch, list) else 1
    if max_items is not None and count > max_items:
        raise TooManyItems(f"{count} items in one body: at most {max_items}; split the batch; nothing was stored")
    try:
        return _items(data, source)
    except RecursionError as exc:
        raise Unreadable("an alert is nested too deeply") from exc


def _integer(digits: str) -> int | str:
    return int(digits) if len(digits.lstrip("-")) <= INT_DIGITS else digits


def _items(data: Any, source: str) -> list[tuple[str, Alert | str]]:
    if isinstance(data, dict) and "documents" in data:
        try:
            batch = MeltwaterBatch.model_validate(data)
        except ValidationError as exc:
            raise Unreadable(describe(exc, "")) from exc
        return [_item(doc, f"documents[{i}].", lambda d: _document(d, source)) for i, doc in enumerate(batch.documents)]
    if isinstance(data, list):
        if not data:
            raise Unreadable("empty list: send at least one alert")
        return [_item(item, f"[{i}].", lambda d: _alert(d, source)) for i, item in enumerate(data)]
    if isinstance(data, dict):
        return [_item(data, "", lambda d: _alert(d, source))]
    raise Unreadable(f"expected an alert object, a list of alerts or {{'documents': [...]}}, got {type(data).__name__}")


def _alert(data: Any, source: str) -> Alert:
    if isinstance(data, dict):
        return lenient_alert({**data, "source": source})  # the authenticated source, not what the body claims
    return Alert.model_validate(data)


def _document(data: Any, source: str) -> Alert:
    if not isinstance(data, dict):
        return Alert.model_validate(data)  # raises, naming the item
    return document_alert(data, source)


def _item(data: Any, prefix: str, parse: Any) -> tuple[str, Alert | str]:
    raw = json.dumps(data, ensure_ascii=False)
    try:
        return raw, parse(data)
    except ValidationError as exc:
        return raw, describe(exc, prefix)
