"""Reads of the messaging app that the pages and the API share."""

from django.db.models import Q, QuerySet

from marketplace.errors import NotFound
from payments.models import Transaction

from .models import Message, Notification


def message_thread(*, user, transaction: Transaction) -> QuerySet[Message]:
    """The messages of `transaction`, oldest first, for its buyer or seller.

    Raises NotFound for anyone else: they do not learn the transaction exists
    (ARCHITECTURE.md, rule 10). Staff read threads in the admin.
    """
    is_party = Transaction.objects.filter(
        Q(buyer_id=user.pk) | Q(seller_id=user.pk), pk=transaction.pk
    ).exists()
    if not is_party:
        raise NotFound("Transaction not found.")
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
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
