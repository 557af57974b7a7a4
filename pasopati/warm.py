"""Warm starts for served runs.

Prefect's runner starts every served flow run with ``multiprocessing`` *spawn*: a fresh interpreter
that imports Prefect and the flows again (~2.3 s of CPU here, the bulk of trigger → flow code, and
paid again after every suspend). A *forkserver* with those modules preloaded forks each run from a
warm process instead. The runner still owns the child (join, exit code, cancellation), and the
child is a fresh fork of a process that only imported modules: no open connections or threads.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from prefect import flow_engine


class _ForkserverMultiprocessing:
    """Stands in for the ``multiprocessing`` module inside ``prefect.flow_engine``, whose
    ``run_flow_in_subprocess`` asks it for a "spawn" context; every other name passes through."""

    def __init__(self, context: multiprocessing.context.BaseContext):
        self._context = context

    def get_context(self, method: str | None = None) -> multiprocessing.context.BaseContext:
        return self._context

    def __getattr__(self, name: str) -> Any:
        return getattr(multiprocessing, name)


def enable_warm_starts(preload: list[str]) -> None:
    """Make this process fork served runs from a forkserver that has ``preload`` imported."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload)
    flow_engine.multiprocessing = _ForkserverMultiprocessing(context)  # type: ignore[assignment]
