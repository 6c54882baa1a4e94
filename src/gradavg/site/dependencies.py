"""Which library files a page depends on, so that a library edit re-executes exactly the pages it can change.

A page depends on the ``gradavg`` modules its code cells import, the claim
modules of the claims it shows (``show("family.name")`` imports only
``gradavg.derivations.family``; ``ledger()`` imports every one) and the modules
its ``automodule`` directives document, and on everything those import in turn,
imports inside functions included (:func:`gradavg.site.imports.package_modules`). The page's
*dependency key* hashes the bytes of all those files. The Sphinx extension
re-reads a page whose key changed and writes the key into the page's
notebook metadata, where the execution cache sees it: an edit re-executes the
pages that can see it, never fewer, and a prose edit re-executes nothing.
"""

from __future__ import annotations

import ast
import hashlib
import re

from ..engine.claims import claim_module
from .imports import module_source, package_modules

_CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.M | re.S)
_OPTIONS = re.compile(r"\A(?:---\n.*?\n---\n|(?::[\w-]+:[^\n]*\n)+)", re.S)
_AUTOMODULE = re.compile(r"^\s*\.\. automodule::\s*(\S+)", re.M)


def code_cells(text: str) -> list[str]:
    """The code of a MyST notebook page's ``{code-cell}`` blocks, cell options removed.

    Example:
        >>> code_cells("# Page\\n\\n```{code-cell} ipython3\\n:tags: [remove-cell]\\nx = 1\\n```\\n")
        ['x = 1\\n']
    """
    return [_OPTIONS.sub("", match.group(1), count=1) for match in _CODE_CELL.finditer(text)]


def page_imports(text: str) -> set[str]:
    """The modules a page names: imports in its code cells, claim modules of ``show(...)`` (of ``ledger()``: all),
    ``automodule`` targets.

    Example:
        >>> page = "```{code-cell} ipython3\\nfrom gradavg.site.display import show\\nshow('variance.any-n')\\n```\\n"
        >>> sorted(page_imports(page))
        ['gradavg.derivations.variance', 'gradavg.site.display', 'gradavg.site.display.show']
        >>> every = page_imports("```{code-cell} ipython3\\nfrom gradavg.engine.claims import ledger\\nledger()\\n```\\n")
        >>> {"gradavg.derivations.variance", "gradavg.derivations.framework"} <= every
        True
    """
    names = set(_AUTOMODULE.findall(text))
    for code in code_cells(text):
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "show" and node.args
                  and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                names.add(claim_module(node.args[0].value))
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ledger":
                names.update(claim_modules())
    return names


def claim_modules() -> list[str]:
    """Every claim module of the package, read from the folder of ``gradavg.derivations`` (nothing imported).

    Example:
        >>> "gradavg.derivations.linearity" in claim_modules(), "gradavg.derivations" in claim_modules()
        (True, False)
    """
    folder = module_source("gradavg.derivations").parent
    return sorted(f"gradavg.derivations.{path.stem}" for path in folder.glob("*.py") if path.stem != "__init__")


def dependency_key(text: str) -> str | None:
    """A short hash of every library file the page may load; ``None`` for a page that loads none.

    Example:
        >>> dependency_key("Prose only.") is None
        True
        >>> key = dependency_key("```{code-cell} ipython3\\nimport gradavg.engine.sums\\n```\\n")
        >>> len(key)
        16
    """
    modules = sorted(package_modules(page_imports(text)))
    if not modules:
        return None
    digest = hashlib.sha256()
    for module in modules:
        digest.update(module.encode() + b"\0" + module_source(module).read_bytes() + b"\0")
    return digest.hexdigest()[:16]
