"""A ``<meta name="description">`` on every page: its opening sentence, as plain text.

A page's description is the first sentence of its first paragraph of body text
(a paragraph directly under one of its sections, not one inside a note, a
citation or a cell's output), with each formula written as plain text, no
markup, whitespace collapsed, and cut at a word boundary to at most
:data:`LIMIT` characters (an ellipsis marks the cut). A page without such a
paragraph is described by its title; a page Sphinx generates (the index, the
search page) by its title and the project's name.
"""

from __future__ import annotations

import html
import re

from docutils import nodes

#: the longest description, in characters (search engines show about this many)
LIMIT = 160

#: the LaTeX commands the pages' opening sentences use, as the characters they typeset
_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ",
    "phi": "φ", "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "Omega": "Ω", "nabla": "∇", "partial": "∂",
    "sum": "∑", "prod": "∏", "infty": "∞", "cdot": "·", "times": "×", "le": "≤", "leq": "≤", "ge": "≥",
    "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "in": "∈", "to": "→", "ldots": "…", "dots": "…",
}
#: ``\frac{a}{b}``, ``\frac1N`` (one-character arguments need no braces)
_FRACTION = re.compile(r"\\[dt]?frac\s*(\{[^{}]*\}|\w)\s*(\{[^{}]*\}|\w)")
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad\b|~")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
#: what is left of an escaped character (``\{``, ``\%``) once its command is gone
_ESCAPE = re.compile(r"\\(?=\W)")
#: the titles of the pages Sphinx generates that its page context does not carry (its templates set them)
_GENERATED_TITLES = {"genindex": "Index", "search": "Search"}
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9(“\"'])")


def math_as_text(latex: str) -> str:
    """A formula written as plain text: symbols as their characters, fractions with a slash, no braces.

    Example:
        >>> math_as_text(r"C(\\theta) = \\frac1N\\sum_i L(\\theta, x_i)")
        'C(θ) = 1/N∑_i L(θ, x_i)'
        >>> math_as_text(r"\\mathbb{E}_x\\, \\frac{a+b}{2}")
        'E_x (a+b)/2'
    """
    def grouped(part: str) -> str:
        part = part.strip("{}")
        return part if part.isalnum() else f"({part})"  # a+b over 2 is (a+b)/2

    def fraction(match: re.Match) -> str:
        return f"{grouped(match.group(1))}/{grouped(match.group(2))}"

    text = _FRACTION.sub(fraction, latex)
    text = _SPACING.sub(" ", text)
    text = _COMMAND.sub(lambda command: _SYMBOLS.get(command.group(1), ""), text)
    text = _ESCAPE.sub("", text)
    return " ".join(text.replace("{", "").replace("}", "").split())


def _plain_text(node: nodes.Node) -> str:
    if isinstance(node, nodes.math):
        return math_as_text(node.astext())
    if isinstance(node, (nodes.raw, nodes.comment, nodes.system_message)):
        return ""
    if isinstance(node, nodes.Text):
        return node.astext()
    return "".join(_plain_text(child) for child in node.children)


def shortened(text: str, limit: int = LIMIT) -> str:
    """``text`` if it has at most ``limit`` characters, else cut at the last word boundary that leaves room for "…".

    Example:
        >>> shortened("one two three", limit=13)
        'one two three'
        >>> shortened("one two three", limit=12)
        'one two…'
    """
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


def description(doctree: nodes.document) -> str:
    """The description of a page read from ``doctree``: its opening sentence, else its title (see the module)."""
    for paragraph in doctree.findall(nodes.paragraph):
        if isinstance(paragraph.parent, nodes.section):
            text = " ".join(_plain_text(paragraph).split())
            if text:
                return shortened(_SENTENCE_END.split(text, maxsplit=1)[0])
    title = next(doctree.findall(nodes.title), None)
    return shortened(" ".join(title.astext().split())) if title else ""


def _add_description(app, pagename, templatename, context, doctree) -> None:
    if doctree is not None:
        text = description(doctree)
    else:  # a page Sphinx generates: the index, the search page, a domain's index
        title = context.get("indextitle") or _GENERATED_TITLES.get(pagename, pagename)
        text = shortened(f"{title}: {app.config.project}.")
    context["metatags"] = context.get("metatags", "") + f'<meta name="description" content="{html.escape(text)}">\n'


def setup_meta_description(app) -> None:
    """Give every page the build writes its description."""
    app.connect("html-page-context", _add_description)
