"""``python -m flows.serve``: serve every deployment against PREFECT_API_URL until interrupted.

Started by ``pasopati up`` and ``pasopati serve`` as a process of its own, so the core package
never imports the flows (imports go flows → tasks → pasopati, never back)."""

from __future__ import annotations

import sys

from pasopati.plan.catalog import CatalogError, load_catalog

from flows.deployments import serve_all


def main() -> int:
    try:
        load_catalog()
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    serve_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
