"""Sphinx extension: every executed page offers its executed notebook for download.

Each page links to its source (for these pages, a MyST text notebook). MyST-NB
writes each page's notebook to its output folder, but in cache mode without the
outputs it took from the cache; this extension merges them back from the
execution cache, writes the result next to the sources in the built site and
names it in the page context (``ipynb_source``), where the links at the top of
the page (``docs/_templates/components/view-this-page.html``) offer it as
``.ipynb``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat


def executed_notebook(output_folder: str | Path, pagename: str) -> Path | None:
    """The executed notebook MyST-NB wrote for ``pagename``, or ``None`` if the page is not a notebook.

    Example:
        >>> executed_notebook("/nonexistent", "index") is None
        True
    """
    path = Path(output_folder) / f"{pagename}.ipynb"
    return path if path.is_file() else None


def with_cached_outputs(notebook: nbformat.NotebookNode, cache_path: str | Path) -> nbformat.NotebookNode:
    """``notebook`` with the outputs of its cached execution merged in (unchanged if the cache has none).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
        >>> with_cached_outputs(nb, "/nonexistent/cache") is nb
        True
    """
    if not Path(cache_path).is_dir():
        return notebook
    from jupyter_cache import get_cache

    try:
        _, merged = get_cache(str(cache_path)).merge_match_into_notebook(notebook)
    except KeyError:  # not in the cache (for example executed without it)
        return notebook
    return merged


def _offer_notebook(app, pagename, templatename, context, doctree) -> None:
    config = getattr(app.env, "mystnb_config", None)
    source = executed_notebook(config.output_folder, pagename) if config else None
    if source is None:
        return
    notebook = nbformat.read(source, as_version=4)
    if config.execution_mode == "cache":
        notebook = with_cached_outputs(notebook, config.execution_cache_path)
    for number, cell in enumerate(notebook.cells):  # nbformat draws random ids: same bytes every build
        cell.id = f"cell-{number}"
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    app.connect("html-page-context", _offer_notebook)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
