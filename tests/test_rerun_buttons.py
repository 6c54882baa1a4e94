"""Tests of gradavg.site.rerun_buttons: the claims the site offers to re-run in the browser really run without NumPy, as the browser's engine does."""

import html
import json
import re
import subprocess
import sys

import pytest

from gradavg.engine.claims import claim_module, ledger
from gradavg.site.imports import third_party_needs
from gradavg.site.rerun_buttons import BROWSER_PACKAGES, live_html

# Run in a fresh interpreter where the packages the in-browser engine lacks cannot be imported: every
# third-party package any claim's module needs, and the figures' (which no claim's module may need).

CHILD = """
import json, sys
for name in json.loads(sys.argv[2]):
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


def blocked_packages() -> list[str]:
    needed = set().union(*(third_party_needs(claim_module(claim.id)) for claim in ledger()))
    return sorted((needed | {"numpy", "matplotlib", "scipy"}) - BROWSER_PACKAGES)


def test_the_blocked_packages_are_every_one_the_browser_lacks():
    assert {"numpy", "matplotlib", "jax", "optax", "torch", "transformers", "accelerate"} <= set(blocked_packages())
    assert not BROWSER_PACKAGES & set(blocked_packages())


def run_without_numpy(claims):
    child = subprocess.run([sys.executable, "-c", CHILD, json.dumps(claims), json.dumps(blocked_packages())],
                           capture_output=True, text=True, timeout=600)
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


def test_the_checks_layer_counts_the_packages_its_adapters_import_on_first_use():
    # just inside the rule: a claim reaching the JAX adapter needs JAX, one reaching the PyTorch adapter PyTorch
    assert {"jax", "optax"} <= third_party_needs(claim_module("framework.per-example"))
    assert "torch" in third_party_needs(claim_module("stacks.clip-timing"))
    assert "jax" not in third_party_needs(claim_module("stacks.clip-timing"))
    # just past it: a page module's imports inside functions are its figures', which no claim draws
    assert "numpy" not in third_party_needs(claim_module("linearity.general-n"))
    assert "numpy" in third_party_needs("gradavg.topics.linearity")


def listed_on_the_live_page(page: str) -> dict[str, list[str]]:
    """``{claim id: packages}`` from the built live page's list of the claims that cannot run in the browser."""
    section = page.split('id="claims-that-cannot-run-in-your-browser"', 1)[1].split("</section>", 1)[0]
    listed = {}
    for item in re.findall(r"<li>(.*?)</li>", section, re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", item))
        packages, _, claims = text.partition("):")
        names = packages.rsplit(" (", 1)[0].split(", ")
        listed.update({claim_id.strip(): names for claim_id in claims.split(",")})
    return listed


@pytest.mark.build
def test_the_live_page_lists_every_claim_without_a_re_run_button_and_what_it_needs(built_site):
    page = (built_site / "live.html").read_text(encoding="utf-8")
    listed = listed_on_the_live_page(page)
    claims = [c.id for c in ledger()]
    without_button = [claim_id for claim_id in claims if 'class="gradavg-live"' not in live_html(claim_id)]
    assert sorted(listed) == without_button and without_button
    for claim_id, packages in listed.items():
        assert f"This check's module needs {', '.join(packages)}, which" in live_html(claim_id)
    count = re.search(r"(\d+) of the (\d+) claims cannot re-run in your browser", re.sub(r"<[^>]+>", "", page))
    assert count and count.groups() == (str(len(listed)), str(len(claims)))


def test_the_live_page_reader_finds_what_the_list_says():
    # the reader the test above relies on, on a list with two groups
    page = ('<section id="claims-that-cannot-run-in-your-browser"><ul>'
            '<li><p><strong>JAX, NumPy</strong> (1 claim): <code><span>a.b</span></code></p></li>'
            '<li><p><strong>PyTorch</strong> (2 claims): <code>c.d</code>, <code>c.e</code></p></li></ul></section>')
    assert listed_on_the_live_page(page) == {"a.b": ["JAX", "NumPy"], "c.d": ["PyTorch"], "c.e": ["PyTorch"]}


#: the families whose checks run JAX or PyTorch themselves: the only claims the browser may not re-run (issue 26)
FRAMEWORK_FAMILIES = {"distributed", "framework", "stacks"}


def test_every_claim_re_runs_in_the_browser_but_those_that_run_jax_or_pytorch():
    # the rule reads needs from the source: a module that imported NumPy again would withdraw its buttons silently
    not_offered = {claim.id.partition(".")[0] for claim in ledger() if 'class="gradavg-live"' not in live_html(claim.id)}
    assert not_offered == FRAMEWORK_FAMILIES
