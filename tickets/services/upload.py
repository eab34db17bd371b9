"""Uploading a ticket: the file is the evidence, one barcode and one file one ticket,
the file in private storage, and staff review for what the file cannot prove."""

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.selectors import user_can_trade
from events.models import Event, PriceTier
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import DuplicateTicket, PermissionDenied
from marketplace.core.money import money_str

from ..barcodes import barcode_hash, barcode_last4
from ..evidence import Evidence, evidence_read, file_content, file_sha256
from ..models import Ticket
from ..selectors import ticket_face_value_median
from .checks import (
    barcode_check_typed_only,
    barcode_clean,
    event_check_open,
    file_check,
    invalid,
    organizer_ticket_number_check,
    organizer_ticket_number_clean,
    place_clean,
    price_clean,
    restrictions_clean,
    seat_check,
    ticket_type_clean,
)

BARCODE_GUARD = "tickets_active_barcode_unique"
FILE_GUARD = "tickets_active_file_unique"


# --- upload -------------------------------------------------------------------


def ticket_upload(
    *,
    owner,
    event: Event,
    file: File,
    face_value=None,
    tier_id=None,
    barcode: str = "",
    ticket_type: str = Ticket.Type.GENERAL_ADMISSION,
    section: str = "",
    row: str = "",
    seat: str = "",
    restrictions: str = "",
    organizer_ticket_number: str = "",
    ip_address: str | None = None,
) -> Ticket:
    """Put `owner`'s ticket for `event` on Encore, available, with its file.

    The file is the evidence (ARCHITECTURE.md, rules 1 and 4): the barcode is
    read from it, and a typed `barcode` is only compared with what it holds.
    The face value comes from the event's price tier `tier_id` when the event
    has tiers, else from `face_value` as typed.

    The ticket is verified, and can be listed at once, when its file holds a
    barcode and its face value is a tier's or in line with the event's other
    verified tickets. Otherwise it is stored "pending_review" with its
    review_reasons (NO_BARCODE_IN_FILE: the typed barcode is kept and staff
    compare it with the file; FACE_VALUE_HIGH: above FACE_VALUE_REVIEW_RATIO x
    the event's median, or FACE_VALUE_REVIEW_FIRST_MAX for a first ticket)
    until staff approve it (tickets.services.review).

    Guarantees: either the ticket row, its file in private storage and its
    "ticket.uploaded" audit row all exist, or none does. The barcode is kept
    only as a keyed hash and its last four characters. At most one active
    ticket per event has a given barcode, and at most one a given file (by
    SHA-256 of its bytes), whatever the concurrency.

    What a resale listing must say (UK Consumer Rights Act 2015, s.90) is kept
    with it: the seat (required for a seated ticket), any `restrictions` on use,
    and the `organizer_ticket_number` when the ticket has one, which must not be
    or contain the barcode (IS_BARCODE): it is shown to every buyer.

    Raises PermissionDenied (the account may not trade), ValidationFailed
    (details name the field: event, tier_id, face_value, ticket_type, section,
    row, seat, restrictions, organizer_ticket_number, barcode (BARCODE_MISMATCH:
    the typed barcode is not the file's)
    or file (unreadable, too many pages or barcodes...)) or DuplicateTicket (an
    active ticket of the event has this file, DUPLICATE_FILE, or this barcode,
    DUPLICATE_BARCODE, whatever was typed; that refusal is itself audit-logged
    and committed, as a fraud signal).

    Must be the outermost transaction (durable): the uploaded file is deleted
    when this transaction fails, which is only sound if nothing can roll the
    row back after we return. Reading the file runs before any transaction.
    """
    if not user_can_trade(user=owner):
        raise PermissionDenied(
            _("Your account cannot sell tickets at the moment."),
            details={"reason": "ACCOUNT_RESTRICTED"},
        )
    event_check_open(event=event)
    tier, face_value, fees = price_clean(event=event, tier_id=tier_id, face_value=face_value)
    ticket_type = ticket_type_clean(ticket_type)
    places = {
        name: place_clean(name, value)
        for name, value in (("section", section), ("row", row), ("seat", seat))
    }
    seat_check(ticket_type=ticket_type, seat=places["seat"])
    restrictions = restrictions_clean(restrictions)
    number = organizer_ticket_number_clean(organizer_ticket_number)
    typed = barcode_clean(barcode)
    organizer_ticket_number_check(number, barcode=typed)
    extension = file_check(file)
    content = file_content(file)
    digest = file_sha256(content)

    claim = _Claim(owner=owner, event=event, ip_address=ip_address)
    # The same file again is refused before it is read, whatever was typed.
    claim.refuse_if_taken(file_sha256=digest)
    evidence = evidence_read(content, kind=extension)
    code, source = _barcode_of(evidence=evidence, typed=typed, claim=claim)
    organizer_ticket_number_check(number, barcode=code)
    reasons, review = _review_reasons(
        event=event, owner=owner, tier=tier, face_value=face_value, source=source
    )
    try:
        return _ticket_insert(
            ticket=Ticket(
                event=event,
                owner=owner,
                tier=tier,
                ticket_type=ticket_type,
                face_value=face_value,
                original_fees=fees,
                barcode_hash=barcode_hash(code),
                barcode_last4=barcode_last4(code),
                barcode_source=source,
                file_sha256=digest,
                status=Ticket.Status.AVAILABLE,
                verification=(
                    Ticket.Verification.PENDING_REVIEW if reasons else Ticket.Verification.VERIFIED
                ),
                review_reasons=reasons,
                restrictions=restrictions,
                organizer_ticket_number=number,
                **places,
            ),
            claim=claim,
            file=file,
            extension=extension,
            audit={"symbology": evidence.symbology, **review},
        )
    except _Duplicate as duplicate:
        raise claim.refusal(duplicate) from None


def _barcode_of(*, evidence: Evidence, typed: str, claim: "_Claim") -> tuple[str, str]:
    """(barcode, source): the file's when it has one, the typed one otherwise."""
    if evidence.code is None:
        code = barcode_check_typed_only(typed)
        claim.refuse_if_taken(barcode=code)
        return code, Ticket.BarcodeSource.TYPED
    # The file's barcode is authoritative: a duplicate is refused as such
    # before the typed text is looked at (a re-typed look-alike is no excuse).
    claim.refuse_if_taken(barcode=evidence.code)
    if typed and typed != evidence.code:
        raise invalid(
            "barcode",
            "BARCODE_MISMATCH",
            _(
                "The barcode you typed is not the one in the file (it ends in %(last4)s). Leave "
                "the barcode empty: Encore reads it from the file."
            )
            % {"last4": barcode_last4(evidence.code)},
        )
    return evidence.code, Ticket.BarcodeSource.FILE


def _review_reasons(*, event, owner, tier, face_value, source) -> tuple[list[str], dict]:
    """Why the upload needs staff (none: verified), and what the audit row says of it."""
    reasons, audit = [], {}
    if source == Ticket.BarcodeSource.TYPED:
        reasons.append(Ticket.REVIEW_NO_BARCODE_IN_FILE)
    if tier is None:
        median = ticket_face_value_median(event=event, exclude_owner=owner)
        limit = (
            settings.FACE_VALUE_REVIEW_FIRST_MAX
            if median is None
            else median * settings.FACE_VALUE_REVIEW_RATIO
        )
        audit["face_value_reference"] = {
            "median": money_str(median) if median is not None else None,
            "review_above": money_str(limit),
        }
        if face_value > limit:
            reasons.append(Ticket.REVIEW_FACE_VALUE_HIGH)
    return reasons, audit


# --- duplicates ---------------------------------------------------------------


class _Duplicate(Exception):
    def __init__(self, kind: str, existing: Ticket | None, last4: str):
        super().__init__(kind)
        self.kind = kind  # "file" or "barcode"
        self.existing = existing
        self.last4 = last4


class _Claim:
    """What an upload claims for its event (a file, a barcode), and its refusal when
    an active ticket of the event has it already."""

    def __init__(self, *, owner, event, ip_address):
        self.owner, self.event, self.ip_address = owner, event, ip_address

    def refuse_if_taken(self, *, file_sha256: str = "", barcode: str = "") -> None:
        """Raise DuplicateTicket (audited) when an active ticket of the event has
        this file or barcode: the friendly check, before the database's guards."""
        if file_sha256:
            existing = _active_ticket_with(event=self.event, file_sha256=file_sha256)
            if existing is not None:
                raise self.refusal(_Duplicate("file", existing, existing.barcode_last4))
        if barcode:
            existing = _active_ticket_with(event=self.event, barcode_hash=barcode_hash(barcode))
            if existing is not None:
                raise self.refusal(_Duplicate("barcode", existing, barcode_last4(barcode)))

    def refusal(self, duplicate: _Duplicate) -> DuplicateTicket:
        _duplicate_record(
            owner=self.owner,
            event=self.event,
            duplicate=duplicate,
            ip_address=self.ip_address,
        )
        if duplicate.kind == "file":
            return DuplicateTicket(
                _("This file is already on Encore for this event."),
                details={"field": "file", "reason": "DUPLICATE_FILE"},
            )
        return DuplicateTicket(
            _("A ticket with this barcode is already on Encore for this event."),
            details={"field": "barcode", "reason": "DUPLICATE_BARCODE"},
        )


def _active_ticket_with(*, event, **fields) -> Ticket | None:
    return (
        Ticket.objects.filter(event=event, **fields)
        .exclude(status__in=Ticket.INACTIVE_STATUSES)
        .order_by("pk")
        .first()
    )


def _duplicate_record(*, owner, event, duplicate: _Duplicate, ip_address) -> None:
    """Audit a refused duplicate in its own transaction: it stays though the upload failed."""
    existing = duplicate.existing
    with transaction.atomic():
        audit_log_record(
            actor=owner,
            action=AuditAction(f"ticket.duplicate_{duplicate.kind}_refused"),
            # The ticket whose barcode or file was offered again; the event if it
            # has since been voided (the race's winner was refunded meanwhile).
            entity=existing if existing is not None else event,
            changes={
                "event_id": event.pk,
                "barcode_last4": duplicate.last4,
                "existing_ticket_id": existing.pk if existing is not None else None,
                "existing_owner_id": existing.owner_id if existing is not None else None,
            },
            ip_address=ip_address,
        )


# --- the row and its file --------------------------------------------------------


def _ticket_insert(*, ticket: Ticket, claim: _Claim, file, extension, audit) -> Ticket:
    """Insert the row, then write the file, in one transaction; remove the file if it fails."""
    event = ticket.event
    try:
        with transaction.atomic(durable=True):
            # The friendly checks again, now in the transaction: an upload that
            # finished while this file was being read is found here.
            for kind, lookup in (
                ("file", {"file_sha256": ticket.file_sha256}),
                ("barcode", {"barcode_hash": ticket.barcode_hash}),
            ):
                existing = _active_ticket_with(event=event, **lookup)
                if existing is not None:
                    raise _Duplicate(kind, existing, ticket.barcode_last4)
            if ticket.tier_id is not None:
                # Hold the tier: the organizer cannot remove it under this ticket
                # (events.services._tiers_apply locks it too, then counts tickets).
                tier = PriceTier.objects.select_for_update().filter(pk=ticket.tier_id).first()
                if tier is None:
                    raise invalid(
                        "tier_id", "INVALID_CHOICE", _("This price tier no longer exists.")
                    )
            # The INSERT comes before the file is written, so that an upload the
            # database refuses never writes a file. Its `file` column is filled
            # below, before commit: no other transaction ever sees it empty.
            ticket.save()
            ticket.file.save(f"ticket.{extension}", file, save=False)
            ticket.save(update_fields=["file"])
            audit_log_record(
                actor=ticket.owner,
                action=AuditAction.TICKET_UPLOADED,
                entity=ticket,
                changes={
                    "event_id": event.pk,
                    "tier_id": ticket.tier_id,
                    "face_value": money_str(ticket.face_value),
                    "original_fees": money_str(ticket.original_fees),
                    "ticket_type": ticket.ticket_type,
                    "section": ticket.section,
                    "row": ticket.row,
                    "seat": ticket.seat,
                    "restrictions": ticket.restrictions,
                    "organizer_ticket_number": ticket.organizer_ticket_number,
                    "barcode_last4": ticket.barcode_last4,
                    "barcode_source": ticket.barcode_source,
                    "file_sha256": ticket.file_sha256,
                    "status": {"from": None, "to": Ticket.Status.AVAILABLE},
                    "verification": ticket.verification,
                    "review_reasons": ticket.review_reasons,
                    **audit,
                },
                ip_address=claim.ip_address,
            )
    except IntegrityError as exc:
        _file_discard(ticket)
        # WHY: the checks above are plain SELECTs; two uploads of the same barcode
        # or file at once both find nothing and both INSERT. The partial unique
        # indexes (event, barcode_hash) and (event, file_sha256), where not void,
        # are the real guards: the second INSERT waits for the first to commit,
        # then fails here. That loser is a duplicate like any other, not a 500.
        kind = _guard_of(exc)
        if kind is None:
            raise
        field = "file_sha256" if kind == "file" else "barcode_hash"
        existing = _active_ticket_with(event=event, **{field: getattr(ticket, field)})
        raise _Duplicate(kind, existing, ticket.barcode_last4) from exc
    except BaseException:
        # Anything else (a duplicate found above, storage full, audit failure, a
        # lost connection at commit): the row is rolled back, so the file must go too.
        _file_discard(ticket)
        raise
    return ticket


def _guard_of(exc: IntegrityError) -> str | None:
    """Which duplicate guard refused the row ("barcode", "file"), None for another constraint."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg) names the index that refused the row
        return {BARCODE_GUARD: "barcode", FILE_GUARD: "file"}.get(diag.constraint_name)
    # SQLite (the embedded run) names the columns instead.
    if "tickets.event_id, tickets.barcode_hash" in str(exc):
        return "barcode"
    if "tickets.event_id, tickets.file_sha256" in str(exc):
        return "file"
    return None


def _file_discard(ticket: Ticket) -> None:
    """Delete the file written for a row that was rolled back (never another upload's file)."""
    if ticket.file and ticket.file.name:
        ticket.file.storage.delete(ticket.file.name)
