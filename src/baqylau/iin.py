"""Kazakhstan's individual identification number (ЖСН / ИИН): 12 digits, the last a check digit.

Digits 1–6 are the birth date (YYMMDD), digit 7 the century and sex (1–6; 0 is not used for
citizens), digits 8–11 a serial number, digit 12 the check digit: the sum of the first 11 digits
weighted 1..11, modulo 11; if that is 10, the sum weighted 3..11, 1, 2, modulo 11; if that is 10
again the number is not issued. No Django imports.
"""

from __future__ import annotations

WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first11: str) -> int | None:
    """The check digit of the first 11 digits; None when no valid number has them."""
    digits = [int(c) for c in first11]
    for weights in (WEIGHTS_1, WEIGHTS_2):
        rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if rest != 10:
            return rest
    return None


def is_valid_iin(value: str) -> bool:
    value = (value or "").strip()
    if len(value) != 12 or not value.isdigit():
        return False
    month, day, century = int(value[2:4]), int(value[4:6]), int(value[6])
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1 <= century <= 6):
        return False
    return check_digit(value[:11]) == int(value[11])
