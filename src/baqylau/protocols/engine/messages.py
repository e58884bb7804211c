"""The engine's own messages (completeness and policies) and number formatting, in kk/ru/en.

Relation messages live in the form files; these are the ones that do not depend on a form.
Placeholders are filled with numbers already formatted for the language.
"""

from __future__ import annotations

import numbers
from typing import Any

from .forms import LocalizedText

MISSING_LINE = LocalizedText(
    kk="{number}-жол ({line_name}) толтырылмаған",
    ru="Строка {number} («{line_name}») не заполнена",
    en="Line {number} ({line_name}) is empty",
)
MISSING_CHOICE = LocalizedText(
    kk="«{choice}» үшін берілген дауыстар саны ({number}-жол) толтырылмаған",
    ru="Не заполнено число голосов за «{choice}» (строка {number})",
    en='The number of votes for "{choice}" (line {number}) is empty',
)
NEGATIVE_LINE = LocalizedText(
    kk="{number}-жолда ({line_name}) теріс сан жазылған: {value}",
    ru="В строке {number} («{line_name}») отрицательное число: {value}",
    en="Line {number} ({line_name}) is negative: {value}",
)
NEGATIVE_CHOICE = LocalizedText(
    kk="«{choice}» үшін берілген дауыстар саны теріс: {value}",
    ru="Отрицательное число голосов за «{choice}»: {value}",
    en='The number of votes for "{choice}" is negative: {value}',
)
TURNOUT_HIGH = LocalizedText(
    kk="Сайлаушылардың келуі {turnout}, бұл {threshold} шегінен жоғары: хаттаманы тексеру керек",
    ru="Явка {turnout} выше порога {threshold}: протокол нужно проверить",
    en="Turnout of {turnout} is above {threshold}: the protocol needs a review",
)
PAGES_MISSING = LocalizedText(
    kk="Хаттама толық емес: {required} беттің тек {received} беті суретке түсірілген",
    ru="Протокол неполный: сфотографировано только {received} из {required} страниц",
    en="Incomplete: only {received} of {required} pages photographed",
)
REGISTERED_MISMATCH = LocalizedText(
    kk=(
        "{number}-жолда тізімдегі сайлаушылар саны {left}, ал учаскенің тіркелген деректері "
        "бойынша {right} (айырма {difference})"
    ),
    ru=(
        "В строке {number} указано {left} избирателей в списке, а по данным об участке "
        "их {right} (разница {difference})"
    ),
    en=(
        "Line {number} gives {left} voters on the list, but the station's register has "
        "{right} (a difference of {difference})"
    ),
)


def format_number(value: Any, lang: str) -> str:
    """12994 → ``12 994`` (kk, ru) or ``12,994`` (en); other values unchanged."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return str(value)
    value = int(value)
    text = f"{value:,}"
    return text if lang[:2] == "en" else text.replace(",", " ")


def format_percent(ratio: float, lang: str) -> str:
    """0.873 → ``87.3%`` (en) or ``87,3%`` (kk, ru); 0.7 → ``70%``."""
    text = f"{ratio * 100:.1f}".removesuffix(".0") + "%"
    return text if lang[:2] == "en" else text.replace(".", ",")
