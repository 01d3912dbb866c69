#!/usr/bin/env bash
# Run the suite once on the database DATABASE_URL names (SQLite when unset). Exit 5 (no test) fails.
set -uo pipefail
label="$1"; shift
echo "=== test suite on $label ==="
export ECOUTE_TESTING=1
.venv/bin/pytest -q "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "ERROR: no tests were collected on $label" >&2; exit 1; fi
exit "$rc"
