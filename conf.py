"""Sphinx configuration: a strict, offline, executed build of docs/ into _build/html."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
STATIC_ASSETS = ROOT / "_build" / "static"
for asset in ("katex/katex.min.css", "live/pyodide/pyodide.mjs", "live/wheels/manifest.json"):
    if not (STATIC_ASSETS / asset).is_file():
        raise RuntimeError(f"{asset} is missing from {STATIC_ASSETS}: run 'make assets' (or 'make html') first")

# Cells run in a kernel that inherits this environment: every warning is
# printed (to stderr, which fails the build).
os.environ["PYTHONWARNINGS"] = "default"

project = "Why averaging gradients works"
author = "the gradavg authors"
copyright = "2026, the gradavg authors"

extensions = [
    "myst_nb",
    "sphinxcontrib.katex",
    "sphinx_proof",
    "sphinxcontrib.bibtex",
    "sphinx_copybutton",
    "gradavg.site.sphinxext",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "gradavg.site.notebook_download",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
nitpicky = True

# API reference (docs/api.md and its layer pages, docs/api/): Google-style docstrings; signatures without type
# hints, whose third-party types (SymPy, NumPy) have no inventory offline.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
# The page's own table of contents lists its sections, not each of its ~500 objects: a sidebar that long
# helps no reader and was a third of the API page's DOM (it rendered in 1.04 s; the goal is 1 s).
toc_object_entries = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
# annotations of dataclass fields name third-party types that have no inventory offline
nitpick_ignore_regex = [(r"py:class", r"(sympy|numpy|matplotlib|fractions)(\..*)?")]

# The extension's settings (gradavg.site.config): the folders whose files the executed pages import; a change
# in one reruns the statement check and re-executes exactly the pages that depend on it.
gradavg_library_folders = ["src", "derivations"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]

# Execution: cached, strict, and no page is ever stale.
nb_execution_mode = "cache"
# One cache per interpreter (outputs may differ between Python versions). Pages are keyed on their code
# and on the library files they depend on (gradavg.site.sphinxext.invalidation), so a library edit re-executes
# exactly the pages that can see it.
nb_execution_cache_path = str(ROOT / "_build" / ".jupyter_cache" / "py{}.{}".format(*sys.version_info[:2]))
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 600
nb_output_stderr = "error"
nb_merge_streams = True

bibtex_bibfiles = ["docs/references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

templates_path = ["docs/_templates"]
# Furo: a light theme (no icon font, no framework script); its search page loads the index, no other page does.
html_theme = "furo"
html_title = project
html_favicon = "docs/_static/favicon.svg"
html_static_path = [str(STATIC_ASSETS), "docs/_static"]
html_css_files = ["gradavg.css"]
# Live checks: a small script on every page; Pyodide and the wheels load only when a reader nears a live check.
html_js_files = [("live/live.js", {"defer": "defer"})]
# The top of every page links to its source, its executed notebook and the PDF edition
# (docs/_templates/components/view-this-page.html); there is no repository to edit in.
html_theme_options = {"top_of_page_buttons": ["view"]}
# the whole site as one PDF, built by `make pdf` into the site's root
pdf_edition = "why-averaging-gradients-works.pdf"
html_context = {"pdf_edition": pdf_edition}
# sources are offered as the .md files they are
html_sourcelink_suffix = ""
# no Python module index: no page links to it (the API pages list every module), and its 9 px toggle images are
# blurry on a phone's screen (Lighthouse best practices: image-size-responsive)
html_domain_indices = False
html_last_updated_fmt = None

# Math is typeset when the site is built: KaTeX from the npm package runs in node, and the pages get
# HTML plus MathML (for screen readers), its stylesheet and fonts from _static; no script, no CDN.
# A formula KaTeX cannot render stops the build.
katex_prerender = True
katex_js_path = str(ROOT / "node_modules" / "katex" / "dist" / "katex.min.js")
katex_css_path = "katex/katex.min.css"

# PDF edition (`make pdf`): Sphinx's LaTeX builder, typeset by xelatex from Debian's TeX Live. xelatex reads
# the pages' Unicode (θ, ≤, …) as it is, in the FreeSerif/FreeSans/FreeMono fonts Sphinx names for it
# (fonts-freefont-otf). The pages' cells are not executed again: the execution cache above is shared.
latex_engine = "xelatex"
latex_documents = [("index", pdf_edition.removesuffix(".pdf") + ".tex", project, author, "manual")]
# makeindex ships with TeX Live's binaries; xindy (Sphinx's default under xelatex) is a package of its own
latex_use_xindy = False
# the home page's sections are the book's parts, and each page under them a chapter
latex_toplevel_sectioning = "part"
latex_show_urls = "footnote"
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "11pt",
    # read on a screen more than printed: no blank page before a part or chapter, the same margins on every page
    "extraclassoptions": "openany,oneside",
}
