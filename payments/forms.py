"""Forms of the buy and after-the-sale pages: they check the shape of the input;
the rules themselves stay in the services (payments.services)."""

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from marketplace.core.countries import country_name

from .models import BUYER_DISPUTE_REASONS
from .services.disputes import DESCRIPTION_MAX_LENGTH


class PayForm(forms.Form):
    """What checkout.js posts once Stripe.js has turned the card into an id.

    Stripe's ids are letters, digits and underscores ("card_1Nx...", "pm_...");
    anything else is not worth a call to Stripe.
    """

    payment_method_id = forms.CharField(
        max_length=255,
        validators=[RegexValidator(r"^[A-Za-z0-9_]+$", _("This is not a card reference."))],
        error_messages={"required": _("Enter your card details first.")},
    )


class DisputeForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What went wrong?"),
        choices=[("", _("Choose a reason"))] + list(BUYER_DISPUTE_REASONS),
        error_messages={
            "required": _("Choose a reason."),
            "invalid_choice": _("Choose one of the reasons in the list."),
        },
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            _(
                "What happened, and what you have tried. Staff read this and the messages "
                "with the seller before they decide."
            )
        ),
        error_messages={"required": _("Describe the problem.")},
    )


class PayoutAccountForm(forms.Form):
    """ "Get paid": the country of the seller's payout account (asked once)."""

    country = forms.ChoiceField(
        label=_("Country where you live and bank"),
        help_text=_("Stripe opens your payout account in this country; it cannot change later."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = settings.CONNECT_COUNTRIES
        # Names in the reader's language (django-countries).
        choices = [(code, country_name(code)) for code in codes]
        choices.sort(key=lambda choice: str(choice[1]))  # in the reader's language
        self.fields["country"].choices = choices
        self.fields["country"].initial = settings.CONNECT_DEFAULT_COUNTRY
