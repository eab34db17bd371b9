"""Selling as a private person or as a trader (EU Digital Services Act, Art. 30;
the Omnibus directive 2019/2161, which makes marketplaces tell buyers whether
they buy from a trader, on the seller's own declaration).

- A seller declares "private" or "trader". A trader gives a name, address,
  phone, email, trade register and number, and certifies their offers comply
  with EU law; completeness is checked when they save. Missing details do not
  refuse the save (the choice of "trader" is kept, so a business cannot list
  as private by leaving the form half done): they refuse listing.
- Complete details may list at once; staff review them afterwards. A rejection
  (with reasons, emailed to the seller) stops listing until staff approve
  corrected details (Art. 30(3)).
- A seller with no declaration, or a private one, who has listed
  TRADER_THRESHOLD_TICKETS_PER_YEAR tickets in the last 365 days (counted from
  their last private declaration, if later) is asked to declare before
  listing more. Declaring private again lets them go on, for as many tickets.

Every change is audited in its own transaction. The listings app asks
`trader_listing_check` before a listing is created (it counts the tickets;
accounts does not import listings).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.emails import email_language
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.queue import enqueue_named_on_commit

from .models import TraderDeclaration, User
from .services import PHONE_PATTERN

# A trader's details the law asks for, in the order the form shows them, with
# what the seller is told when one is missing.
TRADER_REQUIRED = {
    "business_name": gettext_lazy("Enter the name your business trades under."),
    "address": gettext_lazy("Enter your business's postal address."),
    "phone": gettext_lazy("Enter a phone number buyers can reach your business at."),
    "email": gettext_lazy("Enter an email address buyers can reach your business at."),
    "trade_register_name": gettext_lazy("Enter the trade register your business is entered in."),
    "trade_register_number": gettext_lazy("Enter your business's number in that register."),
    "compliance_certified": gettext_lazy(
        "Confirm that you offer only tickets you may lawfully sell in the EU."
    ),
}
TRADER_TEXT_FIELDS = (
    "business_name",
    "address",
    "phone",
    "email",
    "trade_register_name",
    "trade_register_number",
    "vat_number",
)
YEAR = datetime.timedelta(days=365)
REVIEW_REASON_MAX_LENGTH = 2000

# The reasons of a refused listing (details.reason).
TRADER_DETAILS_MISSING = "TRADER_DETAILS_MISSING"
TRADER_DETAILS_REJECTED = "TRADER_DETAILS_REJECTED"
TRADER_REVIEW_PENDING = "TRADER_REVIEW_PENDING"
TRADER_DECLARATION_REQUIRED = "TRADER_DECLARATION_REQUIRED"

API_PATH = "/api/v1/users/profile/trader"


# --- reads ---------------------------------------------------------------------------


def trader_declaration_get(*, user: User) -> TraderDeclaration | None:
    """The seller's declaration, or None if they never made one. Uses the one
    select_related("trader_declaration") fetched, if any (no query then)."""
    try:
        return user.trader_declaration
    except TraderDeclaration.DoesNotExist:
        return None


def trader_missing_fields(declaration: TraderDeclaration) -> list[str]:
    """The required details a trader's declaration lacks ([] for a private one)."""
    if declaration.kind != TraderDeclaration.Kind.TRADER:
        return []
    return [name for name in TRADER_REQUIRED if not getattr(declaration, name)]


@dataclass(frozen=True)
class SellerKind:
    """How buyers see a seller: a trader by their business name, or a private seller."""

    trader: bool
    business_name: str = ""

    @property
    def kind(self) -> str:
        return TraderDeclaration.Kind.TRADER if self.trader else TraderDeclaration.Kind.PRIVATE

    @property
    def label(self) -> str:
        if self.trader:
            return _("Professional seller: %(name)s") % {"name": self.business_name}
        return _("Private seller")


def seller_kind(*, seller: User) -> SellerKind:
    """What the listing page and the API say of `seller`: a trader once their
    business name is given (a trader lists only with complete details, so
    every listing of theirs says it), else a private seller."""
    declaration = trader_declaration_get(user=seller)
    if (
        declaration is not None
        and declaration.kind == TraderDeclaration.Kind.TRADER
        and declaration.business_name
    ):
        return SellerKind(trader=True, business_name=declaration.business_name)
    return SellerKind(trader=False)


def _links() -> dict:
    return {"declarationUrl": reverse("accounts:selling-as"), "declarationApi": API_PATH}


def trader_listing_refusal(
    *, seller: User, tickets_listed_since: Callable[..., int], now=None
) -> ValidationFailed | PermissionDenied | None:
    """Why `seller` may not list a ticket now because of how they sell (None:
    they may). `tickets_listed_since(since=...)` counts the distinct tickets
    they listed from `since` on (the listings app's count), asked only when
    the threshold applies."""
    declaration = trader_declaration_get(user=seller)
    if declaration is not None and declaration.kind == TraderDeclaration.Kind.TRADER:
        missing = trader_missing_fields(declaration)
        if missing:
            return ValidationFailed(
                _(
                    "You sell as a trader: complete your business details on the Selling as "
                    "page before you list a ticket."
                ),
                details={
                    "field": "trader",
                    "reason": TRADER_DETAILS_MISSING,
                    "missing": missing,
                    **_links(),
                },
            )
        if declaration.status == TraderDeclaration.Status.REJECTED:
            return PermissionDenied(
                _(
                    "Encore's staff could not accept your business details: correct them on "
                    "the Selling as page. You can list again once staff approve them."
                ),
                details={"field": "trader", "reason": TRADER_DETAILS_REJECTED, **_links()},
            )
        if (
            declaration.approval_required
            and declaration.status != TraderDeclaration.Status.APPROVED
        ):
            return PermissionDenied(
                _(
                    "Encore's staff are checking your corrected business details: you can list "
                    "again once they approve them."
                ),
                details={"field": "trader", "reason": TRADER_REVIEW_PENDING, **_links()},
            )
        return None
    now = now or timezone.now()
    since = now - YEAR
    if declaration is not None and declaration.declared_at > since:
        # A private declaration covers the next `threshold` tickets.
        since = declaration.declared_at
    threshold = settings.TRADER_THRESHOLD_TICKETS_PER_YEAR
    listed = tickets_listed_since(since=since)
    if listed >= threshold:
        return ValidationFailed(
            ngettext(
                "You have listed %(listed)s ticket in the last 12 months. Before you list more, "
                "tell us on the Selling as page whether you sell as a private person or as a "
                "business.",
                "You have listed %(listed)s tickets in the last 12 months. Before you list more, "
                "tell us on the Selling as page whether you sell as a private person or as a "
                "business.",
                listed,
            )
            % {"listed": listed},
            details={
                "field": "trader",
                "reason": TRADER_DECLARATION_REQUIRED,
                "threshold": threshold,
                "listed": listed,
                **_links(),
            },
        )
    return None


def trader_listing_check(*, seller: User, tickets_listed_since: Callable[..., int]) -> None:
    """Raise trader_listing_refusal's error, if any (listings.services.listing_create)."""
    refusal = trader_listing_refusal(seller=seller, tickets_listed_since=tickets_listed_since)
    if refusal is not None:
        raise refusal


# --- writes --------------------------------------------------------------------------


def _clean(fields: dict) -> dict:
    """The trader's details, trimmed and checked for shape (not completeness)."""
    cleaned = {name: " ".join(str(fields.get(name) or "").split()) for name in TRADER_TEXT_FIELDS}
    cleaned["address"] = str(fields.get("address") or "").strip()
    cleaned["email"] = cleaned["email"].lower()
    for name in TRADER_TEXT_FIELDS:
        limit = TraderDeclaration._meta.get_field(name).max_length
        if len(cleaned[name]) > limit:
            raise ValidationFailed(
                ngettext(
                    "Write at most %(limit)s character.",
                    "Write at most %(limit)s characters.",
                    limit,
                )
                % {"limit": limit},
                details={"field": name, "reason": "TOO_LONG", "maxLength": limit},
            )
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except DjangoValidationError as exc:
            raise ValidationFailed(
                _("Enter a valid email address."),
                details={"field": "email", "reason": "INVALID_EMAIL"},
            ) from exc
    if cleaned["phone"] and not PHONE_PATTERN.match(cleaned["phone"]):
        raise ValidationFailed(
            _("Enter a phone number of digits, with an optional leading +."),
            details={"field": "phone", "reason": "INVALID_PHONE"},
        )
    cleaned["compliance_certified"] = bool(fields.get("compliance_certified"))
    return cleaned


def trader_declaration_save(
    *, user: User, kind: str, ip_address=None, **fields
) -> TraderDeclaration:
    """Declare how `user` sells: kind "private" (the trader details are
    cleared) or "trader" with `fields` (TRADER_TEXT_FIELDS and
    compliance_certified). Saving the same private declaration again confirms
    it (declared_at moves on). A trader's changed details go to staff review
    again (status pending_review; incomplete while some are missing).

    Raises ValidationFailed (unknown kind, a detail too long, an invalid email
    or phone; a seller whose trader details staff rejected declaring private:
    TRADER_DETAILS_REJECTED), changing nothing.
    """
    if kind not in TraderDeclaration.Kind.values:
        raise ValidationFailed(
            _("Choose whether you sell as a private person or as a trader."),
            details={
                "field": "kind",
                "reason": "INVALID_CHOICE",
                "choices": TraderDeclaration.Kind.values,
            },
        )
    unknown = set(fields) - {*TRADER_TEXT_FIELDS, "compliance_certified"}
    if unknown:
        raise ValueError(f"Not trader details: {sorted(unknown)}")
    trader = kind == TraderDeclaration.Kind.TRADER
    details = (
        _clean(fields)
        if trader
        else {**dict.fromkeys(TRADER_TEXT_FIELDS, ""), "compliance_certified": False}
    )
    now = timezone.now()
    with transaction.atomic():
        # Row lock: a declaration saved twice at once (two tabs) keeps one history.
        current = TraderDeclaration.objects.select_for_update().filter(user=user).first()
        if current is not None:
            current.user = user  # and user.trader_declaration is this one from now on
        if current is None:
            current = TraderDeclaration(user=user, declared_at=now)
            before = {"kind": None, "status": None}
        else:
            before = {"kind": current.kind, "status": current.status}
            if (
                not trader
                and current.kind == TraderDeclaration.Kind.TRADER
                and (
                    current.status == TraderDeclaration.Status.REJECTED or current.approval_required
                )
            ):
                raise ValidationFailed(
                    _(
                        "Encore's staff did not accept your business details: correct them "
                        "rather than switching to private selling, or contact Encore support."
                    ),
                    details={"field": "kind", "reason": TRADER_DETAILS_REJECTED},
                )
        changed = [name for name, value in details.items() if getattr(current, name) != value]
        current.kind = kind
        for name, value in details.items():
            setattr(current, name, value)
        if not trader:
            current.status = TraderDeclaration.Status.NONE
            current.approval_required = False
        elif trader_missing_fields(current):
            current.status = TraderDeclaration.Status.INCOMPLETE
        elif (
            changed
            or before["kind"] != kind
            or before["status"] == TraderDeclaration.Status.INCOMPLETE
        ):
            current.status = TraderDeclaration.Status.PENDING_REVIEW
        current.declared_at = now
        current.save()
        audit_log_record(
            actor=user,
            action=AuditAction.TRADER_DECLARATION_SAVED,
            entity=current,
            changes={
                "kind": {"from": before["kind"], "to": kind},
                "status": {"from": before["status"], "to": current.status},
                # Which details changed, not their values: the audit trail is
                # no second copy of a business's contact details.
                "fields_changed": changed,
                "missing": trader_missing_fields(current),
            },
            ip_address=ip_address,
        )
    return current


def _require_staff(staff: User, declaration: TraderDeclaration) -> None:
    if not (staff is not None and staff.is_active and staff.is_staff):
        raise PermissionDenied(_("Only staff can review trader details."))
    if declaration.user_id == staff.pk:
        raise PermissionDenied(_("Another member of staff must review your own business details."))


def _email_seller(declaration: TraderDeclaration, template: str) -> None:
    from messaging.services import email_enqueue_template

    email_enqueue_template(
        to=declaration.user.email,
        template=f"emails/accounts/{template}.html",
        context={"declaration": declaration, "user": declaration.user},
        language=email_language(declaration.user),
    )


def trader_declaration_review(
    *,
    staff: User,
    declaration: TraderDeclaration,
    outcome: str,
    reason: str = "",
    ip_address=None,
) -> TraderDeclaration:
    """Staff approve or reject a trader's complete details; the seller is
    emailed the outcome (with the reasons, which a rejection requires). A
    rejection stops the seller listing until staff approve corrected details;
    approved details may be rejected later (a check after the fact). A
    rejection also takes the seller's tickets off sale once it commits (DSA Art.
    30(3): the service is suspended until the details are corrected): the job
    listings.tasks.trader_listings_withdraw, published by name so that accounts
    need not import listings; a periodic sweep catches what the broker lost.

    Raises PermissionDenied (not staff, or one's own declaration) or
    ValidationFailed (unknown outcome, no reasons for a rejection, a private
    or incomplete declaration, or one already decided this way), changing nothing.
    """
    _require_staff(staff, declaration)
    if outcome not in (TraderDeclaration.Status.APPROVED, TraderDeclaration.Status.REJECTED):
        raise ValidationFailed(
            _("Approve or reject the details."), details={"field": "outcome", "reason": "INVALID"}
        )
    reason = (reason or "").strip()
    rejected = outcome == TraderDeclaration.Status.REJECTED
    if rejected and not reason:
        raise ValidationFailed(
            _("Give the reasons: they are emailed to the seller."),
            details={"field": "reason", "reason": "EMPTY"},
        )
    if len(reason) > REVIEW_REASON_MAX_LENGTH:
        raise ValidationFailed(
            ngettext(
                "Write at most %(limit)s character.",
                "Write at most %(limit)s characters.",
                REVIEW_REASON_MAX_LENGTH,
            )
            % {"limit": REVIEW_REASON_MAX_LENGTH},
            details={
                "field": "reason",
                "reason": "TOO_LONG",
                "maxLength": REVIEW_REASON_MAX_LENGTH,
            },
        )
    allowed_from = {
        TraderDeclaration.Status.APPROVED: (TraderDeclaration.Status.PENDING_REVIEW,),
        TraderDeclaration.Status.REJECTED: (
            TraderDeclaration.Status.PENDING_REVIEW,
            TraderDeclaration.Status.APPROVED,
        ),
    }[outcome]
    with transaction.atomic():
        # Row lock: two staff members deciding at once send one email, not two.
        declaration = (
            TraderDeclaration.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=declaration.pk)
        )
        if (
            declaration.kind != TraderDeclaration.Kind.TRADER
            or declaration.status not in allowed_from
        ):
            raise ValidationFailed(
                _("Only a trader's details that are pending review can be approved.")
                if not rejected
                else _(
                    "Only a trader's details that are pending review or approved can be rejected."
                ),
                details={
                    "field": "status",
                    "reason": "NOT_REVIEWABLE",
                    "status": declaration.status,
                },
            )
        previous = declaration.status
        declaration.status = outcome
        declaration.approval_required = rejected
        declaration.reviewed_by = staff
        declaration.reviewed_at = timezone.now()
        declaration.review_reason = reason
        declaration.save(
            update_fields=[
                "status",
                "approval_required",
                "reviewed_by",
                "reviewed_at",
                "review_reason",
                "updated_at",
            ]
        )
        audit_log_record(
            actor=staff,
            action=AuditAction.TRADER_DECLARATION_REJECTED
            if rejected
            else AuditAction.TRADER_DECLARATION_APPROVED,
            entity=declaration,
            changes={"status": {"from": previous, "to": outcome}, "reason": reason},
            ip_address=ip_address,
        )
        if rejected:
            enqueue_named_on_commit(
                "listings.tasks.trader_listings_withdraw",
                declaration.user_id,
                fallback="listings.tasks.rejected_traders_listings_withdraw runs every 5 minutes",
            )
        _email_seller(declaration, "trader_rejected" if rejected else "trader_approved")
    return declaration
