"""The site's live checks: which claims the in-browser engine can re-run, and the markup for them.

The engine in the reader's browser (Pyodide, see ``docs/_static/live/``) carries
SymPy and mpmath and the project's own wheel, nothing else. Whether a claim can
run there is read from the source (:func:`gradavg.site.imports.third_party_needs`):
the claim's module, every import in it, the checks' own included, and the
package modules it reaches, their module-level imports (and, in the checks
layer, the packages its adapters import on first use: JAX, PyTorch), must need
no third-party package beyond those. A test re-runs every claim this offers
with NumPy and Matplotlib blocked; the live page lists the others, with what
each needs (:func:`not_in_the_browser_markdown`).
"""

from __future__ import annotations

import html

from ..engine.claims import claim_module
from .imports import third_party_needs

#: the third-party packages the in-browser engine carries
BROWSER_PACKAGES = frozenset({"sympy", "mpmath"})
#: how the notes name a package (by its import name otherwise)
PACKAGE_NAMES = {"jax": "JAX", "numpy": "NumPy", "torch": "PyTorch", "matplotlib": "Matplotlib", "scipy": "SciPy",
                 "transformers": "Transformers", "accelerate": "Accelerate"}


def browser_lacks(claim_id: str) -> list[str]:
    """The packages a claim's module needs that the in-browser engine does not carry, by name, sorted; empty if none.

    Example:
        >>> browser_lacks("linearity.general-n"), browser_lacks("framework.per-example")
        ([], ['JAX', 'NumPy', 'optax'])
    """
    missing = third_party_needs(claim_module(claim_id)) - BROWSER_PACKAGES
    return sorted((PACKAGE_NAMES.get(name, name) for name in missing), key=str.lower)


def claims_not_in_the_browser(claim_ids) -> dict[str, list[str]]:
    """``{claim id: the packages it lacks there}`` for each of ``claim_ids`` that cannot re-run in the browser, in order.

    Example:
        >>> claims_not_in_the_browser(["linearity.general-n", "stacks.clip-timing"])
        {'stacks.clip-timing': ['Accelerate', 'NumPy', 'PyTorch', 'Transformers']}
    """
    return {claim_id: missing for claim_id in claim_ids if (missing := browser_lacks(claim_id))}


def not_in_the_browser_markdown(claim_ids) -> str:
    """What the live page says about the claims of ``claim_ids`` that cannot re-run in the browser: a count, then a
    list with one item per set of missing packages, naming its claims.

    Example:
        >>> print(not_in_the_browser_markdown(["linearity.general-n", "stacks.clip-timing", "stacks.shard-norm"]))
        2 of the 3 claims cannot re-run in your browser; the other 1 can, under its statement.
        <BLANKLINE>
        - **Accelerate, NumPy, PyTorch, Transformers** (2 claims): `stacks.clip-timing`, `stacks.shard-norm`
    """
    claim_ids = list(claim_ids)
    lacking = claims_not_in_the_browser(claim_ids)
    groups: dict[tuple[str, ...], list[str]] = {}
    for claim_id, missing in lacking.items():
        groups.setdefault(tuple(missing), []).append(claim_id)
    runnable = len(claim_ids) - len(lacking)
    lines = [f"{len(lacking)} of the {len(claim_ids)} claims cannot re-run in your browser; the other {runnable} "
             f"can, under {'its statement' if runnable == 1 else 'their statements'}.", ""]
    for missing, ids in groups.items():
        count = f"{len(ids)} claim{'s' if len(ids) != 1 else ''}"
        lines.append(f"- **{', '.join(missing)}** ({count}): " + ", ".join(f"`{claim_id}`" for claim_id in ids))
    return "\n".join(lines)


def live_html(claim_id: str) -> str:
    """The markup under a claim's verdict: a re-run button when the claim can run in the browser, else why not.

    Example:
        >>> 'data-claim="linearity.general-n"' in live_html("linearity.general-n")
        True
        >>> "module needs JAX, NumPy, optax," in live_html("framework.per-example")
        True
    """
    missing = browser_lacks(claim_id)
    if missing:
        return ('<p class="gradavg-live-note">This check\'s module needs ' + html.escape(", ".join(missing)) +
                ", which the in-browser engine does not carry: re-run it on your machine with "
                "<code>gradavg ledger</code>.</p>")
    claim, module = html.escape(claim_id), html.escape(claim_module(claim_id))
    return (f'<div class="gradavg-live" data-claim="{claim}" data-module="{module}">'
            f'<button type="button" class="gradavg-rerun" aria-label="Re-run in your browser: claim {claim}">'
            "Re-run in your browser</button> "
            '<span class="gradavg-live-result" role="status" aria-live="polite"></span></div>')
