"""The Content-Security-Policy in Chromium: the API docs and the admin work
under it (any refusal is a console error, which fails the `site` fixture),
and a script slipped into a page is refused."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import user_set_status
from accounts.tests.factories import StaffFactory, UserFactory

from .helpers import shoot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_work_under_the_policy(site):
    page = site.go("/api/docs/")

    # Swagger UI drew the operations from the schema it fetched.
    expect(page.get_by_text("Encore partner API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()


def test_the_admin_works_under_the_policy(site):
    staff = StaffFactory(email="staff@example.com")
    fan = UserFactory(email="fan@example.com")
    user_set_status(actor=staff, user=fan, status=User.Status.SUSPENDED, reason="Chargebacks")

    site.log_in_with_code(staff)
    page = site.go("/admin/")
    expect(page.get_by_role("heading", name="Marketplace moderation")).to_be_visible()

    # The audit log: a list without actions (its inline style moved to a file).
    page = site.go("/admin/marketplace/auditlog/")
    expect(page.get_by_text("User: status changed").first).to_be_visible()
    # The users: filters, search, actions; then a change form with its widgets.
    page = site.go("/admin/accounts/user/?q=fan")
    page.get_by_role("link", name="fan@example.com").click()
    expect(page.locator("#user_form")).to_be_visible()
    shoot(page, "admin-user")


INJECTED = (
    '<script>window.injected = "inline ran";</script>'
    '<img src="/static/img/favicon.svg" alt="" onload="window.handler = \'handler ran\'">'
)


def _home_with_injection(live_server, page, *, keep_policy: bool):
    """The home page with a script slipped in (as a stored XSS would), served
    with its real headers (or, for the control, without the policy)."""

    def inject(route):
        response = route.fetch()
        headers = dict(response.headers)
        if not keep_policy:
            headers.pop("content-security-policy")
        body = response.text().replace("</main>", INJECTED + "</main>")
        headers.pop("content-length", None)
        route.fulfill(status=response.status, headers=headers, body=body)

    page.route(f"{live_server.url}/", inject)
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")
    return messages


def test_a_script_slipped_into_a_page_is_refused(live_server, page):
    messages = _home_with_injection(live_server, page, keep_policy=True)

    assert page.evaluate("window.injected") is None
    assert page.evaluate("window.handler") is None
    refusals = [m for m in messages if "Content Security Policy" in m]
    assert len(refusals) >= 2, messages  # the script and the handler


def test_without_the_policy_the_same_injection_runs(live_server, page):
    # The control: the injection itself works, so the refusal above is the policy's.
    _home_with_injection(live_server, page, keep_policy=False)

    assert page.evaluate("window.injected") == "inline ran"
    expect(page.locator("main img[src$='favicon.svg']")).to_have_count(1)
    page.wait_for_function("window.handler === 'handler ran'")
