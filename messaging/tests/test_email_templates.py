"""Every email template renders in each of the site's languages: a subject,
an HTML part and a plain-text part without tags, and links that are absolute
(marketplace/core/emails.py). The translations themselves come from the
catalogues under locale/; what is tested here is that rendering under each
language works and that money, dates and links follow it."""

import datetime
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from allauth.account import app_settings as allauth_settings
from django.conf import settings

from marketplace.core.emails import email_render
from messaging.emails import notification_context
from messaging.models import Notification

LANGUAGES = [code for code, _name in settings.LANGUAGES]
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
SITE = "https://encore.example"
WHEN = datetime.datetime(2027, 3, 4, 19, 30, tzinfo=datetime.UTC)


def _templates() -> list[str]:
    found = [
        path.relative_to(TEMPLATES_DIR).as_posix()
        for folder in ("emails", "account/email", "mfa/email")
        for path in sorted((TEMPLATES_DIR / folder).rglob("*.html"))
        if not path.name.startswith("_") and path.name != "base.html"
    ]
    assert len(found) > 40
    return found


TEMPLATES = _templates()


def _context(template: str) -> dict:
    user = SimpleNamespace(name="Bea Buyer", email="bea@example.com", language="")
    event = SimpleNamespace(name="Fontaines D.C. & Friends", venue_name="3Arena", event_date=WHEN)
    report = SimpleNamespace(
        status="upheld",
        get_reason_display="Counterfeit",
        statement_of_reasons="Same barcode as ticket #12.",
        decided_at=WHEN,
        appeal_outcome="reversed",
        get_appeal_outcome_display="Reversed",
        appeal_reasons="The organizer confirmed the ticket.",
    )
    declaration = SimpleNamespace(
        business_name="Tickets Ltd", review_reason="Missing register number.", reviewed_at=WHEN
    )
    payload = {
        "transaction_id": 12,
        "event_id": None,
        "event_name": event.name,
        "price": "55.00",
        "payout": "50.60",
        "amount": "50.60",
        "currency": "EUR",
        "role": "buyer",
        "offer_id": 5,
        "listing_id": 8,
        "sender_name": "Sam Seller",
        "reason": "not_received",
        "outcome": "refund",
        "situation": "paid_out",
        "note": "Reported as fake.",
        "failure_message": "The account cannot receive transfers.",
        "starts_at": "2027-03-14T20:00:00+00:00",
        "refund_until": "2027-02-20T10:00:00+00:00",
        "expires_at": "2027-03-01T10:30:00+00:00",
    }
    return {
        **notification_context(user=user, payload=payload),
        "event": event,
        "listing": SimpleNamespace(pk=8),
        "report": report,
        "declaration": declaration,
        "address": "friend@example.com",
        "code": "claim-code-123",
        "expires_at": WHEN,
        "token": "t" * 48,
        "valid_days": 3,
        "activate_url": f"{SITE}/accounts/confirm-email/key/",
        "password_reset_url": f"{SITE}/accounts/password/reset/key/1-x/",
        "signup_url": f"{SITE}/accounts/signup/",
        "email": "bea@example.com",
        "from_email": "old@example.com",
        "to_email": "new@example.com",
        "deleted_email": "gone@example.com",
        "ip": "192.0.2.1",
        "user_agent": "Firefox",
        "timestamp": WHEN,
    }


def test_every_notification_type_has_its_email_template():
    for type_ in Notification.Type.values:
        assert f"emails/notifications/{type_}.html" in TEMPLATES


def test_every_email_allauth_sends_has_an_encore_template():
    # allauth's own emails (its templates/account/email/*_subject.txt and mfa's).
    import allauth

    shipped = Path(allauth.__file__).parent / "templates"
    for subject in [
        *shipped.glob("account/email/*_subject.txt"),
        *shipped.glob("mfa/email/*_subject.txt"),
    ]:
        prefix = subject.relative_to(shipped).as_posix().removesuffix("_subject.txt")
        assert f"{prefix}_message.html" in TEMPLATES, prefix
    assert allauth_settings.EMAIL_NOTIFICATIONS


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_email_renders_in_every_language(settings, template, language):
    settings.SITE_URL = SITE

    email = email_render(template, _context(template), language=language)

    assert email.subject and "\n" not in email.subject and "<" not in email.subject
    assert email.html.startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in email.html
    assert email.text.strip()
    # (the API example's placeholder, "<the code>" in each language, is text)
    shown = re.sub(r'"<[^"<>]*>"', "", email.text)
    assert not re.search(r"</?[a-zA-Z][^>]*>", shown), email.text
    assert "{{" not in email.text and "{%" not in email.text and "None" not in email.text
    # every link is absolute, on the site (or a mail address), in the language's prefix
    links = re.findall(r'href="([^"]*)"', email.html)
    assert links
    for link in links:
        assert link.startswith((f"{SITE}/", "mailto:")), link
        if (
            language != settings.LANGUAGE_CODE
            and link.startswith(SITE)
            and "/accounts/" not in link
        ):
            assert link.startswith(f"{SITE}/{language}/"), link
    # and it is written in that language: subject and text are not the English ones
    if language != settings.LANGUAGE_CODE:
        english = email_render(template, _context(template), language=settings.LANGUAGE_CODE)
        assert email.subject != english.subject
        assert email.text != english.text


def test_money_and_dates_follow_the_recipients_language(settings):
    context = _context("emails/notifications/event_moved.html")

    english = email_render("emails/notifications/event_moved.html", context, language="en")
    german = email_render("emails/notifications/event_moved.html", context, language="de")

    assert "€55.00" in english.text and "55,00\xa0€" in german.text
    assert "14 March 2027" in english.text and "März 2027" in german.text
    assert f"{settings.SITE_URL}/de/my/transactions/12/" in german.text
