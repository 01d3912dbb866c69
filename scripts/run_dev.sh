#!/usr/bin/env bash
# `make run`: the development server and one task worker side by side; Ctrl-C stops both.
set -euo pipefail
PY="${PY:-.venv/bin/python}"
ADDR="${1:-127.0.0.1:8000}"
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT
if [ "${TASKS_BACKEND:-db}" = "db" ]; then
  "$PY" manage.py run_worker --interval 0.5 &
  pids+=($!)
elif [ "${TASKS_BACKEND}" = "rq" ]; then
  "$PY" manage.py rqworker default --with-scheduler --worker-class jobs.rq_recovery.Worker --job-class django_tasks_rq.Job &
  pids+=($!)
  "$PY" manage.py run_worker &  # with rq: the scheduler and housekeeping only
  pids+=($!)
fi
"$PY" manage.py runserver "$ADDR" &
pids+=($!)
# Whichever stops first (Ctrl-C, a crash), the other is stopped too.
wait -n "${pids[@]}" || true
