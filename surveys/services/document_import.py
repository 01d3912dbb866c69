"""Writing a questionnaire document into the database: everything in one transaction, after the
whole document was validated (schema in :mod:`surveys.services.import_export`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from ..models import Channel, Choice, Participant, Question, Response, Section, Survey, UserCategory, Wave, audit
from .document_schema import NOTICE_KEYS, RETENTION_KEYS, SurveyImportError, _parse_datetime
from .document_validation import validate_document


def _fr(value: Mapping | None) -> str:
    return (value or {}).get("fr", "")


def _en(value: Mapping | None) -> str:
    return (value or {}).get("en", "")


def survey_import(data: dict, *, replace: bool = False, actor: object = None) -> Survey:
    """Create the survey a document describes (or rebuild it in place with `replace=True`).

    The whole document is validated first (`validate_document`); then everything is written in one
    transaction. A survey with the same slug is an error unless `replace` is set, and even then a
    survey that already has responses or invited participants is never replaced: its questions and
    waves are what those answers and invitations refer to. Replacing keeps the survey row (its id and
    owners) and rebuilds its sections, questions and waves.
    """
    errors = validate_document(data)
    if errors:
        raise SurveyImportError(errors)

    slug = data["survey"]["slug"]
    try:
        with transaction.atomic():
            existing = Survey.objects.select_for_update().filter(slug=slug).first()
            if existing is not None:
                _check_replaceable(existing, replace)
            for model, key in ((UserCategory, "categories"), (Channel, "channels")):
                for i, item in enumerate(data.get(key, [])):
                    model.objects.update_or_create(code=item["code"], defaults={
                        "label_fr": _fr(item["label"]), "label_en": _en(item["label"]), "order": item.get("order", i),
                    })
            survey = _write_survey(existing or Survey(), data["survey"])
            if existing is not None:
                survey.sections.all().delete()
                survey.waves.all().delete()
            _write_waves(survey, data.get("waves", []))
            _write_sections(survey, data["sections"])
            audit(actor, "survey_import", slug, replace=existing is not None,
                  sections=len(data["sections"]), questions=sum(len(s["questions"]) for s in data["sections"]))
    except IntegrityError as exc:  # e.g. the same slug imported concurrently
        raise SurveyImportError(f'survey.slug: could not write survey "{slug}" ({exc})') from exc
    return survey


def _check_replaceable(existing: Survey, replace: bool) -> None:
    slug = existing.slug
    if not replace:
        raise SurveyImportError(f'survey.slug: a survey "{slug}" already exists (import with replace to rebuild it)')
    n_responses = Response.objects.filter(survey=existing).count()
    if n_responses:
        raise SurveyImportError(
            f'survey.slug: cannot replace survey "{slug}": it already has {n_responses} response(s), whose '
            "answers refer to its questions and waves; import the new version under another slug"
        )
    n_participants = Participant.objects.filter(survey=existing).count()
    if n_participants:
        raise SurveyImportError(
            f'survey.slug: cannot replace survey "{slug}": it already has {n_participants} invited participant(s), '
            "whose invitations refer to its waves; import the new version under another slug"
        )


def _write_survey(survey: Survey, block: Mapping[str, Any]) -> Survey:
    survey.slug = block["slug"]
    for field in ("title", "intro", "thanks"):
        setattr(survey, f"{field}_fr", _fr(block.get(field)))
        setattr(survey, f"{field}_en", _en(block.get(field)))
    defaults = {f.name: f.default for f in Survey._meta.fields if f.name in (
        "min_cell", "keep_raw_text", "allow_erasure", *RETENTION_KEYS.values())}
    survey.min_cell = block.get("min_cell", defaults["min_cell"])
    retention = block.get("retention", {})
    for key, field in RETENTION_KEYS.items():
        setattr(survey, field, retention.get(key, defaults[field]))
    survey.keep_raw_text = block.get("keep_raw_text", defaults["keep_raw_text"])
    survey.allow_erasure = block.get("allow_erasure", defaults["allow_erasure"])
    notice = block.get("notice", {})
    for key in NOTICE_KEYS:
        setattr(survey, f"notice_{key}_fr", _fr(notice.get(key)))
        setattr(survey, f"notice_{key}_en", _en(notice.get(key)))
    survey.save()
    survey.categories.set(UserCategory.objects.filter(code__in=block.get("categories", [])))
    return survey


def _write_waves(survey: Survey, waves: list[Mapping[str, Any]]) -> None:
    Wave.objects.bulk_create([
        Wave(survey=survey, code=w["code"], label=w.get("label", ""),
             opens_at=_parse_datetime(w["opens_at"]), closes_at=_parse_datetime(w["closes_at"]))
        for w in waves
    ])


def _write_sections(survey: Survey, sections: list[Mapping[str, Any]]) -> None:
    categories = {c.code: c.pk for c in UserCategory.objects.all()}
    channels = {c.code: c.pk for c in Channel.objects.all()}
    section_links, question_links, choices = [], [], []
    for i, block in enumerate(sections, start=1):
        section = Section.objects.create(
            survey=survey, code=block["code"], order=i, condition=block.get("condition"),
            title_fr=_fr(block["title"]), title_en=_en(block["title"]),
            intro_fr=_fr(block.get("intro")), intro_en=_en(block.get("intro")),
        )
        section_links += [Section.categories.through(section_id=section.pk, usercategory_id=categories[c])
                          for c in block.get("categories", [])]
        questions = [
            Question(
                survey=survey, section=section, order=j, code=q["code"], type=q["type"],
                text_fr=_fr(q["text"]), text_en=_en(q["text"]), help_fr=_fr(q.get("help")), help_en=_en(q.get("help")),
                required=q.get("required", False), allow_dont_know=q.get("allow_dont_know", False),
                channel_id=channels[q["channel"]] if q.get("channel") else None, condition=q.get("condition"),
                min_value=q.get("min_value"), max_value=q.get("max_value"), max_length=q.get("max_length"),
                threshold=q.get("threshold"),
            )
            for j, q in enumerate(block["questions"], start=1)
        ]
        Question.objects.bulk_create(questions)
        for question, q in zip(questions, block["questions"], strict=True):
            question_links += [Question.categories.through(question_id=question.pk, usercategory_id=categories[c])
                               for c in q.get("categories", [])]
            choices += [Choice(question=question, code=c["code"], label_fr=_fr(c["label"]), label_en=_en(c["label"]),
                               order=k) for k, c in enumerate(q.get("choices") or [], start=1)]
    Section.categories.through.objects.bulk_create(section_links)
    Question.categories.through.objects.bulk_create(question_links)
    Choice.objects.bulk_create(choices)
