"""Publications of satisfaction results: collections, releases on an announced calendar, embargo,
frozen versions (corrections are new versions) and the log of embargoed reads.

A publication's figures are *frozen* in a :class:`PublicationVersion` (the tables exactly as the
dashboards compute them, already suppressed), so what was released stays what it was, a late
response cannot move a published number, and public requests never touch the responses.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import SCORED_TYPES, Survey, Wave, tr


def default_release_time() -> dt.time:
    """The hour a release with a date but no fixed time becomes public (``PUBLICATIONS_RELEASE_TIME``)."""
    raw = getattr(settings, "PUBLICATIONS_RELEASE_TIME", "12:00")
    try:
        return dt.time.fromisoformat(raw)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"PUBLICATIONS_RELEASE_TIME must be HH:MM (Paris time), not {raw!r}") from None


class Collection(models.Model):
    """A series of publications (like *Chiffres clés* or *Infos rapides*)."""

    slug = models.SlugField(_("identifiant d'URL"), max_length=60, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=150)
    name_en = models.CharField(_("nom (anglais)"), max_length=150, blank=True)
    description_fr = models.TextField(_("description (français)"), blank=True)
    description_en = models.TextField(_("description (anglais)"), blank=True)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("collection")
        verbose_name_plural = _("collections")

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return tr(self, "name")

    @property
    def description(self) -> str:
        return tr(self, "description")

    def get_absolute_url(self) -> str:
        return reverse("publications:collection", args=[self.slug])


class Publication(models.Model):
    """One release: chosen tables over a survey's waves, a text, a release date, an embargo list."""

    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="publications",
                                   verbose_name=_("collection"))
    slug = models.SlugField(_("identifiant d'URL"), max_length=80)
    title_fr = models.CharField(_("titre (français)"), max_length=200)
    title_en = models.CharField(_("titre (anglais)"), max_length=200, blank=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="publications",
                               verbose_name=_("enquête"))
    waves = models.ManyToManyField(Wave, related_name="publications", verbose_name=_("vagues"))
    tables = models.TextField(
        _("tableaux publiés"), default="canaux satisfaits",
        help_text=_("Un tableau par ligne : « canaux satisfaits|moyenne|nps » (canal × catégorie), "
                    "« tendances satisfaits|moyenne|nps » (évolutions par vague), « question CODE » "
                    "(répartition des réponses à une question notée)."))
    text_fr = models.TextField(_("texte (français, Markdown)"), blank=True)
    text_en = models.TextField(_("texte (anglais, Markdown)"), blank=True)
    release_date = models.DateField(_("date de parution prévue"))
    release_time = models.TimeField(
        _("heure de parution"), null=True, blank=True,
        help_text=_("Laisser vide tant que l'heure n'est pas fixée (parution à l'heure par défaut)."))
    announced_at = models.DateTimeField(
        _("annoncée le"), null=True, blank=True,
        help_text=_("Une fois annoncée, la parution figure au calendrier et tout changement de date est "
                    "conservé avec son motif."))
    embargo = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="embargoed_publications",
                                     verbose_name=_("liste d'embargo"),
                                     help_text=_("Comptes qui peuvent lire la publication avant sa parution."))
    notice_queued_at = models.DateTimeField(_("avis de parution mis en file le"), null=True, blank=True,
                                            editable=False)
    notice_sent_at = models.DateTimeField(_("avis de parution envoyé le"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["release_date", "release_time", "pk"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [models.UniqueConstraint(fields=["collection", "slug"], name="publication_slug_per_collection")]

    def __str__(self) -> str:
        return self.title_fr

    @property
    def title(self) -> str:
        return tr(self, "title")

    @property
    def text(self) -> str:
        return tr(self, "text")

    @property
    def time_fixed(self) -> bool:
        return self.release_time is not None

    @property
    def release_moment(self) -> dt.datetime:
        """When it becomes public: the date at the fixed time, else at ``PUBLICATIONS_RELEASE_TIME``
        (Paris time), so a release never waits for somebody to act."""
        zone = ZoneInfo(settings.TIME_ZONE)
        return dt.datetime.combine(self.release_date, self.release_time or default_release_time(), tzinfo=zone)

    def is_released(self, now: dt.datetime | None = None) -> bool:
        """Checked against the clock on every request: no worker has to flip a flag."""
        return (now or timezone.now()) >= self.release_moment

    def get_absolute_url(self) -> str:
        return reverse("publications:detail", args=[self.collection.slug, self.slug])

    def clean(self) -> None:
        from .tables import TableSpecError, parse_tables

        scored = None
        if self.survey_id:
            scored = list(self.survey.questions.filter(type__in=SCORED_TYPES)
                          .values_list("code", flat=True))
        try:
            parse_tables(self.tables, scored)
        except TableSpecError as exc:
            raise ValidationError({"tables": str(exc)}) from None


class ReleaseChange(models.Model):
    """A change of an announced release date or time, kept and shown with its reason."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=timezone.now)
    old_date = models.DateField(_("ancienne date"))
    old_time = models.TimeField(_("ancienne heure"), null=True, blank=True)
    new_date = models.DateField(_("nouvelle date"))
    new_time = models.TimeField(_("nouvelle heure"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=300)
    by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("changement de calendrier")
        verbose_name_plural = _("changements de calendrier")

    def __str__(self) -> str:
        return f"{self.old_date} → {self.new_date}"


class PublicationVersion(models.Model):
    """The frozen content of a publication; a correction after release adds a version with a note."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(default=timezone.now)
    text_fr = models.TextField(blank=True)
    text_en = models.TextField(blank=True)
    #: {"fr": [block, ...], "en": [...]}: each block holds its title, the table shown, the chart and
    #: the published rows (suppressed cells carry no value), plus the metadata of the open data
    content = models.JSONField(default=dict)
    correction_note_fr = models.TextField(_("note de correction (français)"), blank=True)
    correction_note_en = models.TextField(_("note de correction (anglais)"), blank=True)

    class Meta:
        ordering = ["publication", "number"]
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        constraints = [models.UniqueConstraint(fields=["publication", "number"], name="publication_version_unique")]

    def __str__(self) -> str:
        return f"{self.publication} v{self.number}"

    @property
    def text(self) -> str:
        return tr(self, "text")

    @property
    def correction_note(self) -> str:
        return tr(self, "correction_note")

    def blocks(self, language: str) -> list[dict]:
        return self.content.get(language) or self.content.get("fr") or []

    def get_absolute_url(self) -> str:
        p = self.publication
        return reverse("publications:version", args=[p.collection.slug, p.slug, self.number])


class EmbargoAccess(models.Model):
    """Every read of a publication before its release by someone on its embargo list."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="embargo_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    path = models.CharField(_("adresse lue"), max_length=300)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("lecture sous embargo")
        verbose_name_plural = _("lectures sous embargo")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.path}"


class Subscription(models.Model):
    """An address told when a publication of the collection is released."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="subscriptions")
    email = models.EmailField(_("adresse"))
    language = models.CharField(max_length=2, default="fr", choices=[("fr", "français"), ("en", "English")])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")
        constraints = [models.UniqueConstraint(fields=["collection", "email"], name="subscription_unique")]

    def __str__(self) -> str:
        return self.email
