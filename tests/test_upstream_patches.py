"""Each patch of third-party code is in force only while a build runs, and is still needed (gradavg.site.sphinxext.upstream_patches).

A test named in a patch's docstring shows the upstream behaviour the patch
works around; when upstream fixes it, that test fails: delete the patch.
"""

import contextlib
import multiprocessing
import socket
import subprocess
import sys

import myst_nb.core.execute.cache as cached_execution
import pytest
from conftest import ROOT
from myst_nb.core.execute.base import ExecutionError
import sphinxcontrib.katex as katex
from sphinx_proof.directive import ElementDirective, ProofDirective
from sphinx_proof.domain import ProofDomain
from sphinxcontrib.katex import KaTeXServer

from gradavg.site.sphinxext import upstream_patches
from gradavg.site.sphinxext.upstream_patches import CellExecutionFailed


def test_every_patch_names_its_upstream_version_when_it_can_go_and_its_test():
    source = open(__file__, encoding="utf-8").read()
    for patch in upstream_patches.PATCHES:
        doc = " ".join(patch.__doc__.split())
        assert any(package in doc.split(":")[0] for package in ("sphinxcontrib-katex 0.9.11", "sphinx-proof 0.4.0",
                                                                 "myst-nb 1.4.0", "KaTeX 0.19.1")), patch.__name__
        assert "It can go when" in doc, patch.__name__
        test = doc.split("Test: ``")[1].split("``")[0]
        assert f"def {test}(" in source, f"{patch.__name__} names a test this file does not have: {test}"


def test_the_patches_hold_while_a_build_runs_and_are_undone_when_it_finishes():
    handlers = []

    class App:
        def connect(self, event, handler, priority=500):
            handlers.append((event, handler))

    upstream_start = vars(KaTeXServer)["start_server_process"]
    upstream_runs = (vars(ElementDirective)["run"], vars(ProofDirective)["run"])
    upstream_render = katex.render_latex
    upstream_patches.setup_upstream_patches(App())
    try:
        assert KaTeXServer.start_server_process.__func__ is upstream_patches.start_server_process
        assert cached_execution.ExecutionError is CellExecutionFailed
        assert "merge_domaindata" in vars(ProofDomain)
        assert (vars(ElementDirective)["run"], vars(ProofDirective)["run"]) != upstream_runs
        assert katex.render_latex is not upstream_render
    finally:
        [(event, finish)] = handlers
        assert event == "build-finished"
        finish(None, None)
    assert vars(KaTeXServer)["start_server_process"] is upstream_start
    assert cached_execution.ExecutionError is ExecutionError
    assert "merge_domaindata" not in vars(ProofDomain)
    assert (vars(ElementDirective)["run"], vars(ProofDirective)["run"]) == upstream_runs
    assert katex.render_latex is upstream_render


def test_the_katex_server_is_reached_even_if_it_listens_only_after_binding(tmp_path):
    # a stand-in server that creates its socket file, waits half a second, and only then listens
    late = ("import socket, sys, time\n"
            "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); time.sleep(0.5); s.listen(1)\n"
            "c, _ = s.accept(); time.sleep(60)\n")

    class Server:
        @classmethod
        def build_command(cls, socket):
            return [sys.executable, "-c", late, str(socket)]

        @classmethod
        def timeout_error(cls, timeout):
            return TimeoutError(timeout)

    process, connection = upstream_patches.start_server_process(Server, tmp_path, timeout=10)
    try:
        assert connection.getpeername() == str(tmp_path / "katex.sock") and process.poll() is None
    finally:
        connection.close()
        process.kill()
        process.wait()
    # the upstream way, one connection as soon as the file exists, is refused by that server
    early = subprocess.Popen([sys.executable, "-c", late, str(tmp_path / "early.sock")])
    try:
        while not (tmp_path / "early.sock").exists():
            pass
        with pytest.raises(ConnectionRefusedError):
            socket.socket(socket.AF_UNIX).connect(str(tmp_path / "early.sock"))
    finally:
        early.kill()
        early.wait()


def test_sphinx_proof_still_lacks_the_domain_data_merge():
    # upstream: no merge_domaindata of its own, so Sphinx's default refuses a parallel read
    assert "merge_domaindata" not in vars(ProofDomain)
    with pytest.raises(NotImplementedError):
        ProofDomain.merge_domaindata(object.__new__(ProofDomain), set(), {})
    with upstream_patches.proof_domain_merges_nothing():
        assert ProofDomain.merge_domaindata(object.__new__(ProofDomain), set(), {}) is None


def test_a_failing_cell_names_its_page_and_carries_its_traceback():
    def failing(error_class):
        try:
            try:
                1 / 0
            except ZeroDivisionError as cell_error:
                raise error_class("docs/page.md") from cell_error
        except ExecutionError as failure:
            return str(failure)

    assert failing(ExecutionError) == "docs/page.md"  # upstream: the page only
    with upstream_patches.cell_errors_carry_their_traceback():
        assert failing(cached_execution.ExecutionError) == "docs/page.md\ndivision by zero"
    assert cached_execution.ExecutionError is ExecutionError


def _report_inherited_server(queue):
    queue.put(KaTeXServer.katex_server)


def inherited_server_in_a_forked_child() -> object:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_report_inherited_server, args=(queue,))
    child.start()
    try:
        return queue.get(timeout=30)
    finally:
        child.join(timeout=30)


def test_a_forked_writer_forgets_the_inherited_katex_server():
    saved = KaTeXServer.katex_server
    KaTeXServer.katex_server = "the parent's server"
    try:
        # upstream: a forked child keeps the parent's server (and so shares its socket with its siblings)
        assert inherited_server_in_a_forked_child() == "the parent's server"
        with upstream_patches.katex_server_per_writer():
            assert inherited_server_in_a_forked_child() is None
        assert inherited_server_in_a_forked_child() == "the parent's server"
    finally:
        KaTeXServer.katex_server = saved


def statement_and_proof_ids(tmp_path, *patches) -> tuple[list, list]:
    """The ids of the statement bodies and of the proof boxes of a page with two of each, built with ``patches``."""
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    tmp_path.mkdir()
    (tmp_path / "conf.py").write_text("extensions = ['sphinx_proof']\n")
    (tmp_path / "index.rst").write_text("Page\n====\n\n" + "".join(
        f".. prf:theorem:: T{n}\n   :label: t{n}\n\n   Body {n}.\n\n.. prf:proof::\n\n   Proof {n}.\n\n" for n in (1, 2)))
    with contextlib.ExitStack() as in_force:
        in_force.enter_context(docutils_namespace())  # the directives and nodes it registers go when it ends
        for patch in patches:
            in_force.enter_context(patch())
        app = Sphinx(tmp_path, tmp_path, tmp_path / "out", tmp_path / "doctrees", "dummy", status=None,
                     warning=None, freshenv=True)
        app.build()
    doctree = app.env.get_doctree("index")
    bodies = [section["ids"] for section in doctree.findall(nodes.section) if "theorem-content" in section["classes"]]
    proofs = [box["ids"] for box in doctree.findall(nodes.admonition) if box["classes"] == ["proof", "proof"]]
    return bodies, proofs


# sphinx-proof 0.4.0 reads env.app, which Sphinx 9 deprecates
QUIET_SPHINX_PROOF = pytest.mark.filterwarnings("ignore::sphinx.deprecation.RemovedInSphinx11Warning")


@QUIET_SPHINX_PROOF
def test_sphinx_proof_still_gives_every_statement_body_the_same_id(tmp_path):
    bodies, _ = statement_and_proof_ids(tmp_path / "upstream")
    assert bodies == [["proof-content"], ["proof-content"]]  # upstream: one id for every body on the page
    bodies, _ = statement_and_proof_ids(tmp_path / "patched", upstream_patches.statement_contents_get_their_own_ids)
    assert bodies == [["t1-content"], ["t2-content"]]


@QUIET_SPHINX_PROOF
def test_sphinx_proof_still_gives_every_proof_the_same_id(tmp_path):
    _, proofs = statement_and_proof_ids(tmp_path / "upstream")
    assert proofs == [["proof"], ["proof"]]  # upstream: one id for every proof on the page
    _, proofs = statement_and_proof_ids(tmp_path / "patched", upstream_patches.proofs_get_their_own_ids)
    assert proofs == [["proof-0"], ["proof-1"]]


def katex_rendering(latex: str, output: str) -> str:
    """What the pinned KaTeX (node_modules) writes for ``latex`` as ``output`` ("mathml" without its TeX annotation, or "html")."""
    script = ("const katex = require(process.argv[1]);"
              "process.stdout.write(katex.renderToString(process.argv[2], {output: process.argv[3]}));")
    rendered = subprocess.run(["node", "-e", script, str(ROOT / "node_modules" / "katex"), latex, output],
                              capture_output=True, text=True, check=True).stdout
    return rendered.split("<semantics>")[1].split("<annotation")[0] if output == "mathml" else rendered


def test_katex_still_writes_markup_the_nu_checker_rejects():
    bmod = katex_rendering(r"j \bmod N", "mathml")
    mod = '<mrow><mi mathvariant="normal">m</mi><mi mathvariant="normal">o</mi><mi mathvariant="normal">d</mi></mrow>'
    assert f'<mo lspace="0.22em" rspace="0.22em">{mod}</mo>' in bmod  # upstream: an operator holding identifiers
    assert '<mo lspace="0.22em" rspace="0.22em">mod</mo>' in upstream_patches.valid_katex_markup(bmod)

    subscript = katex_rendering(r"\epsilon_{\max}", "mathml")
    assert "<msub><mi>ϵ</mi><mi>max</mi><mo>\u2061</mo></msub>" in subscript  # upstream: three children
    assert ("<msub><mi>ϵ</mi><mrow><mi>max</mi><mo>\u2061</mo></mrow></msub>"
            in upstream_patches.valid_katex_markup(subscript))
    # where upstream groups the function name itself, or the name is not a whole argument, nothing changes
    for grouped in (r"\max_i x_i", r"\epsilon_{\max x}", r"\max(x)"):
        mathml = katex_rendering(grouped, "mathml")
        assert upstream_patches.valid_katex_markup(mathml) == mathml, grouped

    script = katex_rendering(r"\frac{\sum_r S_r}{\sum_r n_r}", "html")
    assert 'style="height:-' in script  # upstream: a negative height, invalid CSS
    assert "height:-" not in upstream_patches.valid_katex_markup(script)
    assert upstream_patches.valid_katex_markup(script).count("height:") == script.count("height:") - script.count(
        "height:-")


def test_the_katex_rewrite_keeps_heights_that_are_not_negative_and_other_properties():
    assert upstream_patches.valid_katex_markup('<span style="height:-0.1em;max-height:-1em;top:-2em;">') == (
        '<span style="max-height:-1em;top:-2em;">')
    assert upstream_patches.valid_katex_markup('<span style="height:0em;">') == '<span style="height:0em;">'
