"""Demo data: themes of the demo survey's verbatims, so `make run` shows the themes page filled."""

from __future__ import annotations

from surveys.models import Survey

from .models import ThemeRun
from .services import RunError, run_create, run_execute


def demo_themes(survey: Survey) -> ThemeRun | None:
    """Compute themes on every wave of ``survey`` that has verbatims (once: kept when present)."""
    if ThemeRun.objects.filter(survey=survey).exists():
        return None
    waves = list(survey.waves.order_by("pk").values_list("code", flat=True))
    try:
        run = run_create(survey, waves)
    except RunError:
        return None
    return run_execute(run.pk)


def load(survey: Survey, demo) -> None:
    """``load_demo`` hook (:mod:`surveys.services.demo`): themes, once responses were generated."""
    if demo.with_responses:
        demo_themes(survey)
