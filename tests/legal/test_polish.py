"""IIN checked by its check digit; deadlines read "overdue by N days", never negative days left."""

import pytest
from django.utils import translation

from baqylau.iin import check_digit, is_valid_iin
from baqylau.legal.forms import ProfileForm
from baqylau.legal.templatetags.deadlines import days_left


@pytest.mark.parametrize("good", ["660303301369", "900101300126"])
def test_valid_iins(good):
    assert is_valid_iin(good)


@pytest.mark.parametrize(
    "bad",
    ["123", "", "66030330136", "660303301368", "661303301369", "66030330136a", "660303001369"],
)
def test_invalid_iins(bad):
    assert not is_valid_iin(bad)


def test_second_weights_when_the_first_sum_gives_ten():
    # the first weighting leaves 10 for these digits, so the second one decides
    first11 = next(
        f"900101{n:05d}"
        for n in range(30000, 40000)
        if sum(int(d) * w for d, w in zip(f"900101{n:05d}", range(1, 12), strict=True)) % 11 == 10
    )
    digit = check_digit(first11)
    assert digit is None or is_valid_iin(first11 + str(digit))


def test_profile_form_refuses_a_bad_iin():
    with translation.override("kk"):
        form = ProfileForm(data={"full_name": "Әлия Сейтқали", "iin": "123"})
        assert not form.is_valid() and "ЖСН" in str(form.errors["iin"])
    assert ProfileForm(data={"full_name": "A", "iin": "6603 0330 1369"}).is_valid()


def test_deadline_words():
    with translation.override("en"):
        assert days_left(3) == "3 days left" and days_left(0) == "due today"
        assert days_left(-2726) == "overdue by 2726 days"
    with translation.override("ru"):
        assert days_left(-2) == "просрочено на 2 дня"
    with translation.override("kk"):
        assert days_left(-1) == "мерзімі 1 күнге өтіп кетті"


def test_an_act_drawn_up_again_gets_a_new_number(world, incidents, lawyer):
    from django.db import IntegrityError, transaction

    from baqylau.legal import services
    from baqylau.legal.models import LegalDocument

    incident = incidents[0]
    first = services.generate_act(user=lawyer, incident=incident, lang="ru")
    second = services.generate_act(user=lawyer, incident=incident, lang="ru")
    other = services.generate_act(user=lawyer, incident=incidents[1], lang="kk")
    numbers = [first.number, second.number, other.number]
    assert len(set(numbers)) == 3 and all(numbers)
    assert first.number == f"237-{incident.pk}" and second.number == f"237-{incident.pk}/2"
    assert second.number in second.title
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses a repeat
        LegalDocument.objects.filter(pk=second.pk).update(number=first.number)
