"""The questionnaire wizard (django-formtools): one step per section that applies to the respondent.

The step list is built per request (new dicts in `setup()`, never the class-level ones) from the
survey's sections, the respondent's category and the answers so far; conditions are evaluated by
`surveys.logic` from those answers, never by reading a skipped step. Each valid step is saved to
a draft Response, so an expired session loses nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.contrib import messages
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from formtools.wizard.storage.session import SessionStorage
from formtools.wizard.views import NamedUrlSessionWizardView, WizardView

from .forms import CategoryForm, ReviewForm, SectionForm, StoredAnswer, answers_to_data
from .gate import survey_gate
from .resume import shown_code
from .models import Response, Survey, UserCategory
from .services import browser_once, notifications
from .services.review import review_rows
from .services.runs import (  # noqa: F401 (unsign_run: re-exported for the views)
    answers_after_step, answers_memo_key, get_run, kept_codes, save_run, sign_run, storage_prefix,
    stored_steps_answers, unsign_run,
)
from .wizard_flow import render_next_step_in_place, review_enabled
from .services.responses import (
    Run, answers_for_logic, response_load_answers, section_questions, response_save_step, response_submit, survey_structure,
    visible_questions, visible_sections,
)

CATEGORY_STEP = "categorie"
REVIEW_STEP = "recapitulatif"

class WizardSessionStorage(SessionStorage):
    """formtools' session storage, minus a session write on every read.

    formtools marks the session modified whenever its data is *read* (its data is a mutable dict),
    so every GET of a step rewrote the session row; here only the writers mark it.
    """

    def _get_data(self) -> dict:
        return self.request.session[self.prefix]

    data = property(_get_data, SessionStorage._set_data)

    def _changed(self) -> None:
        self.request.session.modified = True

    def _set_current_step(self, step: str | None) -> None:
        if self.data[self.step_key] != step:
            super()._set_current_step(step)
            self._changed()

    def _set_extra_data(self, extra_data: dict) -> None:
        super()._set_extra_data(extra_data)
        self._changed()

    def set_step_data(self, step: str, cleaned_data: Any) -> None:
        before = self.data[self.step_data_key].get(step)
        super().set_step_data(step, cleaned_data)
        if self.data[self.step_data_key].get(step) != before:
            self._changed()

    def set_step_files(self, step: str, files: Any) -> None:
        before = self.data[self.step_files_key].get(step)
        super().set_step_files(step, files)
        if self.data[self.step_files_key].get(step) != before:
            self._changed()


class SurveyWizard(NamedUrlSessionWizardView):
    """Answer one survey. URL: /s/<slug>/q/<step>/ ; done step: /s/<slug>/q/fin/."""

    template_name = "surveys/step.html"
    form_list = [("placeholder", ReviewForm)]  # replaced per request in setup()
    storage_name = "surveys.wizard.WizardSessionStorage"

    # -- per-request step list ------------------------------------------------------------
    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.survey = get_object_or_404(Survey, slug=kwargs["slug"])
        self.structure = survey_structure(self.survey)
        self.sections_by_code = {s.code: s for s in self.structure}
        self.run = get_run(request, self.survey)
        if self.run is None and request.method == "POST":
            self.run = unsign_run(request.POST.get("ecoute-run", ""))
            if self.run is not None and self.run.survey_id == self.survey.pk:
                save_run(request, self.survey, self.run)
                self._restore_storage_needed = True
            else:
                self.run = None
        form_list: OrderedDict[str, type] = OrderedDict()
        condition_dict: dict[str, Any] = {}
        if self.run is not None and not self.run.category_preset:
            form_list[CATEGORY_STEP] = CategoryForm
        for section in self.structure:
            form_list[section.code] = SectionForm
            condition_dict[section.code] = self._section_visible
        if review_enabled(self.survey):
            form_list[REVIEW_STEP] = ReviewForm
        self.form_list = form_list
        self.condition_dict = condition_dict
        self._answers_cache: dict[str, StoredAnswer] | None = None

    def get_prefix(self, request: HttpRequest, *args: Any, **kwargs: Any) -> str:
        return storage_prefix(self.survey)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (gate := survey_gate(request, self.survey)) is not None:
            return gate
        if self.run is None:
            messages.info(request, _("Votre session a expiré : reprenez avec votre code ou recommencez."))
            return redirect("surveys:start", slug=self.survey.slug)
        if self.run.done or (not self._saves_a_section(request)
                             and Response.objects.filter(pk=self.run.response_id, status="complete").exists()):
            return redirect("surveys:thanks", slug=self.survey.slug)
        if getattr(self, "_restore_storage_needed", False):
            restore_storage(request, self.survey, self.run)
        return super().dispatch(request, *args, **kwargs)

    def _saves_a_section(self, request: HttpRequest) -> bool:
        """A section's POST: its save reads the response anyway and says if it is complete
        (:meth:`process_step`), so the check of :meth:`dispatch` would be a query for nothing."""
        return (request.method == "POST" and not request.POST.get("wizard_goto_step")
                and self._posted_step(request) in self.sections_by_code)

    def _posted_step(self, request: HttpRequest) -> str:
        """The step a POST says it answers (formtools' management field)."""
        return request.POST.get(f"{self.get_prefix(request)}-current_step", "")

    # -- answers so far (for conditions) --------------------------------------------------
    def category(self) -> str | None:
        if self.run.category_preset:
            return self.run.category
        data = self.storage.get_step_data(CATEGORY_STEP) if CATEGORY_STEP in self.form_list else None
        if data:
            code = data.get(f"{CATEGORY_STEP}-category")
            if code and code in {c.code for c in self.survey_categories()}:
                return code
        return self.run.category

    def answers_so_far(self) -> dict[str, StoredAnswer]:
        """Answers of every stored step, validated by the step's own form.

        A step's cleaned answers are kept in the session with a digest of what they were
        validated from (the questionnaire version, the questions shown, the posted data), so a
        request re-validates only a step whose inputs changed instead of every stored step.
        """
        if self._answers_cache is None:
            session = self.request.session
            answers, memo = stored_steps_answers(
                self.structure, self.category(), self.storage.get_step_data,
                session.get(answers_memo_key(self.survey.slug)) or {}, str(self.survey.updated_at), self._validate_step)
            if memo is not None:
                session[answers_memo_key(self.survey.slug)] = memo
            self._answers_cache = answers
        return self._answers_cache

    def _validate_step(self, section: Any, questions: list, data: Any) -> dict[str, StoredAnswer]:
        form = SectionForm(data=data, prefix=self.get_form_prefix(section.code, SectionForm), questions=questions)
        return form.stored_answers() if form.is_valid() else {}

    def logic_answers(self) -> dict:
        return answers_for_logic(self.structure, self.answers_so_far())

    def _section_visible(self, wizard: SurveyWizard) -> bool:
        # formtools calls this once per section; the section is the one being asked about.
        return True

    def get_form_list(self) -> OrderedDict:
        """Steps for this respondent: category (if asked), visible sections, review.

        Memoised until the stored answers change (formtools asks for it many times per request).
        """
        answers = self.answers_so_far()
        memo = getattr(self, "_form_list_memo", None)
        if memo is not None and memo[0] is answers:
            self._resolved_form_list, self._cache_signature = memo[1], None
            return OrderedDict(memo[1])
        category = self.category()
        visible = {s.code for s in visible_sections(self.structure, category, self.logic_answers())} if category else set()
        out: OrderedDict[str, type] = OrderedDict()
        for key, form_class in self.form_list.items():
            if key in (CATEGORY_STEP, REVIEW_STEP) or key in visible:
                out[key] = form_class
        # formtools deletes these two after each processed step; we keep our own memo instead.
        self._resolved_form_list, self._cache_signature = out, None
        self._form_list_memo = (answers, out)
        return OrderedDict(out)

    # -- forms ----------------------------------------------------------------------------
    def get_form_kwargs(self, step: str | None = None) -> dict[str, Any]:
        step = step or self.steps.current
        if step == CATEGORY_STEP:
            return {"categories": self.survey_categories()}
        if step in self.sections_by_code:
            # Conditions read the answers of the *other* steps; a step never hides its own questions.
            others = {k: v for k, v in self.answers_so_far().items()
                      if k not in {q.code for q in section_questions(self.sections_by_code[step])}}
            return {"questions": visible_questions(self.sections_by_code[step], self.category(),
                                                   answers_for_logic(self.structure, others))}
        return {}

    def survey_categories(self) -> list[UserCategory]:
        if not hasattr(self, "_categories"):
            self._categories = list(self.survey.categories.all()) or list(UserCategory.objects.all())
        return self._categories

    def process_step(self, form: Any) -> dict:
        data = super().process_step(form)
        step = self.steps.current
        if step == CATEGORY_STEP:
            self.run.category = form.cleaned_data["category"].code
            save_run(self.request, self.survey, self.run)
        elif step in self.sections_by_code:
            self._answers_cache = None
            answers = answers_after_step(self.answers_so_far(), form.questions, form.stored_answers())
            keep = kept_codes(self.structure, self.category(), answers)
            self.run.category = self.category()
            try:
                saved = response_save_step(self.run, step, form.stored_answers(), [q.code for q in form.questions],
                                           keep, get_language() or "fr", survey=self.survey)
                self._completed_elsewhere = not saved  # another tab submitted it
            except DatabaseError:
                self._step_unsaved = True
                messages.warning(self.request, _("Vos réponses n'ont pas pu être enregistrées sur le serveur ; "
                                                 "elles restent dans cette session."))
            save_run(self.request, self.survey, self.run)
        return data

    def render_next_step(self, form: Any, **kwargs: Any) -> HttpResponse:
        if getattr(self, "_completed_elsewhere", False):
            self.run.done = True
            save_run(self.request, self.survey, self.run)
            return redirect("surveys:thanks", slug=self.survey.slug)
        self._answers_cache = None
        stored = not getattr(self, "_step_unsaved", False)
        return render_next_step_in_place(self, form, stored, **kwargs) or super().render_next_step(form, **kwargs)

    # -- pages ----------------------------------------------------------------------------
    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        section = self.sections_by_code.get(step)
        context.update({
            "survey": self.survey,
            "section": section,
            "is_category_step": step == CATEGORY_STEP,
            "is_review": step == REVIEW_STEP,
            "step_url": self.get_step_url(step),
            "canonical_path": self.get_step_url(step),  # the step shown, even in a POST's response
            "submits": step == REVIEW_STEP or (step == self.steps.last and not review_enabled(self.survey)),
            "run_signed": sign_run(self.run),
            "resume_code": shown_code(self.request, self.survey, self.run),
            "is_first_step": self.steps.step0 == 0,
            "progress_percent": int(100 * self.steps.step0 / max(self.steps.count - 1, 1)),
        })
        if step == REVIEW_STEP:
            context["review"] = self.review_rows()
        return context

    def review_rows(self) -> list[dict[str, Any]]:
        """Every visible step with its questions and the answer given, for the review page."""
        return review_rows(self.structure, self.category(), self.answers_so_far(), self.survey.slug)

    def get_step_url(self, step: str) -> str:
        return reverse(self.url_name, kwargs={"slug": self.survey.slug, "step": step})

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """GET never submits: the done URL only redirects (to the review step)."""
        if kwargs.get("step") == self.done_step_name:
            return redirect(self.get_step_url(REVIEW_STEP if review_enabled(self.survey) else self.steps.last))
        return super().get(request, *args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        """Refuse a post for a step this respondent does not have (skipped, hidden, forged)."""
        posted = self._posted_step(self.request)
        goto = self.request.POST.get("wizard_goto_step")
        steps = self.get_form_list()
        if not goto and posted not in steps:
            messages.warning(self.request, _("Cette étape n'est pas disponible : reprenez ici."))
            return redirect(self.get_step_url(self.steps.current if self.steps.current in steps else self.steps.first))
        return super().post(*args, **kwargs)

    def render_done(self, form: Any, **kwargs: Any) -> HttpResponse:
        """Submit right from the review post (formtools' named-URL variant would redirect to a GET)."""
        self._answers_cache = None
        return WizardView.render_done(self, form, **kwargs)

    def done(self, form_list: Any, form_dict: dict[str, Any] | None = None, **kwargs: Any) -> HttpResponse:
        form_dict = form_dict or kwargs.get("form_dict", {})
        if CATEGORY_STEP in form_dict:
            self.run.category = form_dict[CATEGORY_STEP].cleaned_data["category"].code
        answers: dict[str, StoredAnswer] = {}
        for key, form in form_dict.items():
            if isinstance(form, SectionForm):
                answers.update(form.stored_answers())
        keep = kept_codes(self.structure, self.run.category, answers)
        answers = {k: v for k, v in answers.items() if k in keep}
        # a DatabaseError propagates (before formtools resets the storage): surveys.busy keeps the answers
        result = response_submit(self.run, answers, keep, get_language() or "fr",
                                 on_commit=notifications.response_confirm, survey=self.survey)
        self.run.done = True
        self.run.response_id = str(result.response_id)
        save_run(self.request, self.survey, self.run)
        thanks = redirect("surveys:thanks", slug=self.survey.slug)
        browser_once.record_submission(self.request, thanks, self.survey, result.response_id)
        return thanks


def restore_storage(request: HttpRequest, survey: Survey, run: Run) -> str | None:
    """Refill the wizard's session storage from the draft in the database.

    Returns the first step still to answer (or the review step), so a respondent who comes back
    with a resume code or their invitation link continues where they were, every answer filled.
    """
    structure = survey_structure(survey)
    answers = response_load_answers(run.response_id)
    storage = WizardSessionStorage(storage_prefix(survey), request, None)
    storage.reset()
    if not run.category_preset and run.category:
        storage.set_step_data(CATEGORY_STEP, {f"{CATEGORY_STEP}-category": [run.category]})
    logic = answers_for_logic(structure, answers)
    sections = visible_sections(structure, run.category, logic) if run.category else []
    codes = [s.code for s in sections]
    last_step = Response.objects.filter(pk=run.response_id).values_list("last_step", flat=True).first() or ""
    last_index = codes.index(last_step) if last_step in codes else -1
    first_missing: str | None = None
    for index, section in enumerate(sections):
        data = answers_to_data(visible_questions(section, run.category, logic), answers, section.code)
        form = SectionForm(data=MultiValueDict(data), prefix=section.code,
                           questions=visible_questions(section, run.category, logic))
        if form.is_valid() and (data or index <= last_index):
            storage.set_step_data(section.code, data)
        elif first_missing is None:
            first_missing = section.code
    if not run.category:
        first_missing = CATEGORY_STEP
    elif first_missing is None:
        first_missing = REVIEW_STEP if review_enabled(survey) or not codes else codes[-1]
    storage.current_step = first_missing
    request.session.modified = True
    return first_missing
