"""Moderating messages between buyer and seller (ARCHITECTURE.md, "Beyond the
specification").

The usual resale scam moves the conversation off the platform ("text me",
"pay me on PayPal Friends and Family") where Encore's escrow cannot protect
the buyer. `mask_contact_details` hides email addresses, phone numbers, bank
account numbers (IBANs) and payment or contact links, and leaves the
ordinary talk of a ticket sale alone: rows and seats, times, dates, prices.

The disguises people use are seen through: the text is matched in Unicode's
compatibility form (NFKC: fullwidth "ｊｏ＠ｇｍａｉｌ．ｃｏｍ" and the small "﹫" read as
plain ones) without invisible format characters (zero-width spaces and
joiners, soft hyphens); phone numbers spelled out in English words ("zero
eight seven one two three...") are numbers; social handles ("@jodoe",
"insta: jodoe", "snap me: jodoe") and profile links (instagram.com/...) are
contact details. Only what is masked changes: the rest of the message keeps
its characters as written (emoji sequences joined by zero-width joiners too).

It is a pure function of the text, so it is cheap to test and to change.
"""

import re
import unicodedata

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
# Chat apps' links open a private conversation (wa.me/353871234567, t.me/jo);
# social networks' profile links lead to one.
_CHAT_HOSTS = _hosts(
    "wa.me",
    "t.me",
    "telegram.me",
    "m.me",
    "signal.me",
    "signal.group",
    "whatsapp.com",
    "instagram.com",
    "instagr.am",
    "tiktok.com",
    "facebook.com",
    "fb.com",
    "fb.me",
    "messenger.com",
    "discord.gg",
    "discord.com",
    "discordapp.com",
    "twitter.com",
    "x.com",
    "snapchat.com",
    "threads.net",
    "bsky.app",
    "kik.me",
    "linktr.ee",
)
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


# A phone number spelled out, words and digits mixed: "zero eight seven, one
# two three", "double oh eight 7...", "plus three five three...".
_DIGIT_WORDS = {
    "zero": 1,
    "oh": 1,
    "o": 1,
    "nought": 1,
    "nil": 1,
    "one": 1,
    "two": 1,
    "three": 1,
    "four": 1,
    "five": 1,
    "six": 1,
    "seven": 1,
    "eight": 1,
    "nine": 1,
}
_REPEATS = {"double": 2, "triple": 3}
_NUMBER_TOKEN = rf"(?:(?:double|triple)[\s-]+)?(?:(?:{'|'.join(_DIGIT_WORDS)})\b|\d+)"
_NUMBER_SEPARATOR = r"[\s,.\-–/()]+"
_SPELLED_PHONE = re.compile(
    rf"(?<![\w+])(?:plus{_NUMBER_SEPARATOR})?{_NUMBER_TOKEN}(?:{_NUMBER_SEPARATOR}{_NUMBER_TOKEN})+",
    _FLAGS,
)

# A social network or chat app named next to a handle: "insta: jodoe",
# "my ig is jo.doe", "snap me: jodoe", "add me on snapchat jo_doe99". After a
# separator (":", "is", "me"...) any handle; after a bare space, only one
# that does not read as a word (it has a digit, "_" or "."), so "the insta
# story" and "a snap to find" stay.
_SOCIAL_APPS = (
    r"insta(?:gram)?|ig|snap(?:chat)?|tik\s?tok|twitter|telegram|whats\s?app|signal|discord"
    r"|facebook|fb|messenger|threads|bluesky|bsky|kik|wechat"
)
_HANDLE = r"@?[a-z0-9_][a-z0-9_.]{2,29}(?<!\.)(?![\w@])"
_WORDLIKE_HANDLE = (
    r"@?(?=[a-z0-9_.]*[0-9_.][a-z0-9_.]*(?![\w.]))[a-z0-9_][a-z0-9_.]{2,29}(?<!\.)(?![\w@])"
)
_SOCIAL_SEPARATOR = r"(?:\s*(?:[:=@]|[-–](?!\w)|\b(?:is|me|handle|username|user|name|id)\b)\s*)+"
_SOCIAL_HANDLE = re.compile(
    rf"\b(?:{_SOCIAL_APPS})\b(?:{_SOCIAL_SEPARATOR}{_HANDLE}|\s+{_WORDLIKE_HANDLE})",
    _FLAGS,
)
# "@jodoe99": a handle on its own ("see you @ the gate" is not one).
_AT_HANDLE = re.compile(r"(?<![\w.@/\\])@[a-z_][a-z0-9_.]{2,29}(?<!\.)(?![\w@])", _FLAGS)

# Characters matched as another: ideographic full stops read as dots.
_LOOKALIKES = str.maketrans({"。": ".", "｡": "."})


def _normalized(text: str) -> tuple[str, list[int]]:
    """`text` in NFKC without format characters (Unicode category Cf: zero-width
    spaces and joiners, soft hyphens, bidi marks), with, for each of its
    characters, the index of the character of `text` it comes from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":
            continue
        for normal in unicodedata.normalize("NFKC", char).translate(_LOOKALIKES):
            chars.append(normal)
            origin.append(index)
    return "".join(chars), origin


def _iban_spans(text: str):
    for match in _IBAN.finditer(text):
        # IBANs end in the account number: words caught after it are not part
        # of it ("IE29 AIBK 9311 5212 3456 thanks").
        tokens = match.group(0).split(" ")
        while len(tokens) > 1 and not any(c.isdigit() for c in tokens[-1]):
            tokens.pop()
        iban = " ".join(tokens)
        if sum(c.isdigit() for c in iban) >= _IBAN_MIN_DIGITS:
            yield match.start(), match.start() + len(iban), BANK_HIDDEN


def _is_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if len(digits) < _PHONE_MIN_DIGITS:
        return False
    if text.startswith("+") or digits.startswith("00"):
        return True
    if _NOT_A_PHONE.fullmatch(text.strip("()")):
        return False
    # Seat lists ("seats 14 15 16 17") are short groups; a phone number written
    # in pairs (06 12 34 56 78) has at least nine digits.
    return not (all(len(group) <= 2 for group in re.findall(r"\d+", text)) and len(digits) < 9)


def _phone_spans(text: str):
    for match in _PHONE.finditer(text):
        if _is_phone(match.group(0)):
            yield match.start(), match.end(), CONTACT_HIDDEN


def _spelled_phone_spans(text: str):
    for match in _SPELLED_PHONE.finditer(text):
        words = re.findall(r"[a-z]+|\d+", match.group(0).lower())
        digits, repeat, spelled = 0, 1, False
        for word in words:
            if word in _REPEATS:
                repeat = _REPEATS[word]
                continue
            if word in _DIGIT_WORDS:
                spelled = True
            digits += (len(word) if word.isdigit() else 1 if word in _DIGIT_WORDS else 0) * repeat
            repeat = 1
        # Digits alone are the phone rule's (with its dates and prices).
        if spelled and digits >= _PHONE_MIN_DIGITS:
            yield match.start(), match.end(), CONTACT_HIDDEN


def _pattern_spans(pattern: re.Pattern, marker: str):
    def spans(text: str):
        for match in pattern.finditer(text):
            yield match.start(), match.end(), marker

    return spans


# In this order: IBANs and links contain digit runs the phone rules would
# take; addresses contain dots the link rules would take; handles come last.
_FINDERS = (
    _iban_spans,
    _pattern_spans(_PAYMENT_LINK, PAYMENT_HIDDEN),
    _pattern_spans(_CONTACT_LINK, CONTACT_HIDDEN),
    _pattern_spans(_EMAIL, CONTACT_HIDDEN),
    _pattern_spans(_PAYMENT_HANDLE, PAYMENT_HIDDEN),
    _phone_spans,
    _spelled_phone_spans,
    _pattern_spans(_SOCIAL_HANDLE, CONTACT_HIDDEN),
    _pattern_spans(_AT_HANDLE, CONTACT_HIDDEN),
)
# What a masked stretch reads as to the rules after it: no letter, digit,
# space or punctuation any rule looks for.
_MASKED = "\x00"


def mask_contact_details(text: str) -> str:
    """`text` with email addresses, phone numbers (in digits or words), IBANs,
    payment, chat and social links and social handles replaced by a marker
    the reader understands."""
    if not text:
        return text
    normal, origin = _normalized(text)
    spans: list[tuple[int, int, str]] = []
    for finder in _FINDERS:
        found = list(finder(normal))
        for start, end, _marker in found:
            normal = normal[:start] + _MASKED * (end - start) + normal[end:]
        spans.extend(found)
    if not spans:
        return text
    # Back to the characters as written: each stretch from its first to its
    # last character (the invisible ones between them go with it).
    pieces, cursor = [], 0
    for start, end, marker in sorted(spans):
        first, last = origin[start], origin[end - 1] + 1
        if first < cursor:  # inside a stretch masked already
            continue
        pieces.append(text[cursor:first])
        pieces.append(marker)
        cursor = last
    pieces.append(text[cursor:])
    return "".join(pieces)
