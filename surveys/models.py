"""The questionnaire, its waves, and the answers: the one source of truth every other part reads.

Texts are held in French (`*_fr`, required) and English (`*_en`, optional); `tr()` picks the active
language and falls back to French. Respondents' identities (Participant.email) live apart from
their answers: a Response never stores an IP address, a user agent, a name or an email.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def tr(obj: object, field: str) -> str:
    """Return `field` in the active language (`<field>_en` for English), falling back to French."""
    lang = (get_language() or "fr")[:2]
    if lang == "en":
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, f"{field}_fr", "")


def hash_secret(raw: str) -> str:
    """SHA-256 of a token or resume code: only this is stored, never the secret itself."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A random URL-safe secret of 256 bits (tokens, resume codes)."""
    return secrets.token_urlsafe(32)


class Labelled(models.Model):
    """A stable code with French and English labels (categories, channels)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label_fr = models.CharField(_("libellé (fr)"), max_length=200)
    label_en = models.CharField(_("libellé (en)"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return tr(self, "label")

    @property
    def label(self) -> str:
        return tr(self, "label")


class UserCategory(Labelled):
    """A category of user: researchers, local authorities, general public, journalists..."""

    class Meta(Labelled.Meta):
        verbose_name = _("catégorie d'utilisateurs")
        verbose_name_plural = _("catégories d'utilisateurs")


class Channel(Labelled):
    """How the user met the service: website, contact service, publications, data access..."""

    class Meta(Labelled.Meta):
        verbose_name = _("canal de contact")
        verbose_name_plural = _("canaux de contact")


NOTICE_ELEMENTS: list[tuple[str, str]] = [
    ("controller", _("Responsable du traitement")),
    ("purpose", _("Finalité")),
    ("legal_basis", _("Base légale")),
    ("optional_answers", _("Caractère facultatif des réponses")),
    ("recipients", _("Destinataires")),
    ("retention", _("Durée de conservation")),
    ("rights", _("Vos droits et comment les exercer")),
    ("dpo_contact", _("Délégué à la protection des données")),
    ("cnil_complaint", _("Réclamation auprès de la CNIL")),
    ("statistical_secrecy", _("Secret statistique")),
]


class SurveyStatus(models.TextChoices):
    """A survey is built as a draft (public URLs 404), published (answerable), then closed (410)."""

    DRAFT = "draft", _("brouillon")
    PUBLISHED = "published", _("publiée")
    CLOSED = "closed", _("close")


class Survey(models.Model):
    """A questionnaire definition: common core plus modules per category, answered in waves."""

    status = models.CharField(_("statut"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT,
                              help_text=_("Brouillon : invisible du public. Publiée : ouverte aux réponses. "
                                          "Close : ne reçoit plus de réponses, les résultats restent."))
    slug = models.SlugField(_("identifiant d'URL"), max_length=60, unique=True)
    title_fr = models.CharField(_("titre (fr)"), max_length=200)
    title_en = models.CharField(_("titre (en)"), max_length=200, blank=True)
    intro_fr = models.TextField(_("introduction (fr)"), blank=True)
    intro_en = models.TextField(_("introduction (en)"), blank=True)
    thanks_fr = models.TextField(_("page de remerciement (fr)"), blank=True)
    thanks_en = models.TextField(_("page de remerciement (en)"), blank=True)
    categories = models.ManyToManyField(UserCategory, verbose_name=_("catégories proposées"), blank=True)
    min_cell = models.PositiveSmallIntegerField(
        _("effectif minimal publiable"), default=5, help_text=_("Secret statistique : en dessous, la case est masquée.")
    )
    retention_drafts_days = models.PositiveIntegerField(_("conservation des brouillons (jours)"), default=90)
    retention_identities_days = models.PositiveIntegerField(_("conservation des identités (jours)"), default=365)
    retention_responses_days = models.PositiveIntegerField(_("conservation des réponses (jours)"), default=5 * 365)
    keep_raw_text = models.BooleanField(
        _("conserver le texte libre non masqué"), default=False,
        help_text=_("Par défaut, courriels et téléphones sont masqués dans les verbatims."),
    )
    allow_erasure = models.BooleanField(_("le répondant peut effacer ses réponses"), default=True)
    one_response_per_browser = models.BooleanField(
        _("une seule réponse par navigateur (liens ouverts)"), default=False,
        help_text=_("Un cookie signé, posé à l'envoi, empêche de répondre une seconde fois depuis le même "
                    "navigateur ; les réponses probablement en double restent signalées aux analystes."))
    review_page = models.BooleanField(
        _("page récapitulative avant l'envoi"), default=True,
        help_text=_("Décochée : la dernière étape envoie les réponses (une page de moins à parcourir)."))
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("équipe habilitée"), blank=True, related_name="surveys"
    )
    notice_version = models.PositiveIntegerField(_("version de la notice"), default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Information notice (GDPR art. 13), one field per required element, in both languages.
    notice_controller_fr = models.TextField(_("responsable du traitement (fr)"), blank=True)
    notice_controller_en = models.TextField(_("responsable du traitement (en)"), blank=True)
    notice_purpose_fr = models.TextField(_("finalité (fr)"), blank=True)
    notice_purpose_en = models.TextField(_("finalité (en)"), blank=True)
    notice_legal_basis_fr = models.TextField(_("base légale (fr)"), blank=True)
    notice_legal_basis_en = models.TextField(_("base légale (en)"), blank=True)
    notice_optional_answers_fr = models.TextField(_("réponses facultatives (fr)"), blank=True)
    notice_optional_answers_en = models.TextField(_("réponses facultatives (en)"), blank=True)
    notice_recipients_fr = models.TextField(_("destinataires (fr)"), blank=True)
    notice_recipients_en = models.TextField(_("destinataires (en)"), blank=True)
    notice_retention_fr = models.TextField(_("conservation (fr)"), blank=True)
    notice_retention_en = models.TextField(_("conservation (en)"), blank=True)
    notice_rights_fr = models.TextField(_("droits (fr)"), blank=True)
    notice_rights_en = models.TextField(_("droits (en)"), blank=True)
    notice_dpo_contact_fr = models.TextField(_("contact DPO (fr)"), blank=True)
    notice_dpo_contact_en = models.TextField(_("contact DPO (en)"), blank=True)
    notice_cnil_complaint_fr = models.TextField(_("réclamation CNIL (fr)"), blank=True)
    notice_cnil_complaint_en = models.TextField(_("réclamation CNIL (en)"), blank=True)
    notice_statistical_secrecy_fr = models.TextField(_("secret statistique (fr)"), blank=True)
    notice_statistical_secrecy_en = models.TextField(_("secret statistique (en)"), blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("enquête")
        verbose_name_plural = _("enquêtes")

    def __str__(self) -> str:
        return tr(self, "title")

    @property
    def title(self) -> str:
        return tr(self, "title")

    def notice_items(self) -> list[tuple[str, str]]:
        """The notice as (heading, text) pairs in the active language."""
        return [(str(label), tr(self, f"notice_{key}")) for key, label in NOTICE_ELEMENTS]

    def notice_missing(self) -> list[str]:
        """Keys of the notice elements still empty in French (a survey cannot open without them)."""
        return [key for key, _label in NOTICE_ELEMENTS if not getattr(self, f"notice_{key}_fr").strip()]

    def _notice_snapshot(self) -> tuple[str, ...]:
        return tuple(getattr(self, f"notice_{k}_{lang}") for k, _l in NOTICE_ELEMENTS for lang in ("fr", "en"))

    def save(self, *args, **kwargs) -> None:
        """Bump the notice version whenever its text changes, so each response knows what it saw."""
        if self.pk:
            old = Survey.objects.filter(pk=self.pk).first()
            if old is not None and old._notice_snapshot() != self._notice_snapshot():
                self.notice_version = old.notice_version + 1
        super().save(*args, **kwargs)

    def has_responses(self) -> bool:
        return Response.objects.filter(survey=self).exists()

    def current_wave(self) -> Wave | None:
        """The wave open now, else the next one to open, else the last one that closed."""
        now = timezone.now()
        waves = list(self.waves.all())
        for wave in waves:
            if wave.opens_at <= now < wave.closes_at:
                return wave
        upcoming = [w for w in waves if w.opens_at > now]
        if upcoming:
            return min(upcoming, key=lambda w: w.opens_at)
        return max(waves, key=lambda w: w.closes_at) if waves else None


class Wave(models.Model):
    """One fielding period of a survey; every response belongs to one wave so waves compare."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves", verbose_name=_("enquête"))
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("libellé"), max_length=100, blank=True)
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    # issue 18: the questionnaire version frozen when the wave opened (services.versions)
    version = models.ForeignKey("surveys.QuestionnaireVersion", on_delete=models.RESTRICT, null=True, blank=True,
                                editable=False, related_name="waves", verbose_name=_("version du questionnaire"))

    class Meta:
        ordering = ["survey", "opens_at"]
        verbose_name = _("vague")
        verbose_name_plural = _("vagues")
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="wave_code_unique_per_survey"),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="wave_closes_after_opening"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug} · {self.label or self.code}"

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("La clôture doit suivre l'ouverture.")})
        if self.survey_id and self.opens_at and self.opens_at <= timezone.now() < (self.closes_at or self.opens_at):
            missing = self.survey.notice_missing()
            if missing:
                raise ValidationError(
                    _("La vague ne peut pas ouvrir : la notice d'information est incomplète (%(missing)s).")
                    % {"missing": ", ".join(missing)}
                )

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at


class Targeted(models.Model):
    """Shared by sections and questions: category targeting and a display condition.

    `categories` empty means "every category". `condition` is JSON, evaluated by `surveys.logic`:
    ``{"question": "USE_WEB", "in": ["yes"]}`` or ``{"question": "SAT_OVERALL", "op": "<=", "value": 2}``.
    """

    order = models.PositiveIntegerField(_("ordre"), default=0)
    condition = models.JSONField(_("condition d'affichage"), null=True, blank=True)

    class Meta:
        abstract = True

    def category_codes(self) -> frozenset[str]:
        """Codes of the categories targeted (empty: all); memoised, the wizard asks very often."""
        codes = self.__dict__.get("_category_codes")
        if codes is None:
            codes = self.__dict__["_category_codes"] = frozenset(c.code for c in self.categories.all())
        return codes

    def applies_to(self, category_code: str | None) -> bool:
        codes = self.category_codes()
        return not codes or category_code in codes


class Section(Targeted):
    """One wizard step: a group of questions shown together."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sections", verbose_name=_("enquête"))
    code = models.SlugField(_("code"), max_length=40)
    title_fr = models.CharField(_("titre (fr)"), max_length=200)
    title_en = models.CharField(_("titre (en)"), max_length=200, blank=True)
    intro_fr = models.TextField(_("introduction (fr)"), blank=True)
    intro_en = models.TextField(_("introduction (en)"), blank=True)
    categories = models.ManyToManyField(UserCategory, blank=True, verbose_name=_("catégories concernées"))

    class Meta:
        ordering = ["survey", "order", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="section_code_unique_per_survey")]

    def __str__(self) -> str:
        return tr(self, "title")

    @property
    def title(self) -> str:
        return tr(self, "title")


class QuestionType(models.TextChoices):
    SATISFACTION = "satisfaction", _("Satisfaction (1 à 5)")
    SCALE = "scale", _("Échelle (0 à 10)")
    NPS = "nps", _("Recommandation (NPS, 0 à 10)")
    SINGLE = "single", _("Choix unique")
    MULTIPLE = "multiple", _("Choix multiple")
    TEXT = "text", _("Texte libre")
    NUMBER = "number", _("Nombre")
    MATRIX = "matrix", _("Matrice (plusieurs items, échelle de satisfaction)")


#: the question types whose answers are scores (the indicators' input): the one definition, used by
#: the loader, the exports and the publications; the analysis core receives scores as data
SCORED_TYPES = (QuestionType.SATISFACTION, QuestionType.SCALE, QuestionType.NPS)


class Question(Targeted):
    """A question with a stable code (e.g. SAT_WEB), a type, and optional channel and condition."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions", editable=False)
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions", verbose_name=_("section"))
    code = models.CharField(
        _("code"), max_length=40, help_text=_("Stable : nom de la variable dans les exports (lettres, chiffres, _).")
    )
    type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices)
    text_fr = models.TextField(_("libellé (fr)"))
    text_en = models.TextField(_("libellé (en)"), blank=True)
    help_fr = models.TextField(_("aide (fr)"), blank=True)
    help_en = models.TextField(_("aide (en)"), blank=True)
    required = models.BooleanField(_("obligatoire"), default=False)
    allow_dont_know = models.BooleanField(_("propose « ne sait pas / non concerné »"), default=False)
    categories = models.ManyToManyField(UserCategory, blank=True, verbose_name=_("catégories concernées"))
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("canal évalué"),
        help_text=_("Question portant sur un canal (ex. satisfaction à l'égard du site)."),
    )
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("longueur maximale"), null=True, blank=True)
    threshold = models.PositiveSmallIntegerField(
        _("seuil « satisfait »"), null=True, blank=True, help_text=_("Par défaut 4 (notes 4 et 5) sur l'échelle 1 à 5.")
    )

    class Meta:
        ordering = ["section__order", "order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique_per_survey"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True) | Q(max_value__isnull=True) | Q(max_value__gte=F("min_value")),
                name="question_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {tr(self, 'text')[:60]}"

    @property
    def text(self) -> str:
        return tr(self, "text")

    @property
    def help(self) -> str:
        return tr(self, "help")

    def save(self, *args, **kwargs) -> None:
        if self.section_id and not self.survey_id:
            self.survey_id = self.section.survey_id
        super().save(*args, **kwargs)

    @property
    def scale_range(self) -> tuple[int, int] | None:
        """Bounds of a scored question (matrix items use the satisfaction scale)."""
        if self.type in (QuestionType.SATISFACTION, QuestionType.MATRIX):
            return (1, 5)
        if self.type in (QuestionType.SCALE, QuestionType.NPS):
            return (0, 10)
        return None


class Choice(models.Model):
    """An answer option of a single/multiple question, or an item (row) of a matrix question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    code = models.CharField(_("code"), max_length=40)
    label_fr = models.CharField(_("libellé (fr)"), max_length=300)
    label_en = models.CharField(_("libellé (en)"), max_length=300, blank=True)
    order = models.PositiveIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["question", "order", "id"]
        verbose_name = _("modalité")
        verbose_name_plural = _("modalités")
        constraints = [models.UniqueConstraint(fields=["question", "code"], name="choice_code_unique_per_question")]

    def __str__(self) -> str:
        return tr(self, "label")

    @property
    def label(self) -> str:
        return tr(self, "label")


class Participant(models.Model):
    """An invited person. The email stays here, apart from answers; only a hash of the token is kept."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participants")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="participants")
    email = models.EmailField(_("courriel"))
    category = models.ForeignKey(UserCategory, on_delete=models.PROTECT)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, null=True, blank=True)
    language = models.CharField(max_length=5, default="fr")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    undeliverable = models.BooleanField(default=False)
    bounce_reason = models.CharField(_("motif du refus"), max_length=200, blank=True)  # the server's words
    send_failures = models.PositiveSmallIntegerField(default=0)  # temporary refusals (bounded retries)
    message_id = models.CharField(max_length=255, blank=True)  # Message-ID of the last message sent
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant invité")
        verbose_name_plural = _("participants invités")
        constraints = [models.UniqueConstraint(fields=["wave", "email"], name="participant_email_unique_per_wave")]

    def __str__(self) -> str:
        return f"{self.wave} · participant {self.pk}"

    def issue_token(self) -> str:
        """Give the participant a fresh token; returns the secret (shown once, in the invitation)."""
        raw = new_secret()
        self.token_hash = hash_secret(raw)
        return raw


class ResponseStatus(models.TextChoices):
    PARTIAL = "partial", _("partielle")
    COMPLETE = "complete", _("complète")


class Response(models.Model):
    """One respondent's answers to one wave. Its id is minted when the questionnaire starts.

    The id is random (not guessable in URLs) and is generated before the first answer is saved,
    so concurrent first posts from one questionnaire run insert one row (primary-key uniqueness);
    one invited participant has at most one response (unique `participant`).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    category = models.ForeignKey(UserCategory, on_delete=models.PROTECT)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, null=True, blank=True)
    language = models.CharField(max_length=5, default="fr")
    status = models.CharField(max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.PARTIAL)
    participant = models.OneToOneField(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    resume_code_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    notice_version = models.PositiveIntegerField(default=1)
    # issue 18: the questionnaire version this response answered (services.versions)
    version = models.ForeignKey("surveys.QuestionnaireVersion", on_delete=models.RESTRICT, null=True, blank=True,
                                related_name="responses")
    last_step = models.CharField(max_length=40, blank=True)
    page_url = models.CharField(_("page d'origine (widget)"), max_length=500, blank=True)
    weight = models.FloatField(default=1.0)
    is_demo = models.BooleanField(default=False)
    # open links only: a keyed hash of address + browser (never the raw values), and the flag set when
    # another complete response of the wave came from the same browser within a day
    # (database defaults too: the bulk loaders write responses by COPY without naming these columns)
    browser_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    likely_duplicate = models.BooleanField(_("doublon probable"), default=False, db_default=False, editable=False)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        indexes = [models.Index(fields=["wave", "status", "submitted_at"], name="response_wave_status_submit")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="partial") | Q(submitted_at__isnull=False), name="complete_response_has_submit_time"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="response_weight_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.wave} · {self.get_status_display()} · {str(self.id)[:8]}"

    @property
    def is_complete(self) -> bool:
        return self.status == ResponseStatus.COMPLETE


class Answer(models.Model):
    """One answer per response × question. Scores and numbers in `value`, free text apart.

    `value`: satisfaction/scale/nps/number; `text`: free text or the code of a single choice;
    `codes`: list of codes (multiple) or {item: score} (matrix); `dont_know`: the respondent said
    "don't know / not applicable" (then `value` is empty).
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    codes = models.JSONField(null=True, blank=True)
    dont_know = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_response_question")
        ]
        # the few don't-know answers, found without reading the others (services.dont_know)
        indexes = [models.Index(fields=["question", "response"], condition=models.Q(dont_know=True),
                                name="answer_dont_know")]


class ResumeStart(models.Model):
    """A resume code handed out before the first answer (no Response yet: its category is unknown).

    Only the code's hash is kept; `manage.py purge_expired` deletes it with the survey's drafts.
    """

    code_hash = models.CharField(max_length=64, unique=True)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(UserCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)


class AuditLog(models.Model):
    """Append-only record of who did what (logins, exports, imports, purges): no answers, no tokens."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("journal d'audit")
        verbose_name_plural = _("journal d'audit")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk and not kwargs.get("force_insert"):
            raise ValidationError("Audit log entries are append-only.")
        super().save(*args, **kwargs)


def audit(actor: object, action: str, target: str = "", **details: object) -> AuditLog:
    """Record an audit event; newlines are neutralised so one event is one line."""
    name = getattr(actor, "get_username", lambda: str(actor or ""))()
    clean = lambda s: str(s).replace("\r", " ").replace("\n", " ")  # noqa: E731
    return AuditLog.objects.create(
        actor=clean(name)[:150], action=clean(action)[:60], target=clean(target)[:300],
        details={clean(k): v for k, v in details.items()},
    )


from .versions_models import BreakDecision, QuestionnaireVersion  # noqa: E402,F401  (issue 18)
