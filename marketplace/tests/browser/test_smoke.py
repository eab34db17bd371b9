import pytest

from events.tests.factories import EventFactory

from .conftest import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_home_page_renders_in_chromium_without_console_errors(site):
    EventFactory(name="Fontaines D.C.")

    page = site.go("/")

    assert page.get_by_role("heading", name="Fontaines D.C.").is_visible()
    shoot(page, "home")
