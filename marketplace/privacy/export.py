"""Download my data: one JSON document of everything that is the account's.

What the account's owner already sees, and nothing more: the other party of a
purchase or a sale appears by their public name, never by their email address,
phone or row id; staff appear as "Encore". Money is a string with 2 decimals,
times are ISO 8601 (DjangoJSONEncoder).
"""

import json

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiSession, TraderDeclaration, User
from accounts.traders import TRADER_TEXT_FIELDS
from listings.models import Listing, ListingReport, WaitlistEntry, WaitlistOffer
from marketplace.core.models import AuditLog
from messaging.models import Email, Message, Notification
from payments.models import Dispute, Payout, PayoutAccount, Transaction
from tickets.models import Ticket, TicketTransfer

FORMAT_VERSION = 1
PROFILE_FIELDS = (
    "public_id",
    "email",
    "name",
    "phone",
    "role",
    "status",
    "email_verified",
    "phone_verified",
    "avatar_url",
    "preferences",
    "language",
    "created_at",
    "updated_at",
    "last_login_at",
)
TRADER_FIELDS = (
    "kind",
    "status",
    *TRADER_TEXT_FIELDS,
    "compliance_certified",
    "approval_required",
    "review_reason",
    "reviewed_at",
    "declared_at",
)
PAYOUT_ACCOUNT_FIELDS = (
    "stripe_account_id",
    "country",
    "state",
    "payouts_enabled",
    "requirements_due",
)
PAYOUT_FIELDS = ("id", "amount", "currency", "status", "transfer_id", "scheduled_at", "paid_at")


def _event(event) -> dict:
    return {"id": event.pk, "name": event.name, "date": event.event_date}


def _party(user: User, *, me: User):
    """Who wrote or bought: "me", or the other person's public name."""
    return "me" if user.pk == me.pk else user.public_name


def _profile(user: User) -> dict:
    profile = _fields(user, PROFILE_FIELDS)
    profile["id"] = user.pk
    profile["email_addresses"] = list(
        EmailAddress.objects.filter(user=user).values("email", "verified", "primary")
    )
    # The kinds of second factor and when they were added: never their secrets.
    profile["two_step_login"] = list(
        Authenticator.objects.filter(user=user).values("type", "created_at", "last_used_at")
    )
    declaration = TraderDeclaration.objects.filter(user=user).first()
    profile["trader_declaration"] = _fields(declaration, TRADER_FIELDS)
    account = PayoutAccount.objects.filter(user=user).first()
    profile["payout_account"] = _fields(account, PAYOUT_ACCOUNT_FIELDS)
    return profile


def _fields(row, names) -> dict | None:
    """The named fields of `row` (None for no row)."""
    return {name: getattr(row, name) for name in names} if row is not None else None


def _tickets(user: User) -> list[dict]:
    tickets = Ticket.objects.filter(owner=user).select_related("event").order_by("id")
    return [
        {
            "id": t.pk,
            "event": _event(t.event),
            "ticket_type": t.ticket_type,
            "section": t.section,
            "row": t.row,
            "seat": t.seat,
            "face_value": t.face_value,
            "original_fees": t.original_fees,
            "restrictions": t.restrictions,
            "organizer_ticket_number": t.organizer_ticket_number,
            "barcode_last4": t.barcode_last4,
            "status": t.status,
            "verification": t.verification,
            "review_note": t.review_note,
            "created_at": t.created_at,
        }
        for t in tickets
    ]


def _transfers(user: User) -> list[dict]:
    transfers = (
        TicketTransfer.objects.filter(Q(sender=user) | Q(recipient=user))
        .select_related("sender")
        .order_by("id")
    )
    return [
        {
            "id": t.pk,
            "ticket_id": t.ticket_id,
            "direction": "sent" if t.sender_id == user.pk else "received",
            # The sender typed the address; the recipient sees who gave it.
            "recipient_email": t.recipient_email if t.sender_id == user.pk else user.email,
            "sender": _party(t.sender, me=user),
            "status": t.status,
            "expires_at": t.expires_at,
            "resolved_at": t.resolved_at,
            "created_at": t.created_at,
        }
        for t in transfers
    ]


def _listings(user: User) -> list[dict]:
    listings = Listing.objects.filter(seller=user).select_related("ticket__event").order_by("id")
    return [
        {
            "id": listing.pk,
            "ticket_id": listing.ticket_id,
            "event": _event(listing.ticket.event),
            "price": listing.price,
            "status": listing.status,
            "listed_at": listing.listed_at,
            "expires_at": listing.expires_at,
        }
        for listing in listings
    ]


def _disputes(txn: Transaction) -> list[dict]:
    return [
        {
            "id": d.pk,
            "kind": d.kind,
            "reason": d.reason,
            "description": d.description,
            "status": d.status,
            "resolution_note": d.resolution_note,
            "created_at": d.created_at,
            "resolved_at": d.resolved_at,
        }
        for d in txn.disputes.all()
    ]


def _transaction(txn: Transaction, *, user: User) -> dict:
    data = {
        "id": txn.pk,
        "listing_id": txn.listing_id,
        "ticket_id": txn.listing.ticket_id,
        "event": _event(txn.listing.ticket.event),
        "final_price": txn.final_price,
        "currency": txn.currency,
        "status": txn.status,
        "payment_status": txn.payment_status,
        "payment_method": txn.payment_method,
        "refunded": txn.payment_status == Transaction.PaymentStatus.REFUNDED,
        "created_at": txn.created_at,
        "paid_at": txn.paid_at,
        "confirmed_at": txn.confirmed_at,
        "disputes": _disputes(txn),
    }
    if txn.buyer_id == user.pk:
        data["seller"] = txn.seller.public_name
        data["payment_id"] = txn.payment_id
    else:
        data["buyer"] = txn.buyer.public_name
        data["platform_fee"] = txn.platform_fee
        data["seller_payout"] = txn.seller_payout
        data["payout"] = _fields(Payout.objects.filter(transaction=txn).first(), PAYOUT_FIELDS)
    return data


def _transactions(user: User) -> tuple[list[dict], list[dict]]:
    txns = (
        Transaction.objects.filter(Q(buyer=user) | Q(seller=user))
        .select_related("listing__ticket__event", "buyer", "seller")
        .prefetch_related("disputes")
        .order_by("id")
    )
    purchases, sales = [], []
    for txn in txns:
        (purchases if txn.buyer_id == user.pk else sales).append(_transaction(txn, user=user))
    return purchases, sales


def _disputes_opened(user: User) -> list[int]:
    return list(Dispute.objects.filter(opened_by=user).order_by("id").values_list("pk", flat=True))


def _messages(user: User) -> list[dict]:
    messages = (
        Message.objects.filter(Q(transaction__buyer=user) | Q(transaction__seller=user))
        .select_related("sender")
        .order_by("id")
    )
    return [
        {
            "id": m.pk,
            "transaction_id": m.transaction_id,
            "from": _party(m.sender, me=user),
            "body": m.body,
            "read_at": m.read_at,
            "created_at": m.created_at,
        }
        for m in messages
    ]


def _notifications(user: User) -> list[dict]:
    return list(
        Notification.objects.filter(user=user)
        .order_by("id")
        .values("id", "type", "payload", "read_at", "created_at")
    )


def _emails(user: User) -> list[dict]:
    return list(
        Email.objects.filter(to__iexact=user.email)
        .order_by("id")
        .values("id", "subject", "status", "created_at", "sent_at")
    )


def _waiting_lists(user: User) -> list[dict]:
    entries = WaitlistEntry.objects.filter(fan=user).select_related("event").order_by("id")
    offers = WaitlistOffer.objects.filter(entry__fan=user).order_by("id")
    by_entry: dict[int, list[dict]] = {}
    for offer in offers:
        by_entry.setdefault(offer.entry_id, []).append(
            {
                "id": offer.pk,
                "listing_id": offer.listing_id,
                "state": offer.state,
                "offered_at": offer.offered_at,
                "expires_at": offer.expires_at,
                "decided_at": offer.decided_at,
            }
        )
    return [
        {
            "id": e.pk,
            "event": _event(e.event),
            "quantity": e.quantity,
            "max_price": e.max_price,
            "section": e.section,
            "ticket_type": e.ticket_type,
            "state": e.state,
            "joined_at": e.joined_at,
            "offers": by_entry.get(e.pk, []),
        }
        for e in entries
    ]


def _reports(user: User) -> dict:
    made = ListingReport.objects.filter(reporter=user).order_by("id")
    # About the account's listings: the decision and its reasons, as the
    # seller is told them; never who reported.
    about = (
        ListingReport.objects.filter(listing__seller=user)
        .exclude(status=ListingReport.Status.OPEN)
        .order_by("id")
    )
    return {
        "made": [
            {
                "id": r.pk,
                "listing_id": r.listing_id,
                "reason": r.reason,
                "text": r.text,
                "status": r.status,
                "statement_of_reasons": r.statement_of_reasons,
                "created_at": r.created_at,
                "decided_at": r.decided_at,
            }
            for r in made
        ],
        "about_my_listings": [
            {
                "id": r.pk,
                "listing_id": r.listing_id,
                "reason": r.reason,
                "status": r.status,
                "statement_of_reasons": r.statement_of_reasons,
                "decided_at": r.decided_at,
                "appeal_text": r.appeal_text,
                "appeal_outcome": r.appeal_outcome,
                "appeal_reasons": r.appeal_reasons,
            }
            for r in about
        ],
    }


def _sessions(user: User) -> dict:
    return {
        "api": list(
            ApiSession.objects.filter(user=user)
            .order_by("created_at")
            .values("id", "created_at", "ended_at", "end_reason")
        ),
        "site": list(
            UserSession.objects.filter(user=user)
            .order_by("created_at")
            .values("ip", "user_agent", "created_at", "last_seen_at")
        ),
    }


def _audit(user: User) -> list[dict]:
    """The audit trail's rows about the account: what changed and when, by id."""
    rows = AuditLog.objects.filter(
        Q(actor=user) | Q(entity_type="user", entity_id=str(user.pk))
    ).order_by("created_at", "id")
    return list(rows.values("id", "action", "entity_type", "entity_id", "created_at"))


def user_data_export(*, user: User) -> dict:
    """Everything Encore keeps that is `user`'s, as one JSON-ready document
    (plain dicts, lists, strings, numbers, booleans and nulls)."""
    purchases, sales = _transactions(user)
    document = {
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "profile": _profile(user),
        "tickets": _tickets(user),
        "ticket_transfers": _transfers(user),
        "listings": _listings(user),
        "purchases": purchases,
        "sales": sales,
        "disputes_opened": _disputes_opened(user),
        "messages": _messages(user),
        "notifications": _notifications(user),
        "emails": _emails(user),
        "waiting_lists": _waiting_lists(user),
        "reports": _reports(user),
        "sessions": _sessions(user),
        "audit_log": _audit(user),
    }
    # Decimals to strings ("110.00"), times to ISO 8601, ids of API sessions to text.
    return json.loads(json.dumps(document, cls=DjangoJSONEncoder))
