"""Test data built with the real models (no mocks of our own data layer)."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from surveys.models import (
    NOTICE_ELEMENTS, Channel, Choice, Question, Section, Survey, UserCategory, Wave,
)


class UserCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserCategory
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"cat{n}")
    label_fr = factory.LazyAttribute(lambda o: f"Catégorie {o.code}")
    label_en = factory.LazyAttribute(lambda o: f"Category {o.code}")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"chan{n}")
    label_fr = factory.LazyAttribute(lambda o: f"Canal {o.code}")
    label_en = factory.LazyAttribute(lambda o: f"Channel {o.code}")


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    slug = factory.Sequence(lambda n: f"enquete-{n}")
    title_fr = "Enquête de satisfaction"
    title_en = "Satisfaction survey"
    status = "published"  # answerable; tests of drafts say status="draft"

    # A complete information notice, so waves may open.
    for _key, _label in NOTICE_ELEMENTS:
        locals()[f"notice_{_key}_fr"] = f"Texte {_key}"
        locals()[f"notice_{_key}_en"] = f"Text {_key}"
    del _key, _label


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    survey = factory.SubFactory(SurveyFactory)
    code = factory.Sequence(lambda n: f"w{n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


def question(section: Section, code: str, type: str, order: int, choices: list[str] | None = None,
             **kwargs) -> Question:
    q = Question.objects.create(section=section, survey=section.survey, code=code, type=type, order=order,
                                text_fr=kwargs.pop("text_fr", f"Question {code}"),
                                text_en=kwargs.pop("text_en", f"Question {code} (en)"), **kwargs)
    for i, c in enumerate(choices or []):
        Choice.objects.create(question=q, code=c, label_fr=f"Choix {c}", label_en=f"Choice {c}", order=i)
    return q


def build_survey(slug: str = "test-survey") -> Survey:
    """Three categories, two channels, five sections:

    1. core (all): SAT_OVERALL satisfaction (required), NPS nps, USED multiple [web, contact] (required)
    2. web (all, shown when USED in [web]): SAT_WEB satisfaction tied to channel web (allow don't know),
       WEB_MATRIX matrix [find, understand]
    3. research (category researchers only): MICRO single [yes, no] (required), SAT_MICRO scale
    4. press (journalists only): EMBARGO satisfaction
    5. end (all): WHY text shown when SAT_OVERALL <= 2, SUGG text (max 200), VISITS number 0..100
    """
    researchers = UserCategoryFactory(code="researchers", label_fr="Chercheurs", label_en="Researchers", order=1)
    journalists = UserCategoryFactory(code="journalists", label_fr="Journalistes", label_en="Journalists", order=2)
    public = UserCategoryFactory(code="general_public", label_fr="Grand public", label_en="General public", order=3)
    web = ChannelFactory(code="website", label_fr="Site internet", label_en="Website")
    ChannelFactory(code="contact_service", label_fr="Service de contact", label_en="Contact service")
    survey = SurveyFactory(slug=slug)
    survey.categories.set([researchers, journalists, public])
    WaveFactory(survey=survey, code="2026")
    core = Section.objects.create(survey=survey, code="core", order=1, title_fr="Votre avis général",
                                  title_en="Your overall opinion")
    question(core, "SAT_OVERALL", "satisfaction", 1, required=True)
    question(core, "NPS", "nps", 2)
    question(core, "USED", "multiple", 3, choices=["web", "contact"], required=True)
    web_section = Section.objects.create(survey=survey, code="web", order=2, title_fr="Le site internet",
                                         title_en="The website", condition={"question": "USED", "in": ["web"]})
    question(web_section, "SAT_WEB", "satisfaction", 1, channel=web, allow_dont_know=True)
    question(web_section, "WEB_MATRIX", "matrix", 2, choices=["find", "understand"])
    research = Section.objects.create(survey=survey, code="research", order=3, title_fr="Recherche",
                                      title_en="Research")
    research.categories.set([researchers])
    question(research, "MICRO", "single", 1, choices=["yes", "no"], required=True)
    question(research, "SAT_MICRO", "scale", 2)
    press = Section.objects.create(survey=survey, code="press", order=4, title_fr="Presse", title_en="Press")
    press.categories.set([journalists])
    question(press, "EMBARGO", "satisfaction", 1)
    end = Section.objects.create(survey=survey, code="end", order=5, title_fr="Pour finir", title_en="To finish")
    question(end, "WHY", "text", 1, condition={"question": "SAT_OVERALL", "op": "<=", "value": 2})
    question(end, "SUGG", "text", 2, max_length=200)
    question(end, "VISITS", "number", 3, min_value=0, max_value=100)
    return survey


def staff_user(username: str, group: str | None = None, surveys=(), superuser: bool = False) -> User:
    user = User.objects.create_user(username=username, password="a-long-test-password-123",
                                    is_staff=True, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    for s in surveys:
        s.owners.add(user)
    return user
