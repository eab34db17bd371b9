"""Forms of the ticket pages: they check the input's shape; the rules of a
transfer stay in tickets.services."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TransferForm(forms.Form):
    recipient_email = forms.EmailField(
        label=_("Their email address"),
        max_length=254,
        help_text=_(
            "We email them a link to claim the ticket. Someone new to Encore signs up "
            "with this address first."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
