"""``pasopati people``: roster people and their proof of identity (TOTP) — enrol, list, revoke.

``enrol`` prints the provisioning URI and its QR once, for the person to scan with an authenticator
app; the secret is stored encrypted with the credential key (a Prefect Secret block on the server
``PREFECT_API_URL`` names, or ``PASOPATI_CREDENTIAL_KEY``) and is never shown again.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from pasopati.cli.common import app, clear_errors, fail

people_app = typer.Typer(no_args_is_help=True, help="Roster people and their TOTP proof of identity: enrol, list, revoke.")
app.add_typer(people_app, name="people")

Name = Annotated[str, typer.Argument(help="The person's name, as in the roster.")]
By = Annotated[str | None, typer.Option("--by", help="Who does this (default: the person themselves).")]
ZONE = "Asia/Jakarta"


@contextmanager
def identity_errors() -> Iterator[None]:
    """``clear_errors`` plus the identity package's own refusals, as one ``error:`` line."""
    from pasopati.identity.models import IdentityError

    with clear_errors():
        try:
            yield
        except IdentityError as exc:
            fail(str(exc))


def _key():  # type: ignore[no-untyped-def]
    """The credential key, loaded now so an unreachable Prefect server is one clear line."""
    import httpx

    from pasopati.identity.keys import BLOCK_NAME, configured_key

    key = configured_key()
    try:
        key.fernet()
    except httpx.HTTPError as exc:
        fail(
            f"credential key: the Prefect server at {os.environ.get('PREFECT_API_URL', '?')} cannot be reached"
            f" ({type(exc).__name__}); start `pasopati up` (the key is its Secret block {BLOCK_NAME})"
            " or set PASOPATI_CREDENTIAL_KEY"
        )
    return key


def _qr(uri: str) -> str:
    import segno

    out = io.StringIO()
    segno.make(uri, error="m").terminal(out=out, compact=True)
    return out.getvalue()


@people_app.command()
def enrol(
    name: Name,
    by: By = None,
    replace: Annotated[bool, typer.Option("--replace", help="Reset without the current code (recorded as a reset).")] = False,
    code: Annotated[str | None, typer.Option("--code", help="Current TOTP code, to re-enrol without a reset.")] = None,
) -> None:
    """Enrol (or re-enrol) a roster person's authenticator app; prints the QR and URI once."""
    from pasopati.db import get_database
    from pasopati.identity import service

    with identity_errors():
        person = service.person_of(name)
        enrolment = service.enrol(
            get_database(), person.name, by=by or person.name, replace=replace, current_code=code, key=_key()
        )
    typer.echo(_qr(enrolment.provisioning_uri), nl=False)
    typer.echo(enrolment.provisioning_uri)
    typer.echo(
        f"{enrolment.person} ({enrolment.mode}): pindai QR ini dengan aplikasi autentikator; jangan dibagikan, tidak"
        " ditampilkan lagi. / Scan this QR with an authenticator app; do not share it, it is not shown again."
    )


@people_app.command("list")
def list_people() -> None:
    """Every roster person: enrolled or not, when last used (no secrets)."""
    from pasopati.db import get_database
    from pasopati.identity import service
    from pasopati.texts import short_time

    with identity_errors():
        statuses = service.people(get_database(read_only=True))

    def when(moment: object) -> str:
        return short_time(moment, ZONE) if moment else "-"  # type: ignore[arg-type]

    typer.echo(f"{'NAMA / NAME':<34} {'PERAN / ROLE':<24} {'STATUS':<10} {'TERDAFTAR / ENROLLED':<26} TERAKHIR DIPAKAI / LAST USED")
    for s in statuses:
        status = s.status if s.locked_until is None else f"{s.status}, terkunci s.d. {when(s.locked_until)}"
        typer.echo(f"{s.person:<34} {s.role:<24} {status:<10} {when(s.enrolled_at):<26} {when(s.last_used_at)}")


@people_app.command()
def revoke(name: Name, by: By = None) -> None:
    """Revoke a person's TOTP: their codes are refused until they enrol again."""
    from pasopati.db import get_database
    from pasopati.identity import service

    with identity_errors():
        person = service.person_of(name)
        service.revoke(get_database(), person.name, by=by or person.name)
    typer.echo(f"TOTP {person.name} dicabut (revoked)")
