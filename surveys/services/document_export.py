"""A survey as a questionnaire document (schema in :mod:`surveys.services.import_export`): every key
present, in the documented order, so export → import → export is identical.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from ..logic import canonical_condition
from ..models import Channel, Choice, Question, Survey, UserCategory
from .document_schema import NOTICE_KEYS, RETENTION_KEYS, SCHEMA, VERSION, _number


def _text(obj: object, field: str) -> dict[str, str]:
    return {"fr": getattr(obj, f"{field}_fr"), "en": getattr(obj, f"{field}_en")}


def _codes(labelled: list) -> list[str]:
    return [x.code for x in sorted(labelled, key=lambda x: (x.order, x.code))]


def _labelled(objs: list) -> list[dict[str, Any]]:
    return [{"code": o.code, "label": _text(o, "label"), "order": o.order}
            for o in sorted(objs, key=lambda x: (x.order, x.code))]


def survey_export(survey: Survey) -> dict[str, Any]:
    """The survey as a version-1 document: every key present, in the documented order."""
    choices = Prefetch("choices", Choice.objects.order_by("order", "id"))
    questions = Prefetch(
        "questions",
        Question.objects.order_by("order", "id").select_related("channel").prefetch_related("categories", choices),
    )
    sections = list(survey.sections.order_by("order", "id").prefetch_related("categories", questions))
    offered = list(survey.categories.all())

    used_categories = {c.pk: c for c in offered}
    for section in sections:
        used_categories.update({c.pk: c for c in section.categories.all()})
        for question in section.questions.all():
            used_categories.update({c.pk: c for c in question.categories.all()})
    if not offered:  # every category is offered
        used_categories.update({c.pk: c for c in UserCategory.objects.all()})

    return {
        "schema": SCHEMA,
        "version": VERSION,
        "survey": {
            "slug": survey.slug,
            "title": _text(survey, "title"),
            "intro": _text(survey, "intro"),
            "thanks": _text(survey, "thanks"),
            "categories": _codes(offered),
            "min_cell": survey.min_cell,
            "retention": {key: getattr(survey, field) for key, field in RETENTION_KEYS.items()},
            "keep_raw_text": survey.keep_raw_text,
            "allow_erasure": survey.allow_erasure,
            "notice": {key: _text(survey, f"notice_{key}") for key in NOTICE_KEYS},
        },
        "categories": _labelled(list(used_categories.values())),
        "channels": _labelled(list(Channel.objects.all())),
        "waves": [
            {"code": w.code, "label": w.label, "opens_at": timezone.localtime(w.opens_at).isoformat(),
             "closes_at": timezone.localtime(w.closes_at).isoformat()}
            for w in survey.waves.order_by("opens_at", "code")
        ],
        "sections": [
            {
                "code": s.code,
                "title": _text(s, "title"),
                "intro": _text(s, "intro"),
                "categories": _codes(list(s.categories.all())),
                "condition": canonical_condition(s.condition),
                "questions": [_question_export(q) for q in s.questions.all()],
            }
            for s in sections
        ],
    }


def _question_export(q: Question) -> dict[str, Any]:
    return {
        "code": q.code,
        "type": q.type,
        "text": _text(q, "text"),
        "help": _text(q, "help"),
        "required": q.required,
        "allow_dont_know": q.allow_dont_know,
        "categories": _codes(list(q.categories.all())),
        "channel": q.channel.code if q.channel else None,
        "condition": canonical_condition(q.condition),
        "min_value": _number(q.min_value),
        "max_value": _number(q.max_value),
        "max_length": q.max_length,
        "threshold": q.threshold,
        "choices": [{"code": c.code, "label": _text(c, "label")} for c in q.choices.all()],
    }


def document_dumps(data: Mapping[str, Any]) -> str:
    """The document as pretty-printed UTF-8 JSON (accents kept, key order as built, final newline)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
