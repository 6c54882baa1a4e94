"""Explorable figures: the markup and data a cell writes, the PDF's fallback, and which pages load the script."""

import html
import json
import math
import re

import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from gradavg.engine.models import linear_regression  # noqa: E402
from gradavg.engine.numeric import least_squares_gradient, per_example_gradients  # noqa: E402
from gradavg.site.explorables import Explorable, json_for_script  # noqa: E402
from gradavg.site.sphinxext.explorables import EXPLORE_SCRIPT, shows_explorable  # noqa: E402
from gradavg.topics.parameter_space import cost_minimum_exact, mistaken_places  # noqa: E402
from gradavg.topics.parameter_space_figures import anscombe_standardised  # noqa: E402


def test_the_markup_carries_the_data_a_fixed_aspect_and_a_live_text_alternative():
    markup = Explorable("contours", {"points": [[0.5, -1]]}, "At (0, 6.5) & beyond.", aspect=(600, 520))._repr_html_()
    assert markup.startswith('<figure class="gradavg-explore" data-explore="contours" data-width="600" '
                             'data-height="520">')
    data = re.search(r'<script type="application/json">(.*?)</script>', markup).group(1)
    assert json.loads(data) == {"points": [[0.5, -1]]}
    assert '<div class="gradavg-explore-mount" style="aspect-ratio: 600 / 520"></div>' in markup
    assert '<p class="gradavg-explore-text" aria-live="polite">At (0, 6.5) &amp; beyond.</p>' in markup
    assert "<noscript>" in markup


def test_data_cannot_end_its_script_element():
    carried = json_for_script({"label": "</script><script>alert(1)</script>"})
    assert "<" not in carried and json.loads(carried) == {"label": "</script><script>alert(1)</script>"}


def test_data_json_cannot_carry_is_refused_in_the_cell():
    with pytest.raises(ValueError):
        Explorable("contours", {"x": float("nan")}, "text")
    with pytest.raises(TypeError):
        Explorable("contours", {"x": object()}, "text")


@pytest.mark.parametrize("name", ["contours", "minibatch-means", "b2"])
def test_a_module_file_name_is_a_name(name):
    assert Explorable(name, {}, "text").name == name


@pytest.mark.parametrize("name", ["../contours", "Contours", "contours.js", "", "2b"])
def test_anything_else_is_refused(name):
    with pytest.raises(ValueError, match="module's file name"):
        Explorable(name, {}, "text")


@pytest.mark.parametrize("aspect", [(1, 1), (600, 520)])
def test_an_aspect_of_positive_integers_is_kept(aspect):
    assert f"aspect-ratio: {aspect[0]} / {aspect[1]}" in Explorable("contours", {}, "t", aspect=aspect)._repr_html_()


@pytest.mark.parametrize("aspect", [(0, 1), (1, 0), (-4, 3), (4.0, 3)])
def test_an_aspect_that_is_not_is_refused(aspect):
    with pytest.raises(ValueError, match="aspect"):
        Explorable("contours", {}, "t", aspect=aspect)


def test_the_fallback_figure_is_the_png_and_is_closed():
    figure = plt.figure(figsize=(2, 1))
    explorable = Explorable("contours", {}, "text", fallback=figure)
    assert explorable._repr_png_().startswith(b"\x89PNG\r\n\x1a\n")
    assert not plt.fignum_exists(figure.number)  # the inline backend will not show it a second time


def test_png_bytes_are_kept_as_they_are():
    assert Explorable("contours", {}, "text", fallback=b"\x89PNG...")._repr_png_() == b"\x89PNG..."


def test_without_a_fallback_there_is_no_png():
    assert Explorable("contours", {}, "text")._repr_png_() is None


def test_the_script_goes_to_a_page_with_an_explorable_and_not_to_others():
    assert shows_explorable(Explorable("contours", {}, "text")._repr_html_())
    assert not shows_explorable('<figure class="align-default"><img alt="A plot" src="_images/p.png" /></figure>')
    assert not shows_explorable(html.escape(Explorable("contours", {}, "text")._repr_html_()))  # the API reference


@pytest.mark.build
def test_in_the_built_site_only_pages_with_an_explorable_load_its_script(built_site):
    loading, showing = set(), set()
    for page in built_site.rglob("*.html"):
        if "_static" in page.parts:
            continue
        text = page.read_text()
        name = page.relative_to(built_site).as_posix()
        if re.search(r'<script [^>]*src="[^"]*_static/' + re.escape(EXPLORE_SCRIPT) + r'\?[^"]*" type="module"', text) \
                or re.search(r'<script [^>]*type="module"[^>]*src="[^"]*_static/' + re.escape(EXPLORE_SCRIPT), text):
            loading.add(name)
        if '<figure class="gradavg-explore" data-explore="' in text:
            showing.add(name)
    assert showing, "no page shows an explorable figure"
    assert loading == showing



# --- the contours figure in Chromium (docs/_static/explore/contours.js) ----------------------------------------

CONTOURS = "figure[data-explore=contours]"
PAGES_WITH_CONTOURS = ["index.html", "parameter-space.html"]
#: the figure's arrow-key steps, in parameter units (contours.js: STEP, BIG_STEP)
STEP, BIG_STEP = 0.05, 0.5
GRADIENT_OF = per_example_gradients(linear_regression(1))


def figure_state(page) -> dict:
    """What the figure drew last: the point, each example's place and gradient, their mean, the cost's gradient."""
    return json.loads(page.locator(CONTOURS).get_attribute("data-state"))


def close(computed, expected, relative=1e-9) -> bool:
    """Within ``relative`` of the expected vector's largest entry, entry by entry (a gradient entry may be ~0)."""
    computed, expected = np.asarray(computed, dtype=float), np.asarray(expected, dtype=float)
    return computed.shape == expected.shape and bool(np.all(np.abs(computed - expected) <= relative * np.abs(expected).max()))


def python_gradients(theta, picture):
    """Each example's gradient at its place, by the engine's per-example route, as the page's own figure takes them."""
    z, y = anscombe_standardised()
    if picture == "right":
        return GRADIENT_OF(theta, z, y)
    places = [(theta[0] + float(dw), theta[1] + float(db)) for dw, db in mistaken_places(len(z))]
    return np.array([GRADIENT_OF(place, z[k : k + 1], y[k : k + 1])[0] for k, place in enumerate(places)])


def degrees_between(u, v) -> float:
    return float(np.degrees(abs(np.arctan2(u[0] * v[1] - u[1] * v[0], np.dot(u, v)))))


def assert_agrees_with_the_engine(state):
    theta, z = state["theta"], anscombe_standardised()[0]
    grads = python_gradients(theta, state["picture"])
    assert close(state["gradients"], grads), (theta, state["picture"])
    assert close(state["mean"], grads.mean(axis=0))
    full = least_squares_gradient(theta, *anscombe_standardised())
    assert close(state["cost_gradient"], full)
    assert abs(state["angle"] - degrees_between(-grads.mean(axis=0), -full)) < 1e-9
    assert close(state["minimum"], [float(v) for v in cost_minimum_exact()])
    assert len(state["gradients"]) == len(z)


@pytest.fixture()
def contours(browser, site_url):
    """The parameter-space page with its contours figure mounted, and the console's errors."""
    page = browser.new_page(viewport={"width": 900, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site_url}/parameter-space.html")
    page.wait_for_selector(f"{CONTOURS}[data-state]")
    page.locator(CONTOURS).scroll_into_view_if_needed()
    yield page
    assert errors == []
    page.close()


def screen_point(page, theta):
    """Where the parameter point ``theta`` is on the screen: the plot's frame spans the figure's ranges."""
    data = json.loads(page.locator(f"{CONTOURS} script[type='application/json']").text_content())
    box = page.locator(f"{CONTOURS} rect.frame").bounding_box()
    (w0, w1), (b0, b1) = data["w_range"], data["b_range"]
    return (box["x"] + (theta[0] - w0) / (w1 - w0) * box["width"],
            box["y"] + (b1 - theta[1]) / (b1 - b0) * box["height"])


def drag(page, theta):
    handle = page.locator(f"{CONTOURS} circle.handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(*screen_point(page, theta), steps=6)
    page.mouse.up()


def press(page, key, times):
    for _ in range(times):
        page.keyboard.press(key)


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES_WITH_CONTOURS)
def test_the_figure_mounts_at_its_starting_point_with_the_engines_gradients(browser, site_url, name):
    page = browser.new_page()
    page.goto(f"{site_url}/{name}")
    page.wait_for_selector(f"{CONTOURS}[data-state]")
    state = figure_state(page)
    assert state["theta"] == [0.0, 6.5] and state["picture"] == "right"
    assert_agrees_with_the_engine(state)
    assert page.locator(f"{CONTOURS} .example").count() == 11
    page.close()


@pytest.mark.browser
def test_keys_and_pointer_move_the_point_and_the_gradients_agree_with_the_engine(contours):
    page = contours
    page.locator(f"{CONTOURS} svg").focus()
    sampled = []
    press(page, "ArrowRight", 3), press(page, "Shift+ArrowUp", 2)
    sampled.append(figure_state(page))
    assert np.allclose(sampled[-1]["theta"], [3 * STEP, 6.5 + 2 * BIG_STEP], atol=1e-12)
    press(page, "Shift+ArrowLeft", 4), press(page, "ArrowDown", 7)
    sampled.append(figure_state(page))
    assert np.allclose(sampled[-1]["theta"], [3 * STEP - 4 * BIG_STEP, 7.5 - 7 * STEP], atol=1e-12)
    for target in [(2.0, 5.0), (3.2, 9.1), (-1.3, 9.8)]:
        drag(page, target)
        sampled.append(figure_state(page))
        assert np.allclose(sampled[-1]["theta"], target, atol=0.05), (sampled[-1]["theta"], target)  # within a pixel
    assert len({tuple(s["theta"]) for s in sampled}) == 5
    for state in sampled:
        assert_agrees_with_the_engine(state)
        assert state["angle"] < 1e-9  # the right picture: minus the mean is minus the cost's gradient, by the theorem
    assert page.locator(f"{CONTOURS} .gradavg-explore-text [aria-hidden=true]").inner_text().endswith("0.00°")


@pytest.mark.browser
def test_the_arrow_keys_stop_at_the_edge_of_the_plane(contours):
    page = contours
    page.locator(f"{CONTOURS} svg").focus()
    press(page, "Shift+ArrowLeft", 4)
    assert figure_state(page)["theta"][0] == pytest.approx(-2.0)  # just inside the edge, -2.5
    press(page, "Shift+ArrowLeft", 2)
    assert figure_state(page)["theta"][0] == -2.5  # past it: held at the edge


@pytest.mark.browser
def test_the_switch_draws_the_mistaken_picture_and_says_so(contours):
    page = contours
    spoken = page.locator(f"{CONTOURS} .gradavg-visually-hidden")
    starts = f"[...document.querySelectorAll('{CONTOURS} .example line')].map(l => l.getAttribute('x1') + ',' + l.getAttribute('y1'))"
    assert len(set(page.evaluate(starts))) == 1 and spoken.inner_text().startswith("Right picture")
    page.click(f"{CONTOURS} button[data-picture=mistaken]")
    assert page.locator(f"{CONTOURS} button[data-picture=mistaken]").get_attribute("aria-pressed") == "true"
    assert page.locator(f"{CONTOURS} button[data-picture=right]").get_attribute("aria-pressed") == "false"
    assert len(set(page.evaluate(starts))) == 11  # each example's arrow starts at its own place
    page.wait_for_function(f"document.querySelector('{CONTOURS} .gradavg-visually-hidden').textContent.startsWith('Mistaken')")
    state = figure_state(page)
    assert state["picture"] == "mistaken" and state["angle"] > 1  # the misplaced mean is not minus the gradient
    assert_agrees_with_the_engine(state)
    page.locator(f"{CONTOURS} svg").focus()
    press(page, "Shift+ArrowRight", 3)
    assert_agrees_with_the_engine(figure_state(page))
    page.click(f"{CONTOURS} button[data-picture=right]")
    assert len(set(page.evaluate(starts))) == 1


@pytest.mark.browser
def test_the_text_alternative_speaks_once_for_a_burst_of_moves_then_the_last_one(contours):
    page = contours
    changes = page.evaluate(f"""() => {{
      const spoken = document.querySelector('{CONTOURS} .gradavg-visually-hidden'), seen = [];
      new MutationObserver(() => seen.push(spoken.textContent)).observe(spoken, {{childList: true, characterData: true, subtree: true}});
      window.spokenChanges = seen;
      const svg = document.querySelector('{CONTOURS} svg');
      for (let k = 0; k < 20; k++) svg.dispatchEvent(new KeyboardEvent('keydown', {{key: 'ArrowUp', bubbles: true}}));
      return new Promise(done => setTimeout(() => done(seen.slice()), 0));
    }}""")
    assert len(changes) <= 1  # 20 moves in one task: at most the first is spoken at once
    page.wait_for_function("window.spokenChanges.some(t => t.includes('7.50)'))")  # then the last: 6.5 + 20 x 0.05
    assert figure_state(page)["theta"] == pytest.approx([0.0, 7.5])


@pytest.mark.browser
def test_on_a_phone_the_figure_fits_and_the_script_shifts_nothing(browser, site_url):
    heights = {}
    for script in (True, False):
        context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=script)
        page = context.new_page()
        page.goto(f"{site_url}/parameter-space.html")
        if script:
            page.wait_for_selector(f"{CONTOURS}[data-state]")
            box = page.locator(f"{CONTOURS} svg").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375
            assert page.locator(f"{CONTOURS} button[data-picture=mistaken]").bounding_box()["x"] + 20 <= 375
        heights[script] = page.evaluate(f"""['.gradavg-explore-mount', '.gradavg-explore-controls', '.gradavg-explore-text']
          .map(s => document.querySelector('{CONTOURS} ' + s).getBoundingClientRect().height)""")
        context.close()
    assert heights[True] == pytest.approx(heights[False], abs=0.5)  # the mount, controls and text kept their size


@pytest.mark.browser
def test_dark_mode_draws_in_other_colours(browser, site_url):
    colours = {}
    for scheme in ("light", "dark"):
        page = browser.new_page(color_scheme=scheme)
        page.goto(f"{site_url}/index.html")
        page.wait_for_selector(f"{CONTOURS}[data-state]")
        colours[scheme] = page.evaluate(f"""() => {{
          const style = s => getComputedStyle(document.querySelector('{CONTOURS} ' + s));
          return [style('svg').backgroundColor, style('.mean line').stroke, style('.example line').stroke,
                  style('.contour').stroke, style('.axes text').fill];
        }}""")
        page.close()
    assert all(light != dark for light, dark in zip(colours["light"], colours["dark"])), colours


@pytest.mark.browser
def test_the_angle_of_a_zero_vector_is_undefined_not_zero(contours):
    # at the minimum (and, in the mistaken picture, where the misplaced mean vanishes) a vector is 0
    angles = contours.evaluate("""async () => { const { angle } = await import('./_static/explore/contours.js');
                                  return [angle([0, 0], [1, 0]), angle([1, 0], [0, 1e-13]), angle([1, 0], [0, 2])]; }""")
    assert all(isinstance(a, float) and math.isnan(a) for a in angles[:2]), angles
    assert angles[2] == pytest.approx(90.0)
