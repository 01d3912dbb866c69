"""Demo data for weighting: one active run per demo wave (called by ``manage.py load_demo``).

The population margins are invented but plausible: the general public and businesses are most of
the users of official statistics, researchers and journalists answer far more than their share.
Categories and channels nobody answered in a wave are left out of its margins.
"""

from __future__ import annotations

from surveys.models import Response, ResponseStatus

from . import weighting_runs
from .margins import Margins
from .weighting import WeightingError

POPULATION = {
    "category": {"researchers": 0.10, "local_authorities": 0.10, "general_public": 0.35,
                 "institutional_partners": 0.05, "businesses": 0.20, "journalists": 0.03, "students": 0.12,
                 "other": 0.05},
    "channel": {"website": 0.45, "contact_service": 0.08, "publications": 0.12, "data_access": 0.15,
                "meetings_events": 0.04, "social_networks": 0.10, "newsletter": 0.06},
}

def demo_weighting(survey, stdout=None) -> list:
    """Rake every wave of ``survey`` that has complete responses and no run yet; returns the runs."""
    runs = []
    for wave in survey.waves.all():
        if wave.weighting_runs.exists():
            continue
        complete = Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE)
        if not complete.exists():
            continue
        variables = ["category"] if complete.filter(channel__isnull=True).exists() else ["category", "channel"]
        targets = {}
        for var in variables:
            present = set(complete.order_by().values_list(f"{var}__code", flat=True).distinct())
            targets[var] = {c: t for c, t in POPULATION[var].items() if c in present}
        try:
            runs.append(weighting_runs.weighting_run(wave, Margins(targets, {v: "shares" for v in targets}, {}),
                                                     method="raking"))
        except WeightingError as exc:  # invented margins: a demo without weights is still a demo
            if stdout is not None:
                stdout.write(f"Demo weighting of wave {wave.code} skipped: {exc}")
            continue
        if stdout is not None:
            stdout.write(f"Wave {wave.code}: {weighting_runs.run_description(runs[-1])} ({runs[-1].n} responses).")
    return runs


def load(survey, demo) -> None:
    """``load_demo`` hook (:mod:`surveys.services.demo`): weights, once responses were generated."""
    if demo.with_responses:
        demo_weighting(survey, demo.stdout)
