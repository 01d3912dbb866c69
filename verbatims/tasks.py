"""Theme runs as background tasks (Django's tasks framework: whatever backend settings name)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.tasks import task
from django.utils import translation

from .services import run_execute

log = logging.getLogger(__name__)


def _warm_page(run) -> None:
    """Build the themes page's charts once per language now, so the first visit is instant too."""
    from analysis.selectors import Dashboard

    from .crosstab import page_blocks

    for lang, _name in settings.LANGUAGES:
        with translation.override(lang):
            d = Dashboard(run.survey)
            page_blocks(run, d.channel_labels(), d.category_labels())


@task
def compute_themes(run_id: int) -> dict:
    """Compute and store the themes of a pending :class:`~verbatims.models.ThemeRun`.

    Progress is written on the run as it goes (the page polls it); a failure is stored on the
    run (status "failed", its message) and raised again so the backend records it too.
    """
    run = run_execute(run_id)
    try:
        _warm_page(run)
    except Exception:  # noqa: BLE001 - a cold cache only makes the first visit slower
        log.warning("themes page of run %s not pre-computed", run.pk, exc_info=True)
    return {"run": run.pk, "k": run.k, "verbatims": run.n_verbatims}
