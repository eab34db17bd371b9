import pytest

from messaging.masking import BANK_HIDDEN, CONTACT_HIDDEN, PAYMENT_HIDDEN, mask_contact_details


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # email addresses, plain and disguised
        ("Email me at jo.doe+tix@gmail.com please", f"Email me at {CONTACT_HIDDEN} please"),
        ("JO@EXAMPLE.COM", CONTACT_HIDDEN),
        ("jo @ example.co.uk", CONTACT_HIDDEN),
        ("jo (at) example (dot) com", CONTACT_HIDDEN),
        ("jo [at] example.ie", CONTACT_HIDDEN),
        ("jo at example dot com", CONTACT_HIDDEN),
        ("drop me a line: jo at gmail", f"drop me a line: {CONTACT_HIDDEN}"),
        ("jo@paypal.com", CONTACT_HIDDEN),
        # phone numbers, international and local
        ("Call 087 123 4567 after six", f"Call {CONTACT_HIDDEN} after six"),
        ("+353 87 123 4567", CONTACT_HIDDEN),
        ("+353 (0)87 123 4567", CONTACT_HIDDEN),
        ("+44 7700 900123", CONTACT_HIDDEN),
        ("0044 7700 900123", CONTACT_HIDDEN),
        ("(01) 234 5678", CONTACT_HIDDEN),
        ("087-123-4567", CONTACT_HIDDEN),
        ("087.123.4567", CONTACT_HIDDEN),
        ("0871234567", CONTACT_HIDDEN),
        ("555-1234", CONTACT_HIDDEN),
        ("06 12 34 56 78", CONTACT_HIDDEN),
        ("06.12.34.56.78", CONTACT_HIDDEN),
        ("0171/1234567", CONTACT_HIDDEN),
        ("text me: 0 8 7 1 2 3 4 5 6 7", f"text me: {CONTACT_HIDDEN}"),
        ("whatsapp me on 087 1234567.", f"whatsapp me on {CONTACT_HIDDEN}."),
        # bank accounts
        ("IBAN: IE29 AIBK 9311 5212 3456 78 thanks", f"IBAN: {BANK_HIDDEN} thanks"),
        ("GB82WEST12345698765432", BANK_HIDDEN),
        ("de89 3704 0044 0532 0130 00", BANK_HIDDEN),
        ("NL91 ABNA 0417 1643 00", BANK_HIDDEN),
        # payment links and handles
        ("pay me at paypal.me/jodoe", f"pay me at {PAYMENT_HIDDEN}"),
        ("https://www.paypal.com/paypalme/jodoe.", f"{PAYMENT_HIDDEN}."),
        ("PayPal.Me/JoDoe", PAYMENT_HIDDEN),
        ("paypal dot me/jodoe", PAYMENT_HIDDEN),
        ("revolut.me/jodoe", PAYMENT_HIDDEN),
        ("https://venmo.com/u/jodoe", PAYMENT_HIDDEN),
        ("https://account.venmo.com/u/jodoe", PAYMENT_HIDDEN),
        ("Venmo: @jo-doe", PAYMENT_HIDDEN),
        ("send it on revolut @jodoe99", f"send it on {PAYMENT_HIDDEN}"),
        ("https://cash.app/$jodoe", PAYMENT_HIDDEN),
        ("cash app $jodoe", PAYMENT_HIDDEN),
        ("wise.com/pay/me/jod", PAYMENT_HIDDEN),
        ("monzo.me/jodoe/55.00", PAYMENT_HIDDEN),
        ("bunq.me/jodoe", PAYMENT_HIDDEN),
        ("www.buymeacoffee.com/jodoe", PAYMENT_HIDDEN),
        ("ko-fi.com/jodoe", PAYMENT_HIDDEN),
        # URL shorteners can hide any of the above
        ("bit.ly/3xYzAb", PAYMENT_HIDDEN),
        ("(https://tinyurl.com/abc123)", f"({PAYMENT_HIDDEN})"),
        # chat links open a private conversation
        ("wa.me/353871234567", CONTACT_HIDDEN),
        ("https://t.me/jodoe", CONTACT_HIDDEN),
        # several at once
        (
            "Call 087 123 4567 or mail jo@example.com, pay paypal.me/jo",
            f"Call {CONTACT_HIDDEN} or mail {CONTACT_HIDDEN}, pay {PAYMENT_HIDDEN}",
        ),
    ],
)
def test_contact_details_and_payment_links_are_masked(text, expected):
    assert mask_contact_details(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Row 12 seat 14, section 101",
        "Seats 14 15 16 17 are together",
        "Doors at 19:30, show 20.00 - 23.00",
        "Doors 19.30-23.00",
        "Price 55.00, or 110.00 for both",
        "55.00-60.00",
        "It was €1,250.00 on the other site",
        "Event on 12/05/2025, 2025-05-12 or 12.05.2025",
        "12 05 2025",
        "the 2024-2025 season, or 2024/25",
        "Gate 3, block 112, 2 tickets",
        "Meet me at the gate at 8pm",
        "I'll be at the venue.Then we go in",
        "I bought them at Live Nation",
        "I paid with paypal, it was $55",
        "I'll pay with paypal. Me, I prefer cards",
        "Is wise.com a bank?",
        "Check ticketmaster.ie/event/123",
        "https://www.encore.example/events/42",
        "notpaypal.com is not a payment link",
        "Thanks! See you at Fontaines D.C.",
        "",
    ],
)
def test_ordinary_ticket_talk_is_left_alone(text):
    assert mask_contact_details(text) == text


# --- Disguises: Unicode tricks, spelled-out numbers, social handles -------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # zero-width and other invisible format characters between the parts
        ("jo\u200b@\u200bgmail.com", CONTACT_HIDDEN),
        ("087\u200b123\u200b4567", CONTACT_HIDDEN),
        ("0\u200d8\u200d7\u20601\u20602\u20603\u20604\u20605\u20606\u20607", CONTACT_HIDDEN),
        ("jo@gm\u00adail.com", CONTACT_HIDDEN),  # a soft hyphen
        # fullwidth and other compatibility forms
        ("ｊｏ＠ｇｍａｉｌ．ｃｏｍ", CONTACT_HIDDEN),
        ("call ０８７ １２３ ４５６７", f"call {CONTACT_HIDDEN}"),
        ("jo﹫gmail.com", CONTACT_HIDDEN),  # the small commercial at
        # spelled-out phone numbers
        ("zero eight seven one two three four five six seven", CONTACT_HIDDEN),
        (
            "text me on zero eight seven, one two three, four five six seven!",
            f"text me on {CONTACT_HIDDEN}!",
        ),
        ("Oh eight seven 123 four five six seven", CONTACT_HIDDEN),
        ("ZERO-EIGHT-SEVEN-ONE-TWO-THREE-FOUR-FIVE-SIX-SEVEN", CONTACT_HIDDEN),
        ("plus three five three eight seven one two three four five six", CONTACT_HIDDEN),
        ("double oh eight seven one two three four five six seven", CONTACT_HIDDEN),
        # social handles and chat apps
        ("find me @jodoe99", f"find me {CONTACT_HIDDEN}"),
        ("insta: jodoe99", CONTACT_HIDDEN),
        ("my ig is jo.doe", f"my {CONTACT_HIDDEN}"),
        ("snap me: jodoe", CONTACT_HIDDEN),
        ("add me on snap jo_doe99", f"add me on {CONTACT_HIDDEN}"),
        ("add me on snapchat: jo_doe", f"add me on {CONTACT_HIDDEN}"),
        ("instagram.com/jodoe", CONTACT_HIDDEN),
        ("https://www.instagram.com/jodoe/", CONTACT_HIDDEN),
        ("tiktok.com/@jodoe", CONTACT_HIDDEN),
        ("facebook.com/jo.doe", CONTACT_HIDDEN),
        ("fb.me/jodoe", CONTACT_HIDDEN),
        ("discord.gg/abc123", CONTACT_HIDDEN),
        ("x.com/jodoe", CONTACT_HIDDEN),
        ("telegram: @jodoe", CONTACT_HIDDEN),
        ("whatsapp.com/channel/abc", CONTACT_HIDDEN),
        ("wa.me/353871234567", CONTACT_HIDDEN),
        ("t.me/jodoe", CONTACT_HIDDEN),
    ],
)
def test_disguised_contact_details_are_masked(text, expected):
    assert mask_contact_details(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Row one, seat two, three of us",
        "I have two tickets, one for me and one for you",
        "Gates open at seven, show at eight",
        "See you @ the gate",
        "It's a snap to find: gate 3",
        "The insta story of the band was great",
        "Doors at 19:30, ＃ 3 on the list",
        "Café crème, naïve, Zoë and Ørjan",
        "Two for one: one hundred and ten euro for two",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 see you there \u2764\ufe0f",
        "Add me on insta later, I'll post a story",
    ],
)
def test_ordinary_talk_with_numbers_in_words_and_at_signs_is_left_alone(text):
    assert mask_contact_details(text) == text
