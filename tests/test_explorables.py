"""Explorable figures: the markup and data a cell writes, the PDF's fallback, and which pages load the script."""

import json
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from gradavg.site.explorables import Explorable, json_for_script  # noqa: E402
from gradavg.site.sphinxext.explorables import EXPLORE_SCRIPT, shows_explorable  # noqa: E402


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
        if 'data-explore="' in text:
            showing.add(name)
    assert showing, "no page shows an explorable figure"
    assert loading == showing
