"""Five languages in Chromium: a fan switches the language in the footer, then
reads the home, event, listing, checkout and purchase pages in it, prices in
its own form ("€55.00", "€ 55,00", "55,00 €"), and buys a ticket.

The words expected are the catalogue's own (gettext under that language), and
those that are not the same word in every language must differ from the
English: a page left in English fails."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from marketplace.core.money import money_display
from payments.models import Transaction
from tickets.tests.factories import PDF_BYTES, TicketFactory

from .helpers import shoot

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ["en", "nl", "de", "fr", "es"]
# Babel writes a no-break or narrow no-break space where a reader sees a space.
SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


def _said(language: str, text: str, *, differs: bool = True) -> str:
    with translation.override(language):
        said = gettext(text)
    if language != "en" and differs:
        assert said != text, f"{text!r} has no {language} translation"
    return said


def _path(language: str, name: str, *args) -> str:
    with translation.override(language):
        return reverse(name, args=args)


def _reads(page, text: str):
    """The page's visible text holds `text` (spaces compared as spaces)."""
    shown = page.locator("main").inner_text().translate(SPACES)
    assert text.translate(SPACES) in shown, f"{text!r} not on {page.url}"


def _type_card(page, number):
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("D01")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_fan_switches_language_and_buys_reading_every_page_and_price_in_it(site, language):
    seller = UserFactory(email="seller@example.com", name="Sam Seller")
    event = EventFactory(name="Fontaines D.C. at 3Arena", category="concert", country="IE")
    ticket = TicketFactory(
        event=event,
        owner=seller,
        status="listed",
        face_value=Decimal("50.00"),
        file_content=PDF_BYTES,
    )
    listing = ListingFactory(ticket=ticket, seller=seller, price=Decimal("55.00"))
    buyer = UserFactory(email="bea@example.com", name="Bea Buyer")
    price = money_display(listing.price, "EUR", language)

    # English to start with; the footer's switcher changes it.
    site.log_in(buyer.email)
    page = site.go("/")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state()
    prefix = "" if language == "en" else f"/{language}"
    assert page.url == f"{site.base_url}{prefix}/"
    expect(page.locator("html")).to_have_attribute("lang", language)

    # Home: the navigation and the card's price in the language.
    expect(page.get_by_role("link", name=_said(language, "Sell a ticket"))).to_be_visible()
    events = _said(language, "Events", differs=False)
    expect(page.get_by_role("link", name=events, exact=True)).to_be_visible()
    _reads(page, price)

    # The event page: its country by name, the tickets' prices.
    page = site.go(_path(language, "events:detail", event.pk))
    _reads(page, price)
    with translation.override(language):
        _reads(page, event.country.name)
    shoot(page, f"event-{language}")

    # The listing page: the price, the fee breakdown, the Buy button.
    page = site.go(_path(language, "listings:detail", listing.pk))
    _reads(page, price)
    buy = page.get_by_role("button", name=_said(language, "Buy this ticket"))
    expect(buy).to_be_visible()
    buy.click()

    # The checkout: the countdown, the total and the Pay button.
    expect(page.get_by_role("timer")).to_be_visible()
    assert f"{prefix}/" in page.url
    _reads(page, price)
    _reads(page, _said(language, "Total", differs=False))
    _type_card(page, "4242424242424242")
    page.get_by_role("button", name=_said(language, "Pay"), exact=True).click()

    # The purchase: paid, in the language, with the price.
    heading = _said(language, "Payment received")
    expect(page.get_by_role("heading", name=re.compile(re.escape(heading)))).to_be_visible()
    _reads(page, price)
    assert Transaction.objects.get().status == "paid"

    # The account remembers the choice: its emails come in it too.
    buyer.refresh_from_db()
    assert buyer.language == language
