"""The served watcher: deadlines and reminders for every open crisis (pasopati.watch)."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from pasopati.audit.anchors import write_anchor
from pasopati.db import get_database
from pasopati.watch import WatchReport, watch


@flow(name="pantau-tenggat", log_prints=True)
def watch_deadlines() -> WatchReport:
    """Escalate undecided approvals past their deadline, call deputies for unacknowledged team
    members, send update-cadence reminders. Never approves anything. Then anchor the audit
    chain's head on the Prefect server if it moved (pasopati.audit.anchors)."""
    report = watch(run_id=flow_run.id)
    get_run_logger().info("%s", report.model_dump_json())
    if anchor := write_anchor(get_database()):
        get_run_logger().info("audit chain anchored at event %s (%s)", anchor.seq, anchor.hash)
    return report
