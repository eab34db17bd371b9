"""Forms of the sell pages: they check the shape of the input; the services check the rules."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.core.money import money_display
from tickets.models import Ticket

from .models import ListingReport

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0.01")}
# The browser offers these files first; the service checks the real type by content.
TICKET_FILE_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


def _money_input():
    return forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"})


class EventSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Event, artist, venue or city"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class PriceField(forms.DecimalField):
    """The asking price. Its help text is the live range the page shows (sell.js)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Price"))
        kwargs.setdefault(
            "help_text",
            _("The price the buyer pays, fees included. The allowed range shows here."),
        )
        super().__init__(widget=_money_input(), **MONEY, **kwargs)


class TierSelect(forms.Select):
    """The price tiers, each option carrying its face value and unavoidable fees for
    the live range (sell.js)."""

    def __init__(self, *args, face_values=None, fees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.face_values = face_values or {}
        self.fees = fees or {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.face_values:
            option["attrs"]["data-face-value"] = self.face_values[str(value)]
            option["attrs"]["data-fees"] = self.fees.get(str(value), "0.00")
        return option


RESTRICTIONS_MAX_LENGTH = Ticket._meta.get_field("restrictions").max_length


def restrictions_text(chosen, other: str) -> str:
    """The restrictions as the ticket stores them: the common ones ticked, then the
    seller's own words, separated by "; "."""
    parts = [*chosen, " ".join((other or "").split())]
    return "; ".join(part for part in parts if part)


class TicketSellForm(forms.Form):
    """Upload a ticket and put it on sale, in one form.

    For an event with price tiers the seller picks a tier (the face value is
    the tier's); otherwise they type the face value printed on the ticket.
    """

    file = forms.FileField(
        label=_("Ticket file"),
        help_text=_(
            "The ticket as the box office sent it (PDF), or a screenshot of it (PNG or "
            "JPEG). Encore reads its barcode: the file is the proof. Only the buyer receives it."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": TICKET_FILE_ACCEPT}),
    )
    barcode = forms.CharField(
        label=_("Barcode"),
        max_length=128,
        required=False,
        help_text=_(
            "Leave it empty: Encore reads the barcode from the file. Type it only if the "
            "file has no barcode Encore can read; our staff then check the ticket before it goes "
            "on sale. Encore keeps only a fingerprint and the last 4 characters."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    tier = forms.ChoiceField(label=_("Ticket tier"))
    face_value = forms.DecimalField(
        label=_("Face value"),
        help_text=_(
            "The price printed on the ticket. One far above this event's other tickets "
            "is checked by our staff before the ticket goes on sale."
        ),
        widget=_money_input(),
        **MONEY,
    )
    ticket_type = forms.ChoiceField(
        label=_("Ticket type"), choices=Ticket.Type.choices, initial=Ticket.Type.GENERAL_ADMISSION
    )
    section = forms.CharField(
        label=_("Section"), max_length=50, required=False, help_text=_("Stand, block or area.")
    )
    row = forms.CharField(label=_("Row"), max_length=20, required=False)
    seat = forms.CharField(
        label=_("Seat"), max_length=20, required=False, help_text=_("Required for a seated ticket.")
    )
    restrictions = forms.MultipleChoiceField(
        label=_("Restrictions on use"),
        # The ticket stores the English words; the box shows them in the reader's language.
        choices=[(text, _(text)) for text in Ticket.COMMON_RESTRICTIONS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick what the ticket says; the buyer sees it before buying."),
    )
    restrictions_other = forms.CharField(
        label=_("Other restrictions"),
        max_length=RESTRICTIONS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Anything else printed on the ticket, in your words."),
    )
    organizer_ticket_number = forms.CharField(
        label=_("Ticket number"),
        max_length=64,
        required=False,
        help_text=_(
            "The organizer's ticket or order number printed on the ticket, if it has "
            "one. Never the barcode: buyers see this number."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    price = PriceField()

    UPLOAD_FIELDS = (
        "file",
        "barcode",
        "ticket_type",
        "section",
        "row",
        "seat",
        "organizer_ticket_number",
    )

    def __init__(self, *args, currency: str = "", tiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = {str(tier.pk): tier for tier in tiers}
        if self.tiers:
            # The organizer declared the prices: the face value is the tier's, verified.
            del self.fields["face_value"]
            field = self.fields["tier"]
            field.choices = [("", gettext("Choose the tier printed on your ticket"))] + [
                (pk, self._tier_label(tier, currency)) for pk, tier in self.tiers.items()
            ]
            field.widget = TierSelect(
                choices=field.choices,
                face_values={pk: str(tier.face_value) for pk, tier in self.tiers.items()},
                fees={pk: str(tier.fees) for pk, tier in self.tiers.items()},
            )
            field.help_text = gettext("The face value comes from the organizer's price list.")
        else:
            del self.fields["tier"]
            if currency:
                self.fields["face_value"].help_text = gettext(
                    "The price printed on the ticket, in %(currency)s. One far above this "
                    "event's other tickets is checked by our staff before the ticket goes on "
                    "sale."
                ) % {"currency": currency}

    @staticmethod
    def _tier_label(tier, currency: str) -> str:
        face_value = money_display(tier.face_value, currency)
        if tier.fees:
            return gettext("%(tier)s: %(face_value)s + %(fees)s fees") % {
                "tier": tier.name,
                "face_value": face_value,
                "fees": money_display(tier.fees, currency),
            }
        return gettext("%(tier)s: %(face_value)s") % {"tier": tier.name, "face_value": face_value}

    def clean(self):
        data = super().clean()
        text = restrictions_text(data.get("restrictions", []), data.get("restrictions_other", ""))
        if len(text) > RESTRICTIONS_MAX_LENGTH:
            self.add_error(
                "restrictions_other",
                gettext("The restrictions have at most %(limit)d characters in all.")
                % {"limit": RESTRICTIONS_MAX_LENGTH},
            )
        return data

    def upload_data(self) -> dict:
        """The cleaned data as ticket_upload takes it."""
        data = {name: self.cleaned_data[name] for name in self.UPLOAD_FIELDS}
        data["restrictions"] = restrictions_text(
            self.cleaned_data["restrictions"], self.cleaned_data["restrictions_other"]
        )
        if self.tiers:
            data["tier_id"] = int(self.cleaned_data["tier"])
        else:
            data["face_value"] = self.cleaned_data["face_value"]
        return data

    def face_value_shown(self):
        """The face value the live range starts from: the chosen tier's, or as typed."""
        if self.tiers:
            tier = self.tiers.get(str(self["tier"].value() or ""))
            return tier.face_value if tier else None
        return self["face_value"].value()

    def original_fees_shown(self):
        """The unavoidable fees of the chosen tier (none without tiers: a typed face
        value has no verified fees)."""
        tier = self.tiers.get(str(self["tier"].value() or "")) if self.tiers else None
        return tier.fees if tier else Decimal("0.00")


class ListingPriceForm(forms.Form):
    """A price: for a ticket already uploaded, or a new price for a listing."""

    price = PriceField()


class PriceRangeQuery(forms.Form):
    """The query of the live price range: a face value, maybe the unavoidable fees
    paid with it (a tier's), and maybe a price."""

    face_value = forms.DecimalField(**MONEY, max_value=Decimal("100000.00"))
    fees = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.00"),
        max_value=Decimal("100000.00"),
        required=False,
    )
    price = forms.DecimalField(**MONEY, required=False)


class ListingReportForm(forms.Form):
    """Report a listing: why, and (for a visitor) where to send the decision."""

    reason = forms.ChoiceField(label=_("What is wrong with this listing?"), choices=())
    text = forms.CharField(
        label=_("Details"),
        help_text=_("What you know: where you saw the ticket, why the price or seat is wrong."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        required=False,
    )
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We send you our decision and its reasons."),
        max_length=254,
    )

    def __init__(self, *args, logged_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = ListingReport.Reason.choices
        if logged_in:
            del self.fields["email"]


class ListingReportAppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why the decision is wrong"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )
