"""The served watcher: deadlines and reminders for every open crisis (pasopati.watch)."""

from __future__ import annotations

from prefect import flow, get_run_logger

from pasopati.watch import WatchReport, watch


@flow(name="pantau-tenggat", log_prints=True)
def watch_deadlines() -> WatchReport:
    """Escalate undecided approvals past their deadline, call deputies for unacknowledged team
    members, send update-cadence reminders. Never approves anything."""
    report = watch()
    get_run_logger().info("%s", report.model_dump_json())
    return report
