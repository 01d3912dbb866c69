"""Demo publications (``manage.py load_demo``): a collection with one released publication and one
announced for a month from now, under embargo, with the demo ``analyst`` account on its list, so
``/publications/calendrier.ics`` holds a future event whose URL answers 404 to a visitor.
Safe to run again: an existing demo collection is left as it is."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from surveys.models import Survey
from surveys.permissions import DESIGNERS

from .models import Collection, Publication
from .services import publication_freeze

SLUG = "chiffres-cles-satisfaction"
TABLES = "canaux satisfaits\ntendances satisfaits\nquestion SAT_OVERALL"
DESIGNER_MODELS = ["collection", "publication", "subscription"]
DESIGNER_VIEW = ["publicationversion", "releasechange", "embargoaccess"]


def _designer_permissions() -> None:
    group = Group.objects.filter(name=DESIGNERS).first()
    if group is None:
        return
    codenames = [f"{a}_{m}" for m in DESIGNER_MODELS for a in ("add", "change", "delete", "view")]
    codenames += [f"view_{m}" for m in DESIGNER_VIEW]
    group.permissions.add(*Permission.objects.filter(content_type__app_label="publications", codename__in=codenames))


def _publication(collection: Collection, survey: Survey, slug: str, title_fr: str, title_en: str, days: int,
                 text_fr: str, text_en: str) -> Publication:
    today = timezone.localdate()
    p = Publication.objects.create(
        collection=collection, slug=slug, title_fr=title_fr, title_en=title_en, survey=survey, tables=TABLES,
        text_fr=text_fr, text_en=text_en, release_date=today + dt.timedelta(days=max(days, 1)),
        release_time=dt.time(12, 0), announced_at=timezone.now())
    p.waves.set(survey.waves.all())
    publication_freeze(p, "manage.py load_demo")  # prepared ahead, as a release is
    if days < 1:  # ...and, for the demo, already out
        Publication.objects.filter(pk=p.pk).update(release_date=today + dt.timedelta(days=days))
    return p


def load_demo_publications(survey: Survey, stdout=None, base: str = "http://127.0.0.1:8000") -> None:
    """The demo collection and its two publications (see the module docstring)."""
    _designer_permissions()
    if Collection.objects.filter(slug=SLUG).exists():
        return
    collection = Collection.objects.create(
        slug=SLUG, name_fr="Chiffres clés de la satisfaction", name_en="Satisfaction key figures",
        description_fr="Les principaux résultats de l'enquête auprès des utilisateurs de nos statistiques.",
        description_en="The main results of the survey of the users of our statistics.")
    _publication(collection, survey, "resultats-2026", "La satisfaction des utilisateurs en 2026",
                 "User satisfaction in 2026", -7,
                 "## L'essentiel\n\nLes utilisateurs de nos statistiques sont **majoritairement satisfaits**. "
                 "Les cases de moins de cinq réponses sont masquées (secret statistique).",
                 "## Key points\n\nThe users of our statistics are **mostly satisfied**. Cells with fewer than "
                 "five answers are hidden (statistical confidentiality).")
    upcoming = _publication(collection, survey, "resultats-2026-par-canal", "La satisfaction par canal de contact",
                            "Satisfaction by contact channel", 30,
                            "## L'essentiel\n\nPublication à venir, sous embargo.",
                            "## Key points\n\nForthcoming publication, under embargo.")
    analyst = get_user_model().objects.filter(username="analyst").first()
    if analyst is not None:
        upcoming.embargo.add(analyst)
    if stdout is not None:
        stdout.write(f"  publications        {base}/publications/  (calendar: {base}/publications/calendrier.ics; "
                     f"the upcoming one is under embargo for 'analyst')")


def load(survey: Survey, demo) -> None:
    """``load_demo`` hook (:mod:`surveys.services.demo`): the demo collection and its publications."""
    load_demo_publications(survey, demo.stdout, demo.base_url)
