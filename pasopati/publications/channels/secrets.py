"""Channel credentials: a Prefect Secret block named in channels.yaml, or the environment.

``PASOPATI_SECRET_<NAME>`` (the block name upper-cased, '-' as '_') wins when set, so a machine
without a Prefect server (or a test) can supply one; otherwise ``Secret.load(name)``."""

from __future__ import annotations

import os

from pasopati.publications.channels.base import Refused, Unavailable


def env_name(block: str) -> str:
    return "PASOPATI_SECRET_" + block.upper().replace("-", "_")


def secret(block: str, *, what: str) -> str:
    """The secret's value. Raises Refused naming the block (and the variable) when neither has it:
    a missing credential is a configuration error that no retry mends."""
    if value := os.environ.get(env_name(block)):
        return value
    from prefect.blocks.system import (
        Secret,  # imported late: loading Prefect's block registry is slow
    )

    try:
        return str(Secret.load(block).get())
    except (ValueError, KeyError) as exc:  # Prefect: "Unable to find block document named …"
        raise Refused(f"{what}: no Prefect Secret block {block!r} (nor {env_name(block)}): create it with "
                      f"`prefect block create secret` or the UI: {exc}") from exc
    except Exception as exc:  # the Prefect API unreachable: nothing was sent; try later
        raise Unavailable(f"{what}: cannot read Prefect Secret block {block!r} now: {type(exc).__name__}: {exc}") from exc
