"""Live checks in a real browser: the project's engine, run by Pyodide from the served site."""

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

SETTLED = "form => form.dataset.outcome && form.dataset.outcome !== 'running'"


@pytest.fixture(scope="module")
def live(browser, site_url):
    """One page of the served site, with every request recorded; cold start once for the module."""
    context = browser.new_context()
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.requests = requests
    page.goto(f"{site_url}/live.html", wait_until="load")
    yield page
    context.close()


def check(page, loss, params="w, b", data="x, y", n=4, cost="", budget=None):
    """Fill the panel, press Check, wait for the verdict; returns (outcome, text)."""
    form = page.locator("form.gradavg-check-panel")
    if budget is not None:
        form.evaluate("(form, budget) => { form.dataset.budget = budget; }", budget)
    page.get_by_label("Loss", exact=True).fill(loss)
    page.get_by_label("Batch cost", exact=True).fill(cost)
    page.get_by_label("Parameters", exact=True).fill(params)
    page.get_by_label("Data", exact=True).fill(data)
    page.get_by_label("Number of examples", exact=True).fill(str(n))
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_function(f"() => ({SETTLED})(document.querySelector('form.gradavg-check-panel'))", timeout=90000)
    return form.get_attribute("data-outcome"), page.locator("form.gradavg-check-panel output").inner_text()


def test_nothing_heavy_loads_before_the_first_click(live, site_url):
    loaded = [url for url in live.requests if "/live/pyodide/" in url or "/live/wheels/" in url]
    assert loaded == [], "the engine must load only when the reader asks for a check"
    assert live.locator("output[aria-live]").count() == 1


def test_a_loss_that_adds_up_holds(live):
    outcome, text = check(live, "(w*x + b - y)**2")
    assert outcome == "holds", text
    assert text.startswith("Holds:")


def test_a_batch_cost_that_does_not_add_up_fails_with_a_witness(live):
    outcome, text = check(live, "(w*x + b - y)**2", cost="prod(L)")
    assert outcome == "fails", text
    assert "Witness:" in text and "Gap there:" in text


def test_an_example_button_fills_the_batch_cost(live):
    live.get_by_role("button", name="square of the mean").click()
    assert live.get_by_label("Batch cost", exact=True).input_value() == "mean(L)**2"


def test_hostile_text_is_refused_by_the_safe_parser(live):
    outcome, text = check(live, "__import__('os').system('true')")
    assert outcome == "refused", text
    assert text.startswith("Bad input:")


def test_a_runaway_check_is_stopped_and_the_engine_replaced(live):
    outcome, text = check(live, "exp(exp(exp(w*x)))", params="w", data="x", n=4, budget=2)
    assert outcome == "undecided", text
    assert "stopped after 2 s" in text
    outcome, text = check(live, "(w*x - y)**2", params="w", budget=60)
    assert outcome == "holds", text


def test_a_claim_re_runs_in_the_browser(live, site_url):
    live.goto(f"{site_url}/linearity.html", wait_until="load")
    box = live.locator('.gradavg-live[data-claim="linearity.general-n"]')
    box.get_by_role("button").click()
    live.wait_for_function("""() => document.querySelector('.gradavg-live[data-claim="linearity.general-n"]')
                               .dataset.outcome""", timeout=90000)
    assert box.get_attribute("data-outcome") == "ok", box.inner_text()
    assert "In your browser: the claim holds" in box.inner_text()


def test_claims_that_need_numpy_say_so_instead(live, site_url):
    live.goto(f"{site_url}/shuffle.html", wait_until="load")
    assert live.locator(".gradavg-live-note").count() > 0
    assert "numpy" in live.locator(".gradavg-live-note").first.inner_text()


def test_no_request_left_the_site(live, site_url):
    host = urlparse(site_url).netloc
    foreign = [url for url in live.requests if urlparse(url).netloc not in (host, "") and not url.startswith("data:")]
    assert foreign == []
    assert any("/live/wheels/gradavg-" in url for url in live.requests), "the engine was never loaded"


def test_opened_as_a_file_the_panel_says_it_needs_a_served_site(browser, built_site):
    page = browser.new_page()
    page.goto((built_site / "live.html").as_uri(), wait_until="load")
    page.get_by_role("button", name="Check", exact=True).click()
    assert "make serve" in page.locator("form.gradavg-check-panel output").inner_text()
    page.close()
