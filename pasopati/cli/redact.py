"""``pasopati redact``: the personal-data gate from the command line.

``pasopati redact check [FILE]`` reads FILE (standard input when none or ``-``), prints the findings
of ``pasopati.privacy.scan`` as a JSON array of ``Finding.as_dict()`` and exits 1 when there are
any, 0 when the text is clean, 2 with one ``error:`` line when FILE cannot be read.
Also ``python -m pasopati.cli.redact check [FILE]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pasopati.cli.common import app as root
from pasopati.cli.common import fail

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Personal data in statements and notifications (UU PDP 27/2022, UU SPPA 11/2012, UU KIP 14/2008).",
)
root.add_typer(app, name="redact")

File = Annotated[
    str | None,
    typer.Argument(help="The text to check, UTF-8 (default or '-': standard input)."),
]
Terms = Annotated[
    list[str] | None,
    typer.Option(
        "--term",
        help="A name or identifier from the incident's non-public facts (repeatable).",
    ),
]
Allow = Annotated[
    list[str] | None,
    typer.Option(
        "--allow",
        help="An institutional string never flagged, e.g. the Humas phone (repeatable).",
    ),
]
ChildUnit = Annotated[
    bool,
    typer.Option(
        "--child-unit",
        help="The incident is at an LPKA: every name is a child's identity.",
    ),
]


@app.callback()
def _group() -> None:
    """Check texts for personal data before approval, after edits and before publishing."""


@app.command("check")
def check(
    file: File = None,
    term: Terms = None,
    allow: Allow = None,
    child_unit: ChildUnit = False,
) -> None:
    """Print the personal data in FILE as JSON; exit 1 if there is any, 0 if the text is clean."""
    # imported here: --help needs neither Presidio nor spaCy
    from pasopati.privacy import scan

    from pasopati.texts import TextRefused, plain

    try:
        text = plain(_read(file))  # what a channel would show: invisible characters cannot hide a NIK
    except TextRefused as exc:
        fail(f"{file or 'stdin'}: {exc}")
    findings = scan(
        text, private_terms=term or (), allow=allow or (), child_unit=child_unit
    )
    typer.echo(
        json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2)
    )
    raise typer.Exit(1 if findings else 0)


# Read at most this much (a statement is a few thousand characters; pasopati.texts.MAX_TEXT).
_READ_LIMIT = 1_000_000


def _read(file: str | None) -> str:
    """The text of FILE or stdin, UTF-8; exit 2 with a clear error otherwise (not UTF-8, too big, unreadable)."""
    try:
        if file in (None, "-"):
            raw = sys.stdin.buffer.read(_READ_LIMIT + 1)
        else:
            with Path(file).open("rb") as handle:
                raw = handle.read(_READ_LIMIT + 1)
        if len(raw) > _READ_LIMIT:
            fail(f"{file or 'stdin'}: more than {_READ_LIMIT} bytes; a statement is a few thousand characters")
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"cannot read {file or 'stdin'}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        fail(f"cannot read {file or 'stdin'}: {exc.strerror or exc}")

