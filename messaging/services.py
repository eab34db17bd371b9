"""Writes of the messaging app: notifications (with their email), messages
between buyer and seller, and read receipts. Each service is one database
transaction and raises the domain errors of marketplace/core/errors.py."""

from django.conf import settings
from django.db import transaction as db_transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import email_preferences, user_can_trade
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.emails import email_render
from marketplace.core.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.core.queue import enqueue_on_commit
from marketplace.core.versions import changed_on_commit, notifications_scope
from payments.models import Transaction

from .emails import notification_email
from .masking import mask_contact_details
from .models import Email, Message, Notification
from .tasks import email_send

SUBJECT_MAX_LENGTH = Email._meta.get_field("subject").max_length


def notification_create(*, user, type: str, payload: dict) -> Notification:
    """Notify `user` on the site and by email.

    Creates the Notification and its outbox Email (READY); the email task is
    enqueued when the caller's transaction commits, so a rolled-back change
    sends nothing. If the broker is down at that moment, the periodic
    `emails_send_ready` sweep sends it later.

    Must run inside the caller's transaction (RuntimeError otherwise); an
    unknown `type` is a programming error (ValueError).
    """
    if not db_transaction.get_connection().in_atomic_block:
        raise RuntimeError("notification_create must run inside the caller's transaction.")
    if type not in Notification.Type.values:
        raise ValueError(f"Unknown notification type: {type!r}")
    notification = Notification.objects.create(user=user, type=type, payload=payload)
    changed_on_commit(notifications_scope(user.pk))
    if user.email and _wants_email(user=user, type=type):
        rendered, attachments = notification_email(user=user, type=type, payload=payload)
        email_enqueue(
            to=user.email,
            subject=rendered.subject,
            body=rendered.text,
            html=rendered.html,
            attachments=attachments,
            notification=notification,
        )
    return notification


def _wants_email(*, user, type: str) -> bool:
    """The account's choice on its profile: messages, or everything about its sales."""
    choices = email_preferences(user.preferences)
    key = "email_new_messages" if type == Notification.Type.MESSAGE else "email_sale_updates"
    return choices[key]


def email_enqueue(
    *,
    to: str,
    subject: str,
    body: str,
    html: str = "",
    attachments: list[dict] | None = None,
    notification=None,
) -> Email:
    """Put one email in the outbox (READY) and send it once the caller's
    transaction commits. Must run inside that transaction (RuntimeError).

    `body` is the plain text, `html` its HTML alternative (both from one
    template: marketplace.core.emails), `attachments` a list of
    {filename, mimetype, content_base64}."""
    if not db_transaction.get_connection().in_atomic_block:
        raise RuntimeError("email_enqueue must run inside the caller's transaction.")
    email = Email.objects.create(
        notification=notification,
        to=to,
        subject=" ".join(subject.split())[:SUBJECT_MAX_LENGTH],
        body=body,
        html=html,
        attachments=attachments or [],
    )
    # A broker outage must not turn the caller's committed change into an
    # error page: the email stays READY and the sweep sends it later.
    enqueue_on_commit(
        email_send, email.pk, fallback="the outbox sweep (emails_send_ready) sends it later"
    )
    return email


def email_enqueue_template(*, to: str, template: str, context: dict, language: str) -> Email:
    """Render the email `template` (templates/emails/..., one HTML template
    giving the subject, the HTML and the text) in `language`, and put it in the
    outbox as email_enqueue does."""
    rendered = email_render(template, context, language=language)
    return email_enqueue(to=to, subject=rendered.subject, body=rendered.text, html=rendered.html)


def _party_name(*, user, txn: Transaction) -> str:
    # Never the email address (display_name falls back to it): the other
    # party must not get contact details through the notification.
    role = "the buyer" if user.pk == txn.buyer_id else "the seller"
    return user.public_name_or(role)


def message_send(*, sender, transaction: Transaction, body: str, ip_address=None) -> Message:
    """`sender`, the buyer or the seller of `transaction`, writes to the other party.

    Email addresses, phone numbers, IBANs and payment links in the body are
    masked before it is saved (messaging.masking); when something was masked,
    an audit row ("message.contact_masked") lets staff see who tried. The other
    party gets a `message` notification. All in one transaction.

    Raises NotFound (not a party: the transaction's existence is not revealed),
    PermissionDenied (the sender's account is suspended or banned)
    or ValidationFailed (transaction cancelled; body empty or too long).
    """
    with db_transaction.atomic():
        # Re-read: the caller's instance may be stale (e.g. cancelled since).
        txn = (
            Transaction.objects.select_related("buyer", "seller", "listing__ticket__event")
            .filter(pk=transaction.pk)
            .first()
        )
        if txn is None or sender.pk not in (txn.buyer_id, txn.seller_id):
            raise NotFound(_("Transaction not found."))
        if not user_can_trade(user=sender):
            raise PermissionDenied(_("Your account cannot send messages at the moment."))
        if txn.status == Transaction.Status.CANCELLED:
            raise ValidationFailed(
                _("This purchase was cancelled; its conversation is closed."),
                details={"field": "transaction", "reason": "TRANSACTION_CANCELLED"},
            )
        text = (body or "").strip()
        max_length = settings.MESSAGE_MAX_LENGTH
        if not text:
            raise ValidationFailed(
                _("Write a message first."),
                details={"field": "body", "reason": "EMPTY", "maxLength": max_length},
            )
        if len(text) > max_length:
            raise ValidationFailed(
                _("A message can be at most %(max_length)s characters.")
                % {"max_length": max_length},
                details={
                    "field": "body",
                    "reason": "TOO_LONG",
                    "maxLength": max_length,
                    "provided": len(text),
                },
            )
        masked = mask_contact_details(text)
        message = Message.objects.create(transaction=txn, sender=sender, body=masked)
        if masked != text:
            audit_log_record(
                actor=sender,
                action=AuditAction.MESSAGE_CONTACT_MASKED,
                entity=message,
                changes={"transaction_id": txn.pk},
                ip_address=ip_address,
            )
        recipient = txn.seller if sender.pk == txn.buyer_id else txn.buyer
        notification_create(
            user=recipient,
            type=Notification.Type.MESSAGE,
            payload={
                "transaction_id": txn.pk,
                "message_id": message.pk,
                "sender_name": _party_name(user=sender, txn=txn),
                "event_name": txn.listing.ticket.event.name,
            },
        )
    return message


def message_mark_read(*, user, message: Message) -> Message:
    """The recipient (the party who did not send `message`) has read it.

    Idempotent: read_at is set the first time only. The recipient's
    notification of this message is marked read too.

    Raises NotFound for anyone else, the sender included.
    """
    with db_transaction.atomic():
        found = (
            Message.objects.select_related("transaction")
            .filter(pk=message.pk)
            .exclude(sender_id=user.pk)
            .first()
        )
        if found is None or user.pk not in (
            found.transaction.buyer_id,
            found.transaction.seller_id,
        ):
            raise NotFound(_("Message not found."))
        now = timezone.now()
        # Conditional, so two tabs reading at once keep the first time.
        Message.objects.filter(pk=found.pk, read_at__isnull=True).update(read_at=now)
        Notification.objects.filter(
            user=user,
            type=Notification.Type.MESSAGE,
            payload__message_id=found.pk,
            read_at__isnull=True,
        ).update(read_at=now)
        found.refresh_from_db(fields=["read_at"])
    return found


def notification_mark_read(*, user, notification: Notification) -> Notification:
    """`user` has seen their `notification`. Idempotent (read_at set once).

    Raises NotFound when it is not theirs.
    """
    with db_transaction.atomic():
        found = Notification.objects.filter(pk=notification.pk, user=user).first()
        if found is None:
            raise NotFound(_("Notification not found."))
        Notification.objects.filter(pk=found.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        changed_on_commit(notifications_scope(user.pk))
        found.refresh_from_db(fields=["read_at"])
    return found


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of `user` read; returns how many were unread."""
    with db_transaction.atomic():
        changed_on_commit(notifications_scope(user.pk))
        return Notification.objects.filter(user=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )


def message_thread_mark_read(*, user, transaction) -> int:
    """`user`, the buyer or the seller of `transaction`, has seen its page: the
    other party's unread messages are read, and so are `user`'s notifications
    about this transaction (they have seen where it stands).

    Staff and anyone else mark nothing: reading a thread as a moderator is no
    read receipt. Idempotent: read_at is set the first time only.
    Returns how many messages became read. One UPDATE for the whole thread,
    so a page showing twenty messages costs no more than one showing two.
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
