"""Page helpers shared by the browser tests: log in, check styling and width."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from lianxin.demo.builder import DEMO_PASSWORD

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def log_in(page: Page, server, username: str) -> None:  # noqa: ANN001
    page.goto(server.url("/login/"))
    expect(page.locator("h1")).to_contain_text("登录")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == server.url("/"), f"{username} did not land on the workbench: {page.url}"
    assert_styled(page)


def log_out(page: Page) -> None:
    page.context.clear_cookies()


def assert_styled(page: Page) -> None:
    """Every stylesheet the page links is served (a page without its CSS is unusable on a phone)."""
    hrefs = page.eval_on_selector_all("link[rel=stylesheet]", "els => els.map(e => e.href)")
    assert hrefs, "the page links no stylesheet"
    for href in hrefs:
        response = page.request.get(href)
        assert response.ok, f"stylesheet {href} answered {response.status}"


def fits_width(page: Page) -> bool:
    """No horizontal scrolling: the page is usable on the viewport it is shown on."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
