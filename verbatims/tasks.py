"""Theme runs as background tasks (Django's tasks framework: whatever backend settings name)."""

from __future__ import annotations

from django.tasks import task

from .services import run_execute


@task
def compute_themes(run_id: int) -> dict:
    """Compute and store the themes of a pending :class:`~verbatims.models.ThemeRun`.

    Progress is written on the run as it goes (the page polls it); a failure is stored on the
    run (status "failed", its message) and raised again so the backend records it too.
    """
    run = run_execute(run_id)
    return {"run": run.pk, "k": run.k, "verbatims": run.n_verbatims}
