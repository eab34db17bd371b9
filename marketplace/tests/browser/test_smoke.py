import pytest

from events.tests.factories import EventFactory

from .helpers import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_home_page_renders_in_chromium_without_console_errors(site):
    EventFactory(name="Fontaines D.C.")

    page = site.go("/")

    assert page.get_by_role("heading", name="Fontaines D.C.").is_visible()
    shoot(page, "home")


def test_the_accessibility_check_catches_what_it_looks_for(page):
    from .helpers import ACCESSIBILITY_PROBLEMS

    page.set_content('<html><body><input id="q"><img src="x.png"><button></button></body></html>')

    problems = page.evaluate(ACCESSIBILITY_PROBLEMS)

    assert [p.split(":")[0] for p in problems] == [
        "no label",
        "no alt",
        "no name",
        "not exactly one h1",
        "no lang on <html>",
    ]
