"""The 20 runbook deployments (5 categories × 4 severities), the support deployments, and serving
them all from one process (``python -m flows.serve``, started by ``pasopati up`` / ``pasopati serve``)."""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import Flow
from prefect.deployments.runner import EntrypointType
from prefect.runner import Runner

from flows.ack import acknowledge_call
from flows.feeds import poll_feeds
from flows.koreksi import correct_facts
from flows.krisis import CATEGORY_FLOWS
from flows.watch import watch_deadlines
from pasopati.plan.catalog import Catalog, catalog
from pasopati.plan.runbook import Severity
from pasopati.settings import get_settings


def deployment_specs(cat: Catalog | None = None) -> list[tuple[Flow[Any, Any], dict[str, Any]]]:
    """(flow, deployment options) for every category × severity."""
    cat = cat or catalog()
    if set(CATEGORY_FLOWS) != set(cat.categories):
        raise RuntimeError(f"runbooks {cat.categories} and flows {sorted(CATEGORY_FLOWS)} disagree")
    specs = []
    for category, flow in CATEGORY_FLOWS.items():
        runbook = cat.runbooks[category]
        for severity in Severity:
            # The deployment's name *is* the run's severity. The parameter stays in the schema
            # (the flow called directly takes it; pasopati.runs.plan_of reads it from a run), but
            # the Prefect API accepts any parameters, even bypassing schema enforcement per run:
            # a run whose parameter contradicts its deployment is refused (tasks.incident.admit_run).
            options = dict(
                name=severity.value,
                parameters={"severity": severity.value},
                tags=[f"kategori:{category}", f"tingkat:{severity.value}"],
                description=f"{runbook.title} — {severity.value}: {runbook.severities[severity].summary}",
                # Module path, not file path: runs find the flow whatever their working directory.
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
            specs.append((flow, options))
    return specs


def support_specs() -> list[tuple[Flow[Any, Any], dict[str, Any]]]:
    """Deployments beside the runbooks: fact corrections, team acknowledgement from the UI, the
    deadline watcher, the feed poller."""
    settings = get_settings()
    return [
        (correct_facts, dict(name="koreksi", tags=["koreksi"], entrypoint_type=EntrypointType.MODULE_PATH)),
        (acknowledge_call, dict(name="ui", tags=["tim"], entrypoint_type=EntrypointType.MODULE_PATH)),
        (watch_deadlines, dict(name="terjadwal", interval=settings.watch_seconds, tags=["tenggat"], entrypoint_type=EntrypointType.MODULE_PATH)),
        (poll_feeds, dict(name="terjadwal", interval=settings.feed_poll_minutes * 60, tags=["pemantauan"], entrypoint_type=EntrypointType.MODULE_PATH)),
    ]


# What each served run's process has imported before it forks (pasopati.warm).
WARM_PRELOAD = ["prefect.flow_engine", "flows.krisis"]


def channel_limits() -> None:
    """One Prefect global concurrency limit per channel ("kanal-<channel>", channels.yaml's
    ``concurrency``): how many publications post on it at once, across every run and worker."""
    from prefect import get_client

    from pasopati.plan.catalog import catalog
    from tasks.publishing import CHANNEL_LIMIT

    with get_client(sync_client=True) as client:
        for name, config in catalog().channels.channels.items():
            client.upsert_global_concurrency_limit_by_name(CHANNEL_LIMIT.format(channel=name), limit=config.concurrency)


def serve_all() -> None:
    """Serve every deployment from this process until interrupted."""
    settings = get_settings()
    if settings.warm_starts:
        from pasopati.warm import enable_warm_starts

        enable_warm_starts(WARM_PRELOAD)
    channel_limits()
    from pasopati.publications.in_use import record

    record(settings)  # `pasopati publish retry|resolve` refuse to send through another channels file
    runner = Runner(name="pasopati", limit=settings.serve_limit, query_seconds=settings.serve_query_seconds)
    # add_flow (unlike prefect.serve's add_deployment) keeps the flow object in the runner, so each
    # run starts from it in a child process instead of `python -m prefect.engine` reloading it.
    specs = deployment_specs()
    for flow, options in specs:
        runner.add_flow(flow, **options)
    for flow, options in support_specs():
        runner.add_flow(flow, **options)
    print(f"Serving {len(specs)} runbook deployments, corrections, the deadline watcher and the feed poller", flush=True)
    try:
        asyncio.run(runner.start())
    except KeyboardInterrupt:
        pass
