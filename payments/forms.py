"""Forms of the buy and after-the-sale pages: they check the shape of the input;
the rules themselves stay in the services (payments.services)."""

from django import forms
from django.core.validators import RegexValidator

from .models import Dispute
from .services.disputes import DESCRIPTION_MAX_LENGTH


class PayForm(forms.Form):
    """What checkout.js posts once Stripe.js has turned the card into an id.

    Stripe's ids are letters, digits and underscores ("card_1Nx...", "pm_...");
    anything else is not worth a call to Stripe.
    """

    payment_method_id = forms.CharField(
        max_length=255,
        validators=[RegexValidator(r"^[A-Za-z0-9_]+$", "This is not a card reference.")],
        error_messages={"required": "Enter your card details first."},
    )


class DisputeForm(forms.Form):
    reason = forms.ChoiceField(
        label="What went wrong?",
        choices=[("", "Choose a reason")] + list(Dispute.Reason.choices),
        error_messages={
            "required": "Choose a reason.",
            "invalid_choice": "Choose one of the reasons in the list.",
        },
    )
    description = forms.CharField(
        label="Describe the problem",
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "What happened, and what you have tried. Staff read this and the messages "
            "with the seller before they decide."
        ),
        error_messages={"required": "Describe the problem."},
    )
