"""``python -m flows.serve``: serve every deployment against PREFECT_API_URL until interrupted.

Started by ``pasopati up`` and ``pasopati serve`` as a process of its own, so the core package
never imports the flows (imports go flows → tasks → pasopati, never back)."""

from __future__ import annotations

import signal
import sys

from pasopati.plan.catalog import CatalogError, load_catalog

from flows.deployments import serve_all


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # SIGINT and SIGTERM both stop the runner cleanly (it pauses its deployments), also when this
    # process inherited an ignored SIGINT (started in the background).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        load_catalog()
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    serve_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
