"""The kernel's email renderer: one template gives the subject, the HTML and
the plain text (marketplace/core/emails.py)."""

import pytest

from marketplace.core.emails import email_language, html_to_text, site_url, subject_from_html


def test_paragraphs_and_headings_become_blocks_separated_by_blank_lines():
    html = "<h1>Your  ticket</h1>\n<p>Hello\n   there,</p><div><p>second</p></div>"

    assert html_to_text(html) == "Your ticket\n\nHello there,\n\nsecond\n"


def test_a_link_shows_its_address_after_its_text_or_alone_when_they_are_the_same():
    html = (
        '<p>Open <a href="https://e.test/orders/1/">your order</a> now.</p>'
        '<p><a href="https://e.test/x/">https://e.test/x/</a></p>'
        '<p>Write to <a href="mailto:help@e.test">help@e.test</a>.</p>'
    )

    assert html_to_text(html) == (
        "Open your order (https://e.test/orders/1/) now.\n\nhttps://e.test/x/\n\n"
        "Write to help@e.test .\n"
    )


def test_a_button_is_its_label_then_the_address_on_a_line_of_its_own():
    html = '<p><a class="button" href="https://e.test/pay/">Pay now</a></p><p>After</p>'

    assert html_to_text(html) == "Pay now:\nhttps://e.test/pay/\n\nAfter\n"


def test_list_items_are_dashed_or_numbered_lines():
    html = "<p>Steps:</p><ol><li>One</li><li>Two</li></ol><ul><li>a</li><li>b</li></ul><p>End</p>"

    assert html_to_text(html) == "Steps:\n\n1. One\n2. Two\n\n- a\n- b\n\nEnd\n"


def test_line_breaks_entities_and_hidden_parts():
    html = (
        "<html><head><title>Subject</title><style>p{color:red}</style></head><body>"
        '<div data-html-only><a href="/">Encore</a></div>'
        "<p>Fish &amp; chips<br>at 20:00 &lt;sharp&gt;</p><hr><p>Footer</p></body></html>"
    )

    assert html_to_text(html) == "Fish & chips\nat 20:00 <sharp>\n\n--\n\nFooter\n"


def test_nothing_but_whitespace_is_no_text():
    assert html_to_text("<p>  </p><div>\n</div>") == ""


def test_the_subject_is_the_title_on_one_line_unescaped():
    assert subject_from_html("<title>\n  Fish &amp;\n chips </title>") == "Fish & chips"
    assert subject_from_html("<p>none</p>") == ""


def test_links_are_absolute_on_the_site_url(settings):
    settings.SITE_URL = "https://encore.example"

    assert site_url("/my/transactions/3/") == "https://encore.example/my/transactions/3/"
    assert site_url("https://other.example/x") == "https://other.example/x"


class _Account:
    def __init__(self, language):
        self.language = language


@pytest.mark.parametrize(
    ("user", "fallback", "expected"),
    [
        (_Account("de"), "fr", "de"),
        (_Account(""), "fr", "fr"),
        (None, "", "en"),
        (None, "es", "es"),
    ],
)
def test_the_recipients_language_then_the_fallback_then_the_sites(user, fallback, expected):
    assert email_language(user, fallback=fallback) == expected
