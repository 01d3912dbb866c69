"""Bulk weight writes: each weight lands on its own response whatever the input order, and on
PostgreSQL the responses' pages keep room for in-place (HOT) weight rewrites."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from analysis import weight_store
from analysis.models import RunWeight, WeightingRun
from surveys.models import Response
from tests.analysis.dashboard_data import ensure_frames, seed

pytestmark = pytest.mark.django_db
ensure_frames()


def test_weights_given_out_of_key_order_land_on_their_own_responses(survey):
    wave = seed(survey)
    ids = list(Response.objects.filter(wave=wave).order_by("-id").values_list("id", flat=True))
    rng = np.random.default_rng(5)
    ids = [ids[i] for i in rng.permutation(len(ids))]
    expected = {rid: 0.55 + i / 10 for i, rid in enumerate(ids)}  # weight i ↔ the i-th id given
    run = WeightingRun.objects.create(wave=wave, method="raking", margins=[], n=len(ids), is_active=True)
    weight_store.run_weights_store(run.pk, [str(r) for r in ids], np.array([expected[r] for r in ids]))
    assert dict(RunWeight.objects.filter(run=run).values_list("response_id", "weight")) == expected
    changed = weight_store.wave_weights_apply(run.pk, wave.pk)
    assert changed == len(ids)
    assert dict(Response.objects.filter(wave=wave).values_list("id", "weight")) == expected
    assert weight_store.wave_weights_apply(run.pk, wave.pk) == 0  # unchanged rows are not rewritten


def test_response_pages_are_half_free_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("fillfactor is a PostgreSQL storage parameter")
    with connection.cursor() as cur:
        cur.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [Response._meta.db_table])
        assert "fillfactor=50" in (cur.fetchone()[0] or [])
