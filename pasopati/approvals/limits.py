"""How often one approval link may write to the store.

A valid link whose decision is refused before it is redeemed (its round was decided meanwhile, a
verdict's own rules) stays valid, and each refusal is recorded with its audit event: that is the
record an auditor wants, but one link must not write it without end. ``LinkBudget`` allows
``limit`` recorded submissions per link within ``window``; past it the page answers 429 and writes
nothing. Unknown tokens never reach a write at all (see ``page``), so they need no budget.

Kept in memory, per process: a restart forgets the counts (at worst another ``limit`` rows per
link), which is cheaper than making the limiter itself write.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LinkBudget:
    """A sliding-window counter per link id; thread-safe (FastAPI runs handlers in a pool)."""

    def __init__(self, limit: int = 5, window_seconds: float = 900, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window_seconds, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, link_id: str) -> bool:
        """Count one submission for ``link_id``; False (not counted) once it used up the window's budget."""
        now = self.clock()
        with self._lock:
            self._forget(now)
            seen = self._seen.setdefault(link_id, deque())
            if len(seen) >= self.limit:
                return False
            seen.append(now)
            return True

    def _forget(self, now: float) -> None:
        for link_id in list(self._seen):
            seen = self._seen[link_id]
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if not seen:
                del self._seen[link_id]
