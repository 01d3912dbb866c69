"""``{% survey_themes survey %}``: the latest stored themes, shown on the analysis verbatims page."""

from __future__ import annotations

from django import template

from verbatims.services import latest_run, visible_themes

register = template.Library()


@register.inclusion_tag("verbatims/_themes_summary.html")
def survey_themes(survey) -> dict:
    run = latest_run(survey)
    return {"survey": survey, "run": run, "themes": visible_themes(run) if run else []}
