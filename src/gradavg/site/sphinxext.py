"""Sphinx extension: the build rules that tie pages to the ledger.

- The execution cache is keyed on a fingerprint of the library (``src/``) and
  the claims (``derivations/``): conf.py puts the cache in a folder named by
  :func:`library_fingerprint`, so a change there re-executes every page.
- Every numbered statement must name a known claim as its ``:label:``, and
  every claim must be used by some page; otherwise the build warns (and the
  strict build fails), naming the page and line.
- Parallel reading (``-j``) works: the execution cache's database is created
  before the readers fork, and sphinx-proof's domain (whose data lives in
  ``env.proof_list``, merged by sphinx-proof itself) gets the domain-data
  merge that Sphinx asks every domain for. A page whose cell fails names the
  page and carries the cell's traceback in the error itself, since a parallel
  reader that fails loses the warnings it logged.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from myst_nb.core.execute.base import ExecutionError
from sphinx.util import logging

from ..engine.claims import ledger
from ..checks.pages import statements

logger = logging.getLogger(__name__)

#: folders whose contents the executed pages depend on, besides the pages
LIBRARY_FOLDERS = ("src", "derivations")
#: how many execution caches (one per library fingerprint) to keep
CACHES_KEPT = 3


def library_fingerprint(root: Path) -> str:
    """A short hash of every file under ``src/`` and ``derivations/`` (paths and bytes).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     root = Path(tmp)
        ...     (root / "src").mkdir()
        ...     _ = (root / "src" / "a.py").write_text("x = 1")
        ...     before = library_fingerprint(root)
        ...     _ = (root / "src" / "a.py").write_text("x = 2")
        ...     after = library_fingerprint(root)
        >>> before, after
        ('df92a9299ef175c1', '063ab5c8e625511d')
    """
    digest = hashlib.sha256()
    for folder in LIBRARY_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            # build leftovers (bytecode, the egg-info an editable install writes into src/) are not the library
            if path.is_file() and not any(part == "__pycache__" or part.endswith(".egg-info") for part in path.parts):
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _prune_caches(app) -> None:
    """Remove all but the newest few library-keyed execution caches."""
    current = Path(app.config.nb_execution_cache_path)
    siblings = sorted((p for p in current.parent.glob("*") if p.is_dir() and p != current and _is_fingerprint(p.name)),
                      key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in siblings[CACHES_KEPT - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)


def _is_fingerprint(name: str) -> bool:
    return len(name) == 16 and all(c in "0123456789abcdef" for c in name)


def _check_statements(app) -> None:
    """Warn for a numbered statement without a known claim, and for a claim no page uses.

    The check imports every claim (and so SymPy): it is skipped when the pages
    and the library are exactly as they were at the last check that passed.
    """
    pages = sorted(Path(app.srcdir).rglob("*.md"))
    key = hashlib.sha256(library_fingerprint(Path(app.confdir)).encode()
                         + b"".join(p.read_bytes() for p in pages)).hexdigest()
    stamp = Path(app.doctreedir) / "gradavg-statements-passed"
    if stamp.is_file() and stamp.read_text() == key:
        return

    known = {claim.id for claim in ledger()}
    used, problems = set(), 0
    for statement in statements(Path(app.srcdir)):
        location = f"{statement.path}:{statement.line}"
        if statement.label is None:
            problems += 1
            logger.warning("numbered %s names no claim: give it ':label: <claim id>'", statement.kind,
                           location=location, type="gradavg", subtype="claim")
        elif statement.label not in known:
            problems += 1
            logger.warning("numbered %s names unknown claim %r", statement.kind, statement.label,
                           location=location, type="gradavg", subtype="claim")
        else:
            used.add(statement.label)
    for claim_id in sorted(known - used):
        problems += 1
        logger.warning("claim %r is used by no page", claim_id, type="gradavg", subtype="claim")
    if not problems:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key)


def _create_execution_cache(app) -> None:
    """Open (and so create) the execution cache once, before parallel readers fork."""
    from jupyter_cache import get_cache

    get_cache(app.config.nb_execution_cache_path).list_cache_records()


class CellExecutionFailed(ExecutionError):
    """MyST-NB's execution error, with the failing cell and its traceback in its message.

    Example:
        >>> try:
        ...     try:
        ...         1 / 0
        ...     except ZeroDivisionError as cell_error:
        ...         raise CellExecutionFailed("docs/page.md") from cell_error
        ... except CellExecutionFailed as failure:
        ...     print(failure)
        docs/page.md
        division by zero
    """

    def __str__(self) -> str:
        page = super().__str__()
        return f"{page}\n{self.__cause__}" if self.__cause__ else page


def _merge_nothing(self, docnames, otherdata) -> None:
    """sphinx-proof keeps no domain data of its own: there is nothing to merge."""


def _citations_as_list_items(app, pagename, templatename, context, doctree) -> None:
    """Give bibliography entries the ``listitem`` role their ``role="list"`` container requires.

    docutils marks them ``doc-biblioentry``, which axe reports as a list
    without list items (aria-required-children).
    """
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    import myst_nb.core.execute.cache as cached_execution
    from sphinx_proof.domain import ProofDomain

    if "merge_domaindata" not in vars(ProofDomain):
        ProofDomain.merge_domaindata = _merge_nothing
    cached_execution.ExecutionError = CellExecutionFailed
    app.connect("builder-inited", _create_execution_cache)
    app.connect("builder-inited", _prune_caches)
    app.connect("builder-inited", _check_statements)
    app.connect("html-page-context", _citations_as_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
