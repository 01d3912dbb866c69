"""The quality team's workbench: surveys with sections, questions and choices inline.

Once a survey has responses, its questions can no longer be deleted nor their code or type
changed (the answers and every past export refer to them); wording stays editable.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .admin_forms import (
    LOCKED_MESSAGE, ChoiceFormSet, ChoiceInlineForm, ParticipantAdminForm, QuestionAdminForm, QuestionFormSet,
    QuestionInlineForm, SectionAdminForm, SurveyAdminForm,
)
from .admin_scope import OwnedSurveyMixin, ScopedChoicesMixin
from .models import (
    NOTICE_ELEMENTS, AuditLog, Channel, Choice, Participant, Question, Response, Section, Survey,
    UserCategory, Wave,
)
from .services.publishing import PublishRefused, survey_close, survey_publish
from .version_guard import VersionedAdminMixin  # issue 18

class ChoiceInline(ScopedChoicesMixin, admin.TabularInline):
    model = Choice
    form = ChoiceInlineForm
    formset = ChoiceFormSet
    extra = 0
    fields = ["order", "code", "label_fr", "label_en", "minor_correction", "correction_reason"]  # + issue 18


class QuestionInline(ScopedChoicesMixin, admin.StackedInline):
    model = Question
    form = QuestionInlineForm
    formset = QuestionFormSet
    extra = 0
    show_change_link = True
    fields = [("order", "code", "type"), "text_fr", "text_en", ("required", "allow_dont_know"),
              "categories", "channel", "condition", ("minor_correction", "correction_reason")]  # + issue 18
    filter_horizontal = ["categories"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        survey = obj.survey if isinstance(obj, Section) else obj
        if survey is not None and survey.pk and survey.has_responses():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Section)
class SectionAdmin(VersionedAdminMixin, OwnedSurveyMixin, admin.ModelAdmin):
    form = SectionAdminForm
    list_display = ["title_fr", "survey", "code", "order"]
    list_filter = ["survey"]
    list_editable = ["order"]
    inlines = [QuestionInline]
    filter_horizontal = ["categories"]


@admin.register(Question)
class QuestionAdmin(VersionedAdminMixin, OwnedSurveyMixin, admin.ModelAdmin):
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


class SectionInline(ScopedChoicesMixin, admin.TabularInline):
    model = Section
    form = SectionAdminForm
    extra = 0
    show_change_link = True
    fields = ["order", "code", "title_fr", "title_en", "categories", "minor_correction", "correction_reason"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.pk and obj.has_responses():
            return False
        return super().has_delete_permission(request, obj)


class WaveInline(ScopedChoicesMixin, admin.TabularInline):
    model = Wave
    extra = 0
    fields = ["code", "label", "opens_at", "closes_at"]


@admin.register(Survey)
class SurveyAdmin(VersionedAdminMixin, OwnedSurveyMixin, admin.ModelAdmin):
    form = SurveyAdminForm  # issue 18: open-wave guard on its texts
    list_display = ["slug", "title_fr", "status", "min_cell", "notice_version", "preview_links"]
    list_filter = ["status"]
    search_fields = ["slug", "title_fr", "title_en"]
    inlines = [WaveInline, SectionInline]
    filter_horizontal = ["categories", "owners"]
    readonly_fields = ["status", "notice_version", "preview_links"]
    actions = ["publish", "close"]
    fieldsets = [
        (None, {"fields": ["status", "slug", "title_fr", "title_en", "intro_fr", "intro_en", "categories", "owners",
                           "preview_links", ("minor_correction", "correction_reason")]}),
        (_("Remerciements"), {"fields": ["review_page", "thanks_fr", "thanks_en"]}),
        (_("Confidentialité et conservation"), {"fields": [
            "min_cell", "retention_drafts_days", "retention_identities_days", "retention_responses_days",
            "keep_raw_text", "allow_erasure", "one_response_per_browser"]}),
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

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """A designer who creates a survey is on its team (else it would vanish from their admin)."""
        super().save_related(request, form, formsets, change)
        if not request.user.is_superuser:
            form.instance.owners.add(request.user)

    @admin.action(description=_("Publier (après la liste de contrôle)"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset) -> None:
        for survey in queryset:
            try:
                survey_publish(survey, request.user)
                messages.success(request, _("« %(slug)s » est publiée.") % {"slug": survey.slug})
            except PublishRefused as exc:
                messages.error(request, _("« %(slug)s » n'est pas publiée : %(problems)s") % {
                    "slug": survey.slug, "problems": " ; ".join(exc.problems)})

    @admin.action(description=_("Clore (plus de réponses, les résultats restent)"), permissions=["change"])
    def close(self, request: HttpRequest, queryset) -> None:
        for survey in queryset:
            survey_close(survey, request.user)
        messages.success(request, _("Enquêtes closes : %(n)d.") % {"n": len(queryset)})


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
    form = ParticipantAdminForm
    list_display = ["id", "survey", "wave", "category", "channel", "invited_at", "opened_at", "opted_out_at",
                    "undeliverable"]
    list_filter = ["survey", "wave", "category", "undeliverable"]
    readonly_fields = ["bounce_reason"]

    def save_model(self, request: HttpRequest, obj: Participant, form, change: bool) -> None:
        """A new participant gets a fresh token; its link is shown once (only its hash is kept)."""
        if not change:
            raw = obj.issue_token()
            super().save_model(request, obj, form, change)
            link = request.build_absolute_uri(reverse("surveys:token", args=[raw]))
            messages.warning(request, format_html(
                "{} <a href=\"{}\">{}</a>",
                _("Lien d'invitation de ce participant, affiché une seule fois (seule son empreinte est conservée) :"),
                link, link))
            return
        super().save_model(request, obj, form, change)


@admin.register(AuditLog)
class AuditLogAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Read-only, append-only; a designer sees the entries of their surveys only."""

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

