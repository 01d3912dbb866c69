"""The error summary of a workbench page: every error of its forms, each a link to its field.

One page may carry several forms (a question, its choices, the condition builder): the summary
lists them all, as templates/partials/error_summary.html does for a questionnaire step.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

GROUPED = (forms.CheckboxSelectMultiple, forms.RadioSelect)


@dataclass
class Problem:
    anchor: str
    label: str
    message: str


def _form_problems(form: forms.BaseForm, fallback: str) -> list[Problem]:
    out = [Problem(fallback, "", str(e)) for e in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS or name not in form.fields:
            continue
        bound = form[name]
        anchor = f"{bound.auto_id}_0" if isinstance(bound.field.widget, GROUPED) else bound.auto_id
        out += [Problem(anchor, str(bound.label), str(e)) for e in errors]
    return out


def problems(*parts: tuple[object, str]) -> list[Problem]:
    """(form or formset, anchor for errors not tied to a field) pairs → the summary's lines."""
    out: list[Problem] = []
    for part, fallback in parts:
        if part is None or not part.is_bound:
            continue
        if isinstance(part, forms.BaseFormSet):
            out += [Problem(fallback, "", str(e)) for e in part.non_form_errors()]
            for form in part.forms:
                out += _form_problems(form, fallback)
        else:
            out += _form_problems(part, fallback)
    return out
