"""Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium),
headless, against live_server. Nothing is downloaded: a missing Chromium
fails these tests (CI installs it), it never skips them.

Every page a test visits is watched: a console error or an uncaught page
error fails the test. `shoot(page, name)` saves desktop and phone screenshots
under var/screenshots/ (git-ignored) to look at.
"""

import re

import pytest

from .helpers import DESKTOP

# Playwright's sync API keeps an event loop in the test's thread; the ORM calls
# a test makes there are allowed by the root conftest's `playwright` fixture.


class ConsoleWatch:
    """Console errors and uncaught exceptions of every page of a context."""

    def __init__(self):
        self.errors = []

    def attach(self, page):
        page.on(
            "console",
            lambda message: (
                message.type == "error" and self.errors.append(f"{page.url}: {message.text}")
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page


@pytest.fixture
def console():
    return ConsoleWatch()


@pytest.fixture
def site(live_server, page, console):
    """A page watched for console errors, with the live server's address."""
    console.attach(page)
    page.set_default_timeout(10_000)
    yield Site(live_server.url, page)
    assert console.errors == [], "\n".join(console.errors)


@pytest.fixture
def second_site(live_server, browser, console):
    """Another person's browser (its own cookies), watched the same way."""
    context = browser.new_context(viewport=DESKTOP, locale="en-IE")
    page = console.attach(context.new_page())
    page.set_default_timeout(10_000)
    yield Site(live_server.url, page)
    context.close()


class Site:
    def __init__(self, base_url, page):
        self.base_url = base_url
        self.page = page

    def go(self, path):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        return self.page

    def log_in(self, email, password="correct-horse-battery"):
        page = self.go("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
        page.wait_for_load_state()
        return page

    def log_in_with_code(self, user, password="correct-horse-battery"):
        """The login of an account with two-step login (staff: the factories'
        authenticator app): the password, then the app's current code."""
        from accounts.tests.factories import totp_code

        page = self.log_in(user.email, password)
        page.get_by_label("Code").fill(totp_code(user.totp_secret))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        return page
