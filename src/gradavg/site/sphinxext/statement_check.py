"""The statement check: every numbered statement names a known claim, backed by the evidence its kind needs.

Every ``prf`` theorem, proposition, lemma, corollary or observation must name a
known claim as its ``:label:`` (:mod:`gradavg.site.statements`), a theorem must
not rest on weaker evidence than proof or exhaustive enumeration, and every
claim must be used by some page; otherwise the build warns (and the strict
build fails), naming the page and line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sphinx.util import logging

from ...engine.claims import ledger
from ..statements import overstated, statements
from .config import settings

logger = logging.getLogger(__name__)


def library_fingerprint(root: Path, folders: tuple[str, ...]) -> str:
    """A short hash of every file under ``folders`` of ``root`` (paths and bytes): the statement check reruns when it changes.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     root = Path(tmp)
        ...     (root / "src").mkdir()
        ...     _ = (root / "src" / "a.py").write_text("x = 1")
        ...     before = library_fingerprint(root, ("src", "derivations"))
        ...     _ = (root / "src" / "a.py").write_text("x = 2")
        ...     after = library_fingerprint(root, ("src", "derivations"))
        >>> before, after
        ('df92a9299ef175c1', '063ab5c8e625511d')
    """
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            # build leftovers (bytecode, the egg-info an editable install writes into src/) are not the library
            if path.is_file() and not any(part == "__pycache__" or part.endswith(".egg-info") for part in path.parts):
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _check_statements(app) -> None:
    """Warn for a numbered statement without a known claim, for one that overstates its claim, and for a claim no page uses.

    The check imports every claim (and so SymPy): it is skipped when the pages
    and the library are exactly as they were at the last check that passed.
    """
    pages = sorted(Path(app.srcdir).rglob("*.md"))
    fingerprint = library_fingerprint(Path(app.confdir), settings(app).library_folders)
    key = hashlib.sha256(fingerprint.encode() + b"".join(p.read_bytes() for p in pages)).hexdigest()
    stamp = Path(app.doctreedir) / "gradavg-statements-passed"
    if stamp.is_file() and stamp.read_text() == key:
        return

    claims = {claim.id: claim for claim in ledger()}
    used, problems = set(), 0
    for statement in statements(Path(app.srcdir)):
        location = f"{statement.path}:{statement.line}"
        if statement.label is None:
            problems += 1
            logger.warning("numbered %s names no claim: give it ':label: <claim id>'", statement.kind,
                           location=location, type="gradavg", subtype="claim")
        elif statement.label not in claims:
            problems += 1
            logger.warning("numbered %s names unknown claim %r", statement.kind, statement.label,
                           location=location, type="gradavg", subtype="claim")
        else:
            used.add(statement.label)
            if why := overstated(statement, claims[statement.label].evidence):
                problems += 1
                logger.warning("%s (claim %r: %s)", why, statement.label, claims[statement.label].badge,
                               location=location, type="gradavg", subtype="claim")
    for claim_id in sorted(set(claims) - used):
        problems += 1
        logger.warning("claim %r is used by no page", claim_id, type="gradavg", subtype="claim")
    if not problems:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key)


def setup_statement_check(app) -> None:
    """Check the statements when the builder starts, before any page is read."""
    app.connect("builder-inited", _check_statements)
