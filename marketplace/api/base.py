"""Small pieces every endpoint uses."""

from django.conf import settings
from django.urls import register_converter
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers


def client_ip(request) -> str | None:
    """The client's address for the audit trail (the proxy's header when configured)."""
    key = settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR"
    value = request.META.get(key, "") or ""
    # In a list (X-Forwarded-For), the last address is the one our own proxy
    # added; the ones before it are whatever the client chose to send.
    return value.split(",")[-1].strip() or None


def valid(serializer_class, data, **kwargs) -> dict:
    """Validate `data` with `serializer_class`; a failure raises DRF's
    ValidationError, which the API answers as 400 VALIDATION_ERROR per field."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IsStaff(permissions.BasePermission):
    message = "Only Encore staff can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IdOutput(serializers.Serializer):
    id = serializers.IntegerField()


class IdConverter:
    """Path ids: 1 to 18 digits, so no id overflows PostgreSQL's bigint (a
    longer one finds no route and answers 404)."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")


MAX_ID = 10**18 - 1


def id_field(**kwargs) -> serializers.IntegerField:
    """An id in a body or query: a positive integer that fits PostgreSQL's bigint."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def money_field(**kwargs) -> serializers.DecimalField:
    """Money in and out: a string with 2 decimals ("55.00"); no more than 2 accepted."""
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class PartyOutput(serializers.Serializer):
    """Another account as a trading partner sees it: a name and the trust badges."""

    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    email_verified = serializers.BooleanField()
    phone_verified = serializers.BooleanField()

    def get_name(self, user) -> str:
        return user.name or "Encore fan"


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", "example": "20:00:00"}
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time at the venue ("20:00:00"), with no offset: OpenAPI's
    format "time" would demand one."""


@extend_schema_field({"type": "string", "example": "https://example.com/a.png"})
class UrlOutputField(serializers.CharField):
    """A URL on the way out; "" when there is none (not a format "uri")."""
