"""Staff review of uploads the file could not prove (tickets.services.upload):
approve (maybe with the face value corrected) or reject, each audited."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import NotFound, PermissionDenied, TicketNotAvailable
from marketplace.core.money import money_str

from ..models import Ticket
from .checks import CONTENT_TYPES, face_value_clean

NOTE_MAX_LENGTH = 2000
REVIEW_FIELDS = ("verification", "reviewed_by", "reviewed_at", "review_note")


def _staff_only(staff) -> None:
    if not (staff is not None and staff.is_authenticated and staff.is_staff):
        raise PermissionDenied(_("Only Encore staff review tickets."))


def _note_clean(note) -> str:
    return (note or "").strip()[:NOTE_MAX_LENGTH]


def ticket_review_approve(
    *, staff, ticket: Ticket, face_value=None, note: str = "", ip_address=None
) -> Ticket:
    """Staff checked the ticket's file: it is genuine, and its face value is
    `face_value` (default: as declared). The ticket is verified and its owner may
    list it, capped on that face value.

    Works on a ticket waiting for review, or one rejected before (staff change
    their mind). Raises PermissionDenied (not staff), ValidationFailed (a bad
    face value) or TicketNotAvailable (the ticket is already verified).
    """
    _staff_only(staff)
    corrected = face_value_clean(face_value) if face_value not in (None, "") else None
    note = _note_clean(note)
    with transaction.atomic():
        # Lock the row: two reviewers deciding at once would each read the old state.
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if current.verification == Ticket.Verification.VERIFIED:
            raise TicketNotAvailable(
                _("This ticket is already verified."),
                details={"field": "ticket", "reason": "NOT_IN_REVIEW"},
            )
        changes = {
            "verification": {"from": current.verification, "to": Ticket.Verification.VERIFIED},
            "review_reasons": current.review_reasons,
            "note": note,
        }
        if corrected is not None and corrected != current.face_value:
            changes["face_value"] = {
                "from": money_str(current.face_value),
                "to": money_str(corrected),
            }
            current.face_value = corrected
        current.verification = Ticket.Verification.VERIFIED
        current.reviewed_by, current.reviewed_at, current.review_note = staff, timezone.now(), note
        current.save(update_fields=[*REVIEW_FIELDS, "face_value", "updated_at"])
        audit_log_record(
            actor=staff,
            action=AuditAction.TICKET_REVIEW_APPROVED,
            entity=current,
            changes=changes,
            ip_address=ip_address,
        )
    return current


def ticket_review_reject(*, staff, ticket: Ticket, note: str = "", ip_address=None) -> Ticket:
    """Staff checked the ticket's file and cannot accept it: it stays with its owner
    (who may still download it) but can never be listed. `note` tells why.

    Raises PermissionDenied (not staff) or TicketNotAvailable (the ticket is not
    waiting for review: a verified ticket may be on sale or sold already).
    """
    _staff_only(staff)
    note = _note_clean(note)
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if current.verification != Ticket.Verification.PENDING_REVIEW:
            raise TicketNotAvailable(
                _("This ticket is not waiting for a review."),
                details={"field": "ticket", "reason": "NOT_IN_REVIEW"},
            )
        current.verification = Ticket.Verification.REJECTED
        current.reviewed_by, current.reviewed_at, current.review_note = staff, timezone.now(), note
        current.save(update_fields=[*REVIEW_FIELDS, "updated_at"])
        audit_log_record(
            actor=staff,
            action=AuditAction.TICKET_REVIEW_REJECTED,
            entity=current,
            changes={
                "verification": {
                    "from": Ticket.Verification.PENDING_REVIEW,
                    "to": Ticket.Verification.REJECTED,
                },
                "review_reasons": current.review_reasons,
                "note": note,
            },
            ip_address=ip_address,
        )
    return current


def ticket_file_open_for_review(*, staff, ticket: Ticket, ip_address=None):
    """(handle, content type, file name) of `ticket`'s file, for staff checking it.

    A ticket's file is its owner's alone (rule 10); staff open one only to
    review it, and each opening is audited ("ticket.file_opened_by_staff").
    Raises PermissionDenied (not staff) or NotFound (no file stored).
    """
    _staff_only(staff)
    if not ticket.file.name:
        raise NotFound(_("This ticket has no file."))
    extension = ticket.file.name.rsplit(".", 1)[-1].lower()
    with transaction.atomic():
        audit_log_record(
            actor=staff,
            action=AuditAction.TICKET_FILE_OPENED_BY_STAFF,
            entity=ticket,
            changes={"verification": ticket.verification},
            ip_address=ip_address,
        )
    return (
        ticket.file.open("rb"),
        CONTENT_TYPES.get(extension, "application/octet-stream"),
        f"encore-ticket-{ticket.pk}.{extension}",
    )
