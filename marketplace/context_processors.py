"""What every page's frame needs: the unread notification count for the bell."""

from django.conf import settings

from listings.pricing import percent_text


def site(request):
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        from messaging.selectors import notification_unread_count

        unread = notification_unread_count(user=user)
    return {
        "unread_notifications": unread,
        "platform_fee_percent": percent_text(settings.PLATFORM_FEE_RATE),
    }
