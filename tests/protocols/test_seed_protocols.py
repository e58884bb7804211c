"""The two Kazakh protocols reproduced in seed 001 (Mazhilis election, 10 January 2021).

The figures are transcribed from shared/seeds/001_1dc8c55e641e5113.txt (lines ~186-255).
"""

from __future__ import annotations

import pytest

from baqylau.protocols.engine import Severity, Status, load_form, validate

PARTY_NAMES = {
    "people": {
        "kk": "Қазақстан Халық партиясы",
        "ru": "Народная партия Казахстана",
        "en": "People's Party of Kazakhstan",
    },
    "nur_otan": "Nur Otan",
    "auyl": {"kk": "Ауыл", "ru": "Ауыл", "en": "Auyl"},
    "ak_zhol": {"kk": "Ақ жол", "ru": "Ак жол", "en": "Ak Zhol"},
    "adal": {"kk": "АДАЛ", "ru": "АДАЛ", "en": "ADAL"},
}

# Shygaru district (TEC) protocol. The seed gives: voters 27,512; ballots received by the
# commissions 20,052; voters who received ballots 20,052; voters who took part 19,444, "of whom"
# 0 with absentee certificates and 94 outside the station; and the five parties' votes. The
# reproduction stops there: the invalid-ballot line (7) and the unused/cancelled line (8) are
# absent, so they are passed as missing (None). The engine then cannot check the two relations
# that use them (ballots_balance, votes_balance), reports them as unchecked, and reports the two
# empty lines; every relation that the given figures allow to check holds.
DISTRICT = {
    "L1": 27512,
    "L2": 20052,
    "L3": 20052,
    "L5": 19444,
    "L5a": 0,
    "L4": 94,
    "L7": None,
    "L8": None,
}
DISTRICT_VOTES = {"people": 3482, "nur_otan": 12994, "auyl": 393, "ak_zhol": 2389, "adal": 186}

# Station No. 237, Semey: voters 2,170; ballots received 1,896; voters who received ballots 1,896
# (the stray "214" printed on that line belongs to the outside-the-station line below it); took
# part 624, of whom 624 with absentee certificates and 214 outside the station; invalid 1,035;
# unused 2,072. The parties' votes except the first are the district's totals copied onto the
# station's protocol (12,994 for Nur Otan at a station with 2,170 voters).
STATION_237 = {
    "L1": 2170,
    "L2": 1896,
    "L3": 1896,
    "L5": 624,
    "L5a": 624,
    "L4": 214,
    "L7": 1035,
    "L8": 2072,
}
STATION_237_VOTES = {"people": 58, "nur_otan": 12994, "auyl": 393, "ak_zhol": 2389, "adal": 186}


def test_district_protocol_adds_up_where_its_figures_allow() -> None:
    form = load_form("kz_mazhilis")
    result = validate(form, DISTRICT, choices=DISTRICT_VOTES, choice_names=PARTY_NAMES)
    assert result.relation_ids == set()
    assert set(result.unchecked) == {"ballots_balance", "votes_balance"}
    assert {(f.code, f.lines) for f in result.findings} == {
        ("missing_line", ("L7",)),
        ("missing_line", ("L8",)),
    }
    assert "Line 7 (Ballots declared invalid) is empty" in result.messages("en")
    assert (
        "Строка 8 («Число неиспользованных (погашенных) избирательных бюллетеней») не заполнена"
        in (result.messages("ru"))
    )
    assert any(m.startswith("7-жол") for m in result.messages("kk"))
    # The parties' votes are exactly the voters who took part: the missing lines can only be 0
    # invalid ballots and 0 unused ballots (received 20,052 = issued 20,052), and with those the
    # protocol passes the checks.
    assert sum(DISTRICT_VOTES.values()) == DISTRICT["L5"]
    complete = dict(DISTRICT, L7=0, L8=0)
    full = validate(form, complete, choices=DISTRICT_VOTES, choice_names=PARTY_NAMES)
    assert full.status is Status.PASSED
    assert full.findings == () and full.unchecked == ()


def test_station_237_fails_and_every_broken_relation_is_named() -> None:
    form = load_form("kz_mazhilis")
    result = validate(form, STATION_237, choices=STATION_237_VOTES, choice_names=PARTY_NAMES)
    assert result.status is Status.FAILED and result.errors == result.findings
    assert result.relation_ids == {
        "choice_le_took_part",  # party votes above the voters who took part
        "ballots_balance",  # received 1,896 != issued 1,896 + unused 2,072
        "choice_le_registered",  # a party with more votes than voters on the list
        "votes_balance",  # party votes + invalid 17,055 != took part 624
    }
    assert all(f.severity is Severity.ERROR for f in result.findings)
    by_id = {}
    for finding in result.findings:
        by_id.setdefault(finding.code, []).append(finding)

    (ballots,) = by_id["ballots_balance"]
    assert (ballots.left, ballots.right, ballots.difference) == (1896, 3968, -2072)
    assert ballots.lines == ("L2", "L3", "L8")
    assert "1 896" in ballots.message("ru") and "2 072" in ballots.message("ru")
    assert "Бюллетени не сходятся" in ballots.message("ru")
    assert "Ballots do not balance" in ballots.message("en") and "1,896" in ballots.message("en")
    assert "Бюллетеньдер сәйкес келмейді" in ballots.message("kk")

    (votes,) = by_id["votes_balance"]
    assert (votes.left, votes.right) == (17055, 624)
    assert "Голоса не сходятся" in votes.message("ru") and "17 055" in votes.message("ru")
    assert "Votes do not add up" in votes.message("en")
    assert "Дауыстар сәйкес келмейді" in votes.message("kk")

    above_took_part = {f.choice: f for f in by_id["choice_le_took_part"]}
    assert set(above_took_part) == {"nur_otan", "ak_zhol"}
    assert above_took_part["nur_otan"].message("ru") == (
        "Голоса за «Nur Otan» (12 994) больше числа избирателей, принявших участие в голосовании (624)"
    )
    assert above_took_part["ak_zhol"].message("en") == (
        "Votes for “Ak Zhol” (2,389) exceed the number of voters who took part (624)"
    )
    assert "«Ақ жол»" in above_took_part["ak_zhol"].message("kk")
    assert "қатысқан" in above_took_part["ak_zhol"].message("kk")

    above_list = {f.choice: f for f in by_id["choice_le_registered"]}
    assert set(above_list) == {"nur_otan", "ak_zhol"}
    assert "больше числа избирателей в списке (2 170)" in above_list["nur_otan"].message("ru")
    assert "voters on the list (2,170)" in above_list["ak_zhol"].message("en")
    assert "тізімдегі сайлаушылар" in above_list["nur_otan"].message("kk")

    for finding in result.findings:
        data = finding.as_dict()
        assert set(data["messages"]) == {"kk", "ru", "en"}
        assert data["expected"] == form.relation(finding.code).expr


@pytest.mark.parametrize("code", ["kz_president", "kz_mazhilis"])
def test_missing_choice_votes_and_negative_figures(code: str) -> None:
    form = load_form(code)
    figures = dict(STATION_237, L7=-1)
    result = validate(form, figures, choices={"a": None, "b": 10}, choice_names={"a": "Alpha"})
    assert {"missing_choice", "negative_line"} <= result.codes
    assert "votes_balance" in result.unchecked
    messages = result.messages("en")
    assert 'The number of votes for "Alpha" (line 6) is empty' in messages
    assert "Line 7 (Ballots declared invalid) is negative: -1" in messages


def test_unknown_lines_and_non_integers_are_refused() -> None:
    form = load_form("kz_president")
    with pytest.raises(ValueError, match="has no line"):
        validate(form, {"L99": 1}, choices={})
    with pytest.raises(TypeError, match="must be an integer"):
        validate(form, dict(STATION_237, L1="2170"), choices={})
