#!/usr/bin/env bash
# Install the project with its test extras (into .venv) and run the whole test suite, in tiers:
#   fast            domain, store, audit and migration tests without a Prefect server
#                   (the store tests run on SQLite and on PostgreSQL each);
#   e2e-sqlite      the end-to-end tier (a real Prefect server, `pasopati serve`, intake) on a SQLite store;
#   e2e-postgresql  the same end-to-end tier on a PostgreSQL store.
# Arguments go to every pytest call (e.g. -x, or a test file); PASOPATI_TEST_TIERS picks tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

tier() {  # name, then pytest arguments; "no tests collected" (exit 5) is fine for a tier
  local name=$1 started=$SECONDS status=0
  shift
  echo "=== tier ${name}"
  "$@" || status=$?
  echo "=== tier ${name}: exit ${status} in $((SECONDS - started)) s"
  [[ $status -eq 0 || $status -eq 5 ]] || failed+=("$name")
}

failed=()
tiers=${PASOPATI_TEST_TIERS:-fast e2e-sqlite e2e-postgresql}
for name in $tiers; do
  case $name in
    fast) tier fast .venv/bin/python -m pytest -m "not e2e" "$@" ;;
    e2e-sqlite) tier e2e-sqlite .venv/bin/python -m pytest -m e2e "$@" ;;
    e2e-postgresql) PASOPATI_TEST_STORE=postgresql tier e2e-postgresql .venv/bin/python -m pytest -m e2e "$@" ;;
    *) echo "unknown tier ${name}" >&2; exit 2 ;;
  esac
done
if ((${#failed[@]})); then
  echo "failed tiers: ${failed[*]}" >&2
  exit 1
fi
