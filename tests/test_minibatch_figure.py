"""The variance page's minibatch figure in Chromium: its spreads and batch means are the Python code's, keyboard and
pointer drive it, and its text alternative follows."""

import re
from fractions import Fraction

import pytest

from gradavg.checks.estimation import full_gradient, gradient_variance, minibatch_moments
from gradavg.topics.variance import anscombe_gradients, explorer_data, explorer_text, predicted_spread

pytestmark = pytest.mark.browser

FIGURE = "figure[data-explore=minibatch]"
# the gradients the page draws, exactly (a float converts to a Fraction without rounding)
EXACT = [[Fraction(float(v)) for v in row] for row in anscombe_gradients()]
N = len(EXACT)
MOUNTED = f"document.querySelector('{FIGURE}').dataset.predicted !== undefined"
DATASET = f"() => ({{...document.querySelector('{FIGURE}').dataset}})"
TEXT = f"{FIGURE} .gradavg-explore-text"


@pytest.fixture(scope="module")
def variance(browser, site_url):
    """The variance page with its figure mounted; console errors collected in page.errors."""
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{site_url}/variance.html", wait_until="load")
    page.wait_for_function(MOUNTED)
    page.locator(FIGURE).scroll_into_view_if_needed()
    yield page
    page.close()


def test_it_opens_with_the_text_the_build_wrote(browser, site_url):
    """What the script writes at B = 1 before any draw is what the page came with: nothing moves when it mounts."""
    page = browser.new_page()
    page.goto(f"{site_url}/variance.html", wait_until="load")
    page.wait_for_function(MOUNTED)
    assert page.locator(TEXT).text_content() == explorer_text(explorer_data())
    page.close()


def dataset(page) -> dict:
    return page.evaluate(DATASET)


def choose(page, batch: int, replace: bool):
    """Set B with the keyboard (Home, then ArrowRight) and the sampling with its radio button, by pointer."""
    page.locator(FIGURE).get_by_label("with replacement" if replace else "without", exact=True).check()
    slider = page.locator(FIGURE).get_by_role("slider")
    slider.focus()
    slider.press("Home")
    for _ in range(batch - 1):
        slider.press("ArrowRight")
    page.wait_for_function(f"({DATASET})().batchSize === '{batch}' && ({DATASET})().replace === '{str(replace).lower()}'")


def draw(page, button: str):
    before = int(dataset(page)["draws"])
    page.locator(FIGURE).get_by_role("button", name=button, exact=True).click()
    added = {"Draw 1": 1, "Draw 100": 100}[button]
    page.wait_for_function(f"({DATASET})().draws === '{before + added}'")


def listed_spread(batch: int, replace: bool) -> Fraction:
    """E|g_S - G|^2 from every batch listed where that is quick, else from the formula (tested against the listing)."""
    if not replace or batch <= 3:
        return minibatch_moments(EXACT, batch, replace).variance
    return predicted_spread(gradient_variance(EXACT), N, batch, replace)


def units_per_pixel(page) -> float:
    """The drawing's scale, from where two examples' rings are drawn and their gradients' first components."""
    rings = page.locator(f"{FIGURE} .gradavg-mb-example")
    x0, x5 = (float(rings.nth(i).get_attribute("cx")) for i in (0, 5))
    return float(EXACT[0][0] - EXACT[5][0]) / (x0 - x5)


@pytest.mark.parametrize("batch, replace", [(1, True), (3, True), (11, True), (1, False), (5, False), (10, False)])
def test_the_predicted_spread_it_shows_is_the_python_value(variance, batch, replace):
    choose(variance, batch, replace)
    expected = float(listed_spread(batch, replace))
    assert float(dataset(variance)["predicted"]) == pytest.approx(expected, rel=1e-12)
    radius = float(variance.locator(f"{FIGURE} .gradavg-mb-spread").get_attribute("r")) * units_per_pixel(variance)
    assert radius == pytest.approx(expected ** 0.5, rel=1e-9)
    variance.wait_for_function(f"document.querySelector('{TEXT}').textContent.includes('= {expected:.3f} (the dashed')")
    assert not variance.errors


@pytest.mark.parametrize("batch, replace", [(4, True), (6, False), (11, True)])
def test_each_batch_mean_is_the_python_mean_of_its_examples(variance, batch, replace):
    choose(variance, batch, replace)
    seen = set()
    for _ in range(3):
        draw(variance, "Draw 1")
        data = dataset(variance)
        indices = [int(i) for i in data["lastIndices"].split(",")]
        assert len(indices) == batch and all(0 <= i < N for i in indices)
        assert replace or len(set(indices)) == batch
        expected = [float(v) for v in full_gradient([EXACT[i] for i in indices])]
        assert [float(v) for v in data["lastMean"].split(",")] == pytest.approx(expected, rel=1e-12, abs=1e-12)
        seen.add(tuple(indices))
    assert len(seen) > 1  # the draws are random, not one batch repeated


def test_the_mean_it_computes_for_given_index_lists_is_the_python_mean(variance):
    lists = [[0], [5, 5, 0], list(range(N)), [10, 3, 3, 3, 7]]
    means = variance.evaluate("""async (lists) => {
      const figure = await import(new URL('_static/explore/minibatch.js', document.baseURI));
      const data = JSON.parse(document.querySelector('""" + FIGURE + """ script[type="application/json"]').textContent);
      return lists.map((indices) => figure.batchMean(data.gradients, indices));
    }""", lists)
    for indices, mean in zip(lists, means):
        assert mean == pytest.approx([float(v) for v in full_gradient([EXACT[i] for i in indices])], rel=1e-12)


def dot_offsets(page) -> list[float]:
    """How far each drawn mean's dot is from the full gradient's mark, in pixels."""
    return page.evaluate(f"""() => {{
      const centre = document.querySelector('{FIGURE} .gradavg-mb-spread');
      const [gx, gy] = ['cx', 'cy'].map((a) => Number(centre.getAttribute(a)));
      return [...document.querySelectorAll('{FIGURE} .gradavg-mb-draws circle')]
        .map((d) => Math.hypot(Number(d.getAttribute('cx')) - gx, Number(d.getAttribute('cy')) - gy));
    }}""")


def test_at_b_equal_n_without_replacement_every_mean_is_the_full_gradient(variance):
    choose(variance, N, replace=False)
    assert float(dataset(variance)["predicted"]) == 0 == listed_spread(N, False)
    draw(variance, "Draw 100")
    offsets = dot_offsets(variance)
    assert len(offsets) == 100 and max(offsets) < 1e-9
    assert float(dataset(variance)["meanSquaredDistance"]) < 1e-24
    assert float(variance.locator(f"{FIGURE} .gradavg-mb-spread").get_attribute("r")) == 0
    # with replacement the same B still scatters: a batch of N draws repeats some examples and misses others
    choose(variance, N, replace=True)
    assert dataset(variance)["draws"] == "0" and not dot_offsets(variance)  # a new setting starts afresh
    draw(variance, "Draw 100")
    assert max(dot_offsets(variance)) > 1


def test_the_text_alternative_says_what_was_drawn_against_the_prediction(variance):
    choose(variance, 2, replace=True)
    draw(variance, "Draw 100")
    variance.wait_for_function(f"document.querySelector('{TEXT}').textContent.includes('100 batches drawn')")
    text, data = variance.locator(TEXT).text_content(), dataset(variance)
    assert variance.locator(TEXT).get_attribute("aria-live") == "polite"
    assert text.startswith(f"B = 2 of N = {N}, with replacement.")
    assert f"Predicted mean squared distance of a batch mean from G = (\u22123.16, \u22122.00): \u03c3\u00b2/B = " \
           f"{float(listed_spread(2, True)):.3f} " in text
    last = ", ".join(f"{float(v):.2f}".replace("-", "\u2212") for v in data["lastMean"].split(","))
    assert text.endswith(f"100 batches drawn: mean squared distance {float(data['meanSquaredDistance']):.3f}; "
                         f"last mean ({last}).")
    variance.locator(FIGURE).get_by_role("button", name="Clear").click()
    variance.wait_for_function(f"document.querySelector('{TEXT}').textContent.includes('No batches drawn yet.')")
    assert dataset(variance)["draws"] == "0" and not dot_offsets(variance)


def test_a_burst_of_draws_is_spoken_at_most_twice_the_last_one_last(variance):
    """Ten clicks in one task: the readout changes at the first (unless the throttle is still closed from choosing B)
    and, once the throttle has passed, for the last; never for the eight between."""
    choose(variance, 3, replace=True)
    variance.evaluate(f"""() => {{
      const text = document.querySelector('{TEXT}');
      window.readouts = [];
      new MutationObserver(() => window.readouts.push(text.textContent)).observe(text, {{childList: true}});
      const button = [...document.querySelectorAll('{FIGURE} button')].find((b) => b.textContent === 'Draw 1');
      for (let k = 0; k < 10; k++) button.click();
    }}""")
    variance.wait_for_function("window.readouts.length > 0 && window.readouts.at(-1).includes('10 batches drawn')")
    readouts = variance.evaluate("window.readouts")
    assert len(readouts) <= 2 and all("1 batch drawn" in r for r in readouts[:-1])


def test_the_keyboard_drives_every_control(variance):
    choose(variance, 1, replace=True)
    slider = variance.locator(FIGURE).get_by_role("slider")
    slider.press("ArrowRight")
    variance.wait_for_function(f"document.querySelector('{TEXT}').textContent.startsWith('B = 2 of')")
    slider.press("End")
    variance.wait_for_function(f"document.querySelector('{TEXT}').textContent.startsWith('B = {N} of')")
    assert dataset(variance)["batchSize"] == str(N)
    # the radio group moves with the arrow keys; the next Tab stops are the buttons
    variance.locator(FIGURE).get_by_label("with replacement", exact=True).focus()
    variance.keyboard.press("ArrowRight")
    variance.wait_for_function(f"document.querySelector('{TEXT}').textContent.includes('without replacement')")
    assert dataset(variance)["replace"] == "false"
    variance.keyboard.press("Tab")
    assert variance.evaluate("document.activeElement.textContent") == "Draw 1"
    variance.keyboard.press("Enter")
    variance.wait_for_function(f"({DATASET})().draws === '1'")
    variance.keyboard.press("Tab")
    variance.keyboard.press("Space")
    variance.wait_for_function(f"({DATASET})().draws === '101'")


# the controls and the readout, if either has grown past the height the page reserved for it before the script ran
OUTGROWN = f"""() => [...document.querySelectorAll('{FIGURE} .gradavg-explore-controls, {FIGURE} .gradavg-explore-text')]
  .filter((e) => e.offsetHeight > parseFloat(getComputedStyle(e).minHeight) + 0.5).map((e) => e.className)"""


def fill_with_the_longest_readout(page):
    """Without replacement the formula is longest; a batch of ten has the longest predicted spread's digits."""
    choose(page, 10, replace=False)
    draw(page, "Draw 100")
    page.wait_for_function(f"document.querySelector('{TEXT}').textContent.includes('batches drawn')")


def test_what_the_script_writes_fits_the_space_reserved_for_it(variance):
    assert variance.evaluate(OUTGROWN) == []
    fill_with_the_longest_readout(variance)
    assert variance.evaluate(OUTGROWN) == []


def luminance(colour: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", colour)[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_check_tells_black_on_white_from_gray_on_gray():
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgb(120, 120, 120)", "rgb(128, 128, 128)") < 1.2


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_it_fits_and_its_marks_stand_out_in_either_theme(browser, site_url, scheme):
    page = browser.new_page(viewport={"width": 375, "height": 812}, color_scheme=scheme)
    page.goto(f"{site_url}/variance.html", wait_until="load")
    page.wait_for_function(MOUNTED)
    figure = page.locator(FIGURE)
    assert page.evaluate(OUTGROWN) == []
    fill_with_the_longest_readout(page)
    assert page.evaluate(OUTGROWN) == []
    box = figure.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    controls = figure.locator(".gradavg-explore-controls")
    assert controls.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    colours = page.evaluate(f"""() => {{
      const style = (selector, property) => getComputedStyle(document.querySelector('{FIGURE} ' + selector))[property];
      return {{ background: style('svg', 'backgroundColor'), text: style('.gradavg-mb-axes text', 'fill'),
               example: style('.gradavg-mb-example', 'stroke'), spread: style('.gradavg-mb-spread', 'stroke'),
               full: style('.gradavg-mb-full', 'stroke'), draw: style('.gradavg-mb-draws circle', 'fill') }};
    }}""")
    page.close()
    background = colours.pop("background")
    assert (luminance(background) < 0.1) == (scheme == "dark")
    for mark, colour in colours.items():
        assert contrast(colour, background) >= 3, f"{scheme}: {mark} {colour} on {background}"
