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
    parser.add_argument("--connections", type=int, default=16)
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
        if shutil.which("wrk"):
            rate, p50, p99 = run_wrk(url, args.seconds, args.connections, work)
            tool = "wrk"
        else:
            rate, p50, p99 = asyncio.run(run_httpx(url, args.seconds, args.connections))
            tool = "httpx (wrk not installed)"
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nintake over HTTP, {args.connections} connections, {args.seconds} s, load by {tool}")
    print(f"throughput {rate:8.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")


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
    print(result.stdout)
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
