"""Delete my account: the fan's personal data erased, the books kept.

An account is never removed row by row: its purchases, sales, payouts and the
audit trail are the marketplace's books (and the other party's history), so
they stay, pointing at an account that no longer holds anything personal.
What goes: the login (password, email address, two-step login, sessions,
tokens), the profile, the trader details, the fan's listings on sale and
waiting list places, the files of the tickets they hold, the bodies of the
messages they wrote, their notifications and emails, and the personal
values of the audit rows about them (marketplace.privacy.erasure).
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TraderDeclaration, User
from accounts.services import user_sessions_revoke
from accounts.traders import TRADER_TEXT_FIELDS
from listings.models import Listing, ListingReport, WaitlistEntry
from listings.services import listing_cancel
from listings.waitlist.entries import waitlist_leave
from marketplace.core.audit import AuditAction, audit_log_record, audit_status_change
from marketplace.core.errors import DomainError, TicketNotAvailable, ValidationFailed
from marketplace.core.models import IdempotencyKey
from messaging.models import Email, Message, Notification
from payments.models import Dispute, Payout, Transaction
from tickets.models import Ticket, TicketTransfer
from tickets.services import ticket_transfer_cancel

from .erasure import audit_erase, personal_strings

# The address a deleted account keeps: unique, and no mail server accepts it
# (.invalid is reserved, RFC 2606).
ERASED_EMAIL_DOMAIN = "invalid"
# What the other party reads in place of a deleted account's messages.
ERASED_MESSAGE = "This message was deleted with its author's account."
TRADER_PERSONAL_FIELDS = (*TRADER_TEXT_FIELDS, "review_reason")
# Money is still moving while a sale is in one of these (ARCHITECTURE.md, state machines).
LIVE_TRANSACTION_STATUSES = (
    Transaction.Status.PENDING_PAYMENT,
    Transaction.Status.PAID,
    Transaction.Status.DISPUTED,
)
UNSETTLED_PAYOUT_STATUSES = (
    Payout.Status.HELD,
    Payout.Status.SCHEDULED,
    Payout.Status.FAILED,
    Payout.Status.FROZEN,
)
# Tickets in the account's hands (bought, uploaded, given to them): voided.
HELD_TICKET_STATUSES = (Ticket.Status.AVAILABLE, Ticket.Status.TRANSFERRED, Ticket.Status.SOLD)


class AccountHasEscrow(DomainError):
    code = "ACCOUNT_HAS_ESCROW"
    http_status = 409
    default_message = "Money is still held for one of your purchases or sales."


class AccountHasOpenDispute(DomainError):
    code = "ACCOUNT_HAS_OPEN_DISPUTE"
    http_status = 409
    default_message = "A dispute about one of your purchases or sales is open."


def erased_email(user: User) -> str:
    return f"deleted-{user.pk}@{ERASED_EMAIL_DOMAIN}"


def user_is_deleted(*, user: User) -> bool:
    return not user.is_active and user.email == erased_email(user)


def account_deletion_blocker(*, user: User) -> DomainError | None:
    """Why the account cannot be deleted now, or None: a dispute open about
    one of its sales or purchases, or money still moving (a purchase or a
    sale not completed, cancelled or refunded; a payout not paid). The error's
    details name the transactions, which are the account's own."""
    parties = Q(transaction__buyer=user) | Q(transaction__seller=user) | Q(opened_by=user)
    disputed = Dispute.objects.filter(parties, status=Dispute.Status.OPEN)
    ids = sorted(set(disputed.values_list("transaction_id", flat=True)))
    if ids:
        return AccountHasOpenDispute(
            _(
                "You cannot delete your account while a dispute about one of your purchases "
                "or sales is open: Encore's staff settle it first."
            ),
            details={"reason": AccountHasOpenDispute.code, "transactions": ids},
        )
    live = Transaction.objects.filter(
        Q(buyer=user) | Q(seller=user), status__in=LIVE_TRANSACTION_STATUSES
    ).values_list("pk", flat=True)
    unpaid = Payout.objects.filter(seller=user, status__in=UNSETTLED_PAYOUT_STATUSES).values_list(
        "transaction_id", flat=True
    )
    ids = sorted(set(live) | set(unpaid))
    if ids:
        return AccountHasEscrow(
            _(
                "You cannot delete your account while a purchase or sale is still in "
                "progress or Encore still holds money for you: wait until each one is "
                "completed, cancelled or refunded and your payouts are paid."
            ),
            details={"reason": AccountHasEscrow.code, "transactions": ids},
        )
    return None


def _refuse_if_blocked(user: User) -> None:
    blocker = account_deletion_blocker(user=user)
    if blocker is not None:
        raise blocker


def _listings_withdraw(user: User) -> int:
    withdrawn = 0
    for listing in Listing.objects.filter(seller=user, status__in=Listing.OPEN_STATUSES):
        try:
            listing_cancel(actor=user, listing=listing)
        except TicketNotAvailable:
            continue  # reserved by a buyer meanwhile: the second check refuses
        withdrawn += 1
    return withdrawn


def _waiting_lists_leave(user: User) -> int:
    waiting = WaitlistEntry.objects.filter(fan=user, state=WaitlistEntry.State.WAITING)
    event_ids = list(waiting.values_list("event_id", flat=True))
    for event_id in event_ids:
        waitlist_leave(fan=user, event_id=event_id)
    return len(event_ids)


def _tickets_void(user: User, *, now) -> list[str]:
    """Take back the tickets the account is giving away, void the ones it
    holds, and return the names of the files of every ticket it owns (removed
    from the private storage once the deletion commits)."""
    for transfer in TicketTransfer.objects.filter(
        sender=user, status=TicketTransfer.Status.PENDING
    ).select_related("ticket"):
        ticket_transfer_cancel(owner=user, ticket=transfer.ticket)
    owned = Ticket.objects.select_for_update().filter(owner=user).order_by("pk")
    names = []
    for ticket in owned:
        if ticket.status in HELD_TICKET_STATUSES:
            Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.VOID, updated_at=now)
            audit_status_change(
                actor=user,
                action=AuditAction.TICKET_VOIDED,
                entity=ticket,
                old=ticket.status,
                new=Ticket.Status.VOID,
                reason="account_deleted",
            )
        if ticket.file.name:
            names.append(ticket.file.name)
    Ticket.objects.filter(owner=user, file__gt="").update(file="", updated_at=now)
    return names


def _files_delete(names: list[str]) -> None:
    storage = Ticket._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def _personal_values(user: User) -> list[str]:
    addresses = EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    declaration = TraderDeclaration.objects.filter(user=user).first()
    trader = [getattr(declaration, f) for f in TRADER_PERSONAL_FIELDS] if declaration else []
    return personal_strings(user.email, user.name, user.phone, *addresses, *trader)


def _traces_erase(user: User, *, old_email: str) -> int:
    """Erase what the account wrote or received beyond its own row."""
    erased_messages = Message.objects.filter(sender=user).update(body=ERASED_MESSAGE)
    Notification.objects.filter(user=user).delete()
    IdempotencyKey.objects.filter(user=user).delete()
    # The outbox's copies of emails to the account (one being sent finishes).
    Email.objects.filter(to__iexact=old_email).exclude(status=Email.Status.SENDING).delete()
    TicketTransfer.objects.filter(Q(recipient=user) | Q(recipient_email__iexact=old_email)).update(
        recipient_email=erased_email(user)
    )
    ListingReport.objects.filter(reporter=user).exclude(reporter_email="").update(reporter_email="")
    TraderDeclaration.objects.filter(user=user).update(
        **{name: "" for name in TRADER_PERSONAL_FIELDS}, updated_at=timezone.now()
    )
    return erased_messages


def _login_end(user: User) -> None:
    """No way in any more: every session and token ends, the second factors
    and the email addresses go, the password can never match."""
    user_sessions_revoke(user=user, reason="account_deleted", actor=user)
    Authenticator.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    # After user_sessions_revoke's own callback has ended the sessions: the
    # list of devices (addresses, browsers) goes too.
    transaction.on_commit(lambda: UserSession.objects.filter(user_id=user.pk).delete())


def _profile_erase(user: User, *, now) -> None:
    user.email = erased_email(user)
    user.name = user.phone = user.avatar_url = user.language = ""
    user.preferences = {}
    user.email_verified = user.phone_verified = False
    user.is_active = user.is_staff = user.is_superuser = False
    user.role = User.Role.USER
    user.last_login_at = None
    user.set_unusable_password()
    user.updated_at = now
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


def account_delete_by_owner(*, user: User, password: str | None) -> User:
    """Delete my account, asked by its owner (the page and the API): an
    account with a password proves it is its owner's by typing it (a session
    or a token alone does not delete it); one without proves it by
    reauthentication before this is called. Then account_delete."""
    if user.has_usable_password() and not user.check_password(password or ""):
        raise ValidationFailed(
            _("This is not your password."),
            details={"field": "password", "reason": "WRONG_PASSWORD"},
        )
    return account_delete(user=user)


def account_delete(*, user: User) -> User:
    """Delete the account of `user` at its owner's request.

    Refused, changing nothing, while money is still moving for the account or
    a dispute about one of its sales is open (AccountHasEscrow,
    AccountHasOpenDispute: 409). Otherwise, in one database transaction: its
    listings come off sale and its waiting list places end (through their
    services, so the next fan in line is offered the ticket), the tickets it
    holds are voided and their files removed once the transaction commits,
    every session and token ends, and every personal value is erased (module
    docstring). Transactions, payouts and the audit trail's rows stay, by id.
    Deleting a deleted account changes nothing. No client address is kept,
    not even on the deletion's own audit row.
    """
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user_is_deleted(user=user):
            return user
        _refuse_if_blocked(user)
        old_email = user.email
        personal = _personal_values(user)
        listings = _listings_withdraw(user)
        waiting = _waiting_lists_leave(user)
        files = _tickets_void(user, now=now)
        # A buyer may have reserved a listing while it was being withdrawn.
        _refuse_if_blocked(user)
        messages = _traces_erase(user, old_email=old_email)
        _login_end(user)
        _profile_erase(user, now=now)
        declaration = TraderDeclaration.objects.filter(user=user).values_list("pk", flat=True)
        entities = [("traderdeclaration", pk) for pk in declaration]
        audit_erase(user_id=user.pk, entities=entities, personal=personal)
        audit_log_record(
            actor=user,
            action=AuditAction.USER_DELETED,
            entity=user,
            changes={
                "listings_withdrawn": listings,
                "waiting_lists_left": waiting,
                "ticket_files_removed": len(files),
                "messages_erased": messages,
            },
        )
        transaction.on_commit(lambda: _files_delete(files))
    return user
