"""The built site in a real browser: offline, typeset, nothing broken; and its live checks, run by Pyodide from the served site."""

import re
from fractions import Fraction
from urllib.parse import urlparse

import pytest

from conftest import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# TeX left untypeset in what a reader sees: any backslash command (\\frac, \\texttt, ...), $$, \\( or \\[
RAW_TEX = re.compile(r"\\[A-Za-z]+|\$\$|\\\(|\\\[")
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('pre, code, script, style, .katex, .highlight').forEach(e => e.remove());
  return body.innerText;
}"""

# Figures after a page's first load when scrolled near (figures.py): load them all now, so that the checks
# below see every image; one that fails to load stays broken (naturalWidth 0)
LOAD_LAZY_IMAGES = "Promise.all([...document.images].map(i => { i.loading = 'eager'; return i.decode().catch(() => null); }))"
# The page's own content, in Furo's markup (<article role="main">); what the checks below look inside.
MAIN = "[role=main]"
# Elements wider than the article column that are not inside something that scrolls them.
OVERFLOWING = """() => {
  const MAIN = '""" + MAIN + """';
  const article = document.querySelector(MAIN);
  if (!article) return ['no main content (' + MAIN + ')'];
  const right = article.getBoundingClientRect().right + 1;
  const scrolls = e => { for (let p = e.parentElement; p && p !== article; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  // a block the theme pulls out by its own negative margin (Furo's headings, 8 px) does not overflow: its content would
  const pulledOut = e => Math.max(0, -parseFloat(getComputedStyle(e).marginRight));
  return [...article.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > right + pulledOut(e) && !scrolls(e))
    .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'));
}"""


def built_pages(built_site):
    skip = {"_static", "_sources", "_images", "jupyter_execute"}
    return sorted(p.relative_to(built_site).as_posix() for p in built_site.rglob("*.html")
                  if not skip & set(p.relative_to(built_site).parts))


def test_there_are_pages(built_site):
    assert {"index.html", "linearity.html", "references.html"} <= set(built_pages(built_site))


def test_every_page_offline_typeset_and_intact(built_site, site_url, browser):
    host = urlparse(site_url).netloc
    problems = []
    for name in built_pages(built_site):
        page = browser.new_page()
        console, failed, foreign = [], [], []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).netloc not in (host, "") and
                not r.url.startswith("data:") else None)
        page.goto(f"{site_url}/{name}", wait_until="load")
        page.wait_for_load_state("networkidle")
        page.evaluate(LOAD_LAZY_IMAGES)
        math = page.locator(".math")

        if console:
            problems.append(f"{name}: console errors {console}")
        if failed:
            problems.append(f"{name}: failed requests {failed}")
        if foreign:
            problems.append(f"{name}: requests to other hosts {foreign}")
        if name != "search.html" and page.evaluate("performance.getEntriesByType('resource')"
                                                   ".some(r => r.name.includes('searchindex.js'))"):
            problems.append(f"{name}: loads the search index, which only the search page needs")
        # typeset when the site was built: every formula carries KaTeX's HTML and its MathML
        untypeset = page.evaluate("[...document.querySelectorAll('.math')].filter(m => !m.querySelector('.katex math')).length")
        if untypeset:
            problems.append(f"{name}: {untypeset} of {math.count()} formulas not typeset (no KaTeX HTML and MathML)")
        if page.locator(".katex-error").count():
            problems.append(f"{name}: KaTeX error nodes")
        if page.evaluate("[...document.scripts].some(s => /katex|mathjax/i.test(s.src))"):
            problems.append(f"{name}: loads a typesetting script; the math must be typeset at build time")
        if raw := raw_tex(page):
            problems.append(f"{name}: raw TeX visible: {raw}")
        broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        if broken:
            problems.append(f"{name}: images not loaded {broken}")
        if missing := page.evaluate(f"[...document.querySelectorAll('{MAIN} img')].filter(i => !i.alt.trim()).map(i => i.src)"):
            problems.append(f"{name}: images without alt text {missing}")
        if overflowing := page.evaluate(OVERFLOWING):
            problems.append(f"{name}: content wider than the text column {overflowing}")
        problems += [f"{name}: {v}" for v in accessibility_violations(page)]
        page.close()
    assert not problems, "\n".join(problems)


def raw_tex(page) -> str | None:
    """The first TeX command left in the page's visible text (outside code and typeset math), with its context."""
    text = page.evaluate(VISIBLE_TEXT)
    if match := RAW_TEX.search(text):
        return repr(text[max(0, match.start() - 30):match.end() + 30])
    return None


def test_the_raw_tex_check_sees_any_command_outside_code_and_math(browser):
    page = browser.new_page()
    page.set_content("<main><p>Call \\texttt{optax.MultiSteps} here.</p></main>")
    assert "\\texttt" in raw_tex(page)
    page.set_content("<main><p>Display $$x$$ and \\(y\\).</p></main>")
    assert raw_tex(page)
    page.set_content("<main><p>Call <code>\\texttt{x}</code> and <span class='katex'>\\frac</span> and "
                     "<pre>\\sum</pre>: a cost of 5 $ is fine.</p></main>")
    assert raw_tex(page) is None
    page.close()


def accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the loaded page, one line each."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run 'make assets' (npm ci)")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    return [f"axe {v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']})"
            for v in violations if v["impact"] in ("serious", "critical")]


def test_dark_mode_keeps_figures_readable(built_site, site_url, browser):
    """In the theme's dark mode every figure sits on its own opaque light background."""
    page = browser.new_page(color_scheme="dark")
    corners = {}
    for name in built_pages(built_site):
        if "<img" not in (built_site / name).read_text():
            continue
        page.goto(f"{site_url}/{name}")
        page.evaluate(LOAD_LAZY_IMAGES)
        page.evaluate("document.body.dataset.theme = 'dark'")
        corners[name] = page.evaluate(f"[...document.querySelectorAll('{MAIN} img')]" """.map(img => {
            const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            return [...ctx.getImageData(1, 1, 1, 1).data]; })""")
    page.close()
    assert sum(map(len, corners.values())) >= 5, f"expected the site's figures, got {corners}"
    dark = {name: rgba for name, pixels in corners.items() for rgba in pixels
            if rgba[3] != 255 or min(rgba[:3]) <= 200}
    assert not dark, f"figures without an opaque light background: {dark}"


def test_no_page_logs_an_error_in_dark_mode(built_site, site_url, browser):
    """A reader whose system asks for dark mode gets the theme's dark colours and no console error on any page."""
    page = browser.new_page(color_scheme="dark")
    errors = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    backgrounds = set()
    for name in built_pages(built_site):
        page.goto(f"{site_url}/{name}", wait_until="load")
        page.wait_for_load_state("networkidle")
        backgrounds.add(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    page.close()
    assert not errors, "\n".join(errors)
    # Furo's dark background (#131416), so the pages were really shown in dark mode
    assert backgrounds == {"rgb(19, 20, 22)"}, backgrounds


def test_search_finds_the_right_page_offline(site_url, browser):
    """Typing a query into the site search lists the page that is about it first."""
    page = browser.new_page()
    page.goto(f"{site_url}/index.html")
    field = page.locator("input[name=q]:visible").first
    field.fill("unbiased")
    field.press("Enter")
    page.wait_for_selector("#search-results ul.search li a", timeout=20000)
    first = page.locator("#search-results ul.search li a").first.get_attribute("href")
    page.close()
    assert first.split("#")[0].split("?")[0].endswith("unbiased.html"), first

SETTLED = "form => form.dataset.outcome && form.dataset.outcome !== 'running'"
ENGINE_REQUEST = ("/live/pyodide/", "/live/wheels/")
#: how far outside the viewport a re-run button starts the engine (live.js, rootMargin)
NEAR_PX = 200
# A time as the browser prints it: two significant digits ("0.13 s", "0.047 s", "2.4 s"), whole seconds from 10 s
ROUNDED_SECONDS = re.compile(r"0|0\.0*[1-9]\d?|[1-9](\.\d)?|[1-9]\d+")


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


def engine_requests(page) -> list[str]:
    return [url for url in page.requests if any(part in url for part in ENGINE_REQUEST)]


def printed_seconds(text: str) -> list[str]:
    """Every number the text prints before " s" (a time)."""
    return re.findall(r"(\d[\d.e+-]*) s\b", text)


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
    return settled(page)


def settled(page):
    """Wait for the panel's verdict; (outcome, text)."""
    form = page.locator("form.gradavg-check-panel")
    page.wait_for_function(f"() => ({SETTLED})(document.querySelector('form.gradavg-check-panel'))", timeout=90000)
    return form.get_attribute("data-outcome"), page.locator("form.gradavg-check-panel output").inner_text()


def test_nothing_heavy_loads_with_the_page(live):
    live.wait_for_load_state("networkidle")
    assert engine_requests(live) == [], "the engine must load only when the reader nears a live check"
    assert live.locator("output[aria-live]").count() == 1
    assert live.evaluate("document.documentElement.dataset.gradavgEngine") is None


def test_the_engine_starts_when_the_reader_focuses_the_form_and_says_so(live):
    assert engine_requests(live) == []
    said = live.evaluate("""() => { document.querySelector('form.gradavg-check-panel input[name=loss]').focus();
                                    return document.querySelector('form.gradavg-check-panel output').textContent; }""")
    assert said.startswith("Starting the engine"), said
    live.wait_for_function("document.documentElement.dataset.gradavgEngine === 'ready'", timeout=90000)
    assert any("/live/pyodide/pyodide.asm.wasm" in url for url in engine_requests(live))
    assert live.locator("form.gradavg-check-panel output").inner_text().startswith("The engine is ready")


def test_a_loss_that_adds_up_holds_and_its_time_is_rounded(live):
    outcome, text = check(live, "(w*x + b - y)**2")
    assert outcome == "holds", text
    assert text.startswith("Holds:")
    times = printed_seconds(text)
    assert len(times) == 1 and all(ROUNDED_SECONDS.fullmatch(t) for t in times), text


def test_the_rounding_check_rejects_a_raw_float():
    # negative control of ROUNDED_SECONDS: the '0.13020000000000032 s', and three digits
    assert printed_seconds("(0.13020000000000032 s in your browser)") == ["0.13020000000000032"]
    assert not ROUNDED_SECONDS.fullmatch("0.13020000000000032")
    assert not ROUNDED_SECONDS.fullmatch("0.135") and not ROUNDED_SECONDS.fullmatch("2.45")
    assert all(ROUNDED_SECONDS.fullmatch(t) for t in ("0.13", "0.047", "2.4", "9.9", "10", "30"))


def test_a_batch_cost_that_does_not_add_up_fails_with_a_witness(live):
    outcome, text = check(live, "(w*x + b - y)**2", cost="prod(L)")
    assert outcome == "fails", text
    assert "Witness:" in text and "Gap there:" in text


def test_an_example_fills_the_form_runs_the_check_and_says_so(live):
    group = live.get_by_role("group", name="Examples (each fills in the whole form, with the loss above, and runs the check):")
    assert group.is_visible()
    # what a reader left in the form before clicking an example: the example replaces all of it
    for label, value in (("Loss", "v**2"), ("Parameters", "v"), ("Data", ""), ("Number of examples", "3")):
        live.get_by_label(label, exact=True).fill(value)
    live.locator("form.gradavg-check-panel").evaluate("form => { form.dataset.outcome = ''; }")
    group.get_by_role("button", name="square of the mean").click()
    outcome, text = settled(live)
    filled = {label: live.get_by_label(label, exact=True).input_value()
              for label in ("Loss", "Batch cost", "Parameters", "Data", "Number of examples")}
    assert filled == {"Loss": "(w*x + b - y)**2", "Batch cost": "mean(L)**2", "Parameters": "w, b", "Data": "x, y",
                      "Number of examples": "4"}
    assert outcome == "fails" and "Witness:" in text, text


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


def test_a_claim_re_runs_in_the_browser_with_rounded_times(live, site_url):
    live.goto(f"{site_url}/linearity.html", wait_until="load")
    box = live.locator('.gradavg-live[data-claim="linearity.general-n"]').first  # the statement's (a solution repeats it)
    box.get_by_role("button").click()
    live.wait_for_function("""() => document.querySelector('.gradavg-live[data-claim="linearity.general-n"]')
                               .dataset.outcome""", timeout=90000)
    assert box.get_attribute("data-outcome") == "ok", box.inner_text()
    assert "In your browser: the claim holds" in box.inner_text()
    times = printed_seconds(box.inner_text())
    assert len(times) == 2 and all(ROUNDED_SECONDS.fullmatch(t) for t in times), box.inner_text()


def answer(page, exercise, text):
    """Type an answer into exercise ``exercise``'s box, press its button, wait for the engine; (outcome, text)."""
    form = page.locator(f"#exercise-{exercise} form.gradavg-answer")
    form.evaluate("form => { form.dataset.outcome = ''; }")
    form.get_by_role("textbox").fill(text)
    form.get_by_role("button", name="Check my answer").click()
    page.wait_for_function(f"() => ({SETTLED})(document.querySelector('#exercise-{exercise} form.gradavg-answer'))",
                           timeout=90000)
    return form.get_attribute("data-outcome"), form.locator(".gradavg-live-result").inner_text()


def test_an_answer_box_tells_a_right_answer_from_a_wrong_one_with_a_witness(live, site_url):
    live.goto(f"{site_url}/linearity.html", wait_until="load")
    box = live.locator("#exercise-1 form.gradavg-answer")
    assert box.get_by_role("textbox", name="dC/dw =").is_visible()
    # the solution in another form: expanded, terms in another order
    outcome, text = answer(live, 1, "2*w*(x_1**2 + x_2**2 + x_3**2)/3 - 2*(x_1*y_1 + x_2*y_2 + x_3*y_3)/3")
    assert outcome == "right" and text.startswith("Right: your answer equals the solution (symbolic: cancel)"), text
    # the nearest mistake: the sum of the gradients, the 1/3 dropped
    outcome, text = answer(live, 1, "2*((w*x_1 - y_1)*x_1 + (w*x_2 - y_2)*x_2 + (w*x_3 - y_3)*x_3)")
    assert outcome == "wrong" and re.match(r"Not equal to the solution: at w = \S+, x_1 = .* your answer is \S+, "
                                           r"the solution \S+\.$", text), text
    yours, solution = re.search(r"your answer is (\S+), the solution (\S+)\.$", text).groups()
    assert Fraction(yours) == 3 * Fraction(solution) != 0, text
    outcome, text = answer(live, 1, "__import__('os')")
    assert outcome == "refused" and text.startswith("Not checked: error:"), text
    # the solution stays hidden until the reader opens it
    assert live.locator("details.gradavg-solution").first.get_attribute("open") is None


SCROLL_AND_SETTLE = """async (y) => {
  // scroll, then wait until an observer made after the scroll has seen the first re-run button:
  // by then live.js's own observer (made on the first scroll) has been told too
  await new Promise(done => { addEventListener('scroll', done, { once: true });
                                 scrollTo({ top: y, behavior: 'instant' }); });  // the theme scrolls smoothly otherwise
  await new Promise(done => { const o = new IntersectionObserver(() => { o.disconnect(); done(); });
                              o.observe(document.querySelector('.gradavg-live[data-claim]')); });
  await new Promise(requestAnimationFrame);
  return document.documentElement.dataset.gradavgEngine || null;
}"""


def test_a_re_run_button_starts_the_engine_when_scrolled_near_not_before(browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.requests = requests
    page.goto(f"{site_url}/linearity.html", wait_until="load")
    page.wait_for_load_state("networkidle")
    first = page.evaluate("document.querySelector('.gradavg-live[data-claim]').getBoundingClientRect().top + scrollY")
    assert first > 720 + NEAR_PX + 50, "the test needs the first re-run button below the first screen"
    assert engine_requests(page) == []
    # just past the limit: the button is 50 px further below the viewport than NEAR_PX
    assert page.evaluate(SCROLL_AND_SETTLE, first - 720 - NEAR_PX - 50) is None
    assert engine_requests(page) == []
    # just inside it: 50 px nearer
    assert page.evaluate(SCROLL_AND_SETTLE, first - 720 - NEAR_PX + 50) == "starting"
    page.wait_for_function("document.documentElement.dataset.gradavgEngine === 'ready'", timeout=90000)
    assert any("/live/pyodide/pyodide.asm.wasm" in url for url in engine_requests(page))
    context.close()


def test_pointing_at_the_form_starts_the_engine(browser, site_url):
    page = browser.new_context().new_page()
    page.goto(f"{site_url}/live.html", wait_until="load")
    assert page.evaluate("document.documentElement.dataset.gradavgEngine") is None
    with page.expect_request(lambda request: "/live/pyodide/" in request.url, timeout=30000):
        page.locator("form.gradavg-check-panel label").first.hover()
    assert page.evaluate("document.documentElement.dataset.gradavgEngine") in ("starting", "ready")
    page.context.close()


def test_claims_that_need_numpy_say_so_instead(live, site_url):
    live.goto(f"{site_url}/framework.html", wait_until="load")
    assert live.locator(".gradavg-live-note").count() > 0
    assert "JAX, NumPy" in live.locator(".gradavg-live-note").first.inner_text()


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


# --- phones -----------------------------------------------------------------------------------------------
PHONE = {"width": 375, "height": 812}
# The elements that scroll sideways (wider inside than their box) and fail a condition: those the keyboard cannot
# reach, or those that do not show that they scroll (no fade on the edge with more beyond, gradavg.css).
SCROLLERS_THAT = """condition => [...document.querySelectorAll('""" + MAIN + """ *')].filter(e => {
    const style = getComputedStyle(e);
    if (!['auto', 'scroll'].includes(style.overflowX) || e.scrollWidth <= e.clientWidth + 1) return false;
    const reachable = e.tabIndex >= 0 || e.querySelector('a[href], [tabindex]:not([tabindex="-1"])');
    return condition === 'unreachable' ? !reachable : style.maskImage === 'none'; })
  .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'))"""


@pytest.fixture()
def phone(browser):
    """A page in a fresh context the size of a phone's screen (375 x 812 CSS pixels)."""
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


def test_on_a_phone_nothing_is_wider_than_the_screen_outside_a_scroller_that_shows_it_and_takes_focus(built_site,
                                                                                                     site_url, phone):
    problems = []
    for name in built_pages(built_site):
        phone.goto(f"{site_url}/{name}", wait_until="load")
        if overflowing := phone.evaluate(OVERFLOWING):
            problems.append(f"{name}: content wider than the screen {overflowing}")
        if unreachable := phone.evaluate(SCROLLERS_THAT, "unreachable"):
            problems.append(f"{name}: scrolls sideways but the keyboard cannot reach it {unreachable}")
        if unmarked := phone.evaluate(SCROLLERS_THAT, "show no hint"):
            problems.append(f"{name}: scrolls sideways without showing it {unmarked}")
    assert not problems, "\n".join(problems)


def test_the_scroller_checks_see_what_they_look_for(phone):
    # negative controls: a wide block loose in the column, and a scroller with nothing to focus
    phone.set_content("<article role=main><div style='width: 900px'>wide</div>"
                      "<div class=s style='overflow-x: auto'><div style='width: 900px'>scrolls</div></div></article>")
    assert phone.evaluate(OVERFLOWING) == ["div."]
    assert phone.evaluate(SCROLLERS_THAT, "unreachable") == ["div.s"]
    assert phone.evaluate(SCROLLERS_THAT, "show no hint") == ["div.s"]
    phone.set_content("<article role=main><div style='overflow-x: auto; mask-image: linear-gradient(#000, #000)' "
                      "tabindex=0><div style='width: 900px'>x</div></div>"
                      "<div style='overflow-x: auto'><div style='width: 90px'>fits</div></div></article>")
    assert phone.evaluate(OVERFLOWING) == []
    assert phone.evaluate(SCROLLERS_THAT, "unreachable") == [] and phone.evaluate(SCROLLERS_THAT, "show no hint") == []


# the ledger's families are closed <details> while every claim in them holds: open them all to look at every card
OPEN_LEDGER = "document.querySelectorAll('details.gradavg-ledger-group').forEach(d => { d.open = true; })"


def test_the_ledger_shows_each_family_closed_with_its_count(site_url, browser):
    page = browser.new_page()
    page.goto(f"{site_url}/ledger.html", wait_until="load")
    groups = page.evaluate("""[...document.querySelectorAll('details.gradavg-ledger-group')].map(d => ({
        open: d.open, summary: d.querySelector('summary').innerText,
        rows: d.querySelectorAll('table.gradavg-ledger tbody tr').length,
        shown: d.querySelector('table').checkVisibility()}))""")
    page.close()
    assert len(groups) >= 10
    assert all(not g["open"] and not g["shown"] for g in groups), "every claim holds: every family starts closed"
    assert all(re.search(rf"^\S+ \(.+\): {g['rows']} claims?, {g['rows']} holds?; ", g["summary"]) for g in groups), groups


def test_on_a_phone_the_ledger_is_one_card_per_claim_with_every_column(site_url, phone):
    phone.goto(f"{site_url}/ledger.html", wait_until="load")
    phone.evaluate(OPEN_LEDGER)
    claims = int(re.match(r"(\d+) claims;", phone.locator(f"{MAIN} p strong").first.inner_text()).group(1))
    cards = phone.evaluate("""() => {
      const right = document.querySelector('""" + MAIN + """').getBoundingClientRect().right + 1;
      const names = [...document.querySelectorAll('table.gradavg-ledger thead th')].map(th => th.innerText.trim());
      return [...document.querySelectorAll('table.gradavg-ledger tbody tr')].map(tr => {
        const box = tr.getBoundingClientRect();
        return {display: getComputedStyle(tr).display, fits: box.right <= right && tr.scrollWidth <= tr.clientWidth,
          cells: [...tr.children].map((td, i) => {
            const label = getComputedStyle(td, '::before').content;
            return {shown: td.getBoundingClientRect().height > 0 && td.innerText.trim().length > 0 &&
                           getComputedStyle(td).visibility === 'visible',
                    named: label.startsWith('"' + names[i] + '"')}; })}; }); }""")
    assert claims >= 50 and len(cards) == claims
    assert {c["display"] for c in cards} == {"block"}
    assert [i for i, c in enumerate(cards) if not c["fits"]] == []
    assert {len(c["cells"]) for c in cards} == {5}  # claim, evidence, method, status and time, pages
    assert all(cell["shown"] and cell["named"] for c in cards for cell in c["cells"])
    sizes = phone.evaluate("[...document.querySelectorAll('table.gradavg-ledger .katex')]"
                           ".map(k => parseFloat(getComputedStyle(k).fontSize))")
    assert len(sizes) > 100 and min(sizes) >= 14


def test_on_a_phone_the_ledger_is_still_a_table_to_a_screen_reader(site_url, phone):
    """The header row is hidden from sight only: Chromium's accessibility tree keeps the table, its headers, its cells."""
    phone.goto(f"{site_url}/ledger.html", wait_until="load")
    phone.evaluate(OPEN_LEDGER)
    header = phone.locator("table.gradavg-ledger thead").first.bounding_box()
    assert header["width"] <= 1 and header["height"] <= 1
    nodes = phone.context.new_cdp_session(phone).send("Accessibility.getFullAXTree")["nodes"]
    roles = [n.get("role", {}).get("value") for n in nodes if not n.get("ignored")]
    headers = [n.get("name", {}).get("value") for n in nodes if n.get("role", {}).get("value") == "columnheader"]
    rows = phone.locator("table.gradavg-ledger tbody tr").count()
    tables = phone.locator("table.gradavg-ledger").count()  # one per family of claims, each with its header row
    assert tables >= 10
    assert headers == ["Claim and negative control", "Evidence and scope", "Method", "Status and seconds",
                       "Used on"] * tables
    assert roles.count("cell") == 5 * rows and roles.count("row") == rows + tables


def test_every_figure_has_its_size_a_srcset_and_a_link_to_its_full_size(built_site, site_url, phone):
    from PIL import Image

    figures, problems = 0, []
    for name in built_pages(built_site):
        if "<img" not in (built_site / name).read_text():
            continue
        phone.goto(f"{site_url}/{name}", wait_until="load")
        # the figures: every image in a <figure> and every one the build copied into _images (not the theme's icons)
        for image in phone.evaluate(f"[...document.querySelectorAll('{MAIN} figure img, {MAIN} img[src*=\"_images/\"]')]"
                                    """.map(i => ({
              src: i.getAttribute('src'), width: i.getAttribute('width'), height: i.getAttribute('height'),
              srcset: i.getAttribute('srcset') || '', sizes: i.getAttribute('sizes'),
              link: i.closest('a') && i.closest('a').getAttribute('href')}))"""):
            figures += 1
            with Image.open(built_site / image["src"]) as full:
                natural = [str(n) for n in full.size]
            candidates = [c.split() for c in image["srcset"].split(",") if c.strip()]
            if [image["width"], image["height"]] != natural:
                problems.append(f"{name}: {image['src']} is {natural}, its img says {image['width']} x {image['height']}")
            if len(candidates) < 2 or not image["sizes"] or [c[0] for c in candidates if
                                                              not (built_site / c[0]).is_file()]:
                problems.append(f"{name}: {image['src']} has no srcset of two files that exist ({image['srcset']!r})")
            if image["link"] != image["src"]:
                problems.append(f"{name}: {image['src']} does not open at full size (link {image['link']!r})")
    assert figures >= 10
    assert not problems, "\n".join(problems)


def test_on_a_phone_a_multi_panel_figure_keeps_its_width_in_a_scroller_that_says_so(site_url, phone):
    phone.goto(f"{site_url}/parameter-space.html", wait_until="load")
    wide = phone.evaluate("""() => [...document.querySelectorAll('a.gradavg-wide-figure')].map(a => {
        const img = a.querySelector('img'); const hint = a.nextElementSibling;
        return {rendered: img.getBoundingClientRect().width, natural: +img.getAttribute('width'),
                scrolls: a.scrollWidth > a.clientWidth, hint: getComputedStyle(hint, '::before').content}; })""")
    assert len(wide) >= 2  # the twelve panels and the mean step's two panels (the mistaken and right pictures are interactive)
    assert all(w["rendered"] == w["natural"] and w["scrolls"] for w in wide), wide
    assert all("scroll it sideways" in w["hint"] for w in wide)


def test_on_a_phone_the_page_does_not_grow_or_shrink_while_scrolling(site_url, phone):
    for name in ("parameter-space.html", "ledger.html"):
        phone.goto(f"{site_url}/{name}", wait_until="load")
        before = phone.evaluate("document.documentElement.scrollHeight")
        heights = phone.evaluate("""() => { const seen = new Set();
            for (let y = 0; y <= document.documentElement.scrollHeight; y += 600) {
              window.scrollTo(0, y); seen.add(document.documentElement.scrollHeight); }
            return [...seen]; }""")
        assert heights == [before], name


def test_axe_finds_nothing_serious_on_a_phone(site_url, phone):
    problems = []
    for name in ("ledger.html", "parameter-space.html", "training-stacks.html", "linearity.html", "accumulation.html"):
        phone.goto(f"{site_url}/{name}", wait_until="load")
        problems += [f"{name}: {v}" for v in accessibility_violations(phone)]
    assert not problems, "\n".join(problems)
