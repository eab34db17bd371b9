"""Forms of the catalogue and organizer pages: they check the shape of the input;
the business rules (dates in the future, status transitions...) stay in the
services, whose errors the views put on the field they name."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from marketplace.core.countries import CountryChoiceField

from .models import Event
from .services import CREATION_STATUSES, STATUS_TRANSITIONS, TIERS_MAX
from .zones import time_zone_names


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class EventFilterForm(forms.Form):
    """The events list's filters. Every field is optional; an invalid value (a
    date "x", an unknown category) is a form error, never a 500."""

    q = forms.CharField(label=gettext_lazy("Search"), max_length=100, required=False, strip=True)
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        choices=[("", gettext_lazy("Any category")), *Event.Category.choices],
        required=False,
    )
    city = forms.CharField(label=gettext_lazy("City"), max_length=100, required=False, strip=True)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": gettext_lazy("Artist, team, show or venue")}
        )
        self.fields["city"].widget.attrs.update({"placeholder": gettext_lazy("e.g. Dublin")})

    def search_kwargs(self) -> dict:
        """The cleaned filters as event_search takes them."""
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "category": data.get("category") or "",
            "city": data.get("city") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


class EventForm(forms.Form):
    """An event as its organizer creates or edits it. The status choices depend on
    the event: draft or published for a new one, the allowed transitions for an
    existing one (the service checks them again)."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    event_date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    event_time = forms.TimeField(
        label=gettext_lazy("Time"),
        required=False,
        widget=TimeInput,
        help_text=gettext_lazy("Doors or start time, local to the venue."),
    )
    venue_name = forms.CharField(label=gettext_lazy("Venue"), max_length=200)
    location = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Street address of the venue."),
    )
    city = forms.CharField(label=gettext_lazy("City"), max_length=100)
    # The countries Encore serves (settings.ENCORE_COUNTRIES), by name.
    country = CountryChoiceField(label=gettext_lazy("Country"))
    postal_code = forms.CharField(label=gettext_lazy("Postal code"), max_length=20, required=False)
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        required=False,
        help_text=gettext_lazy(
            "The venue's clock: sales close at the start in this zone. Leave it to "
            "take the country's; a country with several zones (US, AU, ES, PT...) needs one."
        ),
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Event.Category.choices)
    status = forms.ChoiceField(label=gettext_lazy("Status"))
    venue_capacity = forms.IntegerField(
        label=gettext_lazy("Venue capacity"),
        min_value=1,
        max_value=1_000_000,
        required=False,
        help_text=gettext_lazy(
            "How many people the venue holds. In Ireland, a venue of 1,000 or more is "
            "designated by law: fans resell at most at the original price."
        ),
    )
    primary_purchase_limit = forms.IntegerField(
        label=gettext_lazy("Tickets per fan"),
        min_value=1,
        max_value=100,
        initial=6,
        required=False,
        help_text=gettext_lazy(
            "The most tickets one fan can buy from you. No seller lists more of this "
            "event's tickets on Encore."
        ),
    )
    image_url = forms.URLField(
        label=gettext_lazy("Image URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("A picture of the artist or venue, at an https:// address."),
    )
    # The picture itself: the service checks it and makes its sizes (events/images.py).
    image = forms.FileField(
        label=gettext_lazy("Picture"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=gettext_lazy(
            "A JPEG, PNG or WebP photo of the artist, team or venue, ideally landscape "
            "(16:9) and at least 1600 pixels wide. Its location and camera details are removed."
        ),
    )
    image_remove = forms.BooleanField(label=gettext_lazy("Remove the picture"), required=False)

    def __init__(self, *args, event: Event | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if event is None:
            statuses = list(CREATION_STATUSES)
        else:
            statuses = [
                event.status,
                *(s for s in Event.Status.values if s in STATUS_TRANSITIONS[event.status]),
            ]
        labels = dict(Event.Status.choices)
        self.fields["status"].choices = [(value, labels[value]) for value in statuses]
        self.fields["status"].help_text = (
            gettext_lazy("A draft is seen only by you; a published event is on the site.")
            if event is None
            else gettext_lazy("Cancelled and completed are final.")
        )
        if event is None or not event.picture:
            del self.fields["image_remove"]  # nothing to remove
        self.fields["time_zone"].choices = [
            ("", gettext_lazy("The country's zone")),
            *((name, name.replace("_", " ")) for name in time_zone_names()),
        ]

    def clean_country(self):
        return self.cleaned_data["country"].upper()

    def clean(self):
        data = super().clean()
        if data.get("primary_purchase_limit") is None:
            # Left empty: the default (6) for a new event, unchanged for an existing one.
            data.pop("primary_purchase_limit", None)
        return data

    @staticmethod
    def initial_for(event: Event) -> dict:
        return {
            name: getattr(event, name)
            for name in EventForm.base_fields
            if name not in ("image", "image_remove")
        }


class PriceTierForm(forms.Form):
    """One price tier of the event: a row of the organizer's price list. A row
    left empty is no tier; a row whose "Remove" is ticked is taken out."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=gettext_lazy("Tier"), max_length=100, required=False)
    face_value = forms.DecimalField(
        label=gettext_lazy("Face value"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )
    fees = forms.DecimalField(
        label=gettext_lazy("Unavoidable fees"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.00"),
        required=False,
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("id") or data.get("name") or data.get("face_value") is not None)


class BasePriceTierFormSet(forms.BaseFormSet):
    def tiers(self) -> tuple[list[dict], list[forms.Form]]:
        """The tiers as event_tiers_set takes them, and the form each came from (in
        order, so a refusal's details.index finds its row)."""
        tiers, rows = [], []
        for form in self.forms:
            if not form.cleaned_data or form.is_blank() or self._should_delete_form(form):
                continue
            data = form.cleaned_data
            tier = {"name": data["name"], "face_value": data["face_value"], "fees": data["fees"]}
            if data.get("id"):
                tier["id"] = data["id"]
            tiers.append(tier)
            rows.append(form)
        return tiers, rows


PriceTierFormSet = forms.formset_factory(
    PriceTierForm,
    formset=BasePriceTierFormSet,
    extra=2,
    can_delete=True,
    max_num=TIERS_MAX,
    validate_max=True,
)


def tier_formset(data=None, *, event: Event | None = None):
    """The price list of the organizer's form, with the event's tiers to start from."""
    initial = (
        [
            {"id": t.pk, "name": t.name, "face_value": t.face_value, "fees": t.fees}
            for t in event.price_tiers.order_by("face_value", "id")
        ]
        if event is not None
        else []
    )
    return PriceTierFormSet(data, initial=initial, prefix="tiers")
