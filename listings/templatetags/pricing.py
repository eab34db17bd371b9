"""{{ rate|percent }}: a fraction as the site writes a percentage, "20" or "7.5"
(listings.pricing.percent_text, the one percent formatter); the "%" is the template's."""

from django import template

from listings.pricing import percent_text

register = template.Library()


@register.filter
def percent(fraction) -> str:
    if fraction is None or fraction == "":
        return ""
    return percent_text(fraction)
