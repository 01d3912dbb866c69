"""The steps a respondent of one category gets, for the previews (full page and the workbench's).

One function for both, so the full-page preview and the workbench's show the same steps and the
same conditions in words (`services.condition_builder.describe`), never their JSON.
"""

from __future__ import annotations

from .forms import SectionForm
from .models import Survey
from .services.condition_builder import describe
from .services.responses import survey_structure


def preview_steps(survey: Survey, category: str, prefix: str = "apercu-") -> list[dict]:
    """Each step as {section, condition (words), form, conditions: {question code: words}}."""
    steps = []
    for section in survey_structure(survey):
        if not section.applies_to(category):
            continue
        questions = [q for q in section.questions.all() if q.applies_to(category)]
        if questions:
            steps.append({"section": section, "condition": describe(section.condition),
                          "form": SectionForm(prefix=f"{prefix}{section.code}", questions=questions),
                          "conditions": {q.code: describe(q.condition) for q in questions}})
    return steps
