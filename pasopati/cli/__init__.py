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

# When the command started, before its imports (seconds under load): a one-time code typed on the
# command line is judged from here (pasopati.identity.prover.Prover.received_at, at most two minutes).
STARTED_AT = datetime.now(UTC)

from pasopati.cli import audit, db, drafting, gates, operate, people, redact  # noqa: F401  (register their commands on ``app``)
from pasopati.cli.common import app
from pasopati.settings import get_settings

__all__ = ["app", "main"]


def main() -> Any:
    # Talk to this installation's server unless told otherwise; an unset PREFECT_API_URL would
    # make Prefect start a throwaway ephemeral server instead.
    os.environ.setdefault("PREFECT_API_URL", get_settings().api_url)
    return app()


if __name__ == "__main__":
    sys.exit(main())
