"""What the package's modules and pages import, read from their source.

Two things rest on it: which claims the in-browser engine can re-run
(:mod:`gradavg.site.rerun_buttons`) and which pages must re-execute after a library edit
(:mod:`gradavg.site.dependencies`).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path


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
    status = path.stat()
    return list(_imported_names(path, module, inside_functions, status.st_mtime_ns, status.st_size))


@lru_cache(maxsize=None)
def _imported_names(path: Path, module: str, inside_functions: bool, mtime_ns: int, size: int) -> tuple[str, ...]:
    """:func:`imported_names`, parsed once per version of the file (the build asks for every page)."""
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
    return tuple(found)


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


@lru_cache(maxsize=1)
def _package_root() -> Path:
    """The folder of the ``gradavg`` package on the import path (imports only its small ``__init__``)."""
    return Path(importlib.util.find_spec("gradavg").origin).parent


def module_source(module: str) -> Path | None:
    """The source file of a ``gradavg`` module, or ``None`` when the name is no such module (a name inside one).

    Read from the package's folder, without importing anything: the build asks
    this for every page on every run.

    Example:
        >>> module_source("gradavg.engine.exact").name
        'exact.py'
        >>> module_source("gradavg.engine.exact.decide") is None, module_source("numpy") is None
        (True, True)
    """
    parts = module.split(".")
    if parts[0] != "gradavg":
        return None
    path = _package_root().joinpath(*parts[1:])
    for candidate in ([path.with_suffix(".py")] if len(parts) > 1 else []) + [path / "__init__.py"]:
        if candidate.is_file():
            return candidate
    return None


#: the layer whose modules import packages on first use, inside the functions that need them (JAX, PyTorch)
FIRST_USE_LAYER = "gradavg.checks."


@lru_cache(maxsize=None)
def third_party_needs(module: str) -> frozenset[str]:
    """The third-party top-level packages that ``module`` needs, through the package modules it imports.

    Every import in ``module`` counts (its functions are the claims' checks);
    in the modules it reaches, the imports that run when they are imported,
    and in those of the checks layer (:data:`FIRST_USE_LAYER`) every import:
    its adapters import JAX and PyTorch inside the functions the checks call.
    (A page module's imports inside functions are its figures', which no
    claim draws.)

    Example:
        >>> sorted(third_party_needs("gradavg.derivations.linearity"))
        ['mpmath', 'sympy']
        >>> "numpy" in third_party_needs("gradavg.topics.variance")
        True
        >>> {"jax", "torch"} & third_party_needs("gradavg.topics.framework")
        {'jax'}
    """
    needs, seen, queue = set(), set(), [module]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_source(name)
        if path is None:
            continue
        every_import = name == module or name.startswith(FIRST_USE_LAYER)
        for imported in imported_names(path, name, inside_functions=every_import):
            top = imported.partition(".")[0]
            if top == "gradavg":
                queue.append(imported)
            elif top not in sys.stdlib_module_names and top != "__future__":
                needs.add(top)
    return frozenset(needs)


@lru_cache(maxsize=None)
def _lazy_exports() -> dict[str, str]:
    """The package's ``_EXPORTS`` table (public name -> module), read from its source, not imported."""
    tree = ast.parse(module_source("gradavg").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "_EXPORTS" for target in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError("gradavg/__init__.py defines no _EXPORTS table")


def package_modules(names) -> set[str]:
    """Every ``gradavg`` module that importing ``names`` may load, following every import, in functions too.

    Names that ``gradavg`` exports lazily (``from gradavg import noise_scale``)
    count as the modules that define them.

    Example:
        >>> sorted(package_modules(["gradavg.engine.sums"]))
        ['gradavg', 'gradavg.engine', 'gradavg.engine.sums']
        >>> "gradavg.checks.estimation" in package_modules(["gradavg.noise_scale"])
        True
    """
    exports = _lazy_exports()
    found, queue = set(), list(names)
    while queue:
        name = queue.pop()
        parts = name.split(".")
        if parts[0] != "gradavg":
            continue
        if len(parts) == 2 and parts[1] in exports:
            name = f"gradavg.{exports[parts[1]]}"
            parts = name.split(".")
        # a module's parent packages run first
        for depth in range(1, len(parts) + 1):
            module = ".".join(parts[:depth])
            path = module_source(module)
            if path is None or module in found:
                continue
            found.add(module)
            queue.extend(imported_names(path, module))
    return found
