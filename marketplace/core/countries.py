"""Countries: stored and exchanged as ISO 3166-1 alpha-2 codes ("IE"), shown to
people by name in the active language ("Ireland", "Ierland", "Irland"...).

The names come from django-countries, limited to the countries Encore serves
(settings.ENCORE_COUNTRIES, which sets django-countries' COUNTRIES_ONLY).

`CountryField` is django-countries' field whose value is also a `str`: the
ISO code itself, as before. So every rule that reads `event.country` as a code
(time zones, resale laws, the listings' copy of the event, JSON and the API)
keeps working unchanged, and a template writes `{{ event.country.name }}`.
"""

from django import forms
from django.conf import settings
from django_countries import countries
from django_countries.fields import Country, CountryDescriptor
from django_countries.fields import CountryField as BaseCountryField


class CountryCode(Country, str):
    """An ISO alpha-2 code ("IE") that also knows its name (`.name`, in the
    active language). Compares, hashes, pickles and serializes as the code."""

    def __new__(cls, code, *args, **kwargs):
        return str.__new__(cls, code or "")

    def __init__(self, code, *args, **kwargs):
        super().__init__(str(code or ""), *args, **kwargs)

    # The code's own str methods: Country's versions call str() on themselves,
    # which would recurse on a str.
    __str__ = str.__str__
    __eq__ = str.__eq__
    __ne__ = str.__ne__
    __hash__ = str.__hash__
    __len__ = str.__len__

    def __bool__(self):
        return str.__len__(self) > 0

    def __reduce__(self):
        return (CountryCode, (str.__str__(self),))


class CountryCodeDescriptor(CountryDescriptor):
    def country(self, code):
        return CountryCode(
            code,
            flag_url=self.field.countries_flag_url,
            str_attr=self.field.countries_str_attr,
            custom_countries=self.field.countries,
        )


class CountryField(BaseCountryField):
    """django-countries' CountryField (a CharField of ISO codes underneath) whose
    value is a CountryCode: a str, with the country's name."""

    descriptor_class = CountryCodeDescriptor

    def get_lookup(self, lookup_name):
        # Lookups compare the codes, as on any CharField: django-countries turns
        # `regex`, `contains`... into searches of the names, which would change
        # the meaning of the check constraint country__regex="^[A-Z]{2}$". The
        # name lookups stay under their own names (country__country_name="Ireland").
        return super(BaseCountryField, self).get_lookup(lookup_name)


def country_name(code: str) -> str:
    """The name of `code` in the active language; the code itself for one Encore
    does not serve (so nothing shows blank)."""
    code = str(code or "").strip().upper()
    return countries.name(code) or code


def country_choices() -> list[tuple[str, str]]:
    """The countries Encore serves as (code, name) pairs, by name in the active
    language (a select's options)."""
    served = set(settings.ENCORE_COUNTRIES)
    return [(code, name) for code, name in countries if code in served]


class CountryChoiceField(forms.ChoiceField):
    """A select of the countries Encore serves, by name in the active language;
    it accepts the code in any case ("ie") and cleans it to upper case."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", country_choices)
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).strip().upper()
