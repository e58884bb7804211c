"""The ledger's canonical form is RFC 8785 (JCS), checked against an independent implementation,
and it survives PostgreSQL's jsonb, which keeps a number's decimal value but not its text."""

from __future__ import annotations

import json
from decimal import Decimal

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from baqylau.evidence.ledger import SAFE_INTEGER, canonical_json, number_text

finite = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
jcs_values = st.recursive(
    st.none() | st.booleans() | st.integers(-SAFE_INTEGER, SAFE_INTEGER) | finite | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=20,
)


@given(finite)
def test_numbers_are_written_as_jcs_writes_them(x):
    assert number_text(x) == rfc8785.dumps(x).decode()


@given(jcs_values)
def test_canonical_json_is_rfc_8785(value):
    assert canonical_json(value).encode("utf-8") == rfc8785.dumps(value)


def _as_postgres_returns(x: float):
    """What a jsonb number written by ``json.dumps(x)`` reads back as: PostgreSQL keeps the
    decimal value in plain notation (``1e+16`` → ``10000000000000000``, ``-0.0`` → ``0.0``)."""
    plain = format(Decimal(repr(x)), "f")
    if plain.startswith("-") and Decimal(plain) == 0:
        plain = plain[1:]
    return json.loads(plain)


@given(finite)
def test_a_number_keeps_its_canonical_text_through_jsonb(x):
    assert canonical_json({"n": _as_postgres_returns(x)}) == canonical_json({"n": x})


def test_integers_beyond_doubles_are_exact():
    assert number_text(10**300) == number_text(1e300) == "1e+300"
    assert number_text(12345678901234567891) == "12345678901234567891"
    assert number_text(10**21) == "1e+21"
    assert canonical_json({"b": 1, "a": [2**53, -0.0]}) == '{"a":[9007199254740992,0],"b":1}'
