"""Figures in the written pages: natural size, srcset, a link to the full size, and the wide ones marked."""

import re

from PIL import Image

from gradavg.site.sphinxext.figures import (WIDE_FIGURE_PX, half_copy_uri, half_size, responsive_images,
                                            write_half_copy)

PLOT = '<figure class="align-default"><img alt="A plot &amp; its axes" src="_images/p.png" />\n<figcaption>'


def attributes(tag: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', tag))


def test_an_image_gets_its_natural_size_a_srcset_and_a_link_to_itself():
    body = responsive_images(PLOT, lambda src: (651, 411) if src == "_images/p.png" else None)
    link, image = re.search(r"(<a [^>]*>)(<img [^>]*>)</a>", body).groups()
    assert attributes(link) == {"class": "gradavg-figure-link", "href": "_images/p.png"}
    assert attributes(image) == {"alt": "A plot &amp; its axes", "src": "_images/p.png", "width": "651",
                                 "height": "411", "srcset": "_images/half/p.png 326w, _images/p.png 651w",
                                 "sizes": "(max-width: 48em) calc(100vw - 2em), (max-width: 67em) 44em, 40em"}
    assert body.startswith('<figure class="align-default"><a ') and body.endswith("</a>\n<figcaption>")


def test_an_image_of_unknown_size_is_left_alone():
    asked = []
    assert responsive_images(PLOT, lambda src: asked.append(src)) == PLOT
    assert asked == ["_images/p.png"]


def test_the_source_is_looked_up_unescaped_and_written_back_as_it_stood():
    body = responsive_images('<img alt="" src="_images/a&amp;b.png">', lambda src: (10, 10) if src == "_images/a&b.png"
                             else None)
    assert 'href="_images/a&amp;b.png"' in body and 'srcset="_images/half/a&amp;b.png 5w, _images/a&amp;b.png 10w"' in body


def test_an_image_already_in_a_link_keeps_that_link_only():
    linked = '<a class="reference internal image-reference" href="_images/p.png"><img alt="x" src="_images/p.png" /></a>'
    body = responsive_images(linked, lambda src: (2000, 1000))
    assert body.count("<a ") == 1 and body.count("</a>") == 1
    assert 'width="2000"' in body and "gradavg-wide-figure" not in body


def test_a_figure_just_wider_than_the_limit_is_wide_and_one_at_the_limit_is_not():
    wide = responsive_images(PLOT, lambda src: (WIDE_FIGURE_PX + 1, 400))
    at_limit = responsive_images(PLOT, lambda src: (WIDE_FIGURE_PX, 400))
    assert 'class="gradavg-figure-link gradavg-wide-figure"' in wide
    assert f'sizes="(max-width: 40em) {WIDE_FIGURE_PX + 1}px, (max-width: 48em)' in wide
    assert 'class="gradavg-figure-link"' in at_limit and "gradavg-wide-figure" not in at_limit
    assert 'sizes="(max-width: 48em)' in at_limit


def test_every_image_of_a_page_is_rewritten():
    body = responsive_images(PLOT + PLOT.replace("p.png", "q.png"), lambda src: (100, 50))
    assert body.count('class="gradavg-figure-link"') == 2 and 'href="_images/q.png"' in body


def test_half_size_rounds_and_keeps_one_pixel():
    assert half_size(651, 411) == (326, 206)
    assert half_size(2, 2) == (1, 1) and half_size(1, 3) == (1, 2)


def test_half_copies_live_in_a_folder_of_their_own():
    assert half_copy_uri("_images/p.png") == "_images/half/p.png"
    assert half_copy_uri("../../_images/p.png") == "../../_images/half/p.png"


def test_the_half_copy_is_half_the_size_and_the_same_bytes_each_time(tmp_path):
    original = tmp_path / "plot.png"
    Image.new("RGB", (651, 411), "white").save(original)
    write_half_copy(original, tmp_path / "half" / "plot.png")
    first = (tmp_path / "half" / "plot.png").read_bytes()
    write_half_copy(original, tmp_path / "half" / "plot.png")
    assert (tmp_path / "half" / "plot.png").read_bytes() == first
    with Image.open(tmp_path / "half" / "plot.png") as copy:
        assert copy.size == (326, 206)


def test_only_raster_images_have_a_pixel_size(tmp_path):
    from gradavg.site.sphinxext.figures import _raster_size

    Image.new("RGB", (3, 2)).save(tmp_path / "plot.png")
    (tmp_path / "plot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="3" height="2"/>')
    assert _raster_size(tmp_path / "plot.png") == (3, 2)
    assert _raster_size(tmp_path / "plot.svg") is None
