"""Reads of the messaging app that the pages and the API share."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from marketplace.core.errors import NotFound
from marketplace.core.versions import notifications_scope, versioned
from payments.models import Transaction
from payments.selectors import transaction_get_for_party

from .models import Message, Notification

# A backstop: the count follows every change through its version token.
UNREAD_COUNT_SECONDS = 10 * 60


def message_thread(*, user, transaction: Transaction) -> QuerySet[Message]:
    """The messages of `transaction`, oldest first, for its buyer, its seller or staff.

    Raises NotFound for anyone else: they do not learn the transaction exists
    (ARCHITECTURE.md, rule 10).
    """
    transaction_get_for_party(user=user, transaction_id=transaction.pk)
    return (
        Message.objects.filter(transaction_id=transaction.pk)
        .select_related("sender")
        .order_by("created_at", "id")
    )


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """`user`'s notifications, newest first."""
    notifications = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_unread_count(*, user) -> int:
    """How many of `user`'s notifications are unread (the bell on every page):
    counted once, then read from the cache until one is created or read
    (messaging.services, notifications_scope)."""
    return versioned(
        f"notifications:unread:{user.pk}",
        notifications_scope(user.pk),
        lambda: Notification.objects.filter(user=user, read_at__isnull=True).count(),
        timeout=UNREAD_COUNT_SECONDS,
    )


def message_get_for_party(*, user, message_id: int) -> Message:
    """One message, for the buyer, the seller and staff; NotFound for anyone else."""
    messages = Message.objects.select_related("sender", "transaction")
    if not user.is_staff:
        messages = messages.filter(
            Q(transaction__buyer_id=user.pk) | Q(transaction__seller_id=user.pk)
        )
    message = messages.filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("Message not found."))
    return message
