import re

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from marketplace.core.audit import AuditAction, audit_log_record
from marketplace.core.emails import email_language
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.json_values import MESSAGES, json_value_problem

from .email_delivery import email_delivery_restored
from .models import ApiSession, User
from .selectors import BLOCKED_STATUSES

VERIFICATION_SALT = "encore.accounts.email-verification"
PROFILE_FIELDS = ("name", "phone", "avatar_url", "preferences")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()./-]{6,31}$")
PREFERENCES_MAX_CHARS = 4000
PREFERENCES_MAX_DEPTH = 10


def user_record_login(*, user: User) -> None:
    """Stamp the time of a successful login (one UPDATE, no other field touched)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login_at=now)
    user.last_login_at = now


def user_set_status(*, actor: User, user: User, status: str, reason: str = "", ip_address=None):
    """Staff change an account's status (suspend, ban, reactivate), audited.

    A suspended or banned account can no longer buy, sell or message
    (accounts.selectors.user_can_trade). Raises PermissionDenied (not staff,
    or staff changing their own status) or ValidationFailed (unknown status).
    Changing to the current status changes nothing and writes nothing.
    """
    if not (actor.is_active and actor.is_staff) or actor.pk == user.pk:
        raise PermissionDenied(_("Only staff can change another account's status."))
    if status not in User.Status.values:
        raise ValidationFailed(
            _("Unknown account status."),
            details={"field": "status", "reason": "INVALID_CHOICE", "choices": User.Status.values},
        )
    with transaction.atomic():
        previous = (
            User.objects.select_for_update()
            .filter(pk=user.pk)
            .values_list("status", flat=True)
            .get()
        )
        if previous != status:
            User.objects.filter(pk=user.pk).update(status=status, updated_at=timezone.now())
            audit_log_record(
                actor=actor,
                action=AuditAction.USER_STATUS_CHANGED,
                entity=user,
                changes={"status": {"from": previous, "to": status}, "reason": reason},
                ip_address=ip_address,
            )
            if status in BLOCKED_STATUSES and previous not in BLOCKED_STATUSES:
                # Every session ends for good: reactivating the account later
                # does not bring back a token or a session issued before.
                user_sessions_revoke(user=user, reason=status, actor=actor, ip_address=ip_address)
    user.refresh_from_db()
    return user


# Why every session of an account ended (audit "user.sessions_revoked", and
# ApiSession.end_reason).
REVOKE_REASONS = (
    "password_changed",
    "password_reset",
    "email_changed",
    "logout_everywhere",
    "suspended",
    "banned",
    "refresh_token_reused",
    "account_deleted",
)


def user_sessions_revoke(
    *, user: User, reason: str, actor=None, ip_address=None, keep_session_key: str | None = None
) -> None:
    """End every session of `user`, on the API and the site, at once.

    The account's token_version goes up, so every access token issued before
    is refused on its next use and every site session (whose hash includes
    the version) is logged out on its next request; every outstanding refresh
    token is blacklisted and every API session ended. Audited
    ("user.sessions_revoked"). Runs inside the caller's transaction, or its
    own. The site session `keep_session_key` (the one making a change) is
    kept when the caller re-hashes it (django.contrib.auth's
    update_session_auth_hash), as allauth does after a password change.
    """
    if reason not in REVOKE_REASONS:
        raise ValueError(f"Unknown reason: {reason}")
    now = timezone.now()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
        user.token_version = User.objects.values_list("token_version", flat=True).get(pk=user.pk)
        # Only the live ones: an expired refresh token is refused anyway.
        live = OutstandingToken.objects.filter(
            user_id=user.pk, expires_at__gt=now, blacklistedtoken__isnull=True
        ).values_list("pk", flat=True)
        revoked = BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token_id=pk) for pk in live], ignore_conflicts=True
        )
        ended = ApiSession.objects.filter(user_id=user.pk, ended_at__isnull=True).update(
            ended_at=now, end_reason=reason
        )
        audit_log_record(
            actor=actor,
            action=AuditAction.USER_SESSIONS_REVOKED,
            entity=user,
            changes={
                "reason": reason,
                "token_version": user.token_version,
                "refresh_tokens": len(revoked),
                "api_sessions": ended,
            },
            ip_address=ip_address,
        )
        transaction.on_commit(
            lambda: _site_sessions_end(user_id=user.pk, keep_session_key=keep_session_key)
        )


def _site_sessions_end(*, user_id: int, keep_session_key: str | None) -> None:
    """Delete the account's other site sessions that allauth.usersessions
    knows of, so the list of devices shows them gone at once. (Sessions it
    does not know of are logged out anyway: their hash no longer matches.)"""
    from django.apps import apps

    if not apps.is_installed("allauth.usersessions"):
        return
    from allauth.usersessions.models import UserSession

    for session in UserSession.objects.filter(user_id=user_id).exclude(
        session_key=keep_session_key or ""
    ):
        session.end()


def user_password_set(
    *, user: User, password: str, reason: str, actor=None, ip_address=None, keep_session_key=None
) -> User:
    """Give `user` a new password (already validated by the caller's form) and
    end every other session of the account (user_sessions_revoke): whoever
    knew the old password, or held a token, is out. `reason` is
    "password_changed" (by the owner, or staff) or "password_reset"."""
    with transaction.atomic():
        user.set_password(password)
        User.objects.filter(pk=user.pk).update(password=user.password, updated_at=timezone.now())
        user_sessions_revoke(
            user=user,
            reason=reason,
            actor=actor if actor is not None else user,
            ip_address=ip_address,
            keep_session_key=keep_session_key,
        )
    return user


def user_email_changed(
    *, user: User, from_email: str, to_email: str, ip_address=None, keep_session_key=None
) -> None:
    """The account's login address changed (allauth made another confirmed
    address primary): every other session ends, audited."""
    with transaction.atomic():
        email_delivery_restored(user=user)
        audit_log_record(
            actor=user,
            action=AuditAction.USER_EMAIL_CHANGED,
            entity=user,
            changes={"email": {"from": from_email, "to": to_email}},
            ip_address=ip_address,
        )
        user_sessions_revoke(
            user=user,
            reason="email_changed",
            actor=user,
            ip_address=ip_address,
            keep_session_key=keep_session_key,
        )


def user_logout_everywhere(*, user: User, ip_address=None) -> None:
    """The owner ends every session of the account, on every device."""
    user_sessions_revoke(user=user, reason="logout_everywhere", actor=user, ip_address=ip_address)


def _email_send(*, user: User, template: str, **context) -> None:
    from messaging.services import email_enqueue_template

    email_enqueue_template(
        to=user.email,
        template=f"emails/accounts/{template}.html",
        context={"user": user, **context},
        language=email_language(user),
    )


def _password_check(*, password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("Choose a stronger password."),
            details={"field": "password", "reason": "WEAK_PASSWORD", "messages": exc.messages},
        ) from exc


def user_register(
    *, email: str, password: str, name: str = "", phone: str = "", ip_address=None
) -> User | None:
    """Open an account (role user, status active, email not yet verified) and
    email its verification code.

    The answer does not tell whether the address was free: when it already
    has an account, nothing is created, None is returned and the address's
    owner is told by email (no account enumeration). Raises ValidationFailed
    (weak password, bad phone) before looking the address up.
    """
    email = User.objects.normalize_email(email)
    candidate = User(email=email, name=name.strip(), phone=phone.strip())
    _password_check(password=password, user=candidate)
    _phone_check(candidate.phone)
    # Hashed whether or not the address is taken: the (deliberately slow)
    # hash would otherwise make a taken address answer faster. Outside the
    # transaction, so no lock is held while it runs.
    candidate.set_password(password)
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email).first()
        if existing is None:
            try:
                # A savepoint: a racing registration of the same address
                # trips the unique index and is answered like a taken one.
                with transaction.atomic():
                    candidate.save()
            except IntegrityError:
                existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            _email_send(user=existing, template="already_registered")
            return None
        user_registered_record(user=candidate, via="api", ip_address=ip_address)
        email_address_record(user=candidate, verified=False)
        user_email_verification_send(user=candidate)
    return candidate


def email_verification_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFICATION_SALT, compress=True)


def user_email_verification_send(*, user: User) -> None:
    """Email `user` the code that proves the address is theirs. Runs inside the
    caller's transaction, or its own."""
    with transaction.atomic():
        _email_send(
            user=user,
            template="verify",
            token=email_verification_token(user=user),
            valid_days=settings.EMAIL_VERIFICATION_DAYS,
        )


def user_email_verify(*, token: str) -> User:
    """Mark the address in `token` verified. Idempotent.

    Raises ValidationFailed on token: INVALID_TOKEN (forged, garbled, or the
    account's address changed since) or TOKEN_EXPIRED.
    """
    max_age = settings.EMAIL_VERIFICATION_DAYS * 24 * 3600
    try:
        claim = signing.loads(token, salt=VERIFICATION_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ValidationFailed(
            _("This code has expired."), details={"field": "token", "reason": "TOKEN_EXPIRED"}
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationFailed(
            _("This code is not valid."), details={"field": "token", "reason": "INVALID_TOKEN"}
        ) from exc
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=claim.get("u")).first()
        if user is None or user.email != claim.get("e"):
            raise ValidationFailed(
                _("This code is not valid."), details={"field": "token", "reason": "INVALID_TOKEN"}
            )
        email_address_record(user=user, verified=True)
        email_delivery_restored(user=user)
        if not user.email_verified:
            User.objects.filter(pk=user.pk).update(email_verified=True, updated_at=timezone.now())
            audit_log_record(
                actor=user,
                action=AuditAction.USER_EMAIL_VERIFIED,
                entity=user,
                changes={"email_verified": {"from": False, "to": True}},
            )
    user.refresh_from_db()
    return user


def _phone_check(phone: str) -> None:
    if phone and not PHONE_PATTERN.match(phone):
        raise ValidationFailed(
            _("Enter a phone number of digits, with an optional leading +."),
            details={"field": "phone", "reason": "INVALID_PHONE"},
        )


def user_profile_update(*, user: User, **fields) -> User:
    """Change the user's own name, phone, avatar URL or preferences.

    Other fields (email, role, status, verification flags) cannot be set here.
    A changed phone number is no longer verified. Raises ValidationFailed
    (bad phone, preferences not an object, too large or deep, or holding characters
    the database refuses).
    """
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    if "phone" in fields:
        fields["phone"] = fields["phone"].strip()
        _phone_check(fields["phone"])
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    if "preferences" in fields:
        preferences = fields["preferences"]
        if not isinstance(preferences, dict):
            raise ValidationFailed(
                _("Preferences must be an object."),
                details={"field": "preferences", "reason": "NOT_AN_OBJECT"},
            )
        bounds = {"max_depth": PREFERENCES_MAX_DEPTH, "max_chars": PREFERENCES_MAX_CHARS}
        problem = json_value_problem(preferences, **bounds)
        if problem:
            raise ValidationFailed(
                _("Preferences: %(problem)s") % {"problem": MESSAGES[problem].format(**bounds)},
                details={"field": "preferences", "reason": problem},
            )
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        changed = {k: v for k, v in fields.items() if getattr(current, k) != v}
        if "phone" in changed:
            changed["phone_verified"] = False
        if changed:
            changed["updated_at"] = timezone.now()
            User.objects.filter(pk=user.pk).update(**changed)
    user.refresh_from_db()
    return user


def email_address_record(*, user: User, verified: bool) -> None:
    """Keep allauth's record of the account's address in step with the account,
    so a login on the site knows whether it was confirmed (through the site or
    the API). Runs inside the caller's transaction."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user,
        email=user.email,
        defaults={"verified": verified, "primary": True},
    )


def user_email_mark_verified(*, user: User, email: str) -> None:
    """The site confirmed `email` (allauth): the account's address is verified,
    audited. Nothing changes if the account's address is another one."""
    with transaction.atomic():
        marked = User.objects.filter(pk=user.pk, email__iexact=email, email_verified=False).update(
            email_verified=True, updated_at=timezone.now()
        )
        if marked:
            audit_log_record(
                actor=user,
                action=AuditAction.USER_EMAIL_VERIFIED,
                entity=user,
                changes={"email_verified": {"from": False, "to": True}, "via": "site"},
            )
        if User.objects.filter(pk=user.pk, email__iexact=email).exists():
            # Confirmed again: whatever bounced before reaches the owner now.
            email_delivery_restored(user=user)


def user_registered_record(*, user: User, via: str, ip_address=None) -> None:
    """Audit a new account ("user.registered"), from the site or the API."""
    with transaction.atomic():
        audit_log_record(
            actor=user,
            action=AuditAction.USER_REGISTERED,
            entity=user,
            changes={"status": {"from": None, "to": user.status}, "via": via},
            ip_address=ip_address,
        )


def account_language_set(*, user, language: str) -> None:
    """Remember `language` (one of settings.LANGUAGES) as the account's: its
    pages and every email to it come in it. An unknown code is refused."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(
            _("Choose one of the site's languages."), details={"field": "language"}
        )
    if user.language != language:
        user.language = language
        user.save(update_fields=["language", "updated_at"])
