"""What the extension fixes and checks in every HTML page the build writes."""

from __future__ import annotations

import html
import re

from sphinx.util import logging

logger = logging.getLogger(__name__)


def _citations_as_list_items(app, pagename, templatename, context, doctree) -> None:
    """Give bibliography entries the ``listitem`` role their ``role="list"`` container requires.

    docutils marks them ``doc-biblioentry``, which axe reports as a list
    without list items (aria-required-children).
    """
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def _code_blocks_focusable(app, pagename, templatename, context, doctree) -> None:
    """Let the keyboard reach every code block, which scrolls sideways when its lines are longer than the column.

    A region that scrolls but cannot take focus cannot be scrolled without a
    pointer (axe: scrollable-region-focusable).
    """
    if "body" in context:
        context["body"] = context["body"].replace('<div class="highlight"><pre>', '<div class="highlight"><pre tabindex="0">')


def _display_math_focusable(app, pagename, templatename, context, doctree) -> None:
    """Let the keyboard reach every display formula, which scrolls sideways when it is wider than the column.

    The formula scrolls as a whole (``.katex-display``, in ``gradavg.css``): its
    MathML is inside, so a screen reader that lands on it reads the formula.
    """
    if "body" in context:
        context["body"] = context["body"].replace('<span class="katex-display">', '<span class="katex-display" tabindex="0">')


#: the KaTeX fonts nearly every formula is set in (upright and math italic), in _static/katex/fonts (make assets)
MATH_FONTS = ("KaTeX_Main-Regular", "KaTeX_Math-Italic")


def _preload_math_fonts(app, pagename, templatename, context, doctree) -> None:
    """Ask for the math fonts with the page, on pages that have formulas.

    KaTeX's stylesheet names its fonts with ``font-display: block``: found only once
    the stylesheet is read, they arrived after the first paint on a slow phone,
    and every formula then changed width and moved the text around it (Lighthouse
    CLS 0.045 on the variance page, 0.001 with the fonts preloaded).
    """
    if 'class="katex"' not in context.get("body", ""):
        return
    links = "".join(f'<link rel="preload" href="{context["pathto"](f"_static/katex/fonts/{font}.woff2", 1)}" '
                    'as="font" type="font/woff2" crossorigin>\n' for font in MATH_FONTS)
    context["metatags"] = context.get("metatags", "") + links


_KATEX_ERROR = re.compile(r'class="katex-error" title="([^"]*)"')


def _fail_on_unrendered_math(app, pagename, templatename, context, doctree) -> None:
    """Warn (and so fail the strict build) for every formula KaTeX could not typeset, naming the page."""
    for message in _KATEX_ERROR.findall(context.get("body", "")):
        logger.warning("KaTeX could not typeset a formula: %s", html.unescape(message), location=pagename,
                       type="gradavg", subtype="math")


def setup_html_fixes(app) -> None:
    """Fix and check each page as the HTML writer renders it."""
    app.connect("html-page-context", _citations_as_list_items)
    app.connect("html-page-context", _code_blocks_focusable)
    app.connect("html-page-context", _preload_math_fonts)
    app.connect("html-page-context", _display_math_focusable)
    app.connect("html-page-context", _fail_on_unrendered_math)
