"""`{{ violation.law_article|cite_refs }}`: stored references in the page's language, written by
the one citation formatter (baqylau.legal.citations)."""

from django import template
from django.utils.translation import get_language

from baqylau.i18n import normalize_language
from baqylau.legal.citations import format_refs

register = template.Library()


@register.filter
def cite_refs(value: str) -> str:
    return format_refs(value or "", normalize_language(get_language()))
