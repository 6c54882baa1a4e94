"""Comparing two builds of the site byte for byte."""

from __future__ import annotations

from pathlib import Path

#: Sphinx's pickled build state, not part of the site
IGNORED = (".doctrees",)


def site_files(root: Path) -> dict[str, bytes]:
    """Every file of a built site under ``root``, by relative path, with its bytes.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> (root / ".doctrees").mkdir()
        >>> _ = (root / "index.html").write_text("<p>hi</p>"), (root / ".doctrees" / "index.doctree").write_text("")
        >>> site_files(root)
        {'index.html': b'<p>hi</p>'}
    """
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not set(IGNORED) & set(p.relative_to(root).parts)}


def differing_files(first: Path, second: Path) -> list[str]:
    """Relative paths whose bytes differ between two builds, or that only one build has.

    Example:
        >>> import tempfile
        >>> a, b = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
        >>> _ = (a / "same.html").write_text("x"), (b / "same.html").write_text("x")
        >>> _ = (a / "page.html").write_text("1"), (b / "page.html").write_text("2")
        >>> differing_files(a, b)
        ['page.html']
    """
    left, right = site_files(first), site_files(second)
    return sorted(name for name in left.keys() | right.keys() if left.get(name) != right.get(name))
