# Set up, build, preview and test the site. Every target is idempotent.
# make html: venv + packages + offline assets, then the strict executed build into _build/html
# make test: every test (ledger claims and controls, unit tests, docs build, browser checks) on the site make html built

PYTHON3   ?= python3
VENV      ?= .venv
PY        := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
KATEX     := _build/static/katex/katex.min.css
LIVE      := _build/static/live
PORT      ?= 8000
# -W: warnings are errors; -n: every reference must resolve; --keep-going: report them all;
# -j: read (and so execute) pages in one process more than there are cores, since a reader waiting
# for its page's kernel leaves its core idle (2 cores: clean build 25.3-26.3 s with -j 2, 23.1-23.6 s with -j 3)
JOBS      ?= $(shell echo $$(( $$(nproc) + 1 )))
SPHINXOPTS ?= -W -n --keep-going -j $(JOBS)
# Sphinx's pickles stay out of the published site
DOCTREES  := -d _build/doctrees
# starts Sphinx only when an input of the site changed since the last build that passed (gradavg.site.build)
SITEBUILD = $(PY) -m gradavg.site.build docs _build/html

.PHONY: html test test-browser preview serve clean setup assets ledger benchmark benchmark-live page-speed phone-layout mutation

html: setup assets
	$(SITEBUILD) $(SPHINXOPTS) $(DOCTREES)
	@echo
	@echo "The site is in _build/html/ (home page: _build/html/index.html)."
	@echo "Serve it with:  make serve   (then open http://localhost:$(PORT)/)"

# The tests read the site this target's html step built (GRADAVG_BUILT_SITE) instead of building it again;
# --durations prints where the time goes.
test: html
	GRADAVG_BUILT_SITE=_build/html $(PY) -m pytest --durations=10

# The browser and live tests REPEAT times in a row against the built site (LOAD=1: beside a CPU-bound process);
# each run must pass: a test that depends on timing shows here.
REPEAT ?= 1
test-browser: html
	GRADAVG_BUILT_SITE=_build/html GRADAVG_REQUIRE_BROWSER=1 $(PY) tests/repeat.py $(REPEAT) $(if $(LOAD),--load) -- -m browser

setup: $(INSTALLED)

# The venv is rebuilt when the project's requirements change.
$(INSTALLED): pyproject.toml constraints.txt
	@# a top-level egg-info left by the old layout would hide the installed entry points
	rm -rf gradavg.egg-info
	$(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[docs,test,jax,torch]'
	@# matplotlib builds its font cache on first import and says so on stderr: do it now, not in a cell
	MPLBACKEND=Agg $(PY) -c "import matplotlib.pyplot" 2>/dev/null
	touch $@

assets: $(KATEX) $(LIVE)/pyodide/pyodide.mjs $(LIVE)/wheels/manifest.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# KaTeX typesets every formula when the site is built (node runs it; conf.py points at the npm
# package); the pages need only its stylesheet and the woff2 fonts it names, copied here.
$(KATEX): node_modules/.package-lock.json
	rm -rf _build/static/katex
	mkdir -p _build/static/katex/fonts
	cp node_modules/katex/dist/katex.min.css _build/static/katex/
	cp node_modules/katex/dist/fonts/*.woff2 _build/static/katex/fonts/

# Live checks in the reader's browser: the core of Pyodide (CPython in WebAssembly) from its npm
# package, and the wheels it installs: SymPy and mpmath from PyPI (hashes in live-wheels.txt) and
# this checkout's own, rebuilt whenever the library changes. manifest.json lists the wheels.
PYODIDE_FILES := pyodide.mjs pyodide.asm.mjs pyodide.asm.wasm python_stdlib.zip pyodide-lock.json
LIBRARY_SOURCES := pyproject.toml $(shell find src/ derivations/ -name '*.py')
$(LIVE)/pyodide/pyodide.mjs: node_modules/.package-lock.json
	rm -rf $(LIVE)/pyodide
	mkdir -p $(LIVE)/pyodide
	cp $(addprefix node_modules/pyodide/,$(PYODIDE_FILES)) $(LIVE)/pyodide/

$(LIVE)/wheels/manifest.json: live-wheels.txt $(LIBRARY_SOURCES) | $(INSTALLED)
	rm -rf $(LIVE)/wheels
	$(PY) -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r live-wheels.txt -d $(LIVE)/wheels
	$(PY) -m pip wheel --quiet --no-deps . -w $(LIVE)/wheels
	$(PY) -c "import json, pathlib, sys; d = pathlib.Path(sys.argv[1]); \
	  (d / 'manifest.json').write_text(json.dumps({'wheels': sorted(p.name for p in d.glob('*.whl'))}))" $(LIVE)/wheels

# Live preview: serve the site and rebuild when a page, the library or the claims change.
preview: setup assets
	$(VENV)/bin/sphinx-autobuild -c . docs _build/html $(SPHINXOPTS) --port $(PORT) \
		$(DOCTREES) --watch src --watch derivations --ignore "*/.jupyter_cache/*"

serve:
	$(PY) -m http.server --directory _build/html $(PORT)

ledger: setup
	$(PY) -m gradavg ledger

benchmark: setup assets
	SPHINXOPTS="$(SPHINXOPTS)" $(PY) benchmarks/build_times.py

# per page: gzip weight and time until rendered, in headless chromium, on the site 'make html' built
page-speed: html
	$(PY) benchmarks/page_speed.py

# Lighthouse's cumulative layout shift of a few pages on a 375 x 812 screen, on the site 'make html' built
phone-layout: html
	$(PY) benchmarks/phone_layout.py

# cold and warm time of a live check in the browser, on the site that 'make html' built
benchmark-live: html
	$(PY) benchmarks/live_checks.py

# Mutation testing of the modules that decide verdicts (slow; not part of `make test`).
# mutmut copies src/ into mutants/ but not the derivations symlink, so it is made first.
mutation: setup
	rm -rf mutants
	mkdir -p mutants/src/gradavg
	ln -s ../../derivations mutants/src/gradavg/derivations
	$(VENV)/bin/mutmut run --max-children 2 > mutants.log 2>&1 || (tail -n 30 mutants.log; false)
	$(PY) tests/mutation_score.py

clean:
	rm -rf _build
