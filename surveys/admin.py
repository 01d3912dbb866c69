"""The quality team's workbench: surveys with sections, questions and choices inline.

Once a survey has responses, its questions can no longer be deleted nor their code or type
changed (the answers and every past export refer to them); wording stays editable.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .logic import ConditionError, validate_condition
from .models import (
    NOTICE_ELEMENTS, AuditLog, Channel, Choice, Participant, Question, Response, Section, Survey,
    UserCategory, Wave,
)
from .permissions import surveys_for

LOCKED_MESSAGE = _(
    "Cette enquête a déjà des réponses : on ne peut plus supprimer ses questions ni changer leur code ou "
    "leur type (les réponses et les exports y renvoient). Le libellé reste modifiable."
)


class ConditionField(forms.JSONField):
    """A JSON condition validated by `surveys.logic` with a message naming the bad element."""

    def validate(self, value):
        super().validate(value)
        try:
            validate_condition(value)
        except ConditionError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["order", "code", "label_fr", "label_en"]


class QuestionAdminForm(forms.ModelForm):
    condition = ConditionField(required=False, label=_("condition d'affichage"))

    class Meta:
        model = Question
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk and instance.survey_id and instance.survey.has_responses():
            for name in ("code", "type"):
                if name in self.changed_data:
                    self.add_error(name, LOCKED_MESSAGE)
        return cleaned


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionAdminForm
    extra = 0
    show_change_link = True
    fields = [("order", "code", "type"), "text_fr", "text_en", ("required", "allow_dont_know"),
              "categories", "channel", "condition"]
    filter_horizontal = ["categories"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        survey = obj.survey if isinstance(obj, Section) else obj
        if survey is not None and survey.pk and survey.has_responses():
            return False
        return super().has_delete_permission(request, obj)


class SectionAdminForm(forms.ModelForm):
    condition = ConditionField(required=False, label=_("condition d'affichage"))

    class Meta:
        model = Section
        fields = "__all__"


class OwnedSurveyMixin:
    """Staff see and edit only the surveys they are granted (superusers: all)."""

    survey_lookup = "survey"

    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        allowed = surveys_for(request.user)
        if self.survey_lookup:
            return qs.filter(**{f"{self.survey_lookup}__in": allowed})
        return qs.filter(pk__in=allowed)


@admin.register(Section)
class SectionAdmin(OwnedSurveyMixin, admin.ModelAdmin):
    form = SectionAdminForm
    list_display = ["title_fr", "survey", "code", "order"]
    list_filter = ["survey"]
    list_editable = ["order"]
    inlines = [QuestionInline]
    filter_horizontal = ["categories"]


@admin.register(Question)
class QuestionAdmin(OwnedSurveyMixin, admin.ModelAdmin):
    form = QuestionAdminForm
    list_display = ["code", "type", "section", "survey", "order", "channel"]
    list_filter = ["survey", "type", "channel"]
    search_fields = ["code", "text_fr", "text_en"]
    inlines = [ChoiceInline]
    filter_horizontal = ["categories"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.survey.has_responses():
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        locked = queryset.filter(survey__responses__isnull=False).distinct()
        if locked.exists():
            messages.error(request, LOCKED_MESSAGE)
            queryset = queryset.exclude(pk__in=locked)
        super().delete_queryset(request, queryset)


class SectionInline(admin.TabularInline):
    model = Section
    form = SectionAdminForm
    extra = 0
    show_change_link = True
    fields = ["order", "code", "title_fr", "title_en", "categories"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.pk and obj.has_responses():
            return False
        return super().has_delete_permission(request, obj)


class WaveInline(admin.TabularInline):
    model = Wave
    extra = 0
    fields = ["code", "label", "opens_at", "closes_at"]


@admin.register(Survey)
class SurveyAdmin(OwnedSurveyMixin, admin.ModelAdmin):
    survey_lookup = ""
    list_display = ["slug", "title_fr", "min_cell", "notice_version", "preview_links"]
    search_fields = ["slug", "title_fr", "title_en"]
    inlines = [WaveInline, SectionInline]
    filter_horizontal = ["categories", "owners"]
    readonly_fields = ["notice_version", "preview_links"]
    fieldsets = [
        (None, {"fields": ["slug", "title_fr", "title_en", "intro_fr", "intro_en", "categories", "owners",
                           "preview_links"]}),
        (_("Remerciements"), {"fields": ["review_page", "thanks_fr", "thanks_en"]}),
        (_("Confidentialité et conservation"), {"fields": [
            "min_cell", "retention_drafts_days", "retention_identities_days", "retention_responses_days",
            "keep_raw_text", "allow_erasure"]}),
        (_("Notice d'information (RGPD art. 13)"), {
            "fields": ["notice_version"] + [f"notice_{k}_{lang}" for k, _l in NOTICE_ELEMENTS for lang in ("fr", "en")],
            "classes": ["collapse"]}),
    ]

    @admin.display(description=_("Aperçu par catégorie"))
    def preview_links(self, obj: Survey) -> str:
        if not obj.pk:
            return "—"
        categories = list(obj.categories.all()) or list(UserCategory.objects.all())
        return format_html_join(
            " · ", '<a href="{}">{}</a>',
            ((reverse("surveys:preview", args=[obj.slug, c.code]), c.label) for c in categories),
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.has_responses():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(UserCategory, Channel)
class LabelledAdmin(admin.ModelAdmin):
    list_display = ["code", "label_fr", "label_en", "order"]
    list_editable = ["order"]


@admin.register(Wave)
class WaveAdmin(OwnedSurveyMixin, admin.ModelAdmin):
    list_display = ["survey", "code", "label", "opens_at", "closes_at"]
    list_filter = ["survey"]


@admin.register(Response)
class ResponseAdmin(OwnedSurveyMixin, admin.ModelAdmin):
    """Read-only: answers are never edited by staff."""

    list_display = ["id", "survey", "wave", "category", "channel", "status", "started_at", "submitted_at", "is_demo"]
    list_filter = ["survey", "wave", "status", "category", "channel", "is_demo"]
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Participant)
class ParticipantAdmin(OwnedSurveyMixin, admin.ModelAdmin):
    list_display = ["id", "survey", "wave", "category", "channel", "invited_at", "opened_at", "opted_out_at",
                    "undeliverable"]
    list_filter = ["survey", "wave", "category", "undeliverable"]
    exclude = ["token_hash"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only, append-only."""

    list_display = ["at", "actor", "action", "target"]
    list_filter = ["action"]
    search_fields = ["actor", "action", "target"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = _("Écoute — administration")
admin.site.site_title = _("Écoute")

