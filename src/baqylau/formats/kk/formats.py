"""Kazakh number and date formats (Django ships none for kk, so kk pages fell back to ungrouped
numbers): grouping by thousands with a non-breaking space and a decimal comma, as in official
Kazakh texts; dates as dd.mm.yyyy."""

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1
