#!/usr/bin/env bash
# Install the project with its test extras (into .venv) and run the whole test suite, in tiers:
#   fast            domain, store, audit and migration tests without a Prefect server
#                   (the store tests run on SQLite and on PostgreSQL each);
#   e2e-sqlite      the end-to-end tier (a real Prefect server, `pasopati serve`, intake) on a SQLite store;
#   e2e-postgresql  the `both_stores` end-to-end tests on a PostgreSQL store (races, the watcher, the audit
#                   chain, characters PostgreSQL refuses, every runbook cell the SQLite tier does not run);
#                   the store logic of the rest has fast tests on both stores.
# Tiers run one after another (side by side they starve each other on two cores: measured).
# Arguments go to every pytest call (e.g. -x, or a test file); PASOPATI_TEST_TIERS picks tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# The approval-page tests drive Debian's chromium (through Playwright, which downloads no browser).
# Installed here when missing and we may (root: CI); otherwise those tests skip (fail under CI=true) and say why.
if [[ ! -x /usr/bin/chromium && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "=== installing Debian's chromium for the approval-page tests"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
    echo "=== could not install chromium: the approval-page browser tests will say so" >&2
fi

failed=()
started=$SECONDS
for name in ${PASOPATI_TEST_TIERS:-fast e2e-sqlite e2e-postgresql}; do
  tier_started=$SECONDS status=0
  echo "=== tier ${name}"
  case $name in
    fast) .venv/bin/python -m pytest -m "not e2e" "$@" || status=$? ;;
    e2e-sqlite) .venv/bin/python -m pytest -m e2e "$@" || status=$? ;;
    e2e-postgresql) PASOPATI_TEST_STORE=postgresql .venv/bin/python -m pytest -m "e2e and both_stores" "$@" || status=$? ;;
    *) echo "unknown tier ${name}" >&2; exit 2 ;;
  esac
  echo "=== tier ${name}: exit ${status} in $((SECONDS - tier_started)) s"
  # "No tests collected" (5) is fine for a tier: a file given as argument may belong to another.
  [[ $status -eq 0 || $status -eq 5 ]] || failed+=("$name")
done
echo "=== all tiers in $((SECONDS - started)) s"
if ((${#failed[@]})); then
  echo "failed tiers: ${failed[*]}" >&2
  exit 1
fi
