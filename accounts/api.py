"""API: sign-up, sign-in (JWT), and user profiles."""

from django.urls import path, register_converter
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from marketplace.core.api.base import IsStaff, UrlOutputField, valid
from marketplace.core.api.envelope import ok, paginated
from marketplace.core.api.schema import api_doc
from marketplace.core.api.throttling import LoginRateThrottle, RegisterRateThrottle
from marketplace.core.client_ip import client_ip

from .models import TraderDeclaration, User
from .selectors import user_get_public, user_has_second_factor, user_list
from .services import user_email_verify, user_profile_update, user_register
from .tokens import token_login, token_logout, token_refresh
from .traders import (
    seller_kind,
    trader_declaration_get,
    trader_declaration_save,
    trader_missing_fields,
)

AUTH = ["auth"]
USERS = ["users"]

# --- Serializers ---------------------------------------------------------------


class PublicIdConverter:
    """A user's public id in a path (User.public_id: 22 URL-safe characters).
    A numeric row id matches no route: users are never found by counting."""

    regex = "[A-Za-z0-9_-]{22}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(PublicIdConverter, "public_id")


class PublicUserOutput(serializers.Serializer):
    """What anyone may see of an account: never its email, phone, role or row id."""

    id = serializers.CharField(
        source="public_id", help_text=_("The account's public id: random, not a count.")
    )
    name = serializers.CharField(
        source="public_name",
        help_text=_(
            '"Encore fan" when the account has no name, or when its name is a way to '
            "contact them (an email address, a phone number, a social handle)."
        ),
    )
    avatar_url = UrlOutputField()
    email_verified = serializers.BooleanField()
    phone_verified = serializers.BooleanField()
    member_since = serializers.DateTimeField(source="created_at")


class ProfileOutput(serializers.Serializer):
    """The account as its owner (and staff) see it."""

    id = serializers.IntegerField()
    public_id = serializers.CharField(help_text=_("The id others see: GET /users/{public_id}."))
    email = serializers.EmailField()
    name = serializers.CharField()
    phone = serializers.CharField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    status = serializers.ChoiceField(choices=User.Status.choices)
    email_verified = serializers.BooleanField()
    phone_verified = serializers.BooleanField()
    avatar_url = UrlOutputField()
    preferences = serializers.DictField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    last_login_at = serializers.DateTimeField(allow_null=True)


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class RegisterOutput(serializers.Serializer):
    email = serializers.EmailField()
    verification = serializers.CharField(help_text=_('"sent": check the inbox for the code.'))


class LoginInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class LogoutInput(RefreshInput):
    everywhere = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "true: end every session of the account, on every device and on the "
            "site, not only this one."
        ),
    )


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text=_("Seconds until the access token expires."))
    user = ProfileOutput()


class LogoutOutput(serializers.Serializer):
    logged_out = serializers.BooleanField()


class ProfileUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    avatar_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    preferences = serializers.DictField(required=False)


class VerifyInput(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class UserFilters(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, default="")
    role = serializers.ChoiceField(choices=User.Role.choices, required=False, default="")
    status = serializers.ChoiceField(choices=User.Status.choices, required=False, default="")


def _tokens(pair) -> dict:
    return TokenPairOutput(
        {
            "access": pair.access,
            "refresh": pair.refresh,
            "token_type": "Bearer",
            "expires_in": pair.expires_in,
            "user": pair.user,
        }
    ).data


# --- Auth ------------------------------------------------------------------------


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [RegisterRateThrottle]

    @api_doc(
        summary="Create an account",
        description=(
            "Answers 202 whether or not the address already had an account (no account "
            "enumeration): a new account gets a verification code by email, an existing "
            "one a notice. Confirm the address with POST /users/verify, then log in with "
            "POST /auth/login: an address nobody confirmed gets no token. Passwords have "
            "at least 12 characters, are not common, not like the email address or name, "
            "not only digits and not only whitespace (400 WEAK_PASSWORD)."
        ),
        tags=AUTH,
        request=RegisterInput,
        response=RegisterOutput,
        status=202,
        auth=False,
    )
    def post(self, request):
        data = valid(RegisterInput, request.data)
        user_register(**data, ip_address=client_ip(request))
        return ok({"email": data["email"].lower(), "verification": "sent"}, status=202)


class LoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [LoginRateThrottle]

    @api_doc(
        summary="Log in: an access and a refresh token",
        description=(
            "Opens an API session. A wrong password and an unknown address both answer 401 "
            "INVALID_CREDENTIALS. The right password of an address nobody has confirmed yet "
            "answers 403 EMAIL_NOT_VERIFIED and emails a new code (details.verification "
            '"sent", or "recently_sent" with resendAfter seconds: one code every few '
            "minutes); confirm it with POST /users/verify, then log in again. Rate limited "
            "per client address (RATELIMIT_AUTH). Per account, failed logins never lock the "
            "owner out: past the limit the account cools down for a while (429 "
            "RATE_LIMIT_EXCEEDED, details.reason ACCOUNT_COOLDOWN, Retry-After), except "
            "from addresses it logged in from before."
        ),
        tags=AUTH,
        request=LoginInput,
        response=TokenPairOutput,
        errors=(403,),
        auth=False,
    )
    def post(self, request):
        data = valid(LoginInput, request.data)
        pair = token_login(**data, request=request, ip_address=client_ip(request))
        return ok(_tokens(pair))


class RefreshApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @api_doc(
        summary="Exchange a refresh token for a new pair",
        description=(
            "Refresh tokens rotate: each one works once. Presenting a spent refresh token "
            "again answers 401 and ends EVERY session of the account (a copy of the token "
            "is in someone else's hands): refresh once at a time, and keep only the newest "
            "token. A session lasts JWT_SESSION_MAX_DAYS (30) after its login at most. A "
            "password or email change, a logout everywhere or a suspension revokes every "
            "refresh token of the account."
        ),
        tags=AUTH,
        request=RefreshInput,
        response=TokenPairOutput,
        auth=False,
    )
    def post(self, request):
        return ok(_tokens(token_refresh(**valid(RefreshInput, request.data))))


class LogoutApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @api_doc(
        summary="Log out: revoke the refresh token and end its session",
        description=(
            "The refresh token is revoked and the access tokens of its session stop "
            "working at once (401). The account's other sessions go on, unless "
            '"everywhere" is true: then every session of the account ends, on every '
            "device and on the site."
        ),
        tags=AUTH,
        request=LogoutInput,
        response=LogoutOutput,
        auth=False,
    )
    def post(self, request):
        token_logout(**valid(LogoutInput, request.data), ip_address=client_ip(request))
        return ok({"logged_out": True})


# --- Users -----------------------------------------------------------------------


class IsStaffWithSecondFactor(IsStaff):
    """Staff's API, as staff's admin: only an account with two-step login;
    its password alone does not open the list of every account."""

    message = _("Staff need two-step login on their account for this: set it up on the site.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) and user_has_second_factor(user=request.user)


class UserListApi(APIView):
    permission_classes = [IsStaffWithSecondFactor]

    @api_doc(
        summary="All accounts (staff)",
        tags=USERS,
        response=ProfileOutput,
        paginated=True,
        operation_id="users_list",
        parameters=[UserFilters],
        errors=(403,),
    )
    def get(self, request):
        filters = valid(UserFilters, request.query_params)
        return paginated(request, user_list(**filters), ProfileOutput)


class UserDetailApi(APIView):
    permission_classes = [AllowAny]

    @api_doc(
        summary="A user's public profile",
        description=(
            "By the account's public id (as listings, events and messages show it): name, "
            "avatar and trust badges; never the email address, phone, role or row id. A "
            "numeric id answers 404."
        ),
        tags=USERS,
        response=PublicUserOutput,
        errors=(404,),
        auth=False,
    )
    def get(self, request, id: str):  # noqa: A002 (the path's {id})
        return ok(PublicUserOutput(user_get_public(public_id=id)).data)


class ProfileApi(APIView):
    @api_doc(summary="My profile", tags=USERS, response=ProfileOutput)
    def get(self, request):
        return ok(ProfileOutput(request.user).data)

    @api_doc(
        summary="Change my profile",
        description="Only name, phone, avatar_url and preferences; other fields are ignored.",
        tags=USERS,
        request=ProfileUpdateInput,
        response=ProfileOutput,
    )
    def patch(self, request):
        data = valid(ProfileUpdateInput, request.data)
        return ok(ProfileOutput(user_profile_update(user=request.user, **data)).data)

    put = patch  # PUT changes only the fields sent, like PATCH.


class VerifyApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @api_doc(
        summary="Confirm an email address with the emailed code",
        tags=USERS,
        request=VerifyInput,
        response=ProfileOutput,
        auth=False,
    )
    def post(self, request):
        user = user_email_verify(**valid(VerifyInput, request.data))
        return ok(ProfileOutput(user).data)


class TraderDeclarationOutput(serializers.Serializer):
    """How the account sells (EU DSA Art. 30): null kind until it declares."""

    kind = serializers.ChoiceField(choices=TraderDeclaration.Kind.choices, allow_null=True)
    status = serializers.ChoiceField(
        choices=TraderDeclaration.Status.choices,
        allow_null=True,
        help_text=_(
            "incomplete: listing is refused until the missing details are given; "
            "pending_review: may list, staff check afterwards; rejected: may not list until "
            "staff approve corrected details; none: a private seller."
        ),
    )
    shown_as = serializers.CharField(
        help_text=_(
            'What buyers see on the listings: "Professional seller: NAME" or "Private seller".'
        )
    )
    missing = serializers.ListField(child=serializers.CharField())
    business_name = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    trade_register_name = serializers.CharField()
    trade_register_number = serializers.CharField()
    vat_number = serializers.CharField()
    compliance_certified = serializers.BooleanField()
    approval_required = serializers.BooleanField(
        help_text=_("true after a rejection: listing waits for staff to approve corrected details.")
    )
    review_reason = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    declared_at = serializers.DateTimeField(allow_null=True)


class TraderDeclarationInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TraderDeclaration.Kind.choices)
    business_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    trade_register_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    trade_register_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    vat_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    compliance_certified = serializers.BooleanField(required=False, default=False)


def _trader_output(user: User) -> dict:
    declaration = trader_declaration_get(user=user)
    empty = {name: "" for name in ("business_name", "address", "phone", "email")}
    data = {
        "kind": None,
        "status": None,
        **empty,
        "trade_register_name": "",
        "trade_register_number": "",
        "vat_number": "",
        "compliance_certified": False,
        "approval_required": False,
        "review_reason": "",
        "reviewed_at": None,
        "declared_at": None,
    }
    if declaration is not None:
        data.update({name: getattr(declaration, name) for name in data})
    data["missing"] = trader_missing_fields(declaration) if declaration else []
    data["shown_as"] = seller_kind(seller=user).label
    return TraderDeclarationOutput(data).data


class TraderDeclarationApi(APIView):
    @api_doc(summary="How I sell: private or trader", tags=USERS, response=TraderDeclarationOutput)
    def get(self, request):
        return ok(_trader_output(request.user))

    @api_doc(
        summary="Declare how I sell: private or trader",
        description=(
            "EU Digital Services Act, Art. 30 and the Omnibus directive: buyers are told whether "
            "they buy from a trader. A trader gives business_name, address, phone, email, "
            "trade_register_name, trade_register_number and compliance_certified (true); "
            "vat_number is optional. Missing details are not an error here: the declaration is "
            "saved with status incomplete and `missing` lists them, and POST /listings answers "
            "400 VALIDATION_ERROR {field: trader, reason: TRADER_DETAILS_MISSING, missing} until "
            "they are given. A private seller who has listed TRADER_THRESHOLD_TICKETS_PER_YEAR "
            "tickets in 365 days is refused (TRADER_DECLARATION_REQUIRED) until they declare "
            "here; declaring private again lets them go on. A private declaration clears the "
            "trader details."
        ),
        tags=USERS,
        request=TraderDeclarationInput,
        response=TraderDeclarationOutput,
    )
    def put(self, request):
        data = valid(TraderDeclarationInput, request.data)
        if data["kind"] != TraderDeclaration.Kind.TRADER:
            data = {"kind": data["kind"]}
        trader_declaration_save(user=request.user, ip_address=client_ip(request), **data)
        return ok(_trader_output(request.user))


urlpatterns = [
    path("auth/register", RegisterApi.as_view(), name="auth-register"),
    path("auth/login", LoginApi.as_view(), name="auth-login"),
    path("auth/refresh", RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", LogoutApi.as_view(), name="auth-logout"),
    path("users", UserListApi.as_view(), name="users"),
    path("users/profile", ProfileApi.as_view(), name="users-profile"),
    path("users/profile/trader", TraderDeclarationApi.as_view(), name="users-profile-trader"),
    path("users/verify", VerifyApi.as_view(), name="users-verify"),
    path("users/<public_id:id>", UserDetailApi.as_view(), name="users-detail"),
]
