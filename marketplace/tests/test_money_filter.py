"""{{ amount|money }} writes what floatformat:2|intcomma writes, faster."""

from decimal import Decimal

import pytest
from django.template import Context, Template

AMOUNTS = [Decimal("0"), Decimal("5.5"), Decimal("55.00"), Decimal("1234.5"), Decimal("1234567.89")]


def render(text, **context):
    return Template("{% load humanize money %}" + text).render(Context(context))


@pytest.mark.parametrize("amount", AMOUNTS)
def test_money_writes_what_floatformat_and_intcomma_write(amount):
    assert render("{{ a|money }}", a=amount) == render("{{ a|floatformat:2|intcomma }}", a=amount)


@pytest.mark.parametrize(("value", "text"), [(None, ""), ("", ""), ("12.3", "12.30"), ("x", "")])
def test_money_reads_strings_and_leaves_nothing_for_no_amount(value, text):
    assert render("{{ a|money }}", a=value) == text
