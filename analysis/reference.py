"""A survey's reference data as the dashboards read them: waves, categories, channels, questions.

Read lazily, one small query each, and kept for the request (:class:`SurveyReference` is the base
of :class:`analysis.selectors.Dashboard`). Labels follow the active language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from django.utils.translation import gettext as _

from surveys.models import Channel, QuestionType, Survey, UserCategory, Wave

from .filters import NOT_STATED
from .question_info import QuestionInfo, questions_of

__all__ = ["SurveyReference"]


@dataclass
class SurveyReference:
    """One survey's waves, categories, channels and questions (each read once, on first use)."""

    survey: Survey
    _memo: dict = field(default_factory=dict)

    # -- reference data ----------------------------------------------------------------------
    def _once(self, name: str, fn: Callable):
        if name not in self._memo:
            self._memo[name] = fn()
        return self._memo[name]

    @property
    def waves(self) -> list[Wave]:
        return self._once("waves", lambda: list(self.survey.waves.order_by("opens_at", "code")))

    @property
    def categories(self) -> list[UserCategory]:
        def load():
            cats = list(self.survey.categories.all())
            return cats or list(UserCategory.objects.all())
        return self._once("categories", load)

    @property
    def channels(self) -> list[Channel]:
        return self._once("channels", lambda: list(Channel.objects.all()))

    @property
    def questions(self) -> list[QuestionInfo]:
        """The questions (without their choices: see ``questions_with_choices``)."""
        if "questions_full" in self._memo:
            return self._memo["questions_full"]
        return self._once("questions", lambda: questions_of(self.survey))

    @property
    def questions_with_choices(self) -> list[QuestionInfo]:
        return self._once("questions_full", lambda: questions_of(self.survey, with_choices=True))

    def question(self, code: str) -> QuestionInfo:
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)

    @property
    def sat_code(self) -> str | None:
        """The overall satisfaction question (SAT_OVERALL, else the first satisfaction question
        not tied to a channel)."""
        sat = [q for q in self.questions if q.type == QuestionType.SATISFACTION and not q.channel]
        for q in sat:
            if q.code == "SAT_OVERALL":
                return q.code
        return sat[0].code if sat else None

    @property
    def nps_code(self) -> str | None:
        nps = [q for q in self.questions if q.type == QuestionType.NPS]
        return nps[0].code if nps else None

    @property
    def channel_questions(self) -> list[QuestionInfo]:
        return [q for q in self.questions if q.channel and q.type in (QuestionType.SATISFACTION,)]

    def wave_labels(self, codes: Iterable[str] | None = None) -> dict[str, str]:
        codes = set(codes) if codes is not None else None
        return {w.code: (w.label or w.code) for w in self.waves if codes is None or w.code in codes}

    def category_labels(self, codes: Sequence[str] = ()) -> dict[str, str]:
        return {c.code: c.label for c in self.categories if not codes or c.code in codes}

    def channel_labels(self, codes: Sequence[str] = (), not_stated: bool = True) -> dict:
        labels: dict = {c.code: c.label for c in self.channels if not codes or c.code in codes}
        if not_stated and (not codes or NOT_STATED in codes):
            labels[None] = _("Canal non renseigné")
        return labels
