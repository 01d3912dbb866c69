"""The workbench's forms: survey, wave, section, question, choices and the condition builder.

Every check is the importer's (`services.validation`), as in the admin, so what the workbench saves
an import would accept. The condition builder is a plain formset of rows (question, operator,
value) plus "all/any" and "not": it works without JavaScript, the server renders its rows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory, inlineformset_factory
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _

from ..admin_forms import LOCKED_MESSAGE, ChoiceFormSet, ChoiceInlineForm
from ..models import Choice, Question, Section, Survey, UserCategory, Wave
from ..services.condition_builder import OPERATOR_CHOICES, Row, Rows
from ..services.import_export import SLUG_RE
from ..services.validation import question_problems, section_problems
from ..services.versions import SURVEY_FIELDS
from ..version_guard import OpenWaveEditMixin

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
CONDITION_ROWS = 3  # rows shown: those of the stored condition, then empty ones up to this count (+1)


class ErrorText(ErrorList):
    """Field errors styled and found like the questionnaire's (`error-text`), still tied by id."""

    def __init__(self, initlist=None, error_class: str | None = None, **kwargs: Any) -> None:
        super().__init__(initlist, error_class=f"error-text {error_class or ''}".strip(), **kwargs)


class ErrorTextMixin:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("error_class", ErrorText)
        super().__init__(*args, **kwargs)


def add_problems(form: forms.Form, problems: dict[str, list[str]]) -> None:
    """The validator's messages on their fields; a condition's go to the builder (and the summary)."""
    for name, messages in problems.items():
        for message in messages:
            if name == "condition":
                form.condition_errors.append(message)
                message = _("Condition d'affichage : %(problem)s") % {"problem": message}
            form.add_error(name if name in form.fields else None, message)


class SlugForm(ErrorTextMixin, forms.Form):
    slug = forms.SlugField(label=_("Identifiant d'URL de la copie"), max_length=60,
                           help_text=_("Lettres, chiffres, « - » et « _ » ; il apparaît dans les liens publics."))


class SurveyCreateForm(ErrorTextMixin, forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["slug", "title_fr", "title_en", "categories"]
        widgets = {"categories": forms.CheckboxSelectMultiple}

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if not SLUG_RE.match(slug):
            raise forms.ValidationError(_("Lettres, chiffres, « - » et « _ » seulement."))
        return slug


class SurveySettingsForm(ErrorTextMixin, OpenWaveEditMixin, forms.ModelForm):
    guarded_fields = SURVEY_FIELDS  # issue 18: titles, texts and categories, not the notice nor settings

    class Meta:
        model = Survey
        fields = ["title_fr", "title_en", "intro_fr", "intro_en", "thanks_fr", "thanks_en", "categories",
                  "min_cell", "review_page", "allow_erasure"] + [
            f"notice_{key}_{lang}" for key in ("controller", "purpose", "legal_basis", "optional_answers",
                                               "recipients", "retention", "rights", "dpo_contact",
                                               "cnil_complaint", "statistical_secrecy") for lang in ("fr", "en")]
        widgets = {"categories": forms.CheckboxSelectMultiple}


class WaveForm(ErrorTextMixin, forms.ModelForm):
    class Meta:
        model = Wave
        fields = ["code", "label", "opens_at", "closes_at"]
        widgets = {name: forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)
                   for name in ("opens_at", "closes_at")}

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.survey = survey
        for name in ("opens_at", "closes_at"):
            self.fields[name].input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if Wave.objects.filter(survey=self.instance.survey, code=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Une vague de cette enquête porte déjà ce code."))
        return code


def _offered(survey: Survey):
    return survey.categories.all() if survey.categories.exists() else UserCategory.objects.all()


class BuiltConditionMixin(OpenWaveEditMixin):
    """The open-wave guard counts the condition built from the rows (not a form field) as a change."""

    def guarded_changes(self) -> set[str]:
        changed = super().guarded_changes()
        return changed | {"condition"} if self.instance.pk and self.condition != self.instance.condition else changed


class SectionForm(ErrorTextMixin, BuiltConditionMixin, forms.ModelForm):
    class Meta:
        model = Section
        fields = ["code", "title_fr", "title_en", "intro_fr", "intro_en", "categories"]
        widgets = {"categories": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.instance.survey = survey
        self.fields["categories"].queryset = _offered(survey)
        self.fields["categories"].help_text = _("Aucune case cochée : la section s'adresse à toutes les catégories.")
        self.condition: Any = self.instance.condition
        self.condition_errors: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        code = cleaned.get("code") or ""
        if Section.objects.filter(survey=self.survey, code=code).exclude(pk=self.instance.pk).exists():
            self.add_error("code", _("Une section de cette enquête porte déjà ce code."))
        add_problems(self, section_problems(self.survey, code, self.instance.order or 0, self.condition,
                                            self.instance.pk))
        return cleaned


class QuestionForm(ErrorTextMixin, BuiltConditionMixin, forms.ModelForm):
    class Meta:
        model = Question
        fields = ["code", "type", "text_fr", "text_en", "help_fr", "help_en", "required", "allow_dont_know",
                  "categories", "channel", "min_value", "max_value", "max_length", "threshold"]
        widgets = {"categories": forms.CheckboxSelectMultiple, "text_fr": forms.Textarea(attrs={"rows": 2}),
                   "text_en": forms.Textarea(attrs={"rows": 2}), "help_fr": forms.Textarea(attrs={"rows": 2}),
                   "help_en": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "min_value": _("Questions « Nombre » seulement."), "max_value": _("Questions « Nombre » seulement."),
            "max_length": _("Questions « Texte libre » seulement."),
            "threshold": _("Questions notées (satisfaction, échelle, NPS, matrice) seulement."),
            "allow_dont_know": _("Satisfaction, échelle, NPS, choix unique et matrice seulement."),
        }

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section = section
        self.instance.section = section
        self.instance.survey_id = section.survey_id
        survey = section.survey
        self.fields["categories"].queryset = (section.categories.all() if section.categories.exists()
                                              else _offered(survey))
        self.fields["categories"].help_text = _("Aucune case cochée : toutes les catégories de la section.")
        self.condition: Any = self.instance.condition
        self.condition_errors: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        instance = self.instance
        if instance.pk and instance.survey.has_responses():
            for name in ("code", "type"):
                if name in self.changed_data:
                    self.add_error(name, LOCKED_MESSAGE)
        if cleaned.get("code") and cleaned.get("type"):
            data = {name: cleaned.get(name) for name in ("code", "type", "allow_dont_know", "min_value",
                                                         "max_value", "max_length", "threshold")}
            data["condition"] = self.condition
            add_problems(self, question_problems(self.section.survey, self.section, data, instance.pk))
        return cleaned


class ChoiceForm(ErrorTextMixin, ChoiceInlineForm):
    """A choice row: its open-wave guard follows the question form's « correction mineure » (one box)."""

    question_form: forms.Form | None = None

    def correction(self, cleaned: dict) -> tuple[bool, str]:
        if self.question_form is None:
            return super().correction(cleaned)
        data = getattr(self.question_form, "cleaned_data", {})
        return bool(data.get("minor_correction")), data.get("correction_reason", "")


class ChoicesBaseFormSet(ErrorTextMixin, ChoiceFormSet):
    pass


ChoicesFormSet = inlineformset_factory(
    Question, Choice, form=ChoiceForm, formset=ChoicesBaseFormSet, fields=["code", "label_fr", "label_en"],
    extra=3, can_delete=True)


class ConditionModeForm(ErrorTextMixin, forms.Form):
    mode = forms.ChoiceField(
        label=_("Combiner les lignes"), initial="all", required=False, widget=forms.RadioSelect,
        choices=[("all", _("toutes les lignes sont vraies (et)")), ("any", _("au moins une ligne est vraie (ou)"))])
    negate = forms.BooleanField(label=_("Afficher au contraire quand la condition n'est pas remplie (non)"),
                                required=False)
    replace = forms.BooleanField(required=False, label=_("Remplacer la condition actuelle par les lignes ci-dessous"))


class ConditionRowForm(ErrorTextMixin, forms.Form):
    question = forms.ChoiceField(label=_("Question"), required=False)
    op = forms.ChoiceField(label=_("Opérateur"), choices=OPERATOR_CHOICES, required=False)
    value = forms.CharField(label=_("Valeur ou valeurs"), required=False, max_length=500,
                            help_text=_("Codes séparés par des virgules, ou un nombre pour une comparaison."))

    def __init__(self, *args: Any, questions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = [("", _("— aucune —"))] + questions


class ConditionRowsBase(ErrorTextMixin, forms.BaseFormSet):
    pass


ConditionRowFormSet = formset_factory(ConditionRowForm, formset=ConditionRowsBase, extra=0)


def condition_forms(data: Any, rows: Rows, questions: list[tuple[str, str]]) -> tuple[ConditionModeForm, Any]:
    """The builder's two parts, bound to `data` (a POST) or showing `rows` (the stored condition)."""
    initial_rows = [{"question": r.question, "op": r.op, "value": r.value} for r in rows.rows]
    count = max(CONDITION_ROWS, len(initial_rows) + 1)
    initial_rows += [{"op": "in"}] * (count - len(initial_rows))
    mode = ConditionModeForm(data, prefix="cond", initial={"mode": rows.mode, "negate": rows.negate})
    # bound, the rows are what was posted: an initial would make an unchanged row read as empty
    formset = ConditionRowFormSet(data, prefix="condrow", initial=None if data is not None else initial_rows,
                                  form_kwargs={"questions": questions})
    return mode, formset


def rows_from_forms(mode: ConditionModeForm, formset: Any) -> Rows:
    """The rows a valid builder describes."""
    rows = [Row(f.cleaned_data.get("question") or "", f.cleaned_data.get("op") or "in",
                f.cleaned_data.get("value") or "") for f in formset.forms]
    return Rows(rows, mode.cleaned_data.get("mode") or "all", bool(mode.cleaned_data.get("negate")))
