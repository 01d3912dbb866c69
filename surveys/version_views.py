"""The quality team's page comparing the questionnaires of two waves (issue 18).

`/equipe/<slug>/versions/?a=WAVE&b=WAVE`: the changes (services.version_diff) with word diffs in
FR and EN, which questions are not comparable, and a form to rule a change a series break or
harmless, with a reason (BreakDecision, logged). Thin: the work is in services.versions.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import BreakDecision, Survey, Wave, audit
from .services.versions import compare_waves, freeze_wave
from .staff_views import designer_page


class RulingForm(forms.Form):
    question = forms.CharField(max_length=40, widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("décision"), choices=BreakDecision.DECISIONS, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("motif"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _pair(request: HttpRequest, waves: list[Wave]) -> tuple[Wave | None, Wave | None]:
    by_code = {w.code: w for w in waves}
    a = by_code.get(request.GET.get("a", "")) or (waves[-2] if len(waves) > 1 else None)
    b = by_code.get(request.GET.get("b", "")) or (waves[-1] if waves else None)
    return a, b


@designer_page
def versions(request: HttpRequest, survey: Survey) -> HttpResponse:
    waves = list(survey.waves.select_related("version").order_by("opens_at"))
    a, b = _pair(request, waves)
    changes, rulings = [], {}
    if a is not None and b is not None and a.pk != b.pk:
        changes = compare_waves(a, b)
        if a.version_id and b.version_id:
            rulings = {r.question: r for r in BreakDecision.objects.filter(version_a=a.version, version_b=b.version)}
    if request.method == "POST" and changes:
        form = RulingForm(request.POST)
        if form.is_valid() and a.version_id and b.version_id:
            data = form.cleaned_data
            BreakDecision.objects.update_or_create(
                version_a=freeze_wave(a), version_b=freeze_wave(b), question=data["question"],
                defaults={"decision": data["decision"], "reason": data["reason"],
                          "decided_by": request.user.get_username()})
            audit(request.user, "break_decision", f"{survey.slug} {a.code}→{b.code} {data['question']}",
                  decision=data["decision"], reason=data["reason"])
            messages.success(request, _("Décision enregistrée."))
            return redirect(f"{reverse('staff:versions', args=[survey.slug])}?a={a.code}&b={b.code}")
        messages.error(request, _("Décision non enregistrée : choisissez une décision et donnez un motif."))
    broken = {c.question for c in changes if c.breaking} | {
        q for q, r in rulings.items() if r.decision == BreakDecision.BREAK}
    rows = [{"change": c, "ruling": rulings.get(c.question), "comparable": c.question not in broken} for c in changes]
    rulable = sorted({c.question for c in changes if not c.breaking})
    return render(request, "staff/versions.html", {
        "survey": survey, "section": "versions", "waves": waves, "a": a, "b": b, "rows": rows,
        "rulable": rulable, "form": RulingForm(), "same_version": bool(a and b and a.version_id
                                                                      and a.version_id == b.version_id)})
