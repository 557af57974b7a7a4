"""What every command shares: the Typer app, one-line errors, ITEM=VALUE options."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import NoReturn

import typer

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="PASOPATI: crisis-communication runbooks for Ditjenpas — operators, approvers and auditors.",
)


started_at: datetime | None = None  # set by pasopati.cli.main: when this process started
_invoked_at: datetime | None = None


@app.callback()
def _present_server_credential() -> None:
    # Before any command: this process (and the processes it starts) present the Prefect server's
    # credential from the data directory unless PREFECT_API_AUTH_STRING is set (pasopati.server_auth).
    from pasopati.server_auth import use_credential

    global _invoked_at
    _invoked_at = datetime.now(UTC)
    use_credential()


def received_at() -> datetime:
    """When the command's one-time code was received: the process's start for `pasopati` on a shell,
    else (an in-process invocation) this command's start (pasopati.identity.prover.Prover.received_at)."""
    return started_at or _invoked_at or datetime.now(UTC)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def clear_errors() -> Iterator[None]:
    """Expected failures become one ``error:`` line and exit code 2, not a traceback."""
    import httpx

    from pasopati.alerts.classify import RulesError
    from pasopati.db import SchemaOutdated, StoreUnavailable
    from pasopati.facts.service import UnknownChecklistItem
    from pasopati.incidents.service import (
        IncidentConflict,
        IncidentNotFound,
        UnknownUnit,
    )
    from pasopati.launcher import AlreadyRunning
    from pasopati.plan.catalog import CatalogError
    from pasopati.runs import RunLookupError
    from pasopati.server_auth import CredentialError
    from pasopati.team.service import NotOnTeam
    from pasopati.texts import TextRefused

    try:
        yield
    except (CatalogError, RulesError, RunLookupError, SchemaOutdated, StoreUnavailable, UnknownChecklistItem,
            UnknownUnit, IncidentConflict, IncidentNotFound, NotOnTeam, AlreadyRunning, CredentialError, KeyError,
            TextRefused) as exc:
        fail(str(exc).strip('"'))
    except httpx.HTTPError as exc:  # the Prefect client's transport
        import os

        if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code == 401:
            fail(f"the Prefect server at {os.environ.get('PREFECT_API_URL', '?')} refuses the credential (401): it is"
                 " PREFECT_API_AUTH_STRING, else the `login` in prefect-auth.json in the data directory")
        fail(f"the Prefect server at {os.environ.get('PREFECT_API_URL', '?')} cannot be reached ({exc}); is `pasopati up` running?")


def parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"{option} {pair!r}: expected ITEM=VALUE")
        result[key.strip()] = value.strip()
    return result
