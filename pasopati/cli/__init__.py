"""``pasopati``: the command line of media-center operators, approvers and auditors.

Commands live beside this module by who uses them: ``operate`` (start, trigger, status), ``gates``
(decide, redraft, correct facts, acknowledge, close), ``drafting`` (preview, show), ``audit`` (read-only history) and ``db``
(migrations). Each is a thin caller of the domain services.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import Any

# When this process imported the command line, before the rest of its imports (seconds under load).
_IMPORTED_AT = datetime.now(UTC)

from pasopati.cli import (  # noqa: F401  (register their commands on ``app``)
    audit,
    common,
    db,
    drafting,
    gates,
    operate,
    people,
    publish,
    redact,
    starting,
)
from pasopati.cli.common import app
from pasopati.settings import get_settings

__all__ = ["app", "main"]


def main() -> Any:
    # A fresh `pasopati` process: a one-time code on its command line was typed before it started,
    # so it is judged from then (pasopati.cli.common.received_at), not after the imports.
    common.started_at = _IMPORTED_AT
    # Talk to this installation's server unless told otherwise; an unset PREFECT_API_URL would
    # make Prefect start a throwaway ephemeral server instead.
    os.environ.setdefault("PREFECT_API_URL", get_settings().api_url)
    return app()


if __name__ == "__main__":
    sys.exit(main())
