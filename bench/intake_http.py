"""HTTP throughput of the alert intake: `pasopati intake` in its own process (SQLite store, the
embedded default), loaded over loopback for a fixed time. Uses wrk where installed (Debian package
`wrk`, a C load generator that leaves the CPU to the server), else an asyncio httpx client.

The body is a relevant alert that starts nothing (a watch/ignore item), so every request runs the
whole intake path — auth, parsing, storing, classification, correlation — without starting runs.

    .venv/bin/python bench/intake_http.py [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BODY = {"text": "Warga binaan Lapas Cipinang mengikuti pelatihan barista dan pameran kerajinan", "reach": 1200}
HEADERS = {"Authorization": "Bearer bench-token", "X-Pasopati-Source": "bench", "Content-Type": "application/json"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[4, 8, 16])
    args = parser.parse_args()
    from tests.conftest import free_port

    work = Path(tempfile.mkdtemp(prefix="pasopati-bench-http-"))
    port = free_port()
    env = {
        **os.environ,
        "PASOPATI_DATA_DIR": str(work),
        "PASOPATI_INTAKE_PORT": str(port),
        "PASOPATI_INTAKE_TOKENS": json.dumps({"bench": "bench-token"}),
    }
    server = subprocess.Popen([sys.executable, "-m", "pasopati.cli", "intake"], env=env)
    url = f"http://127.0.0.1:{port}/alerts"
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health")
        response = requests.post(url, json=BODY, headers=HEADERS, timeout=5)
        print(f"sample answer {response.status_code}: {response.json()['outcomes'][0]['status']}")
        tool = "wrk" if shutil.which("wrk") else "httpx (wrk not installed)"
        rows = []
        for connections in args.connections:
            if shutil.which("wrk"):
                rows.append((connections, *run_wrk(url, args.seconds, connections, work)))
            else:
                rows.append((connections, *asyncio.run(run_httpx(url, args.seconds, connections))))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nintake over HTTP (SQLite store), {args.seconds} s per row, load by {tool}")
    print(f"{'connections':>11} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for connections, rate, p50, p99 in rows:
        print(f"{connections:>11} {rate:8.1f} {p50:8.1f} {p99:8.1f}")


def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise TimeoutError(url)


def run_wrk(url: str, seconds: int, connections: int, work: Path) -> tuple[float, float, float]:
    script = work / "post.lua"
    headers = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in HEADERS.items())
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(BODY, ensure_ascii=False))}\n{headers}')
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    return rate, _wrk_ms(result.stdout, "50%"), _wrk_ms(result.stdout, "99%")


def _wrk_ms(output: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def run_httpx(url: str, seconds: int, connections: int) -> tuple[float, float, float]:
    import httpx

    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            response = await client.post(url, json=BODY, headers=HEADERS)
            response.raise_for_status()
            latencies.append((time.perf_counter() - t0) * 1000)

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections)) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    latencies.sort()
    return len(latencies) / seconds, statistics.median(latencies), latencies[int(0.99 * (len(latencies) - 1))]


if __name__ == "__main__":
    main()
