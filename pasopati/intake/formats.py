"""The body shapes POST /alerts accepts, all read into ``Alert``s."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from pasopati.alerts.models import Alert


class MeltwaterDocument(BaseModel):
    """One document of a social-listening hook batch (Meltwater-style field names)."""

    model_config = ConfigDict(extra="ignore")

    url: str | None = None
    title: str | None = None
    text: str = Field(validation_alias=AliasChoices("content", "opening_text", "body", "text"), min_length=1)
    published_date: datetime | None = None
    sentiment: str | None = None
    reach: int | None = Field(None, ge=0)
    engagement: int | None = Field(None, ge=0)
    author: str | None = None
    source_name: str | None = None
    platform: str | None = Field(None, validation_alias=AliasChoices("source_type", "platform"))

    def to_alert(self, source: str) -> Alert:
        sentiment = (self.sentiment or "").lower() or None
        return Alert(
            source=source,
            platform=self.platform,
            url=self.url,  # type: ignore[arg-type]
            title=self.title,
            text=self.text,
            published_at=self.published_date,
            author=self.author or self.source_name,
            reach=self.reach,
            engagement=self.engagement,
            sentiment=sentiment if sentiment in {"positive", "neutral", "negative"} else None,
        )


class MeltwaterBatch(BaseModel):
    documents: list[dict[str, Any]] = Field(min_length=1)


class Unreadable(ValueError):
    """The body is not one of the accepted shapes; the message names what is wrong."""


def describe(exc: ValidationError, prefix: str) -> str:
    return "; ".join(f"{prefix}{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}" for e in exc.errors())


def read_body(body: bytes, source: str) -> list[tuple[str, Alert | str]]:
    """Split a body into items: (raw item, Alert) or (raw item, reason it was rejected)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: also integers past Python's 4300 digits
        raise Unreadable(f"body is not JSON: {str(exc)[:300]}") from exc
    except RecursionError as exc:
        raise Unreadable("body is nested too deeply to be an alert") from exc
    try:
        return _items(data, source)
    except RecursionError as exc:
        raise Unreadable("an alert is nested too deeply") from exc


def _items(data: Any, source: str) -> list[tuple[str, Alert | str]]:
    if isinstance(data, dict) and "documents" in data:
        try:
            batch = MeltwaterBatch.model_validate(data)
        except ValidationError as exc:
            raise Unreadable(describe(exc, "")) from exc
        return [_item(doc, f"documents[{i}].", lambda d: MeltwaterDocument.model_validate(d).to_alert(source)) for i, doc in enumerate(batch.documents)]
    if isinstance(data, list):
        if not data:
            raise Unreadable("empty list: send at least one alert")
        return [_item(item, f"[{i}].", lambda d: _alert(d, source)) for i, item in enumerate(data)]
    if isinstance(data, dict):
        return [_item(data, "", lambda d: _alert(d, source))]
    raise Unreadable(f"expected an alert object, a list of alerts or {{'documents': [...]}}, got {type(data).__name__}")


def _alert(data: Any, source: str) -> Alert:
    if isinstance(data, dict):
        data = {**data, "source": source}  # the authenticated source, not what the body claims
    return Alert.model_validate(data)


def _item(data: Any, prefix: str, parse: Any) -> tuple[str, Alert | str]:
    raw = json.dumps(data, ensure_ascii=False)
    try:
        return raw, parse(data)
    except ValidationError as exc:
        return raw, describe(exc, prefix)
