"""API: sign-up, sign-in (JWT), and user profiles."""

from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from marketplace.api.base import IsStaff, UrlOutputField, client_ip, valid
from marketplace.api.envelope import ok, paginated
from marketplace.api.schema import api_doc
from marketplace.api.throttling import LoginRateThrottle, RegisterRateThrottle

from .models import User
from .selectors import user_get, user_list
from .services import user_email_verify, user_profile_update, user_register
from .tokens import token_login, token_logout, token_refresh

AUTH = ["auth"]
USERS = ["users"]

# --- Serializers ---------------------------------------------------------------


class PublicUserOutput(serializers.Serializer):
    """What anyone may see of an account: never its email or phone."""

    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    avatar_url = UrlOutputField()
    role = serializers.ChoiceField(choices=User.Role.choices)
    email_verified = serializers.BooleanField()
    phone_verified = serializers.BooleanField()
    member_since = serializers.DateTimeField(source="created_at")

    def get_name(self, user) -> str:
        return user.name or "Encore fan"


class ProfileOutput(serializers.Serializer):
    """The account as its owner (and staff) see it."""

    id = serializers.IntegerField()
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
    verification = serializers.CharField(help_text='"sent": check the inbox for the code.')


class LoginInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField(default="Bearer")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
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
            "one a notice. Then log in with POST /auth/login."
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
        description="Rate limited per client address and per account (RATELIMIT_AUTH).",
        tags=AUTH,
        request=LoginInput,
        response=TokenPairOutput,
        auth=False,
    )
    def post(self, request):
        data = valid(LoginInput, request.data)
        return ok(_tokens(token_login(**data, request=request)))


class RefreshApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @api_doc(
        summary="Exchange a refresh token for a new pair",
        description="Refresh tokens rotate: each one works once, then answers 401.",
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
        summary="Log out: revoke the refresh token",
        tags=AUTH,
        request=RefreshInput,
        response=LogoutOutput,
        auth=False,
    )
    def post(self, request):
        token_logout(**valid(RefreshInput, request.data))
        return ok({"logged_out": True})


# --- Users -----------------------------------------------------------------------


class UserListApi(APIView):
    permission_classes = [IsStaff]

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
        description="Name, avatar and trust badges; never the email address or phone.",
        tags=USERS,
        response=PublicUserOutput,
        errors=(404,),
        auth=False,
    )
    def get(self, request, pk: int):
        return ok(PublicUserOutput(user_get(user_id=pk)).data)


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


urlpatterns = [
    path("auth/register", RegisterApi.as_view(), name="auth-register"),
    path("auth/login", LoginApi.as_view(), name="auth-login"),
    path("auth/refresh", RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout", LogoutApi.as_view(), name="auth-logout"),
    path("users", UserListApi.as_view(), name="users"),
    path("users/profile", ProfileApi.as_view(), name="users-profile"),
    path("users/verify", VerifyApi.as_view(), name="users-verify"),
    path("users/<id:pk>", UserDetailApi.as_view(), name="users-detail"),
]
