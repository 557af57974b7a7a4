"""The 20 runbook deployments (5 categories × 4 severities) and serving them."""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import EntrypointType, RunnerDeployment

from pasopati.catalog import Catalog, catalog
from pasopati.runbook import Severity
from pasopati.settings import get_settings


def deployment_name(category: str, severity: Severity | str) -> str:
    return f"krisis-{category}/{Severity(severity).value}"


def runner_deployments(cat: Catalog | None = None) -> list[RunnerDeployment]:
    from flows.krisis import CATEGORY_FLOWS  # composition root: the flows depend on this package

    cat = cat or catalog()
    if set(CATEGORY_FLOWS) != set(cat.categories):
        raise RuntimeError(f"runbooks {cat.categories} and flows {sorted(CATEGORY_FLOWS)} disagree")
    deployments = []
    for category, flow in CATEGORY_FLOWS.items():
        runbook = cat.runbooks[category]
        for severity in Severity:
            deployments.append(
                flow.to_deployment(
                    name=severity.value,
                    parameters={"severity": severity.value},
                    tags=[f"kategori:{category}", f"tingkat:{severity.value}"],
                    description=f"{runbook.title} — {severity.value}: {runbook.severities[severity].summary}",
                    # Module path, not file path: served runs find the flow whatever their working directory.
                    entrypoint_type=EntrypointType.MODULE_PATH,
                )
            )
    return deployments


def serve_all() -> None:
    settings = get_settings()
    serve(
        *runner_deployments(),
        limit=settings.serve_limit,
        query_seconds=settings.serve_query_seconds,
        print_starting_message=True,
    )
