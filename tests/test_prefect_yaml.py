"""prefect.yaml declares the same deployments the runner serves (20 runbooks, corrections, the
deadline watcher, the feed poller), and `prefect deploy --all` works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from prefect import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.deployments import deployment_specs, support_specs
from pasopati.settings import PROJECT_ROOT
from tests.conftest import prefect_server


def test_prefect_yaml_matches_the_served_deployments() -> None:
    declared = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())["deployments"]
    served = {
        (flow.name, options["name"]): (f"flows/krisis.py:{flow.fn.__name__}", options["parameters"], sorted(options["tags"]))
        for flow, options in deployment_specs()
    }
    assert len(served) == 20
    from flows import krisis

    found = {}
    for d in declared:
        assert d["work_pool"]["name"] == "pasopati"
        if not d["entrypoint"].startswith("flows/krisis.py:"):
            continue
        flow = getattr(krisis, d["entrypoint"].split(":")[1])
        found[(flow.name, d["name"])] = (d["entrypoint"], d["parameters"], sorted(d["tags"]))
    assert found == served
    support = {(f"flows/{flow.fn.__module__.split('.')[-1]}.py:{flow.fn.__name__}", o["name"], o.get("interval")) for flow, o in support_specs()}
    declared_support = {
        (d["entrypoint"], d["name"], d["schedules"][0]["interval"] if d.get("schedules") else None)
        for d in declared
        if not d["entrypoint"].startswith("flows/krisis.py:")
    }
    assert declared_support == support


def test_prefect_deploy_all_registers_every_deployment(tmp_path: Path) -> None:
    """Against its own server: deploying to a work pool would take over the served deployments'
    names on the session's server."""
    with prefect_server(tmp_path / "home") as api_url:
        env = {**os.environ, "PREFECT_API_URL": api_url}
        prefect = [sys.executable, "-m", "prefect"]

        def run(*args: str) -> None:
            result = subprocess.run(
                [*prefect, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
            )
            assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"

        run("work-pool", "create", "pasopati", "--type", "process")
        run("--no-prompt", "deploy", "--all")
        with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
            deployments = client.read_deployments()
            flows = {f.id: f.name for f in client.read_flows()}
        names = sorted(f"{flows[d.flow_id]}/{d.name}" for d in deployments)
        expected = sorted(f"{flow.name}/{options['name']}" for flow, options in [*deployment_specs(), *support_specs()])
        assert names == expected
        assert all(d.work_pool_name == "pasopati" for d in deployments)
        berat = next(d for d in deployments if flows[d.flow_id] == "krisis-keamanan-ketertiban" and d.name == "berat")
        assert berat.parameters == {"severity": "berat"}
        assert {"kategori:keamanan-ketertiban", "tingkat:berat"} <= set(berat.tags)
