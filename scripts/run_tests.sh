#!/usr/bin/env bash
# Run the suite once on the database DATABASE_URL names (SQLite when unset). Exit 5 (no test) fails.
# Tests run in TEST_WORKERS processes (pytest-xdist; default: one per core), each with its own test
# database; a file's tests stay in one process, in order (--dist loadfile). TEST_WORKERS=0: serial.
set -uo pipefail
label="$1"; shift
echo "=== test suite on $label ==="
export ECOUTE_TESTING=1
workers="${TEST_WORKERS:-$(nproc)}"
parallel=()
if [ "$workers" != "0" ] && [ "$workers" != "1" ]; then parallel=(-n "$workers" --dist loadfile); fi
.venv/bin/pytest -q "${parallel[@]}" "$@"
rc=$?
if [ "$rc" -eq 5 ]; then echo "ERROR: no tests were collected on $label" >&2; exit 1; fi
exit "$rc"
