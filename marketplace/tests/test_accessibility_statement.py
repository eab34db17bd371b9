"""The accessibility statement: reachable from every page's footer, and saying
what it must (the standard, how we test, the known gaps, a contact)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_statement_names_the_standard_the_tests_the_gaps_and_a_contact(client, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "a11y@encore.example"

    response = client.get("/accessibility/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="page-title">Accessibility statement</h1>' in page
    assert "WCAG) 2.2</a> at level <strong>AA</strong>" in page
    assert "axe-core" in page and "Keyboard checks" in page
    assert "Known gaps" in page
    assert 'href="mailto:a11y@encore.example"' in page
    assert "I need more time" in page


def test_every_page_links_to_it_from_the_footer(client):
    page = client.get(reverse("events:home")).content.decode()
    footer = page.split('<footer class="site-footer">')[1]
    assert f'<a href="{reverse("accessibility")}">Accessibility</a>' in footer
