"""Weighting pages (/analyse/<slug>/ponderation/...): margins per wave, runs, diagnostics.

Thin views over :mod:`analysis.weighting_runs`. Reading needs the dashboards' access (analysts
and designers of the survey); running a weighting or switching the active run is for the
quality team (``designers``) and superusers, by POST (CSRF-protected), and each is audited.
A margins file is either uploaded or pasted; "Aperçu" shows respondents against targets without
storing anything, "Pondérer" stores a run and makes it active. Any bad input re-renders the page
with the located message (status 400), and nothing is stored.
"""

from __future__ import annotations

import plotly.graph_objects as go
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from surveys.models import audit
from surveys.permissions import DESIGNERS, in_group

from . import charts, weighting_runs
from .filters import parse
from .formatting import fmt_n, number_format, percent
from .margins import MarginsError
from .models import MarginsSource, WeightingMethod, WeightingRun
from .selectors import dashboard_for
from .views.access import analyst_required
from .views.common import Block, csv_response, page_context

MAX_MARGINS_BYTES = 1_000_000


def may_weight(user) -> bool:
    return in_group(user, DESIGNERS)


class MarginsForm(forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("Origine des marges"), widget=forms.RadioSelect,
                               choices=[(MarginsSource.FILE, gettext_lazy("fichier CSV ou texte collé")),
                                        (MarginsSource.FRAME, gettext_lazy("base d'invitation (invités par catégorie)"))],
                               initial=MarginsSource.FILE)
    margins_file = forms.FileField(label=gettext_lazy("Fichier de marges (CSV variable,category,target)"),
                                   required=False)
    margins_text = forms.CharField(label=gettext_lazy("ou marges collées (mêmes colonnes)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 8, "cols": 60}), max_length=MAX_MARGINS_BYTES)
    method = forms.ChoiceField(label=gettext_lazy("Méthode"), choices=WeightingMethod.choices,
                               initial=WeightingMethod.RAKING)
    bound_low = forms.FloatField(label=gettext_lazy("Borne basse du rapport de poids (L)"), required=False,
                                 min_value=0, max_value=0.999)
    bound_high = forms.FloatField(label=gettext_lazy("Borne haute du rapport de poids (U)"), required=False,
                                  min_value=1.001, max_value=1000)

    def clean(self):
        data = super().clean()
        lo, hi = data.get("bound_low"), data.get("bound_high")
        if (lo is None) != (hi is None):
            raise forms.ValidationError(_("Donnez les deux bornes, ou aucune."))
        data["bounds"] = None if lo is None else (lo, hi)
        upload = data.get("margins_file")
        if upload is not None and upload.size > MAX_MARGINS_BYTES:
            raise forms.ValidationError(_("Le fichier de marges dépasse 1 Mo."))
        if data.get("source") == MarginsSource.FILE and upload is None and not (data.get("margins_text") or "").strip():
            raise forms.ValidationError(_("Choisissez un fichier de marges ou collez-les."))
        return data

    def margins_data(self) -> bytes:
        upload = self.cleaned_data.get("margins_file")
        if upload is not None:
            return upload.read()
        return self.cleaned_data["margins_text"].encode("utf-8")


def _wave(d, code: str):
    wave = next((w for w in d.waves if w.code == code), None)
    if wave is None:
        raise Http404
    return wave


def _page_context(request, d, wave=None, **extra) -> dict:
    f = parse({}, "exports", d.choices("exports"))
    ctx = page_context(d, f, "weighting", may_weight=may_weight(request.user), wave=wave, **extra)
    if wave is not None:
        ctx["selected_wave_labels"] = [d.wave_labels().get(wave.code, wave.code)]
    return ctx


@require_GET
@analyst_required
def weighting_index(request: HttpRequest, slug: str) -> HttpResponse:
    """Every wave with its active run (description) and its number of runs."""
    d = dashboard_for(request.user, slug)
    rows = []
    for w in d.waves:
        runs = weighting_runs.runs_for(w)
        active = next((r for r in runs if r.is_active), None)
        rows.append({"wave": w, "label": d.wave_labels().get(w.code, w.code), "runs": len(runs), "active": active,
                     "description": weighting_runs.run_description(active) if active else ""})
    return render(request, "analysis/weighting_index.html", _page_context(request, d, rows=rows))


@require_http_methods(["GET", "POST"])
@analyst_required
def weighting_wave(request: HttpRequest, slug: str, wave: str) -> HttpResponse:
    """Margins of one wave: upload or paste, preview, run; the wave's runs (activate, deactivate)."""
    d = dashboard_for(request.user, slug)
    w = _wave(d, wave)
    preview, error, status = None, None, 200
    form = MarginsForm()
    if request.method == "POST":
        if not may_weight(request.user):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action in ("activer", "desactiver"):
            return _switch(request, d, w, action)
        form = MarginsForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                data = form.margins_data() if form.cleaned_data["source"] == MarginsSource.FILE else b""
                margins = (weighting_runs.margins_from_invitations(w) if form.cleaned_data["source"] == MarginsSource.FRAME
                           else weighting_runs.margins_from_csv(w, data))
                if action == "ponderer":
                    run = weighting_runs.weighting_run(w, margins, method=form.cleaned_data["method"],
                                                       bounds=form.cleaned_data["bounds"], user=request.user,
                                                       source=form.cleaned_data["source"])
                    audit(request.user, "weighting.run", f"{d.survey.slug}/{w.code}", run=run.pk, method=run.method,
                          n=run.n)
                    return redirect("analysis:weighting_run", slug=d.survey.slug, wave=w.code, pk=run.pk)
                preview = _preview_rows(weighting_runs.margins_preview(w, margins))
                if data:  # keep the margins in the form, so "Pondérer" needs no second upload
                    form = MarginsForm(initial={**form.cleaned_data, "margins_text": data.decode("utf-8-sig"),
                                                "margins_file": None})
            except (MarginsError, weighting_runs.weighting.WeightingError, UnicodeDecodeError) as exc:
                error, status = str(exc), 400
        else:
            status = 400
    runs = weighting_runs.runs_for(w)
    for r in runs:
        r.description = weighting_runs.run_description(r)
    return render(request, "analysis/weighting_wave.html", _page_context(
        request, d, w, form=form, preview=preview, error=error, runs=runs), status=status)


def _switch(request, d, w, action: str) -> HttpResponse:
    if action == "activer":
        try:
            pk = int(request.POST.get("run", ""))
        except ValueError:
            raise Http404 from None
        run = get_object_or_404(WeightingRun, pk=pk, wave=w)
        weighting_runs.weighting_activate(run)
        audit(request.user, "weighting.activate", f"{d.survey.slug}/{w.code}", run=run.pk)
    else:
        weighting_runs.weighting_deactivate(w)
        audit(request.user, "weighting.deactivate", f"{d.survey.slug}/{w.code}")
    return redirect("analysis:weighting_wave", slug=d.survey.slug, wave=w.code)


def _preview_rows(table) -> list[list[str]]:
    out = []
    for rec in table.to_dict("records"):
        out.append([rec["variable"], rec["category"], fmt_n(rec["respondents"]),
                    percent(rec["sample_share"]), percent(rec["target_share"]),
                    "—" if rec["ratio"] is None else number_format(rec["ratio"], decimal_pos=3)])
    return out


def _run(request, slug: str, wave: str, pk: int):
    d = dashboard_for(request.user, slug)
    w = _wave(d, wave)
    return d, w, get_object_or_404(WeightingRun, pk=pk, wave=w)


def _histogram_block(run: WeightingRun, data_url: str) -> Block:
    import pandas as pd

    table = pd.DataFrame(run.diagnostics.get("histogram", []), columns=["low", "high", "count"])
    title = _("Distribution des poids")

    def figure() -> go.Figure:
        fig = go.Figure(go.Bar(x=[(a + b) / 2 for a, b in zip(table["low"], table["high"])], y=table["count"],
                               width=[(b - a) for a, b in zip(table["low"], table["high"])],
                               marker_color="#000091", hovertemplate="%{x:.3f} : %{y}<extra></extra>"))
        fig.update_layout(xaxis_title=_("poids"), yaxis_title=_("réponses"), bargap=0.05,
                          margin={"l": 60, "r": 20, "t": 20, "b": 50}, height=320)
        return fig

    rows = [[f"{a:.4f} – {b:.4f}", fmt_n(int(c))] for a, b, c in zip(table["low"], table["high"], table["count"])]
    return Block(name="histogramme", title=title, table=table, figure=figure,
                 headers=[_("Poids (intervalle)"), _("Réponses")], rows=rows, data_url=data_url)


@require_GET
@analyst_required
def weighting_run(request: HttpRequest, slug: str, wave: str, pk: int) -> HttpResponse:
    """Diagnostics of one run: summary, achieved vs target margins, histogram of the weights."""
    d, w, run = _run(request, slug, wave, pk)
    block = _histogram_block(run, reverse("analysis:weighting_histogram", args=[slug, wave, pk]))
    block.figure_json = charts.figure_json(block.figure())
    s = run.diagnostics.get("summary", {})
    margins = [[m["variable"], m["category"], percent(m["target"], 2), percent(m["achieved"], 2),
                number_format(100 * m["gap"], decimal_pos=4)]
               for m in run.diagnostics.get("margins", [])]
    return render(request, "analysis/weighting_run.html", _page_context(
        request, d, w, run=run, summary=s, margins=margins, blocks=[block],
        description=weighting_runs.run_description(run)))


@require_GET
@analyst_required
def weighting_histogram(request: HttpRequest, slug: str, wave: str, pk: int) -> HttpResponse:
    """The table behind the histogram, as CSV."""
    _d, w, run = _run(request, slug, wave, pk)
    block = _histogram_block(run, "")
    return csv_response(block.table, f"poids-{slug}-{w.code}-{run.pk}.csv")
