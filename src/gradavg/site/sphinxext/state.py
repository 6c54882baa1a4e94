"""Per-page state of the extension: one record per page, cleared and merged in one place.

Each room writes what it learns about a page into that page's
:class:`PageState` (:func:`page_state`); :class:`PageStateCollector` drops a
page's record when Sphinx reads the page again or removes it, and merges the
records that parallel readers built into the main process's environment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sphinx.environment.collectors import EnvironmentCollector

#: bumped whenever PageState changes shape, so that Sphinx discards an environment pickled with the old one
STATE_SHAPE = 1
#: the folder of gradavg.site, which holds the extension and the code it reads pages with
SITE_PACKAGE = Path(__file__).resolve().parent.parent


def environment_version() -> int:
    """The extension's ``env_version``: it changes with :data:`STATE_SHAPE` and with every source file of gradavg.site.

    Sphinx discards an environment that an extension of another ``env_version``
    built, and reads every page again: a page is never left as older code of the
    extension made it (ids, descriptions, statement checks).

    Example:
        >>> environment_version() == environment_version() > 0
        True
    """
    digest = hashlib.sha256(str(STATE_SHAPE).encode())
    for path in sorted(SITE_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(SITE_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return int(digest.hexdigest()[:12], 16)


@dataclass
class PageState:
    """What the extension keeps about one page between builds.

    Attributes:
        dependency_key: the page's dependency key (:func:`gradavg.site.dependencies.dependency_key`) when
            it was last read, or ``None`` for a page that executes nothing of the library.
        verdicts: claim id -> the verdict row the page's executed cells showed for it.
        shows_ledger: whether the page holds the ``gradavg-ledger`` directive.
    """

    dependency_key: str | None = None
    verdicts: dict[str, dict] = field(default_factory=dict)
    shows_ledger: bool = False


def all_pages(env) -> dict[str, PageState]:
    """docname -> the page's state, for every page read so far (the one place that creates the store).

    Example:
        >>> from types import SimpleNamespace
        >>> env = SimpleNamespace()
        >>> page_state(env, "index").shows_ledger = True
        >>> all_pages(env)
        {'index': PageState(dependency_key=None, verdicts={}, shows_ledger=True)}
    """
    if not hasattr(env, "gradavg_pages"):
        env.gradavg_pages = {}
    return env.gradavg_pages


def page_state(env, docname: str) -> PageState:
    """The state of page ``docname``, created empty on first use."""
    return all_pages(env).setdefault(docname, PageState())


class PageStateCollector(EnvironmentCollector):
    """Clears a page's state when it is read again or removed, and merges parallel readers' states."""

    def clear_doc(self, app, env, docname: str) -> None:
        """Forget page ``docname``: it is about to be read again, or it was removed."""
        all_pages(env).pop(docname, None)

    def merge_other(self, app, env, docnames: set[str], other) -> None:
        """Take the states of ``docnames`` from a parallel reader's environment ``other``."""
        for docname in docnames:
            if docname in all_pages(other):
                all_pages(env)[docname] = all_pages(other)[docname]

    def process_doc(self, app, doctree) -> None:
        """Nothing to do here: each room records what it reads in its own event handler."""


def setup_state(app) -> None:
    """Keep the per-page state with Sphinx's environment (:class:`PageStateCollector`)."""
    app.add_env_collector(PageStateCollector)
