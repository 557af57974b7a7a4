"""The intake HTTP service: ``POST /alerts`` and friends (FastAPI; OpenAPI docs at /docs)."""


from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from pasopati.alerts import service as alerts
from pasopati.alerts.models import Alert, AlertRecord
from pasopati.approvals.web import router as approval_router
from pasopati.db import SchemaOutdated, StoreUnavailable
from pasopati.db.schema import health as store_health
from pasopati.intake.auth import Credentials, NotAuthenticated
from pasopati.intake.formats import MeltwaterBatch, TooManyItems, Unreadable, read_body
from pasopati.intake.pipeline import Intake, Outcome
from pasopati.starts.prefect import Retrier


class Received(BaseModel):
    accepted: int
    rejected: int
    outcomes: list[Outcome]
    errors: list[dict[str, str]] = []


BODY_SCHEMA = {
    "description": "One alert, a list of alerts, or a social-listening hook batch {'documents': [...]}.",
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Alert"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
                    {"$ref": "#/components/schemas/MeltwaterBatch"},
                ]
            }
        }
    },
    "required": True,
}


def create_app(intake: Intake, creds: Credentials) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Run starts Prefect did not take (down, 503 under a burst) are retried here until they start.
        retrier = Retrier(intake.db, intake.runs, intake.settings.start_retry_seconds)
        retrier.start()
        yield
        await _in_thread(retrier.stop)

    app = FastAPI(
        lifespan=lifespan,
        title="PASOPATI alert intake",
        description="Monitoring alerts (news, social listening, manual reports) start crisis runbooks. "
        "Authenticate with `X-Pasopati-Source` plus `Authorization: Bearer <token>`, or sign: "
        "`X-Pasopati-Timestamp: <unix seconds>`, `X-Pasopati-Nonce: <8–128 of A-Za-z0-9_->` and "
        "`X-Pasopati-Signature: sha256=<HMAC-SHA256 of '<timestamp>.<nonce>.' + body>`; "
        f"refused outside ±{creds.window_seconds:.0f} s or with a nonce used before.",
    )

    creds.nonces.open()  # the replay record starts (or is read) now, not at the first signed request

    async def source_of(
        request: Request,
        x_pasopati_source: Annotated[str, Header()] = "manual",
        authorization: Annotated[str | None, Header()] = None,
        x_pasopati_signature: Annotated[str | None, Header()] = None,
        x_pasopati_timestamp: Annotated[str | None, Header()] = None,
        x_pasopati_nonce: Annotated[str | None, Header()] = None,
    ) -> str:
        body = await capped_body(request, intake.settings.intake_max_body_bytes)
        check = partial(creds.check, x_pasopati_source, body, authorization=authorization,
                        signature=x_pasopati_signature, timestamp=x_pasopati_timestamp, nonce=x_pasopati_nonce)
        try:
            # A signed request's nonce is fsync'd to the record before it is answered: in a thread.
            await _in_thread(check) if x_pasopati_signature else check()
        except NotAuthenticated as exc:
            raise HTTPException(
                401, f"not authenticated as source {x_pasopati_source!r}: {exc}; nothing was stored or started"
            ) from None
        except OSError as exc:  # the nonce record cannot be written: refuse rather than forget it
            raise HTTPException(503, f"cannot record the request's nonce ({exc}); nothing was stored", {"Retry-After": "30"}) from None
        return x_pasopati_source

    Source = Annotated[str, Depends(source_of)]

    @app.exception_handler(StoreUnavailable)
    @app.exception_handler(SchemaOutdated)
    async def store_unusable(request: Request, exc: Exception) -> JSONResponse:
        # The sender should retry later; nothing it sent was recorded as handled.
        return JSONResponse({"detail": f"store unavailable: {exc}"}, status_code=503, headers={"Retry-After": "30"})

    @app.get("/health", responses={503: {"description": "The store is missing, corrupt, unwritable or outdated."}})
    def health() -> JSONResponse:
        """200 only when the store is there, current and takes a write (a write probe each call)."""
        problems = store_health(intake.db)
        body = {"ok": not problems, "store": intake.db.describe(), "problems": problems}
        return JSONResponse(body, status_code=200 if not problems else 503)

    @app.post("/alerts", response_model=Received, openapi_extra={"requestBody": BODY_SCHEMA}, status_code=202,
              responses={413: {"description": "Body larger than PASOPATI_INTAKE_MAX_BODY_BYTES, or more items than"
                                                  " PASOPATI_INTAKE_MAX_BATCH_ITEMS: split the batch."}})
    async def post_alerts(request: Request, source: Source) -> Any:
        body = await request.body()  # already read (and capped) by the authentication
        try:
            items = read_body(body, source, intake.settings.intake_max_batch_items)
        except TooManyItems as exc:
            raise HTTPException(413, str(exc)) from None
        except Unreadable as exc:
            alert_id = intake.reject(body.decode("utf-8", "replace"), source, str(exc))
            return JSONResponse({"detail": str(exc), "alert_id": alert_id}, status_code=422)
        errors, alerts, raws = [], [], []
        for raw, item in items:
            if isinstance(item, Alert):
                alerts.append(item)
                raws.append(raw)
            else:
                errors.append({"alert_id": intake.reject(raw, source, item), "detail": item})
        outcomes = await _in_thread(intake.receive, alerts, source, raws)
        result = Received(accepted=len(outcomes), rejected=len(errors), outcomes=outcomes, errors=errors)
        status = 422 if not outcomes else (200 if errors else 202)
        return JSONResponse(result.model_dump(mode="json"), status_code=status)

    @app.get("/alerts/{alert_id}", response_model=AlertRecord)
    def get_alert(alert_id: str, source: Source) -> AlertRecord:
        record = alerts.get(intake.db, alert_id)
        if record is None:
            raise HTTPException(404, f"no alert {alert_id}")
        return record

    @app.post("/alerts/{alert_id}/replay", response_model=Outcome)
    async def replay(alert_id: str, request: Request, source: Source) -> Any:
        """Process a stored alert again (after a fix to the rules, the roster or the sender's format),
        optionally with a corrected body. The replay is a new alert record, attributed to the
        caller's source and linked to the original (``replay_of``); the original is never rewritten."""
        record = alerts.get(intake.db, alert_id)
        if record is None:
            raise HTTPException(404, f"no alert {alert_id}")
        body = await request.body() or record.raw.encode()
        try:
            items = read_body(body, source)
        except Unreadable as exc:
            raise HTTPException(422, str(exc)) from exc
        if len(items) != 1 or not isinstance(items[0][1], Alert):
            raise HTTPException(422, items[0][1] if len(items) == 1 else "replay takes exactly one alert")
        raw, alert = items[0]
        return await _in_thread(intake.replay, record, alert, raw, source)

    # The approval page (/setuju/{token}): its credential is the link token, not the sources' auth.
    app.include_router(approval_router(intake.db, lambda: intake.catalog))

    app.openapi_schema = None
    _add_component_schemas(app)
    return app


async def capped_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past ``limit`` bytes before more is read (a declared length is
    refused at once): one oversized post must not hold the intake or its memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes is larger than {limit}: split the batch; nothing was stored")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body larger than {limit} bytes: split the batch; nothing was stored")
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body
    return body


async def _in_thread(fn: Any, *args: Any) -> Any:
    """Intake talks to the store and Prefect synchronously; keep the event loop free meanwhile."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _add_component_schemas(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (Alert, MeltwaterBatch):
            components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
