"""Tests of gradavg.site.rerun_buttons: the claims the site offers to re-run in the browser really run without NumPy, as the browser's engine does."""

import json
import subprocess
import sys

from gradavg.engine.claims import claim_module, ledger
from gradavg.site.imports import third_party_needs
from gradavg.site.rerun_buttons import BROWSER_PACKAGES, live_html

# Run in a fresh interpreter where the packages the in-browser engine lacks cannot be imported.

CHILD = """
import json, sys
for name in ("numpy", "matplotlib", "scipy", "jax"):
    sys.modules[name] = None
from gradavg.engine.claims import get
rows = {}
for module, claim_id in json.loads(sys.argv[1]):
    try:
        result = get(claim_id, module=module).run()
        rows[claim_id] = "ok" if result.ok else "not ok"
    except ImportError as error:
        rows[claim_id] = f"ImportError: {error}"
print(json.dumps(rows))
"""


def run_without_numpy(claims):
    child = subprocess.run([sys.executable, "-c", CHILD, json.dumps(claims)], capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout)


def test_every_claim_offered_in_the_browser_runs_without_numpy():
    offered = [(claim_module(c.id), c.id) for c in ledger() if third_party_needs(claim_module(c.id)) <= BROWSER_PACKAGES]
    assert len(offered) >= 10, "most SymPy claims should be re-runnable in the browser"
    assert all('class="gradavg-live"' in live_html(claim_id) for _, claim_id in offered)
    rows = run_without_numpy(offered)
    assert rows == {claim_id: "ok" for _, claim_id in offered}


def test_a_claim_that_needs_numpy_is_not_offered_and_cannot_run_without_it():
    # negative control: the blocking is real, and the rule reads the need from the source (the framework page's
    # module computes in NumPy: JAX is handed NumPy arrays)
    claim_id = "framework.per-example"
    module = claim_module(claim_id)
    assert "numpy" in third_party_needs(module)
    assert 'class="gradavg-live"' not in live_html(claim_id)
    assert run_without_numpy([(module, claim_id)])[claim_id].startswith("ImportError")
