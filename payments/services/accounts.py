"""Sellers' payout accounts: a Stripe Connect Express account per seller,
opened from "Get paid" (or the API), onboarded on Stripe's hosted page, and
kept in step from the onboarding's return and the `account.updated` webhook.

Encore stores no identity or bank details: only the account's id and what
Stripe says it still needs (ARCHITECTURE.md, "Payments").
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import user_can_trade
from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.errors import PermissionDenied, ValidationFailed
from payments import gateway
from payments.models import PayoutAccount

logger = logging.getLogger(__name__)

# The fields Encore keeps of Stripe's account, and the audit trail compares.
SYNCED_FIELDS = (
    "default_currency",
    "details_submitted",
    "payouts_enabled",
    "transfers_active",
    "requirements_due",
    "disabled_reason",
)


def _fields_of(info: gateway.AccountInfo) -> dict:
    return {
        "default_currency": info.default_currency,
        "details_submitted": info.details_submitted,
        "payouts_enabled": info.payouts_enabled,
        "transfers_active": info.transfers_active,
        "requirements_due": info.requirements_due,
        "disabled_reason": info.disabled_reason,
    }


def _country_checked(country: str) -> str:
    country = (country or settings.CONNECT_DEFAULT_COUNTRY).strip().upper()
    if country not in settings.CONNECT_COUNTRIES:
        raise ValidationFailed(
            _("Payouts are not available in this country yet."),
            details={
                "field": "country",
                "reason": "UNSUPPORTED_COUNTRY",
                "choices": list(settings.CONNECT_COUNTRIES),
            },
        )
    return country


def _account_open(*, user: User, country: str, ip_address) -> PayoutAccount:
    with transaction.atomic():
        # Lock the seller's row: two "Get paid" clicks at once open one account
        # (the second waits here, then finds the first's).
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        account = PayoutAccount.objects.filter(user=user).first()
        if account is not None:
            return account
        info = gateway.account_create(user_id=user.pk, email=user.email, country=country)
        account = PayoutAccount.objects.create(
            user=user,
            stripe_account_id=info.id,
            country=info.country or country,
            synced_at=timezone.now(),
            **_fields_of(info),
        )
        audit_log_record(
            actor=user,
            action=AuditAction.PAYOUT_ACCOUNT_CREATED,
            entity=account,
            changes={"stripe_account_id": info.id, "country": account.country},
            ip_address=ip_address,
        )
    return account


def payout_account_onboard(
    *, user: User, return_url: str, refresh_url: str, country: str = "", ip_address=None
) -> tuple[PayoutAccount, str]:
    """Open the seller's payout account (once; `country` counts only then) and
    return it with a fresh address of Stripe's hosted onboarding, where the
    seller gives Stripe their identity and bank details. An account already
    onboarded gets an address to update its details.

    Raises PermissionDenied (a suspended or banned account), ValidationFailed
    (a country Encore does not pay out in) or ServiceUnavailable.
    """
    if not user_can_trade(user=user):
        raise PermissionDenied(_("Your account cannot receive payouts at the moment."))
    account = PayoutAccount.objects.filter(user=user).first()
    if account is None:
        account = _account_open(user=user, country=_country_checked(country), ip_address=ip_address)
    url = gateway.account_link_create(
        account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )
    return account, url


def payout_account_apply(
    *, info: gateway.AccountInfo, as_of: datetime.datetime | None = None
) -> PayoutAccount | None:
    """Keep Encore's copy of a connected account in step with Stripe's.

    `as_of` is when Stripe described the account (the webhook event's time):
    an older description arriving after a newer one changes nothing. When the
    account becomes able to receive money, the payouts waiting for it are
    scheduled. Returns the account, or None for an account Encore did not open.
    """
    as_of = as_of or timezone.now()
    with transaction.atomic():
        # Locked: two deliveries at once apply in turn, the older one last
        # seeing it is older.
        account = (
            PayoutAccount.objects.select_for_update().filter(stripe_account_id=info.id).first()
        )
        if account is None:
            logger.info("account.updated for an account Encore did not open: %s", info.id)
            return None
        # Stripe dates its events to the second: only an event from an earlier
        # second than the last description applied is older.
        if account.synced_at is not None and as_of < account.synced_at.replace(microsecond=0):
            return account
        could_receive = account.can_receive
        changes = {}
        for field, value in _fields_of(info).items():
            if getattr(account, field) != value:
                changes[field] = {"from": getattr(account, field), "to": value}
                setattr(account, field, value)
        account.synced_at = as_of
        account.save()
        if changes:
            audit_log_record(
                actor=None,
                action=AuditAction.PAYOUT_ACCOUNT_UPDATED,
                entity=account,
                changes=changes,
            )
        if account.can_receive and not could_receive:
            from .payouts import payouts_release_waiting

            payouts_release_waiting(seller_id=account.user_id)
    return account


def payout_account_sync(*, user: User) -> PayoutAccount | None:
    """Ask Stripe where the seller's account stands (the seller is back from
    onboarding, before any webhook) and apply it. None when there is none."""
    account = PayoutAccount.objects.filter(user=user).first()
    if account is None:
        return None
    info = gateway.account_retrieve(account_id=account.stripe_account_id)
    return payout_account_apply(info=info)
