"""The load test's own tools: its generic respondent must answer real step pages, its pacer must
offer the rate it is given (else its figures mean nothing)."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from bench.loadtest import Pacer, fill, parse_form
from tests.surveys.test_wizard import current_step, start, step_url

pytestmark = pytest.mark.django_db


def test_generic_respondent_answers_each_step_page_and_the_wizard_moves_on(client, survey):
    resp = start(client, survey, categorie="researchers")
    rng = random.Random(0)
    seen = []
    for _ in range(10):
        step = current_step(resp)
        seen.append(step)
        if step == "recapitulatif":
            break
        data, posted_step = fill(resp.content.decode(), rng)
        assert posted_step == step
        resp = client.post(step_url(survey, step), data, follow=True)
        assert current_step(resp) != step, f"the generated answers did not validate on {step}"
    assert seen[-1] == "recapitulatif" and len(seen) >= 4


def test_form_parser_reads_hidden_radio_checkbox_and_text_inputs(client, survey):
    page = start(client, survey, categorie="researchers").content.decode()
    form = parse_form(page)
    assert any(name.endswith("-current_step") for name in form["hidden"])
    assert "csrfmiddlewaretoken" in form["hidden"] and "ecoute-run" in form["hidden"]
    assert form["radio"]["core-SAT_OVERALL"][:5] == ["1", "2", "3", "4", "5"]
    assert "core-USED" in form["checkbox"]


def test_pacer_spaces_requests_at_the_offered_rate():
    async def run(rate: float, n: int) -> float:
        pacer = Pacer(rate)
        t0 = time.monotonic()
        for _ in range(n):
            await pacer.wait()
        return time.monotonic() - t0

    assert asyncio.run(run(200, 41)) >= 40 / 200 * 0.99  # 41 arrivals span 40 intervals
    assert asyncio.run(run(0, 1000)) < 0.5  # no rate: no waiting (saturation)
