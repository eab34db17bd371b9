"""{% event_picture event as pic %}: what templates/events/_picture.html draws."""

from django import template

from events.images import event_picture_view

register = template.Library()


@register.simple_tag
def event_picture(event):
    return event_picture_view(event)
