"""Demo data for the background work: a reminder round dated in three days (shown on /taches/suivi/)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def demo_schedule(survey) -> None:
    """One dated reminder for the demo's open wave, once (idempotent)."""
    from .models import ScheduledSend

    wave = survey.current_wave()
    if wave is None or ScheduledSend.objects.filter(wave=wave).exists():
        return
    ScheduledSend.objects.create(wave=wave, kind="reminder", send_at=timezone.now() + timedelta(days=3))


def load(survey, demo) -> None:
    """``load_demo`` hook (:mod:`surveys.services.demo`): a dated reminder round, listed on /taches/suivi/."""
    demo_schedule(survey)
