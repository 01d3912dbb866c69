"""Realistic demo responses (``manage.py generate_responses``): N COMPLETE responses (marked
``is_demo`` unless ``--no-demo``), for demonstrations, screenshots and manual testing of the
dashboards. Realistic means:

- respondents are spread over the survey's categories and the contact channels with plausible
  shares (many general-public and researcher answers, few journalists), each category favouring
  its own channels (researchers: data access; journalists: contact service and publications);
- satisfaction differs as the quality team would expect: researchers more satisfied with
  documentation, the general public less with finding figures, the website rated lower than the
  publications, each later wave slightly better than the one before;
- a few cells are deliberately tiny: in every wave at most 3 respondents of the category "other"
  (or the survey's last category) came through one rare channel, so statistical secrecy
  (fewer than 5 answers) shows on the dashboards;
- each respondent answers only what they would have been shown: sections and questions targeted
  to their category whose display conditions hold given their earlier answers (the conditions
  are evaluated by ``surveys.logic.condition_met``, the function the questionnaire itself uses);
  optional questions are sometimes skipped, "don't know" is sometimes chosen where offered;
- free-text suggestions are drawn from some thirty French and English sentences about
  official statistics.

The same ``--seed`` gives the same answers (response ids aside). Rows are written in batches of
``--batch-size`` responses (``bulk_create``), each followed by its answers (one ``executemany``,
see :func:`generate`), all in one transaction: either the N responses are created or none is.
This is for realistic demo data; the benchmark (``bench/bench_load.py``) has its own much faster,
raw generator.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.core.management.base import CommandError  # the command's own error, as before
from django.db import transaction
from django.utils import timezone

from ..logic import condition_met
from ..models import Answer, Channel, Question, QuestionType, Response, ResponseStatus, Survey, UserCategory, Wave
from .data_version import responses_changed
from .responses import survey_structure
from .versions import wave_version_id

SUGGESTIONS = [
    "Publier le calendrier des diffusions plus tôt, au moins trois mois à l'avance.",
    "Proposer davantage de données à l'échelle communale et infracommunale.",
    "L'API devrait permettre de télécharger des séries complètes en une seule requête.",
    "La documentation des variables est difficile à trouver sur le site.",
    "Allonger la durée de l'embargo pour les journalistes, une heure ne suffit pas.",
    "Simplifier la procédure d'accès au CASD pour les doctorants.",
    "Les tableaux devraient être téléchargeables en CSV et pas seulement en PDF.",
    "Un moteur de recherche qui comprenne les termes courants, pas seulement le vocabulaire technique.",
    "Ajouter des notes méthodologiques courtes et lisibles à chaque publication.",
    "Mettre à disposition les séries longues avec les ruptures de série signalées.",
    "Les cartes interactives sont très utiles, merci de les développer.",
    "Prévenir par courriel lorsqu'une série que je suis est révisée.",
    "Le service de contact a répondu rapidement et précisément, bravo.",
    "Publier les codes sources des traitements statistiques.",
    "Harmoniser les nomenclatures entre les différentes enquêtes.",
    "Des webinaires de présentation des nouvelles données seraient bienvenus.",
    "Rendre le site plus lisible sur téléphone.",
    "Indiquer clairement la date de la prochaine mise à jour de chaque jeu de données.",
    "Please publish the release calendar earlier and keep it up to date.",
    "More local-level data, at least down to municipalities, would help a lot.",
    "The API rate limits are too strict for research use.",
    "Documentation in English is often missing or outdated.",
    "Access to the secure data centre (CASD) takes far too long to obtain.",
    "Provide machine-readable metadata (SDMX or DCAT) for every dataset.",
    "The embargo arrangements for the press work well; please keep them.",
    "Search results on the website are hard to navigate.",
    "Offer bulk downloads of all the tables of a publication as one file.",
    "It would be useful to have confidence intervals shown alongside the estimates.",
    "Announce methodological changes before the figures are published.",
    "Thank you for the clear and well-designed charts.",
]
COMPLAINTS = [
    "Je n'ai pas trouvé les chiffres que je cherchais.",
    "Les données sont publiées trop tard pour mes besoins.",
    "Le site est lent et la recherche ne donne rien de pertinent.",
    "Personne n'a répondu à ma demande.",
    "Trop de jargon, je ne comprends pas les définitions.",
    "I could not find the figures I needed.",
    "The data are released too late to be useful.",
    "My request to the contact service went unanswered.",
]

# Who answers: shares of the categories and channels (unknown codes get a small equal share).
CATEGORY_SHARE = {
    "researchers": 0.22, "local_authorities": 0.10, "general_public": 0.28, "institutional_partners": 0.06,
    "businesses": 0.12, "journalists": 0.04, "students": 0.12, "other": 0.06,
}
CHANNEL_SHARE = {
    "website": 0.40, "contact_service": 0.12, "publications": 0.12, "data_access": 0.15,
    "meetings_events": 0.05, "social_networks": 0.08, "newsletter": 0.08,
}
CHANNEL_PREFERENCE = {  # multiplies a channel's share for a category
    "researchers": {"data_access": 3.0, "publications": 1.5},
    "journalists": {"contact_service": 2.5, "publications": 2.0},
    "general_public": {"website": 1.5, "social_networks": 1.5},
    "students": {"website": 1.3, "social_networks": 2.0},
    "local_authorities": {"data_access": 1.5, "meetings_events": 2.0},
    "institutional_partners": {"meetings_events": 3.0, "contact_service": 1.5},
}
RARE_CHANNEL = "meetings_events"  # the channel on which the "other" category stays tiny
RARE_PER_WAVE = 3
# How satisfied (points on the 1-5 scale, added to a base of 3.7).
CATEGORY_EFFECT = {
    "researchers": 0.15, "general_public": -0.25, "institutional_partners": 0.2, "journalists": -0.1,
    "students": 0.05, "other": -0.1,
}
CHANNEL_EFFECT = {
    "website": -0.35, "contact_service": 0.2, "publications": 0.3, "data_access": 0.0, "meetings_events": 0.3,
    "social_networks": -0.15, "newsletter": 0.1,
}
WAVE_STEP = 0.15  # each later wave, a little better


def question_effect(code: str, channel: str | None, category: str) -> float:
    """How a question departs from the respondent's general mood."""
    effect = CHANNEL_EFFECT.get(channel or "", 0.0)
    upper = code.upper()
    if "DOC" in upper:
        effect += 0.45 if category == "researchers" else -0.1
    if "FIND" in upper:
        effect += -0.7 if category in ("general_public", "students") else -0.2
    if "CASD" in upper or "MICRO" in upper:
        effect -= 0.3  # access procedures: a known pain point
    if "EMBARGO" in upper or "CALENDAR" in upper:
        effect += 0.2
    return effect


@dataclass
class _Q:
    """What the generator needs of a question (read once, not per response)."""

    id: int
    code: str
    type: str
    required: bool
    allow_dont_know: bool
    condition: dict | None
    channel: str | None
    choices: list[str]
    min_value: float | None
    max_value: float | None
    max_length: int | None


@dataclass
class _Section:
    condition: dict | None
    questions: list[_Q]


def _weighted(rng: random.Random, items: Sequence[str], weights: Sequence[float]) -> str:
    return rng.choices(items, weights=weights, k=1)[0]


def _clip(x: float, low: int, high: int) -> int:
    return max(low, min(high, int(round(x))))


class Generator:
    """Draws respondents and their answers for one survey (deterministic for a seed)."""

    def __init__(self, survey: Survey, waves: list[Wave], seed: int) -> None:
        self.survey = survey
        self.waves = sorted(waves, key=lambda w: w.opens_at)
        self.rng = random.Random(seed)
        structure = survey_structure(survey)
        categories = list(survey.categories.order_by("order", "code")) or list(UserCategory.objects.all())
        if not categories:
            raise CommandError(f"survey {survey.slug!r} has no user category to draw from")
        self.categories = categories
        self.channels = list(Channel.objects.order_by("order", "code"))
        self.cat_codes = [c.code for c in categories]
        self.cat_weights = [CATEGORY_SHARE.get(c, 0.05) for c in self.cat_codes]
        self.channel_codes = [c.code for c in self.channels]
        self.small_category = "other" if "other" in self.cat_codes else self.cat_codes[-1]
        self.rare_channel = (RARE_CHANNEL if RARE_CHANNEL in self.channel_codes
                             else (self.channel_codes[-1] if self.channel_codes else None))
        self.channel_weights = {}
        for cat in self.cat_codes:
            prefs = CHANNEL_PREFERENCE.get(cat, {})
            weights = [CHANNEL_SHARE.get(ch, 0.05) * prefs.get(ch, 1.0) for ch in self.channel_codes]
            if cat == self.small_category and len(self.channel_codes) > 1:
                weights = [0.0 if ch == self.rare_channel else w for ch, w in zip(self.channel_codes, weights)]
            self.channel_weights[cat] = weights
        # the questionnaire as each category sees it (targeting resolved once)
        self.by_category: dict[str, list[_Section]] = {}
        for cat in self.cat_codes:
            sections = []
            for section in structure:
                if not section.applies_to(cat):
                    continue
                qs = [self._q(q) for q in section.questions.all() if q.applies_to(cat)]
                if qs:
                    sections.append(_Section(section.condition, qs))
            self.by_category[cat] = sections

    @staticmethod
    def _q(q: Question) -> _Q:
        return _Q(q.id, q.code, q.type, q.required, q.allow_dont_know, q.condition,
                  q.channel.code if q.channel_id else None, [c.code for c in q.choices.all()],
                  q.min_value, q.max_value, q.max_length)

    # -- respondents ------------------------------------------------------------------------
    def respondents(self, n: int) -> list[tuple[Wave, str, str | None]]:
        """(wave, category, channel) for n respondents, with the tiny cells planted."""
        rng = self.rng
        out = []
        for _ in range(n):
            wave = self.waves[rng.randrange(len(self.waves))]
            cat = _weighted(rng, self.cat_codes, self.cat_weights)
            channel = (_weighted(rng, self.channel_codes, self.channel_weights[cat])
                       if self.channel_codes else None)
            out.append((wave, cat, channel))
        if self.rare_channel and n >= 50 * len(self.waves):
            for wave in self.waves:  # a few "other" respondents via the rare channel, below 5
                small = [i for i, (w, c, _ch) in enumerate(out) if w is wave and c == self.small_category]
                for i in small[:RARE_PER_WAVE]:
                    out[i] = (wave, self.small_category, self.rare_channel)
        return out

    # -- answers ----------------------------------------------------------------------------
    def answers(self, wave: Wave, category: str, channel: str | None, language: str) -> list[tuple[_Q, dict]]:
        """The answers of one respondent, question by question, as the questionnaire shows them."""
        rng = self.rng
        rank = self.waves.index(wave)
        mood = (3.7 + CATEGORY_EFFECT.get(category, 0.0) + CHANNEL_EFFECT.get(channel or "", 0.0) * 0.5
                + WAVE_STEP * rank + rng.gauss(0, 0.5))
        logic: dict = {}  # answers so far, as display conditions read them
        out: list[tuple[_Q, dict]] = []
        for section in self.by_category[category]:
            if not condition_met(section.condition, logic):
                continue
            for q in section.questions:
                if not condition_met(q.condition, logic):
                    continue
                fields, for_logic = self._answer(q, category, channel, mood, language)
                if fields is None:
                    continue
                out.append((q, fields))
                if for_logic is not None:
                    logic[q.code] = for_logic
        return out

    def _answer(self, q: _Q, category: str, channel: str | None, mood: float, language: str):
        """(Answer fields, value for the conditions), or (None, None) when the question is skipped."""
        rng = self.rng
        if not q.required and rng.random() < 0.08:
            return None, None
        if q.allow_dont_know and rng.random() < 0.05:
            return {"dont_know": True}, None
        t = q.type
        level = mood + question_effect(q.code, q.channel, category)
        if t == QuestionType.SATISFACTION:
            v = float(_clip(rng.gauss(level, 0.8), 1, 5))
            return {"value": v}, v
        if t == QuestionType.SCALE:
            v = float(_clip(rng.gauss(2.5 * level - 2.0, 1.3), 0, 10))
            return {"value": v}, v
        if t == QuestionType.NPS:
            v = float(_clip(rng.gauss(2.6 * level - 2.2, 1.6), 0, 10))
            return {"value": v}, v
        if t == QuestionType.NUMBER:
            low = q.min_value if q.min_value is not None else 0
            high = q.max_value if q.max_value is not None else max(low + 50, 50)
            v = float(_clip(low + rng.expovariate(1 / max((high - low) / 6, 1)), int(low), int(high)))
            return {"value": v}, v
        if t == QuestionType.SINGLE:
            if not q.choices:
                return None, None
            weights = [1.0 / (i + 1) for i in range(len(q.choices))]
            code = _weighted(rng, q.choices, weights)
            return {"text": code}, code
        if t == QuestionType.MULTIPLE:
            if not q.choices:
                return None, None
            chosen = [c for c in q.choices if rng.random() < (0.95 if c == channel else 0.3)]
            if not chosen:
                if not q.required and rng.random() < 0.5:
                    return None, None
                chosen = [channel if channel in q.choices else rng.choice(q.choices)]
            return {"codes": chosen}, chosen
        if t == QuestionType.MATRIX:
            items = {c: _clip(rng.gauss(level + rng.uniform(-0.4, 0.4), 0.9), 1, 5)
                     for c in q.choices if rng.random() >= 0.1}
            return ({"codes": items}, None) if items else (None, None)
        if t == QuestionType.TEXT:
            complaint = q.condition is not None  # a "why?" shown after a low score
            if not complaint and rng.random() < 0.7:
                return None, None
            pool = COMPLAINTS if complaint else SUGGESTIONS
            english = [s for s in pool if not _looks_french(s)]
            french = [s for s in pool if _looks_french(s)]
            choice = rng.choice(english if language == "en" and english else french or pool)
            text = choice[: q.max_length] if q.max_length else choice
            return {"text": text}, text
        return None, None


def _looks_french(sentence: str) -> bool:
    return any(w in sentence for w in ("é", "è", "à", "ç", " les ", " des ", " le ", " la ", "Je ", "Le ", "Les "))


def generate(survey: Survey, waves: list[Wave], n: int, *, seed: int = 42, demo: bool = True,
             batch_size: int = 2000) -> tuple[int, int]:
    """Create n complete responses (and their answers) in one transaction; returns the counts.

    Responses go through ``bulk_create`` (``batch_size`` at a time). Their answers — some 13 per
    response on the demo survey — are written right after each batch by one ``executemany`` of a
    parameterised INSERT whose values the model's own fields prepare (``get_db_prep_save``: the
    UUID and JSON forms of the database in use): ``bulk_create`` spends some 40 µs of Python per
    answer building model instances and SQL, over a minute for the 1.3 million answers of 100,000
    responses, where this takes a few seconds.
    """
    from django.db import connection

    gen = Generator(survey, waves, seed)
    categories = {c.code: c.id for c in gen.categories}
    channels = {c.code: c.id for c in gen.channels}
    people = gen.respondents(n)
    rng = gen.rng
    rid_field = Answer._meta.get_field("response").target_field
    codes_field = Answer._meta.get_field("codes")
    qn = connection.ops.quote_name
    insert = (f"INSERT INTO {qn(Answer._meta.db_table)} ({qn('response_id')}, {qn('question_id')}, {qn('value')}, "
              f"{qn('text')}, {qn('codes')}, {qn('dont_know')}) VALUES (%s, %s, %s, %s, %s, %s)")
    total_answers = 0
    now = timezone.now()
    version_of = {w.id: wave_version_id(w.id) for w in waves}  # the version each wave uses (issue 18)
    with transaction.atomic():
        for start in range(0, n, batch_size):
            responses, answer_rows = [], []
            for wave, cat, channel in people[start:start + batch_size]:
                language = "en" if rng.random() < 0.12 else "fr"
                # Never dated in the future: a wave still open is filled up to now only.
                end = min(wave.closes_at, now)
                begin = min(wave.opens_at, end - timedelta(hours=1))
                span = max((end - begin).total_seconds(), 60.0)
                started = begin + timedelta(seconds=rng.uniform(0, span - 60))
                submitted = min(started + timedelta(seconds=min(rng.uniform(90, 1500), span)), end)
                rid = uuid.uuid4()
                responses.append(Response(
                    id=rid, survey_id=survey.id, wave_id=wave.id, category_id=categories[cat],
                    version_id=version_of[wave.id], channel_id=channels.get(channel), language=language, status=ResponseStatus.COMPLETE,
                    notice_version=survey.notice_version, weight=1.0, is_demo=demo,
                    started_at=started, submitted_at=submitted,
                ))
                db_rid = rid_field.get_db_prep_save(rid, connection)
                for q, fields in gen.answers(wave, cat, channel, language):
                    codes = fields.get("codes")
                    answer_rows.append((db_rid, q.id, fields.get("value"), fields.get("text", ""),
                                        None if codes is None else codes_field.get_db_prep_save(codes, connection),
                                        fields.get("dont_know", False)))
            Response.objects.bulk_create(responses, batch_size=batch_size)
            with connection.cursor() as cursor:
                cursor.executemany(insert, answer_rows)
            total_answers += len(answer_rows)
        responses_changed(survey.id)  # bulk inserts send no signal: cached dashboards must know
    return n, total_answers
