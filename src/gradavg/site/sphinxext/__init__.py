"""Sphinx extension: the build rules that tie pages to the library and to the ledger, one room per concern.

- :mod:`.config`: the extension's settings, declared once in :mod:`gradavg.site.config`, validated.
- :mod:`.state`: what the extension keeps about each page, cleared and merged in one place.
- :mod:`.statement_check`: every numbered statement names a known claim with the evidence its kind needs.
- :mod:`.invalidation`: a page re-executes exactly when a library file it depends on changes.
- :mod:`.ledger`: each claim runs once, on the page that shows it; the ledger page collects the verdicts.
- :mod:`.execution`: the execution cache, warm kernels, and cell errors that fail the build.
- :mod:`.html_fixes`: what each written HTML page gets fixed and checked for.
- :mod:`.meta_description`: each page's description for search engines, from its opening sentence.
- :mod:`.figures`: every figure reserves its space, has a srcset and opens at full size.
- :mod:`.explorables`: the explorable figures' script, on the pages that show one.
- :mod:`.katex_servers`: every KaTeX render server the build starts is stopped when it ends.
- :mod:`.upstream_patches`: every change to third-party code, in force only while a build runs.

Parallel reading (``-j``) works: the execution cache exists before readers
fork, the per-page state is merged from the readers, and sphinx-proof's
domain gets the merge Sphinx asks every domain for.
"""

from __future__ import annotations

from importlib import metadata

from .config import setup_config
from .execution import setup_execution
from .explorables import setup_explorables
from .figures import setup_figures
from .html_fixes import setup_html_fixes
from .invalidation import setup_invalidation
from .katex_servers import setup_katex_servers
from .ledger import setup_ledger
from .meta_description import setup_meta_description
from .state import environment_version, setup_state
from .statement_check import setup_statement_check
from .upstream_patches import setup_upstream_patches


def setup(app):
    # configuration and the state kept per page
    setup_config(app)
    setup_state(app)
    # reading: which statements name which claims, and which pages must execute again
    setup_statement_check(app)
    setup_invalidation(app)
    # executing the pages, and the ledger built from what they showed
    setup_execution(app)
    setup_ledger(app)
    # writing the HTML (fixed, and described for search engines), and the KaTeX render servers that typeset its math
    setup_html_fixes(app)
    setup_meta_description(app)
    setup_figures(app)
    setup_explorables(app)
    setup_katex_servers(app)
    # third-party behaviour this build works around, scoped to the build
    setup_upstream_patches(app)
    return {"version": metadata.version("gradavg"), "env_version": environment_version(),
            "parallel_read_safe": True, "parallel_write_safe": True}
