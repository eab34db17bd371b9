"""The stand-in for Stripe's hosted Connect onboarding, where an account
link's `url` leads: a plain server-rendered form (name, date of birth, bank
account prefilled with Stripe's test numbers, terms).

As at Stripe, a link works once: shown once, submitted once, within its 300
seconds; otherwise the browser goes to the link's refresh_url. Submitting
redirects (303) to its return_url. Validation errors show the form again,
each message beside its field.
"""

import datetime
import html
import re

from aiohttp import web
from localstripe.resources import store

from .banks import TEST_ACCOUNTS, TEST_IBANS, iban_is_valid
from .connect import Account

MINIMUM_AGE = 13  # Stripe refuses account representatives younger than this


def _link(request):
    """The account link of this URL, or a response sending the browser away."""
    link = store.get(f"account_link:{request.match_info['token']}")
    if link is None or link.account != request.match_info["account"]:
        body = "<h1>Link not valid</h1><p>This onboarding link is not valid.</p>"
        raise web.HTTPNotFound(text=_page("Link not valid", body), content_type="text/html")
    expired = link.expires_at < datetime.datetime.now(datetime.UTC).timestamp()
    expected = "new" if request.method == "GET" else "visited"
    if expired or link._state != expected or f"account:{link.account}" not in store:
        raise web.HTTPSeeOther(link.refresh_url)
    return link


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem;
  line-height: 1.5; color: #1a1a1a; }}
.field {{ margin: 1rem 0; }} label {{ display: block; font-weight: 600; }}
input[type=text], input[type=date] {{ width: 100%; padding: .4rem; font-size: 1rem; }}
.check label {{ display: inline; font-weight: normal; }}
.error {{ color: #b00020; margin: .25rem 0 0; }} .notice {{ background: #fff4d6; padding: .75rem; }}
button {{ font-size: 1rem; padding: .5rem 1rem; margin: .25rem .5rem .25rem 0; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def _field(name, label, value, errors, *, type="text", autocomplete=None, hint=None):
    error = errors.get(name)
    described = []
    parts = [f'<div class="field"><label for="{name}">{html.escape(label)}</label>']
    if hint:
        parts.append(f'<p id="{name}-hint">{html.escape(hint)}</p>')
        described.append(f"{name}-hint")
    if error:
        parts.append(f'<p class="error" id="{name}-error">{html.escape(error)}</p>')
        described.append(f"{name}-error")
    attributes = f' autocomplete="{autocomplete}"' if autocomplete else ""
    if described:
        attributes += f' aria-describedby="{" ".join(described)}"'
    if error:
        attributes += ' aria-invalid="true"'
    parts.append(
        f'<input type="{type}" id="{name}" name="{name}" value="{html.escape(value)}"{attributes}>'
        "</div>"
    )
    return "".join(parts)


def _form(account, return_url: str, values: dict, errors: dict) -> str:
    country = account.country
    if errors:
        summary = "".join(
            f'<li><a href="#{name}">{html.escape(message)}</a></li>'
            for name, message in errors.items()
        )
        summary = f'<div role="alert"><h2>There is a problem</h2><ul>{summary}</ul></div>'
    else:
        summary = ""
    if country not in TEST_IBANS:
        bank = _field("routing_number", "Routing number", values["routing_number"], errors)
        bank += _field("account_number", "Bank account number", values["account_number"], errors)
    else:
        bank = _field(
            "iban", "IBAN", values["iban"], errors,
            hint="Prefilled with Stripe's test IBAN for this country: its payouts succeed.",
        )  # fmt: skip
    tos_error = errors.get("tos")
    tos_attributes = ' aria-describedby="tos-error" aria-invalid="true"' if tos_error else ""
    checked = " checked" if values["tos"] else ""
    body = f"""<h1>Stripe onboarding: local test stand-in</h1>
<p class="notice">This page stands in for Stripe's hosted Connect onboarding in local development
and tests. Nothing entered here leaves this computer.</p>
{summary}
<dl>
<dt>Email</dt><dd>{html.escape(account.email or "(none given)")}</dd>
<dt>Country</dt><dd>{html.escape(country)}</dd>
</dl>
<form method="post" novalidate>
{_field("first_name", "Legal first name", values["first_name"], errors, autocomplete="given-name")}
{_field("last_name", "Legal last name", values["last_name"], errors, autocomplete="family-name")}
{_field("dob", "Date of birth", values["dob"], errors, type="date", autocomplete="bday")}
{bank}
<div class="field check">
{f'<p class="error" id="tos-error">{html.escape(tos_error)}</p>' if tos_error else ""}
<input type="checkbox" id="tos" name="tos" value="accepted"{checked}{tos_attributes}>
<label for="tos">I accept the Stripe Connected Account Agreement (test stand-in)</label>
</div>
<button type="submit" name="action" value="submit">Submit</button>
<button type="submit" name="action" value="submit_without_bank">
Submit without a bank account</button>
</form>
<p><a href="{html.escape(return_url)}">Return to the platform without finishing</a></p>
"""
    return _page("Stripe onboarding: local test stand-in", body)


def _defaults(account) -> dict:
    routing, number = TEST_ACCOUNTS.get(account.country, ("", ""))
    return {
        "first_name": "",
        "last_name": "",
        "dob": "",
        "iban": TEST_IBANS.get(account.country, ""),
        "routing_number": routing,
        "account_number": number,
        "tos": False,
    }


def _validated(account, values: dict, with_bank: bool) -> tuple[dict, dict | None]:
    """(errors by field, the bank account's details or None)."""
    errors = {}
    for name, label in (("first_name", "first name"), ("last_name", "last name")):
        if not values[name].strip():
            errors[name] = f"Enter your legal {label}."
        elif len(values[name]) > 100:
            errors[name] = f"Your {label} must be 100 characters or fewer."
    try:
        born = datetime.date.fromisoformat(values["dob"])
    except ValueError:
        errors["dob"] = "Enter your date of birth, for example 1990-04-21."
    else:
        today = datetime.datetime.now(datetime.UTC).date()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if born.year < 1900 or born > today:
            errors["dob"] = "Enter a real date of birth."
        elif age < MINIMUM_AGE:
            errors["dob"] = f"You must be at least {MINIMUM_AGE} years old."
    bank = None
    holder = f"{values['first_name'].strip()} {values['last_name'].strip()}"
    if with_bank and account.country in TEST_IBANS:
        iban = re.sub(r"\s", "", values["iban"]).upper()
        if not iban_is_valid(iban):
            errors["iban"] = "Enter a valid IBAN, for example the prefilled test IBAN."
        elif iban[:2] != account.country:
            errors["iban"] = f"Enter an IBAN of a bank account in {account.country}."
        bank = {"number": iban, "holder": holder}
    elif with_bank:
        number = values["account_number"].strip()
        routing = values["routing_number"].strip()
        if not re.fullmatch(r"\d{4,17}", number):
            errors["account_number"] = "Enter a bank account number of 4 to 17 digits."
        if not routing:
            errors["routing_number"] = "Enter the routing number of the bank."
        bank = {"number": number, "holder": holder, "routing_number": routing}
    if not values["tos"]:
        errors["tos"] = "Accept the agreement to continue."
    return errors, bank


async def onboarding(request):
    """GET shows the form, POST submits it."""
    link = _link(request)
    account = Account._api_retrieve(link.account)
    values = _defaults(account)
    if request.method == "GET":
        link._state = "visited"
        store.dump_to_disk()
        page = _form(account, link.return_url, values, {})
        return web.Response(text=page, content_type="text/html")
    form = await request.post()
    for name in ("first_name", "last_name", "dob", "iban", "routing_number", "account_number"):
        values[name] = str(form.get(name, values[name]))
    values["tos"] = form.get("tos") == "accepted"
    with_bank = form.get("action", "submit") != "submit_without_bank"
    errors, bank = _validated(account, values, with_bank)
    if errors:
        page = _form(account, link.return_url, values, errors)
        return web.Response(text=page, content_type="text/html")
    link._state = "used"
    account._onboard(
        bank=bank if with_bank else None,
        ip=request.remote,
        user_agent=request.headers.get("User-Agent"),
    )
    raise web.HTTPSeeOther(link.return_url)


routes = [
    ("GET", "/setup/e/{account}/{token}", onboarding),
    ("POST", "/setup/e/{account}/{token}", onboarding),
]
