"""{{ amount|money }}: an amount as the site shows money, "1,234.50".

The same text as floatformat:2|intcomma, at a fraction of the cost: the event
page shows several amounts on each of its fifty rows (bench/results/).
"""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter(is_safe=True)
def money(value) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    return f"{amount:,.2f}"
