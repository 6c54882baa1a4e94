"""The site's live checks: which claims the in-browser engine can re-run, and the markup for them.

The engine in the reader's browser (Pyodide, see ``docs/_static/live/``) carries
SymPy and mpmath and the project's own wheel, nothing else. Whether a claim can
run there is read from the source: the claim's module (every import in it, the
checks' own included) and the package modules it reaches (their module-level
imports) must need no third-party package beyond those. A test re-runs every
claim this offers with NumPy and Matplotlib blocked.
"""

from __future__ import annotations

import ast
import html
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

#: the third-party packages the in-browser engine carries
BROWSER_PACKAGES = frozenset({"sympy", "mpmath"})


def imported_names(path: Path, module: str, inside_functions: bool = True) -> list[str]:
    """The names the source at ``path`` (module ``module``) imports, absolute, relative imports resolved.

    ``from a import b`` gives both ``a`` and ``a.b`` (``b`` may be a module).
    With ``inside_functions=False``, only the imports that run when the module
    is imported count.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     source = Path(tmp) / "m.py"
        ...     _ = source.write_text("import numpy as np\\nfrom ..engine import exact\\n")
        ...     imported_names(source, "gradavg.topics.m")
        ['numpy', 'gradavg.engine', 'gradavg.engine.exact']
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree) if inside_functions else _module_level(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                target = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append(target)
            found += [f"{target}.{alias.name}" for alias in node.names]
    return found


def _module_level(tree: ast.Module):
    """The statements that run on import: the module body, into ``if``/``try``/``with`` but not into functions."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))
        elif isinstance(node, ast.ClassDef):
            stack.extend(child for child in node.body if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _source(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, AttributeError, ValueError):  # "a.b.name" where a.b is a module, not a package
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


@lru_cache(maxsize=None)
def third_party_needs(module: str) -> frozenset[str]:
    """The third-party top-level packages that ``module`` needs, through the package modules it imports.

    Every import in ``module`` counts (its functions are the claims' checks);
    in the modules it reaches, the imports that run when they are imported.

    Example:
        >>> sorted(third_party_needs("gradavg.derivations.linearity"))
        ['mpmath', 'sympy']
        >>> "numpy" in third_party_needs("gradavg.topics.variance")
        True
    """
    needs, seen, queue = set(), set(), [module]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _source(name)
        if path is None:
            continue
        for imported in imported_names(path, name, inside_functions=name == module):
            top = imported.partition(".")[0]
            if top == "gradavg":
                queue.append(imported)
            elif top not in sys.stdlib_module_names and top != "__future__":
                needs.add(top)
    return frozenset(needs)


def claim_module(claim_id: str) -> str:
    """The module that defines a claim: its id's family, as a module name under ``gradavg.derivations``.

    Example:
        >>> claim_module("mean-or-sum.same-minimisers")
        'gradavg.derivations.mean_or_sum'
    """
    return "gradavg.derivations." + claim_id.partition(".")[0].replace("-", "_")


def live_html(claim_id: str) -> str:
    """The markup under a claim's verdict: a re-run button when the claim can run in the browser, else why not.

    Example:
        >>> 'data-claim="linearity.general-n"' in live_html("linearity.general-n")
        True
        >>> "numpy" in live_html("shuffle.epoch")
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
