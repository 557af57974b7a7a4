"""``/setuju/{token}``: the approval page as a FastAPI router (mounted on the intake app).

- ``GET``: the page (``page.read``); writes nothing. 200, or 404/409/410 with a page saying why.
- ``POST``: the decision (``page.decide``); answers with a result page: 200 accepted; 403/409
  refused (recorded) and why; 422 the form again with what to fix (nothing recorded); 404/410/413/429.

The link token is the credential and the CSRF secret at once: it is in the URL the form posts to,
unguessable (256 bits), and sent only to the approver's own contact. Every response is plain HTML
(Jinja2, autoescaped: a draft is shown as text, never as markup) with ``Referrer-Policy:
no-referrer`` (the token never leaves in a Referer), ``Cache-Control: no-store`` and a CSP that
allows no script, no external asset, no framing and forms posting only to this origin.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool

from pasopati.approvals import page
from pasopati.approvals.form import MAX_FORM_BYTES, PageForm, TooLarge, parse
from pasopati.approvals.limits import LinkBudget
from pasopati.approvals.models import Invalid, Outcome, PageView, Stop
from pasopati.db import Database
from pasopati.identity.prover import Prover
from pasopati.plan.catalog import Catalog
from pasopati.texts import local_time, short_time

STYLE = "page/gaya.css"


@lru_cache
def environment(templates_dir: Path) -> Environment:
    """HTML templates: autoescaped (unlike the message templates, which are plain text)."""
    env = Environment(loader=FileSystemLoader(str(templates_dir)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["local_time"] = local_time
    env.filters["short_time"] = short_time
    return env


@lru_cache
def style(templates_dir: Path) -> tuple[str, str]:
    """The page's stylesheet, inlined, and its CSP source ('sha256-…'): no request leaves the page."""
    css = (templates_dir / STYLE).read_text(encoding="utf-8")
    return css, f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'"


def headers(style_source: str) -> dict[str, str]:
    return {
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {style_source}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        ),
    }


def render(templates_dir: Path, template: str, status: int, **context: Any) -> HTMLResponse:
    css, source = style(templates_dir)
    html = environment(templates_dir).get_template(f"page/{template}").render(css=css, **context)
    return HTMLResponse(html, status_code=status, headers=headers(source))


def router(
    db: Database, cat: Callable[[], Catalog], *, prover: Callable[[], Prover] | None = None, wake: page.Waker = page.ring_run,
    budget: LinkBudget | None = None,
) -> APIRouter:
    """The page's routes. ``cat``: the catalog (called per request: roster and templates as loaded);
    ``prover``: one per process by default (the credential key is read on the first decision);
    ``wake``: how a run is woken after a decision (``page.ring_run``)."""
    routes = APIRouter(include_in_schema=False)
    limits = budget or LinkBudget()
    provers: list[Prover] = []

    def the_prover() -> Prover:
        if not provers:
            provers.append(prover() if prover else Prover())
        return provers[0]

    def show(found: PageView | Stop | Outcome | Invalid, form: PageForm | None = None) -> HTMLResponse:
        templates = cat().templates_dir
        if isinstance(found, Stop):
            return render(templates, "stop.html.j2", found.status, stop=found)
        if isinstance(found, Outcome):
            return render(templates, "result.html.j2", found.status, outcome=found)
        if isinstance(found, Invalid):
            return render(templates, "approval.html.j2", 422, view=found.view, form=form, errors=found.errors)
        return render(templates, "approval.html.j2", 200, view=found, form=None, errors=[])

    @routes.get("/setuju/{token}", response_class=HTMLResponse)
    def approval_page(token: str) -> HTMLResponse:
        return show(page.read(db, token, cat()))

    @routes.post("/setuju/{token}", response_class=HTMLResponse)
    async def approval_decision(token: str, request: Request) -> HTMLResponse:
        try:
            form = parse(await _capped(request))
        except TooLarge:
            return show(Stop(kind="too_large", status=413))
        decided = await run_in_threadpool(
            lambda: page.decide(db, token, form, cat=cat(), prover=the_prover(), wake=wake, budget=limits)
        )
        return show(decided, form)

    return routes


async def _capped(request: Request) -> bytes:
    """The body, refused (TooLarge) past MAX_FORM_BYTES before more is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise TooLarge(declared)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise TooLarge(str(size))
        chunks.append(chunk)
    return b"".join(chunks)
