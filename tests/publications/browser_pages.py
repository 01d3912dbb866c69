"""How the browser checks (tests/browser/pages.py) reach the public publication pages: a released
publication of the survey under test, with a few responses so its charts and tables have content
(and one small, suppressed cell)."""

from __future__ import annotations


def _released(survey):
    from publications.models import Collection, Publication
    from tests.analysis.dashboard_data import respond
    from tests.publications.conftest import TABLES, make_publication

    found = Publication.objects.filter(slug="navigateur").first()
    if found is not None:
        return found
    wave = survey.waves.order_by("-opens_at").first()
    categories = list(survey.categories.values_list("code", flat=True)[:2])
    scores = {categories[0]: [3, 4, 5, 4, 5, 3, 4, 5, 4, 2], categories[-1]: [1, 2, 1]}  # the 2nd: a small cell
    for category, values in scores.items():
        for score in values:
            respond(survey, wave, category, "website", {"SAT_OVERALL": score, "NPS": 2 * score})
    collection = Collection.objects.create(slug="chiffres-cles", name_fr="Chiffres clés", name_en="Key figures")
    return make_publication(survey, collection, "navigateur", -1, tables=TABLES)


def calendar(site) -> None:
    _released(site.survey)
    site.goto("/publications/")


def collection(site) -> None:
    p = _released(site.survey)
    site.goto(p.collection.get_absolute_url())


def publication(site) -> None:
    p = _released(site.survey)
    site.goto(p.get_absolute_url())

