"""The site's live checks: which claims the in-browser engine can re-run, and the markup for them.

The engine in the reader's browser (Pyodide, see ``docs/_static/live/``) carries
SymPy and mpmath and the project's own wheel, nothing else. Whether a claim can
run there is read from the source (:func:`gradavg.site.imports.third_party_needs`):
the claim's module, every import in it, the checks' own included, and the
package modules it reaches, their module-level imports, must need no
third-party package beyond those. A test re-runs every claim this offers with
NumPy and Matplotlib blocked.
"""

from __future__ import annotations

import html

from ..engine.claims import claim_module
from .imports import third_party_needs

#: the third-party packages the in-browser engine carries
BROWSER_PACKAGES = frozenset({"sympy", "mpmath"})


def live_html(claim_id: str) -> str:
    """The markup under a claim's verdict: a re-run button when the claim can run in the browser, else why not.

    Example:
        >>> 'data-claim="linearity.general-n"' in live_html("linearity.general-n")
        True
        >>> "numpy" in live_html("framework.per-example")
        True
    """
    module = claim_module(claim_id)
    missing = sorted(third_party_needs(module) - BROWSER_PACKAGES)
    if missing:
        return ('<p class="gradavg-live-note">This check needs ' + html.escape(", ".join(missing)) +
                ", which the in-browser engine does not carry: re-run it on your machine with "
                "<code>gradavg ledger</code>.</p>")
    claim = html.escape(claim_id)
    return (f'<div class="gradavg-live" data-claim="{claim}" data-module="{html.escape(module)}">'
            f'<button type="button" class="gradavg-rerun" aria-label="Re-run in your browser: claim {claim}">'
            "Re-run in your browser</button> "
            '<span class="gradavg-live-result" role="status" aria-live="polite"></span></div>')
