import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from messaging.masking import mask_contact_details

# What another user sees instead of a name that is empty or only contact details.
PUBLIC_NAME_FALLBACK = _("Encore fan")


def new_public_id() -> str:
    """An account's id as others see it: 128 random bits, so neither guessable
    nor counting the accounts (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def normalize_email(self, email):
        # The whole address is lower-cased: logins are case-insensitive.
        return (email or "").strip().lower()

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", User.Role.ADMIN)
        extra_fields.setdefault("email_verified", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        USER = "user", _("User")
        ORGANIZER = "organizer", _("Organizer")
        ADMIN = "admin", _("Admin")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        BANNED = "banned", _("Banned")
        PENDING_VERIFICATION = "pending_verification", _("Pending verification")

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    public_id = models.CharField(
        max_length=22,
        unique=True,
        default=new_public_id,
        editable=False,
        help_text=_(
            "The id others see (public profile, listings, messages): random, not the row id."
        ),
    )
    email_verified = models.BooleanField(default=False)
    phone_verified = models.BooleanField(default=False)
    avatar_url = models.URLField(max_length=500, blank=True)
    preferences = models.JSONField(default=dict, blank=True)
    # The language of the site and of every email to this account (docs/i18n.md);
    # blank: the browser's (Accept-Language), and English for emails.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)
    # The email provider reported that mail to the address bounced, or that
    # its owner marked Encore's mail as spam (accounts.email_delivery); the
    # profile says so until the address changes or is confirmed again.
    email_failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    email_failing_reason = models.CharField(max_length=255, blank=True, editable=False)
    is_staff = models.BooleanField(default=False, help_text=_("Can log into the staff admin."))
    is_active = models.BooleanField(
        default=True, help_text=_("Unticked, the account cannot log in at all.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    # Bumped when the account's credentials change (password, email address),
    # on logout everywhere and on suspension: API access tokens carry it and
    # site sessions hash it, so every one issued before stops at once.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    # AbstractBaseUser's `last_login` column is replaced by last_login_at.
    last_login = None

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        db_table = "users"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["role"], name="users_role_idx")]

    def __str__(self):
        return self.email

    @property
    def display_name(self):
        """The name the account's owner sees of themselves."""
        return self.name or self.email.split("@", 1)[0]

    @property
    def public_name(self) -> str:
        """The name everyone else sees: never the email address, and never a
        way to contact the person (a name holding a phone number, an address or
        a social handle is treated as no name: messaging.masking)."""
        return self.public_name_or(str(PUBLIC_NAME_FALLBACK))

    def public_name_or(self, fallback: str) -> str:
        """public_name, with `fallback` ("the seller") instead of "Encore fan"."""
        name = " ".join((self.name or "").split())
        if not name or mask_contact_details(name) != name:
            return fallback
        return name

    def get_session_auth_hash(self):
        return self._session_auth_hash()

    def get_session_auth_fallback_hash(self):
        from django.conf import settings

        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=secret)

    def _session_auth_hash(self, secret=None):
        # Django's hash of the password, plus token_version once it was bumped:
        # a bump ends the account's other site sessions as a password change
        # does (Django checks the hash on every request). Version 0 hashes as
        # Django does, so no session ended when this was introduced.
        if not self.token_version:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = f"{self.password}:v{self.token_version}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class ApiSession(models.Model):
    """One sign-in to the partner API. The refresh tokens rotated from one login
    and the access tokens they mint carry its id (the "sid" claim): logging out
    ends it, and with it that session's access tokens at once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        db_table = "api_sessions"
        indexes = [models.Index(fields=["user", "ended_at"], name="api_sessions_user_ended_idx")]

    def __str__(self):
        return f"API session {self.pk} of user {self.user_id}"


class TraderDeclaration(models.Model):
    """Whether a seller sells as a private person or as a trader (a business),
    and a trader's identity (EU Digital Services Act, Art. 30; the Omnibus
    directive 2019/2161: buyers are told whether they buy from a trader).

    Written only by accounts.traders. A trader's details are checked for
    completeness when saved and reviewed by staff afterwards; a private
    declaration needs no review (status "none"). Payment account and identity
    documents (Art. 30(1)(b), (c)) are collected by Stripe Connect's onboarding,
    not stored here.
    """

    class Kind(models.TextChoices):
        PRIVATE = "private", _("Private seller")
        TRADER = "trader", _("Trader (a business)")

    class Status(models.TextChoices):
        NONE = "none", _("No review needed (private seller)")
        INCOMPLETE = "incomplete", _("Incomplete")
        PENDING_REVIEW = "pending_review", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="trader_declaration")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    business_name = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=500, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    trade_register_name = models.CharField(
        max_length=200, blank=True, help_text=_("The register the business is entered in.")
    )
    trade_register_number = models.CharField(max_length=64, blank=True)
    vat_number = models.CharField(max_length=32, blank=True)
    compliance_certified = models.BooleanField(
        default=False,
        help_text=_(
            "The trader's commitment to offer only what complies with EU law (DSA Art. 30(1)(e))."
        ),
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.INCOMPLETE, db_index=True
    )
    # Set by a rejection: corrected details are listed again only once staff
    # approve them (DSA Art. 30(3): suspended until the trader complies).
    approval_required = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    declared_at = models.DateTimeField(
        help_text=_("When the seller last made or confirmed this declaration.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "trader_declarations"
        ordering = ["-declared_at", "-id"]

    def __str__(self):
        if self.kind == self.Kind.TRADER:
            name = self.business_name or gettext("(no name yet)")
            return gettext("Trader %(name)s (%(user)s)") % {"name": name, "user": self.user_id}
        return gettext("Private seller (%(user)s)") % {"user": self.user_id}
