"""``manage.py weight --survey SLUG --wave CODE --margins FILE.csv [--method M] [--bounds LO,HI]``

Weights a wave's complete responses to the margins of FILE.csv (``variable,category,target``;
``--margins invitations`` derives them from the invitation frame), stores the run, makes it the
wave's active one and prints its diagnostics. Bad input (unknown survey or wave, a margins file
with an error — its line and field are named —, bounds that cannot be met) exits with status 2
and changes nothing.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analysis import weighting_runs
from analysis.margins import MarginsError
from analysis.models import MarginsSource, WeightingMethod
from analysis.weighting import WeightingError
from surveys.models import Survey, audit


def parse_bounds(text: str | None) -> tuple[float, float] | None:
    """``"0.3,3"`` → (0.3, 3.0); None stays None. ValueError names what is wrong."""
    if text is None:
        return None
    parts = text.replace(";", ",").split(",")
    if len(parts) != 2:
        raise ValueError(f"--bounds: expected LO,HI (e.g. 0.3,3), got {text!r}")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"--bounds: {text!r} is not two numbers") from None
    if not 0 <= lo < 1 < hi:
        raise ValueError(f"--bounds: need 0 <= LO < 1 < HI, got {lo:g},{hi:g}")
    return lo, hi


class Command(BaseCommand):
    help = "Weight a wave to population margins (CSV variable,category,target), store the run and make it active."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--survey", required=True, help="survey slug")
        parser.add_argument("--wave", required=True, help="wave code")
        parser.add_argument("--margins", required=True,
                            help="margins CSV (variable,category,target), or 'invitations' for the invitation frame")
        parser.add_argument("--method", default=WeightingMethod.RAKING, choices=WeightingMethod.values)
        parser.add_argument("--bounds", help="bounds LO,HI on the weight ratio (calibration methods)")

    def handle(self, *args, **options) -> None:
        def fail(message: str):
            raise CommandError(message, returncode=2)

        survey = Survey.objects.filter(slug=options["survey"]).first()
        if survey is None:
            fail(f"no survey with slug {options['survey']!r}")
        wave = survey.waves.filter(code=options["wave"]).first()
        if wave is None:
            codes = ", ".join(survey.waves.values_list("code", flat=True)) or "none"
            fail(f"no wave {options['wave']!r} in survey {survey.slug!r} (waves: {codes})")
        try:
            bounds = parse_bounds(options["bounds"])
        except ValueError as exc:
            fail(str(exc))
        source = MarginsSource.FRAME if options["margins"] == "invitations" else MarginsSource.FILE
        try:
            if source == MarginsSource.FRAME:
                margins = weighting_runs.margins_from_invitations(wave)
            else:
                path = Path(options["margins"])
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    fail(f"{path}: cannot read the margins file ({exc.strerror})")
                margins = weighting_runs.margins_from_csv(wave, data)
            run = weighting_runs.weighting_run(wave, margins, method=options["method"], bounds=bounds,
                                               user=None, source=source)
        except MarginsError as exc:
            fail(f"{options['margins']}: {exc}")
        except WeightingError as exc:
            fail(f"weighting failed, nothing changed: {exc}")
        run.created_by_name = f"{getpass.getuser()} (manage.py weight)"
        run.save(update_fields=["created_by_name"])
        audit(run.created_by_name, "weighting.run", f"{survey.slug}/{wave.code}", run=run.pk, method=run.method,
              n=run.n)
        self.stdout.write(self._report(run))

    @staticmethod
    def _report(run) -> str:
        s = run.diagnostics["summary"]
        lines = [weighting_runs.run_description(run),
                 f"run {run.pk} active: {run.n} responses, {run.iterations} iterations, "
                 f"max relative margin error {run.max_error:.3g}",
                 f"weights: min {s['min']:.4g}  max {s['max']:.4g}  mean {s['mean']:.4g}  CV {s['cv']:.4g}  "
                 f"n_eff {s['n_eff']:.1f}  deff {s['deff']:.4g}"
                 + ("" if s["at_bound"] is None else f"  at a bound {100 * s['at_bound']:.1f} %"),
                 "variable,category,target,achieved"]
        lines += [f"{m['variable']},{m['category']},{m['target']:.6f},{m['achieved']:.6f}"
                  for m in run.diagnostics["margins"]]
        return "\n".join(lines)
