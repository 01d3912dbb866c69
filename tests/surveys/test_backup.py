"""A backup is restored and compared, row counts and checksums, on the database under test."""

from __future__ import annotations

import pytest
from django.db import connection

from surveys.services import backup
from tests.surveys.test_wizard import FULL, MGMT, step_url, walk


@pytest.mark.django_db(transaction=True)
def test_backup_restores_identical_rows(client, tmp_path):
    from tests import factories

    survey = factories.build_survey()
    walk(client, survey, "researchers", FULL)
    client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    with connection.cursor() as cursor:
        live = backup.table_fingerprints(cursor)
    assert live["surveys_answer"][0] > 5
    if connection.vendor == "sqlite":
        target = tmp_path / "backup.sqlite3"
        backup.sqlite_backup(target)
        restored = backup.sqlite_fingerprints(target)
    else:
        restored = backup.postgres_backup_and_restore(tmp_path / "dump.pgc", f"{connection.settings_dict['NAME']}_restore")
    assert restored == live


def test_fingerprints_change_when_one_value_changes():
    a = backup._digest([(1, "x"), (2, "y")])
    b = backup._digest([(2, "y"), (1, "x")])
    c = backup._digest([(1, "x"), (2, "z")])
    assert a == b and a != c
