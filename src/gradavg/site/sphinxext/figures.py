"""Figures that reserve their space, load a copy sized for the screen, and open at full size.

Every ``<img>`` the build copied into ``_images`` gets its natural pixel size as
``width`` and ``height`` (the browser reserves its box before the file arrives:
no layout shift), a ``srcset`` of a half-size copy and the original with a
``sizes`` that matches the text column, and a link to the original, so that a
tap opens it at full size. A figure drawn wider than the column (the multi-panel
ones) is marked wide: on a narrow screen it keeps its natural width inside a
scroller (``gradavg.css``) instead of shrinking until its labels are unreadable.
Every figure after a page's first loads lazily, when the reader scrolls near
it: the first is often the largest thing on the screen when the page opens.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from PIL import Image

#: the folder, inside ``_images``, of the half-size copies
HALF_FOLDER = "half"
#: a figure wider than this, in pixels, was drawn wider than matplotlib's default 6.4 in (651 px with its margins
#: at 100 dpi); those are the multi-panel ones, which keep their natural width in a scroller on a narrow screen
WIDE_FIGURE_PX = 700
#: the width an image fills, the column of Furo's article (the screen less its 1em margins up to 48em wide,
#: 44em up to 67em, 40em beyond, between its 3em margins); a wide figure keeps its natural width below 40em
COLUMN_SIZES = "(max-width: 48em) calc(100vw - 2em), (max-width: 67em) 44em, 40em"

_LINKED_IMG = re.compile(r"(<a\b[^>]*>\s*)?(<img\b[^>]*?)\s*/?>")
_SRC = re.compile(r'\ssrc="([^"]*)"')


def half_size(width: int, height: int) -> tuple[int, int]:
    """The pixel size of an image's half-size copy: half of each side, rounded, at least one pixel.

    Example:
        >>> half_size(909, 711)
        (454, 356)
        >>> half_size(1, 1)
        (1, 1)
    """
    return max(1, round(width / 2)), max(1, round(height / 2))


def half_copy_uri(src: str) -> str:
    """Where the half-size copy of the image at ``src`` (a page's relative URI into ``_images``) is.

    Example:
        >>> half_copy_uri("../_images/plot.png")
        '../_images/half/plot.png'
    """
    folder, name = posixpath.split(src)
    return posixpath.join(folder, HALF_FOLDER, name)


def responsive_images(body: str, natural_size: Callable[[str], tuple[int, int] | None]) -> str:
    """``body`` with every image whose natural size is known sized, given a srcset and linked to its full size.

    ``natural_size`` maps an ``<img>``'s ``src`` to its ``(width, height)`` in
    pixels, or ``None`` to leave that image as it is (not a figure the build
    copied, or not a raster image). An image already inside a link keeps that
    link; any other is wrapped in a link to ``src``, of class
    ``gradavg-wide-figure`` when the image is wider than :data:`WIDE_FIGURE_PX`
    (the link is the scroller: a reader reaches it with the keyboard). Every
    image after the first it rewrites loads lazily.

    Example:
        >>> print(responsive_images('<img alt="A plot" src="_images/p.png" />', lambda src: (640, 480)))
        <a class="gradavg-figure-link" href="_images/p.png"><img alt="A plot" src="_images/p.png" width="640" height="480"
        srcset="_images/half/p.png 320w, _images/p.png 640w" sizes="(max-width: 48em) ..., 40em" /></a>
        >>> two = responsive_images('<img src="a.png" /><img src="b.png" />', lambda src: (640, 480))
        >>> ['loading="lazy"' in tag for tag in two.split("</a>")[:2]]
        [False, True]
    """
    rewritten = 0

    def rewrite(match: re.Match) -> str:
        link, tag = match.group(1) or "", match.group(2)
        src = _SRC.search(tag)
        size = natural_size(html.unescape(src.group(1))) if src else None
        if size is None:
            return match.group(0)
        nonlocal rewritten
        rewritten += 1
        width, height = size
        wide = width > WIDE_FIGURE_PX
        lazy = ' loading="lazy" decoding="async"' if rewritten > 1 else ""
        sizes = f"(max-width: 40em) {width}px, {COLUMN_SIZES}" if wide else COLUMN_SIZES
        half = half_size(width, height)[0]
        uri = src.group(1)  # still escaped, as it stands in the page
        image = (f'{tag} width="{width}" height="{height}" '
                 f'srcset="{half_copy_uri(uri)} {half}w, {uri} {width}w" sizes="{sizes}"{lazy} />')
        if link:
            return f"{link}{image}"
        classes = "gradavg-figure-link gradavg-wide-figure" if wide else "gradavg-figure-link"
        return f'<a class="{classes}" href="{uri}">{image}</a>'

    return _LINKED_IMG.sub(rewrite, body)


def write_half_copy(original: Path, copy: Path) -> None:
    """Write the half-size copy of the image ``original`` to ``copy`` (PNG, deterministic bytes)."""
    with Image.open(original) as image:
        small = image.resize(half_size(*image.size), Image.Resampling.LANCZOS)
    copy.parent.mkdir(parents=True, exist_ok=True)
    small.save(copy, format="PNG")


def _copied_images(app) -> dict[str, Path]:
    """File name in ``_images`` -> its source file, for every image the HTML builder copies."""
    images = getattr(app.builder, "images", {})
    return {name: Path(app.srcdir) / source for source, name in images.items()}


def _raster_size(path: Path) -> tuple[int, int] | None:
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError):  # not an image Pillow reads (SVG, PDF): it scales by itself
        return None


def _figures_responsive(app, pagename, templatename, context, doctree) -> None:
    """Rewrite each page's images as :func:`responsive_images` says, with sizes read from the copied files."""
    if "body" not in context:
        return
    images_uri = posixpath.join(posixpath.relpath(".", posixpath.dirname(pagename) or "."), app.builder.imagedir)
    sources = _copied_images(app)

    def natural_size(src: str) -> tuple[int, int] | None:
        folder, name = posixpath.split(src)
        if posixpath.normpath(folder) != posixpath.normpath(images_uri) or name not in sources:
            return None
        return _raster_size(sources[name])

    context["body"] = responsive_images(context["body"], natural_size)


def _write_half_copies(app, exception) -> None:
    """Write the half-size copy of every image this build copied into ``_images`` that has a pixel size."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / app.builder.imagedir
    for name, source in _copied_images(app).items():
        if _raster_size(source) is not None:
            write_half_copy(source, out / HALF_FOLDER / name)


def setup_figures(app) -> None:
    """Size, link and give a srcset to every figure as its page is written; write the half-size copies at the end."""
    app.connect("html-page-context", _figures_responsive)
    app.connect("build-finished", _write_half_copies)
