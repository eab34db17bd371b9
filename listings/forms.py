"""Forms of the sell pages: they check the shape of the input; the services check the rules."""

from decimal import Decimal

from django import forms

from tickets.models import Ticket

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.01")}
# The browser offers these files first; the service checks the real type by content.
TICKET_FILE_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


def _money_input():
    return forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"})


class EventSearchForm(forms.Form):
    q = forms.CharField(
        label="Event, artist, venue or city",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class PriceField(forms.DecimalField):
    """The asking price. Its help text is the live range the page shows (sell.js)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Price")
        kwargs.setdefault(
            "help_text", "The price the buyer pays, fees included. The allowed range shows here."
        )
        super().__init__(widget=_money_input(), **MONEY, **kwargs)


class TicketSellForm(forms.Form):
    """Upload a ticket and put it on sale, in one form."""

    file = forms.FileField(
        label="Ticket file",
        help_text="The ticket as a PDF, PNG or JPEG file. Only the buyer receives it.",
        widget=forms.ClearableFileInput(attrs={"accept": TICKET_FILE_ACCEPT}),
    )
    barcode = forms.CharField(
        label="Barcode",
        max_length=128,
        help_text="As printed under the barcode. Encore keeps only a fingerprint and the last 4 "
        "characters, and refuses a ticket already on sale.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    face_value = forms.DecimalField(
        label="Face value",
        help_text="The price printed on the ticket.",
        widget=_money_input(),
        **MONEY,
    )
    ticket_type = forms.ChoiceField(
        label="Ticket type", choices=Ticket.Type.choices, initial=Ticket.Type.GENERAL_ADMISSION
    )
    section = forms.CharField(label="Section", max_length=50, required=False)
    row = forms.CharField(label="Row", max_length=20, required=False)
    seat = forms.CharField(label="Seat", max_length=20, required=False)
    price = PriceField()

    UPLOAD_FIELDS = ("file", "barcode", "face_value", "ticket_type", "section", "row", "seat")

    def __init__(self, *args, currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if currency:
            self.fields["face_value"].help_text = f"The price printed on the ticket, in {currency}."


class ListingPriceForm(forms.Form):
    """A price: for a ticket already uploaded, or a new price for a listing."""

    price = PriceField()


class PriceRangeQuery(forms.Form):
    """The query of the live price range: a face value, and maybe a price."""

    face_value = forms.DecimalField(**MONEY, max_value=Decimal("100000.00"))
    price = forms.DecimalField(**MONEY, required=False)
