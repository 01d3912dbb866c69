"""`manage.py load_demo` gives the publications a collection with one released publication and
one upcoming under embargo (the demo analyst on its list)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import icalendar
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from publications.models import Collection, Publication

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_has_a_released_publication_and_an_upcoming_one_under_embargo():
    out = StringIO()
    call_command("load_demo", "--password", "x", "--responses", "150", stdout=out, stderr=out)
    call_command("load_demo", "--password", "x", stdout=StringIO(), stderr=StringIO())  # again: unchanged
    assert Collection.objects.count() == 1 and Publication.objects.count() == 2
    assert "/publications/" in out.getvalue()
    anonymous = Client()
    cal = icalendar.Calendar.from_ical(anonymous.get(reverse("publications:calendar_ics")).content)
    now = dt.datetime.now(dt.UTC)
    future = [e for e in cal.walk("VEVENT") if e.decoded("dtstart") > now]
    past = [e for e in cal.walk("VEVENT") if e.decoded("dtstart") <= now]
    assert len(future) == 1 and len(past) == 1
    future_path = str(future[0]["url"]).removeprefix("http://testserver")
    assert anonymous.get(future_path).status_code == 404
    released = anonymous.get(str(past[0]["url"]).removeprefix("http://testserver"))
    assert released.status_code == 200 and "<table" in released.content.decode()
    analyst = Client()
    analyst.force_login(get_user_model().objects.get(username="analyst"))
    assert analyst.get(future_path).status_code == 200
    designer = get_user_model().objects.get(username="designer")
    assert designer.has_perm("publications.change_publication") and designer.has_perm("publications.add_collection")
