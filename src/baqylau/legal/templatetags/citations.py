"""`{{ violation.law_article|citation }}`: a law reference written for the page's language."""

from django import template
from django.utils.translation import get_language

from baqylau.i18n import normalize_language
from baqylau.legal.citations import format_citation

register = template.Library()


@register.filter
def citation(value: str) -> str:
    return format_citation(value or "", normalize_language(get_language()))
