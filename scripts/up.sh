#!/usr/bin/env bash
# Install (into .venv) and start the whole embedded stack: Prefect server + UI on SQLite,
# the PASOPATI store, and all 20 runbook deployments served.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/pasopati up
