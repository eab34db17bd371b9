"""Helpers the tests of this folder import (fixtures stay in conftest.py)."""

from pathlib import Path

from django.conf import settings

from marketplace.testing import BROWSER_VIEWPORT

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
DESKTOP = BROWSER_VIEWPORT
PHONE = {"width": 390, "height": 844}

# What a screen reader or a keyboard user needs from every page of the site.
ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  const named = (el) => (el.labels && el.labels.length) || el.getAttribute("aria-label")
    || el.getAttribute("aria-labelledby") || el.getAttribute("title");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button"].includes(el.type)) continue;
    if (!named(el)) problems.push(`no label: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push(`no alt: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!(el.textContent.trim() || el.getAttribute("aria-label"))) {
      problems.push(`no name: ${el.outerHTML.slice(0, 80)}`);
    }
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  return problems;
}"""


def shoot(page, name):
    """Screenshots of the current page at desktop and phone widths; on the
    site's own pages (not the admin), the accessibility basics checked first."""
    if "/admin/" not in page.url:
        assert page.evaluate(ACCESSIBILITY_PROBLEMS) == [], page.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(size)
