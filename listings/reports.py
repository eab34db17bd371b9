"""Notice and action on listings (EU Digital Services Act, Art. 16, 17 and 20).

Anyone may report a listing (a visitor leaves an email address); staff decide
with a statement of reasons, emailed to the seller and the reporter; an upheld
report takes the listing off sale. The seller may appeal a decision once, and
a different staff member decides the appeal. Every step is audited in its own
transaction. Statements of reasons are emailed whatever the account's email
preferences: they are the law's notice, not a marketing or sale update.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.emails import email_language
from marketplace.core.errors import PermissionDenied, ValidationFailed
from messaging.services import email_enqueue_template

from .models import Listing, ListingReport
from .services import listing_cancel


def _text(value: str, *, field: str, required: bool) -> str:
    text = (value or "").strip()
    limit = ListingReport.TEXT_MAX_LENGTH
    if required and not text:
        raise ValidationFailed(
            _("Please write the reasons."), details={"field": field, "reason": "EMPTY"}
        )
    if len(text) > limit:
        raise ValidationFailed(
            _("Write at most %(limit)d characters.") % {"limit": limit},
            details={"field": field, "reason": "TOO_LONG", "maxLength": limit},
        )
    return text


def _require_staff(staff) -> None:
    if not (staff is not None and staff.is_active and staff.is_staff):
        raise PermissionDenied(_("Only staff can decide on reports."))


def _locked(report: ListingReport) -> ListingReport:
    # Row lock: two staff members deciding the same report at once must not
    # both send a statement of reasons; the second sees it decided.
    return (
        ListingReport.objects.select_for_update(of=("self",))
        .select_related("listing__ticket__event", "listing__seller", "reporter")
        .get(pk=report.pk)
    )


def _reporter_address(report: ListingReport) -> str:
    return report.reporter.email if report.reporter_id else report.reporter_email


def _send(*, to: str, template: str, report: ListingReport, **context) -> None:
    if not to:
        return
    # The seller, the reporter's account, or None for a visitor's address.
    recipient = next(
        (user for user in (report.listing.seller, report.reporter) if user and user.email == to),
        None,
    )
    context = {
        "report": report,
        "listing": report.listing,
        "event": report.listing.ticket.event,
        "user": recipient,
        **context,
    }
    email_enqueue_template(
        to=to,
        template=f"emails/listings/{template}.html",
        context=context,
        language=email_language(recipient),
    )


def listing_report_create(
    *, reporter, listing: Listing, reason: str, text: str = "", email: str = "", ip_address=None
) -> ListingReport:
    """Report `listing`: `reporter` is a logged-in user, or None with `email`.

    Raises ValidationFailed (unknown reason, text too long, no valid email for
    a visitor, one's own listing: OWN_LISTING, an open report by the same
    reporter already: ALREADY_REPORTED), changing nothing.
    """
    if reason not in ListingReport.Reason.values:
        raise ValidationFailed(
            _("Choose a reason."), details={"field": "reason", "reason": "INVALID_CHOICE"}
        )
    text = _text(text, field="text", required=False)
    user = reporter if reporter is not None and reporter.is_authenticated else None
    address = ""
    if user is None:
        address = (email or "").strip().lower()
        try:
            validate_email(address)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                _("Enter your email address, so we can tell you what we decide."),
                details={"field": "email", "reason": "INVALID_EMAIL"},
            ) from exc
    elif listing.seller_id == user.pk:
        raise ValidationFailed(
            _("You cannot report your own listing."),
            details={"field": "listing", "reason": "OWN_LISTING"},
        )
    mine = {"reporter": user} if user else {"reporter_email": address}
    duplicate = ListingReport.objects.filter(
        listing=listing, status=ListingReport.Status.OPEN, **mine
    )
    already = ValidationFailed(
        _("You have already reported this listing; staff are looking at it."),
        details={"field": "listing", "reason": "ALREADY_REPORTED"},
    )
    if duplicate.exists():
        raise already
    try:
        with transaction.atomic():
            report = ListingReport.objects.create(
                listing=listing, reporter=user, reporter_email=address, reason=reason, text=text
            )
            audit_log_record(
                actor=user,
                action=AuditAction.LISTING_REPORTED,
                entity=report,
                changes={"listing_id": listing.pk, "reason": reason},
                ip_address=ip_address,
            )
    except IntegrityError as exc:  # the same report posted twice at once
        raise already from exc
    return report


def listing_report_decide(
    *, staff, report: ListingReport, outcome: str, reasons: str, ip_address=None
) -> ListingReport:
    """Staff uphold or reject an open report, with a statement of reasons
    emailed to the seller and the reporter. Upheld: an active listing is taken
    off sale (listing_cancel: the ticket goes back to the seller); a closed one
    stays closed.

    Raises PermissionDenied (not staff), ValidationFailed (no reasons, unknown
    outcome, report already decided) or TicketNotAvailable (a buyer is paying
    for the listing: decide once the reservation ends), changing nothing.
    """
    _require_staff(staff)
    if outcome not in (ListingReport.Status.UPHELD, ListingReport.Status.REJECTED):
        raise ValidationFailed(
            _("Uphold or reject the report."), details={"field": "outcome", "reason": "INVALID"}
        )
    reasons = _text(reasons, field="reasons", required=True)
    with transaction.atomic():
        report = _locked(report)
        if report.status != ListingReport.Status.OPEN:
            raise ValidationFailed(
                _("This report has already been decided."),
                details={"field": "report", "reason": "ALREADY_DECIDED"},
            )
        listing = report.listing
        removed = False
        if outcome == ListingReport.Status.UPHELD and listing.status in Listing.OPEN_STATUSES:
            listing_cancel(actor=staff, listing=listing, ip_address=ip_address)
            removed = True
        report.status = outcome
        report.decided_by = staff
        report.decided_at = timezone.now()
        report.statement_of_reasons = reasons
        report.save(update_fields=["status", "decided_by", "decided_at", "statement_of_reasons"])
        upheld = outcome == ListingReport.Status.UPHELD
        action = (
            AuditAction.LISTING_REPORT_UPHELD if upheld else AuditAction.LISTING_REPORT_REJECTED
        )
        audit_log_record(
            actor=staff,
            action=action,
            entity=report,
            changes={
                "status": {"from": "open", "to": outcome},
                "listing_id": listing.pk,
                "listing_removed": removed,
                "reasons": reasons,
            },
            ip_address=ip_address,
        )
        _send(to=listing.seller.email, template="report_decided_seller", report=report)
        _send(to=_reporter_address(report), template="report_decided_reporter", report=report)
    return report


def listing_report_appealable(report: ListingReport) -> bool:
    """Whether the seller may still appeal the decision: upheld, and not appealed yet
    (the one appeal listing_report_appeal takes; My listings offers it when true)."""
    return report.status == ListingReport.Status.UPHELD and report.appealed_at is None


def listing_report_appeal(
    *, seller, report: ListingReport, text: str, ip_address=None
) -> ListingReport:
    """The seller contests an upheld decision, once.

    Raises PermissionDenied (not the listing's seller), ValidationFailed (no
    text, the report not upheld, or already appealed: ALREADY_APPEALED).
    """
    text = _text(text, field="appeal_text", required=True)
    with transaction.atomic():
        report = _locked(report)
        if report.listing.seller_id != seller.pk:
            raise PermissionDenied(_("Only the seller can appeal this decision."))
        if report.appealed_at is not None:
            raise ValidationFailed(
                _("You have already appealed this decision."),
                details={"field": "report", "reason": "ALREADY_APPEALED"},
            )
        if report.status != ListingReport.Status.UPHELD:
            raise ValidationFailed(
                _("Only a decision against your listing can be appealed."),
                details={"field": "report", "reason": "NOT_APPEALABLE"},
            )
        report.appealed_at = timezone.now()
        report.appeal_text = text
        report.save(update_fields=["appealed_at", "appeal_text"])
        audit_log_record(
            actor=seller,
            action=AuditAction.LISTING_REPORT_APPEALED,
            entity=report,
            changes={"listing_id": report.listing_id},
            ip_address=ip_address,
        )
    return report


def listing_report_decide_appeal(
    *, staff, report: ListingReport, outcome: str, reasons: str, ip_address=None
) -> ListingReport:
    """A staff member other than the one who decided settles the seller's
    appeal, with reasons emailed to the seller and the reporter. Reversed: the
    decision is withdrawn (the ticket is already back with the seller, who may
    list it again); confirmed: it stands.

    Raises PermissionDenied (not staff, or the staff member who decided),
    ValidationFailed (no reasons, unknown outcome, no appeal pending).
    """
    _require_staff(staff)
    if outcome not in ListingReport.AppealOutcome.values:
        raise ValidationFailed(
            _("Reverse or confirm the decision."), details={"field": "outcome", "reason": "INVALID"}
        )
    reasons = _text(reasons, field="reasons", required=True)
    with transaction.atomic():
        report = _locked(report)
        if report.decided_by_id == staff.pk:
            raise PermissionDenied(
                _("You decided this report: another staff member must decide the appeal.")
            )
        if report.appealed_at is None or report.appeal_decided_at is not None:
            raise ValidationFailed(
                _("There is no appeal waiting for a decision on this report."),
                details={"field": "report", "reason": "NO_PENDING_APPEAL"},
            )
        report.appeal_outcome = outcome
        report.appeal_decided_by = staff
        report.appeal_decided_at = timezone.now()
        report.appeal_reasons = reasons
        report.save(
            update_fields=[
                "appeal_outcome",
                "appeal_decided_by",
                "appeal_decided_at",
                "appeal_reasons",
            ]
        )
        audit_log_record(
            actor=staff,
            action=AuditAction.LISTING_REPORT_APPEAL_DECIDED,
            entity=report,
            changes={"outcome": outcome, "listing_id": report.listing_id, "reasons": reasons},
            ip_address=ip_address,
        )
        _send(to=report.listing.seller.email, template="appeal_decided", report=report)
        _send(to=_reporter_address(report), template="appeal_decided", report=report)
    return report
