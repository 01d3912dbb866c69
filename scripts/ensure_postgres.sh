#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432; start the local cluster if it is down; fail loudly otherwise.
set -euo pipefail
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || (command -v psql >/dev/null && psql -h 127.0.0.1 -U postgres -c 'select 1' -tA >/dev/null 2>&1); }
if ready; then exit 0; fi
echo "PostgreSQL is not reachable on 127.0.0.1:5432: trying to start it..."
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
fi
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "ERROR: PostgreSQL is not reachable on 127.0.0.1:5432 and could not be started. The suite must run on PostgreSQL too." >&2
exit 1
