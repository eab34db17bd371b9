"""Staff moderation of listings (the admin's "Take off sale")."""

from django.db import transaction
from django.utils.translation import gettext as _

from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import PermissionDenied
from messaging.models import Notification
from messaging.services import notification_create

from .models import Listing
from .services import listing_cancel


def listing_take_off_sale(*, staff, listing: Listing, note: str = "", ip_address=None) -> Listing:
    """Staff take an active listing off sale through listing_cancel (listing
    cancelled, ticket back to its owner, both audited) and keep their note in
    the audit trail, in the same transaction: the note is recorded if and only
    if the listing was taken down. The seller is notified, with the note.

    Raises PermissionDenied (not staff) or TicketNotAvailable (reserved by a
    buyer, sold, or already closed), changing nothing.
    """
    if not (staff.is_active and staff.is_staff):
        raise PermissionDenied(_("Only staff can take another seller's listing off sale."))
    with transaction.atomic():
        listing = listing_cancel(actor=staff, listing=listing, ip_address=ip_address)
        if note:
            audit_log_record(
                actor=staff,
                action=AuditAction.LISTING_MODERATED,
                entity=listing,
                changes={"note": note},
                ip_address=ip_address,
            )
        # The seller learns why their ticket is no longer on sale.
        notification_create(
            user=listing.seller,
            type=Notification.Type.LISTING_REMOVED,
            payload={
                "listing_id": listing.pk,
                "event_name": listing.ticket.event.name,
                "note": note,
            },
        )
    return listing
