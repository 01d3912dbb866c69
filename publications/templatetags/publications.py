from django import template
from django.utils.safestring import mark_safe

from publications.text import markdown_html

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    return mark_safe(markdown_html(text))  # noqa: S308 - cleaned by nh3's allow-list (publications.text)
