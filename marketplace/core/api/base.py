"""Small pieces every endpoint uses."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import permissions, serializers

from marketplace.core.ids import MAX_ID
from marketplace.core.money import money_display


def valid(serializer_class, data, **kwargs) -> dict:
    """Validate `data` with `serializer_class`; a failure raises DRF's
    ValidationError, which the API answers as 400 VALIDATION_ERROR per field."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IsStaff(permissions.BasePermission):
    message = _("Only Encore staff can do this.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IdOutput(serializers.Serializer):
    id = serializers.IntegerField()


def id_field(**kwargs) -> serializers.IntegerField:
    """An id in a body or query: a positive integer that fits PostgreSQL's bigint."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def money_field(**kwargs) -> serializers.DecimalField:
    """Money in and out: a string with 2 decimals ("55.00"); no more than 2 accepted."""
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


@extend_schema_field({"type": "string", "example": "€55.00"})
class MoneyTextField(serializers.Field):
    """Money as a reader writes it, in the answer's language (Accept-Language):
    "€55.00", "€ 55,00", "55,00 €". Read only, beside the amount's decimal
    string and currency code, which stay what programs read."""

    def __init__(self, *, amount: str, currency: str, **kwargs):
        self.amount_path, self.currency_path = amount.split("."), currency.split(".")
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value) -> str:
        return money_display(_follow(value, self.amount_path), _follow(value, self.currency_path))


def _follow(value, path: list[str]):
    for name in path:
        value = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
    return value


def money_text_field(*, amount: str, currency: str, **kwargs) -> MoneyTextField:
    """The serializers' money for people (marketplace.core.money.money_display,
    the pages' and emails' formatter): `amount` and `currency` name the
    attributes holding them ("price", "ticket.event.currency")."""
    return MoneyTextField(amount=amount, currency=currency, **kwargs)


class PartyOutput(serializers.Serializer):
    """Another account as a trading partner sees it: its public id (GET
    /users/{id}), a name that is never a way to contact them, and the trust
    badges."""

    id = serializers.CharField(source="public_id", help_text="The account's public id.")
    name = serializers.CharField(source="public_name")
    email_verified = serializers.BooleanField()
    phone_verified = serializers.BooleanField()


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", "example": "20:00:00"}
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time at the venue ("20:00:00"), with no offset: OpenAPI's
    format "time" would demand one."""


@extend_schema_field({"type": "string", "example": "https://example.com/a.png"})
class UrlOutputField(serializers.CharField):
    """A URL on the way out; "" when there is none (not a format "uri")."""
