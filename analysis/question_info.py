"""The survey's questions as the dashboards read them: plain frozen records, in the active language."""

from __future__ import annotations

from dataclasses import dataclass

from surveys.models import Question, QuestionType, Survey, tr

__all__ = ["QuestionInfo", "questions_of"]


@dataclass(frozen=True)
class QuestionInfo:
    code: str
    type: str
    channel: str | None
    threshold: int | None
    text_fr: str
    text_en: str
    choices: tuple[tuple[str, str, str], ...]  # (code, label_fr, label_en)

    @property
    def text(self) -> str:
        return tr(self, "text")

    def choice_labels(self) -> dict[str, str]:
        from django.utils.translation import get_language

        en = (get_language() or "fr")[:2] == "en"
        return {code: (en and label_en) or label_fr for code, label_fr, label_en in self.choices}

    @property
    def scored(self) -> bool:
        return self.type in (QuestionType.SATISFACTION, QuestionType.SCALE, QuestionType.NPS)


def questions_of(survey: Survey, with_choices: bool = False) -> list[QuestionInfo]:
    """The survey's questions in questionnaire order (1 query, 2 with the choices)."""
    out = []
    qs = Question.objects.filter(survey=survey).select_related("channel")
    if with_choices:
        qs = qs.prefetch_related("choices")
    for q in qs:
        out.append(QuestionInfo(
            code=q.code, type=q.type, channel=q.channel.code if q.channel_id else None, threshold=q.threshold,
            text_fr=q.text_fr, text_en=q.text_en,
            choices=tuple((c.code, c.label_fr, c.label_en) for c in q.choices.all()) if with_choices else (),
        ))
    return out
