"""{{ amount|money:currency }}: an amount as a reader of the active language
writes it, "€34.00", "€ 34,00", "34,00 €" (marketplace.core.money.money_display,
the one money formatter of pages and emails; the serializers' is money_text)."""

from django import template

from marketplace.core.money import money_display

register = template.Library()


@register.filter
def money(value, currency="") -> str:
    return money_display(value, currency)
