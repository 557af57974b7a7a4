"""``python -m flows.serve``: serve every deployment against PREFECT_API_URL until interrupted.

Started by ``pasopati up`` and ``pasopati serve`` as a process of its own, so the core package
never imports the flows (imports go flows → tasks → pasopati, never back)."""

from __future__ import annotations

import signal
import sys
from types import FrameType

from prefect.runner import Runner

from flows.deployments import serve_all
from pasopati.plan.catalog import CatalogError, load_catalog
from pasopati.server_auth import use_credential


def _as_sigint(signum: int, frame: FrameType | None = None) -> None:
    """SIGTERM does what SIGINT does (whatever handler SIGINT has at that moment)."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)


def main() -> int:
    # SIGINT keeps Python's default handler, so asyncio.run() installs its own: the first SIGINT
    # cancels the runner's main task, which pauses its deployments and returns. (Raising
    # KeyboardInterrupt from a handler of ours instead lands in whichever task runs at that moment
    # and prints its traceback.) SIGTERM does the same — also where Prefect's Runner.start would
    # install its own SIGTERM handler (that one calls sys.exit mid-task) — and a SIGINT that came
    # ignored (started in the background) is honoured too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _as_sigint)
    Runner.handle_sigterm = staticmethod(_as_sigint)  # type: ignore[method-assign,assignment]
    use_credential()  # when started by hand rather than by `pasopati up` / `pasopati serve`
    try:
        load_catalog()
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        serve_all()
    except KeyboardInterrupt:  # a signal before the runner's loop started (or a second one)
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
