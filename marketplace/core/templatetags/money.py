"""{{ amount|money:currency }}: an amount as a reader of the active language
writes it, "€34.00", "€ 34,00", "34,00 €" (marketplace.core.money.money_display,
the one money formatter of pages, their JSON and emails; the API answers
decimal strings and currency codes)."""

from django import template

from marketplace.core.money import money_display

register = template.Library()


@register.filter
def money(value, currency="") -> str:
    return money_display(value, currency)
