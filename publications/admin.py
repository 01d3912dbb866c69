"""The quality team's side of publications: collections, publications (tables, text, release
date, embargo list), freezing the content, announcing, correcting after release; the embargoed
reads are read-only. Designers see the publications of the surveys they are granted."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from surveys.models import Wave
from surveys.permissions import surveys_for

from . import services
from .models import Collection, EmbargoAccess, Publication, PublicationVersion, ReleaseChange, Subscription


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["email", "language", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "slug", "order"]
    prepopulated_fields = {"slug": ["name_fr"]}
    inlines = [SubscriptionInline]


class PublicationAdminForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("motif du changement de date"), required=False, max_length=300,
        help_text=_("Obligatoire si la date ou l'heure d'une parution annoncée change ; il est affiché au "
                    "calendrier."))

    class Meta:
        model = Publication
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        survey, waves = cleaned.get("survey"), cleaned.get("waves")
        if survey and waves is not None:
            stray = [w for w in waves if w.survey_id != survey.pk]
            if stray:
                self.add_error("waves", _("Ces vagues ne sont pas celles de l'enquête : %(w)s")
                               % {"w": ", ".join(str(w) for w in stray)})
        instance = self.instance
        moved = {"release_date", "release_time"} & set(self.changed_data)
        if instance.pk and moved and Publication.objects.get(pk=instance.pk).is_released():
            self.add_error("release_date", _("La publication est parue : sa date de parution ne change plus."))
        if instance.pk and instance.announced_at and moved and not (cleaned.get("change_reason") or "").strip():
            self.add_error("change_reason", _("La parution est annoncée : indiquez le motif du changement."))
        return cleaned


class VersionInline(admin.TabularInline):
    model = PublicationVersion
    extra = 0
    can_delete = False
    fields = ["number", "created_at", "correction_note_fr", "link"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("adresse"))
    def link(self, obj: PublicationVersion) -> str:
        return format_html('<a href="{0}">{0}</a>', obj.get_absolute_url()) if obj.pk else ""


class ChangeInline(admin.TabularInline):
    model = ReleaseChange
    extra = 0
    can_delete = False
    fields = ["at", "old_date", "old_time", "new_date", "new_time", "reason", "by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CorrectionForm(forms.Form):
    correction_note_fr = forms.CharField(label=_("note de correction (français)"), widget=forms.Textarea)
    correction_note_en = forms.CharField(label=_("note de correction (anglais)"), widget=forms.Textarea,
                                         required=False)


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    form = PublicationAdminForm
    list_display = ["title_fr", "collection", "survey", "release_date", "release_time", "announced_at", "versions_n"]
    list_filter = ["collection"]
    filter_horizontal = ["waves", "embargo"]
    readonly_fields = ["announced_at", "notice_sent_at", "correct_link"]
    inlines = [VersionInline, ChangeInline]
    actions = ["freeze", "announce"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(survey__in=surveys_for(request.user)).select_related(
            "collection", "survey")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "survey":
            kwargs["queryset"] = surveys_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "waves":
            kwargs["queryset"] = Wave.objects.filter(survey__in=surveys_for(request.user)).select_related("survey")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("versions"))
    def versions_n(self, obj: Publication) -> int:
        return obj.versions.count()

    @admin.display(description=_("correction"))
    def correct_link(self, obj: Publication) -> str:
        if not obj.pk or not obj.is_released():
            return _("Avant la parution, modifiez puis « figez le contenu » à nouveau.")
        return format_html('<a href="{}">{}</a>', reverse("admin:publications_publication_correct", args=[obj.pk]),
                           _("Publier une correction (nouvelle version)"))

    def save_model(self, request, obj: Publication, form, change: bool) -> None:
        if change and obj.announced_at:
            old = Publication.objects.get(pk=obj.pk)
            services.release_change_record(obj, old.release_date, old.release_time,
                                           form.cleaned_data.get("change_reason", ""), request.user)
        super().save_model(request, obj, form, change)
        if change and obj.announced_at:
            services.notice_schedule(obj, request.build_absolute_uri("/"))

    @admin.action(description=_("Figer le contenu (tableaux calculés maintenant, avant la parution)"))
    def freeze(self, request: HttpRequest, queryset) -> None:
        for p in queryset:
            try:
                services.publication_freeze(p, request.user)
            except ValidationError as exc:
                self.message_user(request, f"{p} : {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(p)s : contenu figé.") % {"p": p}, messages.SUCCESS)

    @admin.action(description=_("Annoncer au calendrier"))
    def announce(self, request: HttpRequest, queryset) -> None:
        for p in queryset:
            services.publication_announce(p, request.build_absolute_uri("/"))
        self.message_user(request, _("Parutions annoncées."), messages.SUCCESS)

    def get_urls(self):
        return [path("<int:pk>/corriger/", self.admin_site.admin_view(self.correct_view),
                     name="publications_publication_correct")] + super().get_urls()

    def correct_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        publication = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, publication):
            raise PermissionDenied
        form = CorrectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                version = services.publication_correct(publication, form.cleaned_data["correction_note_fr"],
                                                       form.cleaned_data["correction_note_en"], request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, _("Version %(n)s publiée.") % {"n": version.number}, messages.SUCCESS)
                return redirect("admin:publications_publication_change", pk)
        context = {**self.admin_site.each_context(request), "form": form, "publication": publication,
                   "opts": self.model._meta, "title": _("Correction de « %(t)s »") % {"t": publication.title_fr}}
        return TemplateResponse(request, "publications/admin_correct.html", context)


@admin.register(EmbargoAccess)
class EmbargoAccessAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "publication", "path"]
    list_filter = ["publication"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(publication__survey__in=surveys_for(request.user))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
