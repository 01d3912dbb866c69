"""Creating and editing a section or a question in the workbench, with the condition builder.

A condition is built from rows (question, operator, value) that name only questions a condition
may read (those of earlier sections, choice and numeric ones); the rows become the stored JSON
(`services.condition_builder`) and go through the importer's validation with the rest of the form.
A condition the rows cannot show (written by hand or imported) is kept as it is, shown in words,
unless the designer ticks "replace". The page shows, beside the form, the section as a respondent
of the chosen category sees it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ..models import Question, QuestionType, Section, Survey, tr
from ..services.condition_builder import RowError, Rows, condition_to_rows, describe, rows_to_condition
from ..services.import_export import SCORED
from ..services.outline import OutlineRefused, delete_question, delete_section, next_order
from ..services.validation import needs_choices, questions_before
from ..services.versions import open_waves
from ..staff_views import designer_page
from .errors import problems
from .forms import ChoicesFormSet, QuestionForm, SectionForm, condition_forms, rows_from_forms
from .views import offered_categories, preview_steps

NOT_IN_CONDITIONS = {QuestionType.TEXT, QuestionType.MATRIX}


def condition_questions(survey: Survey, order: int, section_pk: int | None) -> list[Question]:
    """The questions a condition of a section at (`order`, `section_pk`) may name, in questionnaire order."""
    codes = set(questions_before(survey.pk, order, section_pk))
    return list(Question.objects.filter(survey=survey, code__in=codes).exclude(type__in=NOT_IN_CONDITIONS)
                .order_by("section__order", "section_id", "order", "id").prefetch_related("choices"))


def _values_hint(question: Question) -> str:
    if question.type in SCORED:
        low, high = SCORED[question.type]
        return _("notes de %(low)s à %(high)s") % {"low": low, "high": high}
    if question.type == QuestionType.NUMBER:
        return _("un nombre")
    return ", ".join(f"{c.code} ({tr(c, 'label')})" for c in question.choices.all())


class Builder:
    """The condition builder of one page: its forms, what it may name, the condition it yields."""

    def __init__(self, request: HttpRequest, stored: Any, questions: list[Question]) -> None:
        self.stored = stored
        rows = condition_to_rows(stored)
        self.complex = rows is None
        self.description = describe(stored)
        self.questions = [{"code": q.code, "text": tr(q, "text"), "values": _values_hint(q)} for q in questions]
        choices = [(q.code, f"{q.code} — {tr(q, 'text')[:70]}") for q in questions]
        data = request.POST if request.method == "POST" else None
        self.mode, self.rows = condition_forms(data, rows or Rows(), choices)

    def condition(self) -> tuple[bool, Any]:
        """(valid, condition): the rows' condition, or the stored one when it is kept."""
        if not (self.mode.is_valid() and self.rows.is_valid()):
            return False, self.stored
        if self.complex and not self.mode.cleaned_data.get("replace"):
            return True, self.stored
        try:
            return True, rows_to_condition(rows_from_forms(self.mode, self.rows))
        except RowError as exc:
            self.rows.forms[exc.index].add_error(exc.field, str(exc))
            return False, self.stored


def _category(request: HttpRequest, survey: Survey):
    categories = offered_categories(survey)
    chosen = request.GET.get("categorie")
    return categories, next((c for c in categories if c.code == chosen), categories[0] if categories else None)


def _preview(request: HttpRequest, survey: Survey, section: Section) -> dict[str, Any]:
    categories, category = _category(request, survey)
    steps = [s for s in preview_steps(survey, category.code) if s["section"].pk == section.pk] if category else []
    return {"categories": categories, "category": category, "steps": steps}


def _outline_at(survey: Survey, anchor: str) -> HttpResponse:
    return redirect(reverse("workbench:outline", args=[survey.slug]) + f"#{anchor}")


@designer_page
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, survey: Survey, pk: int | None = None) -> HttpResponse:
    """Create (no `pk`) or edit a section: code, titles, categories, display condition."""
    section = (get_object_or_404(Section, survey=survey, pk=pk) if pk is not None
               else Section(survey=survey, order=next_order(survey.sections.all())))
    builder = Builder(request, section.condition, condition_questions(survey, section.order, section.pk))
    form = SectionForm(request.POST or None, instance=section, survey=survey)
    if request.method == "POST":
        ok, form.condition = builder.condition()
        if form.is_valid() and ok:
            section = form.save(commit=False)
            section._version_actor = request.user  # who made a minor correction (issue 18)
            section.condition = form.condition
            section.save()
            form.save_m2m()
            messages.success(request, _("Section « %(code)s » enregistrée.") % {"code": section.code})
            return _outline_at(survey, f"section-{section.pk}")
    return render(request, "workbench/section_form.html", {
        "survey": survey, "section": "workbench", "obj": section if section.pk else None, "form": form,
        "builder": builder, **(_preview(request, survey, section) if section.pk else {}),
        "wave_open": bool(open_waves(survey)),
        "problems": problems((form, "condition"), (builder.mode, "condition"), (builder.rows, "condition")),
    }, status=400 if request.method == "POST" else 200)


def _save_question(form: QuestionForm, choices, condition: Any, actor: Any) -> Question:
    question = form.save(commit=False)
    question._version_actor = actor  # who made a minor correction (issue 18)
    question.condition = condition
    question.save()
    form.save_m2m()
    if not needs_choices(question.type):
        question.choices.all().delete()
        return question
    choices.instance = question
    choices.save(commit=False)
    for obj in choices.deleted_objects:
        obj.delete()
    deleted = set(choices.deleted_forms)
    for position, choice_form in enumerate(choices.forms, start=1):
        choice = choice_form.instance
        if choice_form in deleted or not choice.code:
            continue
        choice.question = question
        choice._version_actor = actor
        choice.order = position
        choice.save()
    return question


@designer_page
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, survey: Survey, section_pk: int | None = None,
                  pk: int | None = None) -> HttpResponse:
    """Create a question in a section (`section_pk`) or edit one (`pk`): every type, choices, condition."""
    if pk is not None:
        question = get_object_or_404(Question.objects.select_related("section"), survey=survey, pk=pk)
        section = question.section
    else:
        section = get_object_or_404(Section, survey=survey, pk=section_pk)
        question = Question(section=section, survey=survey, order=next_order(section.questions.all()))
    builder = Builder(request, question.condition, condition_questions(survey, section.order, section.pk))
    form = QuestionForm(request.POST or None, instance=question, section=section)
    choices = ChoicesFormSet(request.POST or None, instance=question, prefix="choices")
    if request.method == "POST":
        ok, form.condition = builder.condition()
        valid = form.is_valid()  # sets the question's type, which the choices' check reads
        for choice_form in choices.forms:  # one « correction mineure » box for the question and its choices
            choice_form.question_form = form
        if not needs_choices(form.instance.type):
            choices_ok = True
        else:
            choices_ok = choices.is_valid()
        if valid and ok and choices_ok:
            question = _save_question(form, choices, form.condition, request.user)
            messages.success(request, _("Question « %(code)s » enregistrée.") % {"code": question.code})
            return _outline_at(survey, f"question-{question.pk}")
    return render(request, "workbench/question_form.html", {
        "survey": survey, "section": "workbench", "obj": question if question.pk else None, "parent": section,
        "form": form, "choices": choices, "builder": builder, **_preview(request, survey, section),
        "wave_open": bool(open_waves(survey)),
        "problems": problems((form, "condition"), (choices, "choices"), (builder.mode, "condition"),
                             (builder.rows, "condition")),
    }, status=400 if request.method == "POST" else 200)


def _deleted(request: HttpRequest, survey: Survey, remove, obj, what: str) -> HttpResponse:
    try:
        remove(obj)
    except OutlineRefused as exc:
        messages.error(request, _("Suppression refusée : %(why)s") % {"why": "; ".join(exc.problems)})
    else:
        messages.success(request, _("%(what)s supprimée.") % {"what": what})
    return redirect("workbench:outline", slug=survey.slug)


@designer_page
@require_POST
def section_delete(request: HttpRequest, survey: Survey, pk: int) -> HttpResponse:
    section = get_object_or_404(Section, survey=survey, pk=pk)
    return _deleted(request, survey, delete_section, section, _("Section « %(code)s »") % {"code": section.code})


@designer_page
@require_POST
def question_delete(request: HttpRequest, survey: Survey, pk: int) -> HttpResponse:
    question = get_object_or_404(Question, survey=survey, pk=pk)
    return _deleted(request, survey, delete_question, question,
                    _("Question « %(code)s »") % {"code": question.code})
