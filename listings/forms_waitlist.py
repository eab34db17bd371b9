"""The waiting list's join form: it reads the fan's wishes; the service
(listings.waitlist.entries.waitlist_join) checks them (quantity within the
purchase limit, a positive price, lengths) and answers on the field."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

from .models import WaitlistEntry
from .waitlist.selectors import waitlist_quantity_max

TEXT_MAX_LENGTH = WaitlistEntry._meta.get_field("section").max_length


class WaitlistJoinForm(forms.Form):
    """How many tickets, the highest price per ticket, a section and a ticket
    type: all but the quantity optional. The bounds shown to the browser are
    hints; the service decides."""

    quantity = forms.IntegerField(
        label=_("How many tickets"),
        help_text=_("Tickets are offered to you one by one until you have this many."),
    )
    max_price = forms.DecimalField(
        label=_("Highest price per ticket"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=_("All-in. Leave it empty for any price: every price on Encore is capped."),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )
    section = forms.CharField(
        label=_("Section"),
        required=False,
        help_text=_("As printed on the ticket, e.g. 112 or Balcony."),
        widget=forms.TextInput(attrs={"maxlength": TEXT_MAX_LENGTH, "autocomplete": "off"}),
    )
    ticket_type = forms.ChoiceField(
        label=_("Ticket type"),
        required=False,
        choices=[("", _("Any type")), *Ticket.Type.choices],
    )

    def __init__(self, *args, currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        limit = waitlist_quantity_max()
        self.fields["quantity"].widget = forms.Select(
            choices=[(n, str(n)) for n in range(1, limit + 1)]
        )
        self.fields["quantity"].initial = self.fields["quantity"].initial or 1
        if currency:
            self.fields["max_price"].label = gettext("Highest price per ticket (%(currency)s)") % {
                "currency": currency
            }

    @staticmethod
    def ticket_type_label(value: str) -> str:
        """A ticket type as the form names it ("Seated"); other text as it is."""
        return dict(Ticket.Type.choices).get(value, value)

    @classmethod
    def initial_for(cls, entry: WaitlistEntry | None) -> dict:
        """The form's starting values: what `entry` waits for, if anything."""
        if entry is None:
            return {"quantity": 1}
        return {
            "quantity": entry.quantity,
            "max_price": entry.max_price,
            "section": entry.section,
            "ticket_type": entry.ticket_type,
        }
