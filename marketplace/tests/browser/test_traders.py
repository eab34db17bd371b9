"""Selling as a trader in Chromium: the Selling as page with a missing detail
shown on its field, then complete, and the listing page saying "Professional
seller: NAME"."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from listings.tests.factories import ListingFactory

from .helpers import axe_check, shoot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_seller_declares_as_a_trader_and_buyers_see_the_business_name(site):
    seller = UserFactory(email="trader@example.com")
    listing = ListingFactory(ticket__owner=seller)
    site.log_in("trader@example.com")

    page = site.go("/profile/selling-as/")
    page.get_by_label(re.compile("As a trader")).check()
    page.get_by_label("Business name").fill("Dublin Ticket Co. Ltd")
    page.get_by_role("button", name="Save how I sell").click()
    expect(page.locator("#id_address_error")).to_contain_text("postal address")
    shoot(page, "selling-as-incomplete")
    axe_check(page, "selling as")

    page.get_by_label("Business address").fill("1 Main Street, Dublin 1, Ireland")
    page.get_by_label("Business phone").fill("+353 1 555 0100")
    page.get_by_label("Business email").fill("sales@dublintickets.example")
    page.get_by_label("Trade register", exact=False).first.fill("Companies Registration Office")
    page.get_by_label("Registration number").fill("654321")
    page.get_by_label(re.compile("lawfully sell")).check()
    page.get_by_role("button", name="Save how I sell").click()
    expect(page.get_by_text("Professional seller: Dublin Ticket Co. Ltd").first).to_be_visible()
    shoot(page, "selling-as-trader")

    page = site.go(f"/listings/{listing.pk}/")
    expect(page.get_by_text("Professional seller: Dublin Ticket Co. Ltd")).to_be_visible()
    shoot(page, "listing-professional-seller")
