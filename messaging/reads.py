"""Read receipts for a whole thread, written when its recipient opens the
transaction page. (messaging.services.message_mark_read does one message at a
time; a page showing twenty messages would then cost twenty round trips.)"""

from django.db import transaction as db_transaction
from django.utils import timezone

from .models import Message, Notification


def message_thread_mark_read(*, user, transaction) -> int:
    """`user`, the buyer or the seller of `transaction`, has seen its page: the
    other party's unread messages are read, and so are `user`'s notifications
    about this transaction (they have seen where it stands).

    Staff and anyone else mark nothing: reading a thread as a moderator is no
    read receipt. Idempotent: read_at is set the first time only.
    Returns how many messages became read.
    """
    if user.pk not in (transaction.buyer_id, transaction.seller_id):
        return 0
    now = timezone.now()
    with db_transaction.atomic():
        read = (
            Message.objects.filter(transaction_id=transaction.pk, read_at__isnull=True)
            .exclude(sender_id=user.pk)
            .update(read_at=now)
        )
        Notification.objects.filter(
            user=user, payload__transaction_id=transaction.pk, read_at__isnull=True
        ).update(read_at=now)
    return read
