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

# axe-core (bundled by axe-playwright-python): the WCAG 2.0, 2.1 and 2.2 A and AA
# rules. A serious or critical violation fails a test (the accessibility statement,
# /accessibility/, promises it).
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}
AXE_FAILING_IMPACTS = ("serious", "critical")


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line
    each (rule, impact, the first offending elements), at the current viewport."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -- "
        + "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in AXE_FAILING_IMPACTS
    ]


def axe_check(page, name=""):
    """No serious or critical axe-core violation at desktop, then phone, width."""
    size = page.viewport_size
    found = {}
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        violations = axe_violations(page)
        if violations:
            found[label] = violations
    page.set_viewport_size(size)
    assert found == {}, f"{name or page.url}: {found}"


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
