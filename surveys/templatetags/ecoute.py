"""Template filters. `rich` is the ONE place designer text may carry formatting: it goes through
an nh3 allow-list (no script, no event handler, no javascript: URL); everything else is escaped."""

from __future__ import annotations

import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def sanitize(text: str) -> str:
    """Clean designer HTML with an allow-list; plain text (with line breaks) stays readable."""
    text = text or ""
    if "<" not in text:
        from django.utils.html import escape, linebreaks

        return linebreaks(escape(text))
    return nh3.clean(text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
                     link_rel="noopener noreferrer")


@register.filter
def rich(text: str) -> str:
    return mark_safe(sanitize(text))  # noqa: S308 — sanitised by the allow-list above
