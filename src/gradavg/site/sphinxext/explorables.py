"""Explorable figures' script, on the pages that show one and on no other.

A page whose body holds an explorable figure (the markup that
:class:`gradavg.site.explorables.Explorable` writes) gets ``_static/explore/explore.js``
as an ES module; every other page loads nothing more (Sphinx adds a script
given in ``html-page-context`` to that page alone).
"""

from __future__ import annotations

#: the module that mounts every explorable figure of a page, under ``_static``
EXPLORE_SCRIPT = "explore/explore.js"
#: how an explorable figure's markup starts; a page that only mentions it (the API reference) has ``&lt;`` for ``<``
MARKER = '<figure class="gradavg-explore" data-explore="'


def shows_explorable(body: str) -> bool:
    """Whether a page's body holds an explorable figure.

    Example:
        >>> shows_explorable('<figure class="gradavg-explore" data-explore="contours">')
        True
        >>> shows_explorable('<code>&lt;figure class="gradavg-explore" data-explore="contours"&gt;</code>')
        False
    """
    return MARKER in body


def _add_explore_script(app, pagename, templatename, context, doctree) -> None:
    if shows_explorable(context.get("body", "")):
        app.add_js_file(EXPLORE_SCRIPT, type="module")


def setup_explorables(app) -> None:
    """Connect the per-page script to ``html-page-context``."""
    app.connect("html-page-context", _add_explore_script)
