"""Explorable figures: a cell's output that the page's JavaScript turns into an interactive SVG figure.

A cell shows an :class:`Explorable`. In the HTML edition its ``text/html``
output is a ``<figure class="gradavg-explore" data-explore="NAME">`` holding the
figure's data as JSON (computed by Python in the cell, so the numbers the page
shows are the build's), a mount point whose aspect ratio is fixed before any
script runs (no layout shift), a row for the figure's controls, a text
alternative that the script keeps up to date (``aria-live="polite"``) and a
``<noscript>`` note. ``docs/_static/explore/explore.js`` (added only to pages
that hold such a figure: :mod:`gradavg.site.sphinxext.explorables`) imports
``docs/_static/explore/NAME.js`` and calls its ``mount(root, data)``.

The PDF edition cannot run a script: MyST-NB picks each output's MIME type by
the builder's priority list, and LaTeX's has no ``text/html``, so it takes the
``image/png`` of the static ``fallback`` figure instead.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

#: a figure's name is the file name of its module, ``docs/_static/explore/NAME.js``
NAME = re.compile(r"[a-z][a-z0-9-]*")


def json_for_script(data: Any) -> str:
    """``data`` as JSON that is safe inside ``<script type="application/json">``: no ``<`` that could end it.

    Example:
        >>> json_for_script({"label": "</script>"})
        '{"label": "\\\\u003c/script>"}'
    """
    return json.dumps(data, allow_nan=False).replace("<", "\\u003c")


def png_of(figure) -> bytes:
    """A matplotlib figure as PNG bytes, cropped as the notebook's inline backend crops it; the figure is closed.

    Closed, so that the cell's inline backend does not show it a second time beside the explorable.
    """
    import matplotlib.pyplot as plt  # imported here: a figure without a fallback needs no matplotlib

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


@dataclass(frozen=True)
class Explorable:
    """An interactive figure: its module's name, its data, the text that describes it, and a static fallback.

    Args:
        name: the figure's module, ``docs/_static/explore/NAME.js`` (lower case letters, digits and hyphens).
        data: what the module draws, JSON-serialisable (no NaN or infinity).
        text: the text alternative until the script replaces it, and for readers without JavaScript.
        fallback: a matplotlib figure, or its PNG bytes, for the PDF edition; converted (and closed) at once.
        aspect: ``(width, height)`` of the drawing, the mount point's fixed aspect ratio and the SVG's viewBox.

    Example:
        >>> figure = Explorable("contours", {"n": 1}, "One point.", aspect=(3, 2))
        >>> print(figure._repr_html_())  # doctest: +NORMALIZE_WHITESPACE
        <figure class="gradavg-explore" data-explore="contours" data-width="3" data-height="2">
        <script type="application/json">{"n": 1}</script>
        <div class="gradavg-explore-mount" style="aspect-ratio: 3 / 2"></div>
        <div class="gradavg-explore-controls"></div>
        <p class="gradavg-explore-text" aria-live="polite">One point.</p>
        <noscript><p>This figure is interactive with JavaScript; the text above describes it.</p></noscript>
        </figure>
        >>> figure._repr_png_() is None
        True
    """

    name: str
    data: Any
    text: str
    fallback: Any = None
    aspect: tuple[int, int] = (4, 3)
    _png: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        if not NAME.fullmatch(self.name):
            raise ValueError(f"an explorable's name is a module's file name (a-z, 0-9, -), not {self.name!r}")
        width, height = self.aspect
        if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
            raise ValueError(f"an explorable's aspect is two positive integers, not {self.aspect!r}")
        json_for_script(self.data)  # fails now, in the cell, on data that JSON cannot carry
        if self.fallback is not None:
            png = self.fallback if isinstance(self.fallback, bytes) else png_of(self.fallback)
            object.__setattr__(self, "_png", png)

    def _repr_html_(self) -> str:
        width, height = self.aspect
        return (f'<figure class="gradavg-explore" data-explore="{self.name}" data-width="{width}" '
                f'data-height="{height}">\n'
                f'<script type="application/json">{json_for_script(self.data)}</script>\n'
                f'<div class="gradavg-explore-mount" style="aspect-ratio: {width} / {height}"></div>\n'
                '<div class="gradavg-explore-controls"></div>\n'
                f'<p class="gradavg-explore-text" aria-live="polite">{html.escape(self.text)}</p>\n'
                '<noscript><p>This figure is interactive with JavaScript; the text above describes it.</p></noscript>\n'
                '</figure>')

    def _repr_png_(self) -> bytes | None:
        return self._png
