"""Precise invalidation: a page re-executes exactly when a library file it depends on changes.

Each page's dependency key (:mod:`gradavg.site.dependencies`) goes into its
notebook metadata, where the execution cache sees it, and a page whose key
changed is read (and so executed) again. A prose edit re-executes nothing.
"""

from __future__ import annotations

from pathlib import Path

from ..dependencies import dependency_key
from .state import all_pages, page_state


def _note_dependencies(app, docname, source) -> None:
    """Record the page's dependency key and put it in its notebook metadata, which the execution cache hashes."""
    key = dependency_key(source[0])
    page_state(app.env, docname).dependency_key = key
    if key and source[0].startswith("---\n") and "\nkernelspec:\n" in source[0]:
        source[0] = source[0].replace("\nkernelspec:\n", f"\nkernelspec:\n  gradavg_dependencies: {key}\n", 1)


def _pages_with_changed_dependencies(app, env, added, changed, removed) -> list[str]:
    """Pages whose sources did not change but whose library files did: read (and so execute) them again."""
    stale = []
    for docname, state in all_pages(env).items():
        if docname in changed or docname in removed or docname not in env.found_docs:
            continue
        if dependency_key(Path(env.doc2path(docname)).read_text(encoding="utf-8")) != state.dependency_key:
            stale.append(docname)
    return stale


def setup_invalidation(app) -> None:
    """Key each page on its library files as it is read, and read again the pages whose files changed."""
    app.connect("source-read", _note_dependencies)
    app.connect("env-get-outdated", _pages_with_changed_dependencies)
