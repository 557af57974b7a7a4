"""Channel credentials: a Prefect Secret block named in channels.yaml, or the environment.

``PASOPATI_SECRET_<NAME>`` (the block name upper-cased, '-' as '_') wins when set, so a machine
without a Prefect server (or a test) can supply one; otherwise ``Secret.load(name)``."""

from __future__ import annotations

import base64
import os
import threading

from pasopati.publications.channels.base import Refused, Unavailable


def env_name(block: str) -> str:
    return "PASOPATI_SECRET_" + block.upper().replace("-", "_")


# Every credential this process has handed out, to be struck from what it records: a remote that
# echoes the request's headers in an error ("Authorization: Bearer …") put the token in the
# delivery's error and in the audit log, which is never rewritten (issue 11 review).
_HANDED_OUT: set[str] = set()
_LOCK = threading.Lock()
SHOWN_INSTEAD = "[rahasia]"
_SHORTEST = 6  # shorter values are not struck out: they would blank ordinary words


def remember(value: str) -> str:
    """Note ``value`` (and its Basic-auth encodings are noted by the caller) for ``redact``; returns it."""
    if len(value) >= _SHORTEST:
        with _LOCK:
            _HANDED_OUT.add(value)
    return value


def remember_basic(user: str, password: str) -> None:
    """A ``user:password`` pair as HTTP Basic sends it (base64), echoed by some servers."""
    remember(base64.b64encode(f"{user}:{password}".encode()).decode())


# A credential cut by an excerpt ("…: {answer[:300]}") leaves its start behind: a start of at
# least this many characters is struck too (a random 12-character prefix is nobody's word).
_SHORTEST_CUT = 12


def redact(text: str | None) -> str | None:
    """``text`` with every credential handed out by this process replaced by ``[rahasia]``, and
    what is left of one an excerpt cut short (its first 12 or more characters)."""
    if not text:
        return text
    with _LOCK:
        known = sorted(_HANDED_OUT, key=len, reverse=True)
    for value in known:
        text = text.replace(value, SHOWN_INSTEAD)
        for cut in range(len(value) - 1, _SHORTEST_CUT - 1, -1):
            if value[:cut] in text:
                text = text.replace(value[:cut], SHOWN_INSTEAD)
                break
    return text


def secret(block: str, *, what: str) -> str:
    """The secret's value. Raises Refused naming the block (and the variable) when neither has it:
    a missing credential is a configuration error that no retry mends."""
    if value := os.environ.get(env_name(block)):
        return remember(value)
    from prefect.blocks.system import (
        Secret,  # imported late: loading Prefect's block registry is slow
    )

    try:
        return remember(str(Secret.load(block).get()))
    except (ValueError, KeyError) as exc:  # Prefect: "Unable to find block document named …"
        raise Refused(f"{what}: no Prefect Secret block {block!r} (nor {env_name(block)}): create it with "
                      f"`prefect block create secret` or the UI: {exc}") from exc
    except Exception as exc:  # the Prefect API unreachable: nothing was sent; try later
        raise Unavailable(f"{what}: cannot read Prefect Secret block {block!r} now: {type(exc).__name__}: {exc}") from exc
