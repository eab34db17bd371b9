"""Forms of the account pages: they check the shape of the input; the rules
(phone format, what a profile may change) stay in accounts.services."""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User
from .selectors import EMAIL_PREFERENCES, email_preferences
from .traders import TRADER_TEXT_FIELDS


# The email choices a user makes on their profile, stored as booleans in the
# account's preferences JSON (other keys there, e.g. set through the API, are
# kept as they are). Missing keys mean the default.
class ProfileForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=User._meta.get_field("name").max_length,
        required=False,
        help_text=_("Shown to the other side of a sale."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=User._meta.get_field("phone").max_length,
        required=False,
        help_text=_(
            "Digits, with an optional leading +, e.g. +353 87 123 4567. "
            "Changing it removes the phone verified badge until it is verified again."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    avatar_url = forms.URLField(
        label=_("Avatar URL"),
        max_length=User._meta.get_field("avatar_url").max_length,
        required=False,
        assume_scheme="https",
        help_text=_("The address of a picture of you, shown on your profile."),
        widget=forms.URLInput(attrs={"autocomplete": "photo", "placeholder": "https://"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label, _default in EMAIL_PREFERENCES:
            self.fields[key] = forms.BooleanField(label=label, required=False)

    @classmethod
    def for_user(cls, user: User, data=None):
        initial = {
            "name": user.name,
            "phone": user.phone,
            "avatar_url": user.avatar_url,
            **email_preferences(user.preferences),
        }
        return cls(data=data, initial=initial)

    def preference_fields(self):
        return [self[key] for key, _label, _default in EMAIL_PREFERENCES]

    def profile_changes(self, user: User) -> dict:
        """The keyword arguments for accounts.services.user_profile_update."""
        data = self.cleaned_data
        current = user.preferences if isinstance(user.preferences, dict) else {}
        preferences = {**current}
        for key, _label, _default in EMAIL_PREFERENCES:
            preferences[key] = bool(data[key])
        return {
            "name": data["name"],
            "phone": data["phone"],
            "avatar_url": data["avatar_url"],
            "preferences": preferences,
        }


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form, as slow for a taken address as for a free one.

    For a taken address allauth creates nothing and emails the owner (no
    account enumeration), but it then skips the password hash that a new
    account costs, so the answer came back measurably faster. The password is
    hashed (and thrown away) in that case too.
    """

    def try_save(self, request):
        if self.account_already_exists:
            User().set_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


def _text_field(name: str, label, *, help_text="", autocomplete: str = "", **attrs):
    from .models import TraderDeclaration

    widget_attrs = {"autocomplete": autocomplete} if autocomplete else {}
    return forms.CharField(
        label=label,
        max_length=TraderDeclaration._meta.get_field(name).max_length,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={**widget_attrs, **attrs}),
    )


class TraderDeclarationForm(forms.Form):
    """The Selling as page. Only the shape is checked here; which details a
    trader must give, and what happens without them, is accounts.traders'."""

    kind = forms.ChoiceField(
        label=_("I sell on Encore"),
        choices=(
            ("private", _("As a private person: tickets I bought for myself and cannot use")),
            ("trader", _("As a trader: for my business, trade or profession")),
        ),
        widget=forms.RadioSelect,
    )
    business_name = _text_field(
        "business_name",
        _("Business name"),
        # Translators: NAME stands for the business's name, as buyers see it.
        help_text=_("Shown to buyers on your listings: “Professional seller: NAME”."),
        autocomplete="organization",
    )
    address = forms.CharField(
        label=_("Business address"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    phone = _text_field(
        "phone",
        _("Business phone"),
        help_text=_("Digits, with an optional leading +."),
        autocomplete="tel",
        inputmode="tel",
    )
    email = forms.EmailField(
        label=_("Business email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    trade_register_name = _text_field(
        "trade_register_name",
        _("Trade register"),
        help_text=_(
            "The register your business is entered in, e.g. Companies Registration "
            "Office (Ireland)."
        ),
    )
    trade_register_number = _text_field("trade_register_number", _("Registration number"))
    vat_number = _text_field("vat_number", _("VAT number"))
    compliance_certified = forms.BooleanField(
        label=_("I offer only tickets that I may lawfully sell under EU law"),
        required=False,
    )

    TRADER_FIELDS = (*TRADER_TEXT_FIELDS, "compliance_certified")

    @classmethod
    def for_declaration(cls, declaration, data=None):
        initial = {}
        if declaration is not None:
            initial = {name: getattr(declaration, name) for name in ("kind", *cls.TRADER_FIELDS)}
        return cls(data=data, initial=initial)

    def trader_fields(self):
        return [self[name] for name in self.TRADER_FIELDS]

    def declaration(self) -> dict:
        """The keyword arguments for accounts.traders.trader_declaration_save."""
        data = self.cleaned_data
        if data["kind"] != "trader":
            return {"kind": data["kind"]}
        return {"kind": "trader", **{name: data[name] for name in self.TRADER_FIELDS}}
