"""Execution: the cache, warm kernels, and errors that name their page.

- The execution cache's database is created before parallel readers fork.
- Pages execute in kernels forked from one process that has already imported
  IPython, SymPy, NumPy and Matplotlib (:mod:`gradavg.site.warm_kernels`),
  started with the build and stopped with it.
- A traceback a cell printed without raising (an error in a callback, say)
  fails the strict build, naming the page.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.util import logging

from .. import warm_kernels

logger = logging.getLogger(__name__)


def _create_execution_cache(app) -> None:
    """Open (and so create) the execution cache once, before parallel readers fork."""
    from jupyter_cache import get_cache

    get_cache(app.config.nb_execution_cache_path).list_cache_records()


def _start_warm_kernels(app) -> None:
    """Pages execute in kernels forked from one process that has imported what they use (:mod:`gradavg.site.warm_kernels`)."""
    if app.config.nb_execution_mode != "off":
        app.gradavg_warm_kernels = warm_kernels.start()


def _stop_warm_kernels(app, exception) -> None:
    template = getattr(app, "gradavg_warm_kernels", None)
    if template is not None:
        template.stop()
        app.gradavg_warm_kernels = None


def _fail_on_error_outputs(app, doctree) -> None:
    """Warn for every traceback a page's cells printed without raising (an error in a callback, say)."""
    for node in doctree.findall(nodes.literal_block):
        if "traceback" in node.get("classes", []):
            last = next((line for line in reversed(node.astext().splitlines()) if line.strip()), "")
            logger.warning("a cell printed an error: %s", last.strip(), location=node, type="gradavg", subtype="cell")


def setup_execution(app) -> None:
    """Create the cache and start the warm kernels with the builder, stop them with the build; check cell output."""
    app.connect("builder-inited", _create_execution_cache)
    app.connect("builder-inited", _start_warm_kernels)
    app.connect("build-finished", _stop_warm_kernels)
    app.connect("doctree-read", _fail_on_error_outputs)
