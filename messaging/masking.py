"""Moderating messages between buyer and seller (ARCHITECTURE.md, "Beyond the
specification").

The usual resale scam moves the conversation off the platform ("text me",
"pay me on PayPal Friends and Family") where Encore's escrow cannot protect
the buyer. `mask_contact_details` hides email addresses, phone numbers, bank
account numbers (IBANs) and payment or contact links, and leaves the
ordinary talk of a ticket sale alone: rows and seats, times, dates, prices.

It is a pure function of the text, so it is cheap to test and to change.
"""

import re

CONTACT_HIDDEN = "[contact details hidden]"
PAYMENT_HIDDEN = "[payment link hidden]"
BANK_HIDDEN = "[bank details hidden]"

_FLAGS = re.IGNORECASE

# "." or its usual disguises: "(dot)", "[dot]", " dot ".
_SPELLED_DOT = r"(?:\s*[\[({]\s*dot\s*[\])}]\s*|\s+dot\s+)"
_DOT = rf"(?:\.|{_SPELLED_DOT})"
_OPTIONAL_PATH = r"(?:[/?#][^\s<>\"']*[^\s<>\"'.,!?;:)\]])?"


def _hosts(*hosts: str) -> str:
    return "|".join(_DOT.join(re.escape(label) for label in host.split(".")) for host in hosts)


# Payment apps, tip jars, and URL shorteners (which can hide any of them).
_PAYMENT_HOSTS = _hosts(
    "paypal.me",
    "paypal.com",
    "revolut.me",
    "venmo.com",
    "cash.app",
    "monzo.me",
    "bunq.me",
    "buymeacoffee.com",
    "ko-fi.com",
    "bit.ly",
    "tinyurl.com",
    "t.ly",
    "tiny.cc",
    "is.gd",
    "ow.ly",
    "buff.ly",
    "cutt.ly",
    "rebrand.ly",
    "shorturl.at",
    "rb.gy",
    "goo.gl",
)
_PAYMENT_LINK = re.compile(
    # A scheme or subdomains (www., m., account.) may come first; not the
    # tail of a longer host name ("notpaypal.com").
    rf"(?<![\w.@-])(?:https?://)?(?:[\w-]+\.)*(?:{_PAYMENT_HOSTS}){_OPTIONAL_PATH}"
    # Wise only on its payment-request paths: wise.com itself is harmless.
    rf"|(?<![\w.@-])(?:https?://)?(?:[\w-]+\.)*wise{_DOT}com/pay{_OPTIONAL_PATH}",
    _FLAGS,
)
# A payment app named next to a handle: "Venmo: @jo-doe", "revolut @jodoe".
_PAYMENT_HANDLE = re.compile(
    r"\b(?:venmo|cash\s?app|revolut|paypal|monzo|zelle|bunq)\b[^\n@$]{0,20}[@$][a-z][\w.-]+",
    _FLAGS,
)
# Chat apps' links open a private conversation: wa.me/353871234567, t.me/jo.
_CHAT_HOSTS = _hosts("wa.me", "t.me", "telegram.me", "m.me", "signal.me")
_CONTACT_LINK = re.compile(
    rf"(?<![\w.@-])(?:https?://)?(?:[\w-]+\.)*(?:{_CHAT_HOSTS}){_OPTIONAL_PATH}",
    _FLAGS,
)

_AT = r"(?:\s*[@＠]\s*|\s*[\[({]\s*at\s*[\])}]\s*)"
_MAIL_PROVIDERS = r"(?:gmail|googlemail|yahoo|hotmail|icloud|protonmail|proton|gmx|aol|eircom)"
# The local part starts a word: matching from inside one would make a long
# word cost quadratic time.
_LOCAL = r"(?<![\w.+-])[\w.+-]+"
_EMAIL = re.compile(
    # jo@example.com, jo (at) example (dot) com, jo [at] example.ie
    rf"{_LOCAL}{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,}}\b"
    # "jo at example dot com": the plain word "at" only with a spelled-out dot,
    # or before a mail provider ("jo at gmail"), or "at the venue.Then" would go.
    rf"|{_LOCAL}\s+at\s+[\w-]+(?:{_DOT}[\w-]+)*{_SPELLED_DOT}[a-z]{{2,}}\b"
    rf"|{_LOCAL}\s+at\s+{_MAIL_PROVIDERS}\b(?:{_DOT}[a-z]{{2,}}\b)*",
    _FLAGS,
)

# Two letters, two check digits, then the account in groups of four (or not).
_IBAN = re.compile(
    r"(?<![\w])[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{4}){2,7}(?:[ ]?[a-z0-9]{1,3})?(?![\w])", _FLAGS
)
_IBAN_MIN_DIGITS = 10

# A run of digits joined by the separators people type in phone numbers.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+[ \t]?)?\(?\d(?:[ \t\u00a0.\-–/()]{0,3}\d)+\)?(?![\w])",
)
_PHONE_MIN_DIGITS = 7
# Digit runs that look like a phone number by length but are ticket talk.
_NOT_A_PHONE = re.compile(
    r"""
    \d{1,5}[.,:]\d{2}(?:\s*[-–]\s*\d{1,5}[.,:]\d{2})*       # 55.00, 19.30 - 23.00
    | \d{1,2}[ ./-]\d{1,2}[ ./-](?:\d{2}|(?:19|20)\d{2})    # 12.05.2025, 12/05/25
    | (?:19|20)\d{2}[ ./-]\d{1,2}[ ./-]\d{1,2}              # 2025-05-12
    | (?:19|20)\d{2}\s*[-–/]\s*(?:19|20)?\d{2}              # 2024-2025, 2024/25
    """,
    re.VERBOSE,
)


def _mask_iban(match: re.Match) -> str:
    text = match.group(0)
    # IBANs end in the account number: words caught after it are not part of it
    # ("IE29 AIBK 9311 5212 3456 thanks").
    tokens = text.split(" ")
    while len(tokens) > 1 and not any(c.isdigit() for c in tokens[-1]):
        tokens.pop()
    iban = " ".join(tokens)
    if sum(c.isdigit() for c in iban) < _IBAN_MIN_DIGITS:
        return text
    return BANK_HIDDEN + text[len(iban) :]


def _mask_phone(match: re.Match) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if len(digits) < _PHONE_MIN_DIGITS:
        return text
    if text.startswith("+") or digits.startswith("00"):
        return CONTACT_HIDDEN
    if _NOT_A_PHONE.fullmatch(text.strip("()")):
        return text
    # Seat lists ("seats 14 15 16 17") are short groups; a phone number written
    # in pairs (06 12 34 56 78) has at least nine digits.
    if all(len(group) <= 2 for group in re.findall(r"\d+", text)) and len(digits) < 9:
        return text
    return CONTACT_HIDDEN


def mask_contact_details(text: str) -> str:
    """`text` with email addresses, phone numbers, IBANs and payment or chat
    links replaced by a marker the reader understands."""
    # Order matters: IBANs and links contain digit runs the phone rule would
    # take; addresses contain dots the link rules would take.
    text = _IBAN.sub(_mask_iban, text)
    text = _PAYMENT_LINK.sub(PAYMENT_HIDDEN, text)
    text = _CONTACT_LINK.sub(CONTACT_HIDDEN, text)
    text = _EMAIL.sub(CONTACT_HIDDEN, text)
    text = _PAYMENT_HANDLE.sub(PAYMENT_HIDDEN, text)
    text = _PHONE.sub(_mask_phone, text)
    return text
