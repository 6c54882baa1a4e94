"""Every change this project makes to third-party code, one function each, in force only while a build runs.

Each patch is a context manager that changes the pinned upstream version's
behaviour on entry and restores it on exit; :func:`setup_upstream_patches`
enters all of them when the extension is set up and leaves them when the
build finishes. Each names the version it was written against, what it works
around, when it can go, and the test that shows it is still needed
(``tests/test_upstream_patches.py``: each test fails once upstream fixes the
behaviour, which is the signal to delete the patch).
"""

from __future__ import annotations

import contextlib
import multiprocessing.util
import re
import socket
import subprocess
import time
from pathlib import Path

from myst_nb.core.execute.base import ExecutionError

from .katex_servers import NotedPopen


@contextlib.contextmanager
def katex_connects_until_listening():
    """sphinxcontrib-katex 0.9.11: connect to the render server again until it listens.

    Upstream's ``KaTeXServer.start_server_process`` connects once, as soon as
    the server's socket file exists, which node creates just before it listens:
    on a busy machine that connection is refused (in most clean builds with
    three readers, for one writer), failing the build and leaving the server
    running. The replacement (:func:`start_server_process`) is otherwise the
    same, and notes the server's process (:class:`.katex_servers.NotedPopen`).
    No upstream issue reports it (hagenw/sphinxcontrib-katex, searched
    2026-12-01). It can go when upstream retries a refused connection.
    Test: ``test_the_katex_server_is_reached_even_if_it_listens_only_after_binding``.
    """
    from sphinxcontrib.katex import KaTeXServer

    upstream = vars(KaTeXServer)["start_server_process"]
    KaTeXServer.start_server_process = classmethod(start_server_process)
    try:
        yield
    finally:
        KaTeXServer.start_server_process = upstream


def start_server_process(cls, rundir: Path, timeout: float):
    """``KaTeXServer.start_server_process``, connecting again until the server listens (see :func:`katex_connects_until_listening`).

    Start the server, connect within ``timeout`` seconds, return the process
    and the connected socket; on time-out, kill the server and raise the
    class's time-out error.
    """
    socket_path = rundir / "katex.sock"
    process = NotedPopen(cls.build_command(socket=socket_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         cwd=rundir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if socket_path.is_socket():
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                connection.settimeout(max(deadline - time.monotonic(), 0.001))
                connection.connect(str(socket_path))
                connection.settimeout(None)
                return process, connection
            except ConnectionRefusedError:
                connection.close()  # bound but not listening yet
        time.sleep(0.001)
    process.kill()
    process.wait()
    raise cls.timeout_error(timeout)


#: whether forked page writers start their own KaTeX render server (true while a build runs)
_writers_own_servers = False
#: whether the after-fork hook is registered in this process (multiprocessing cannot unregister one)
_after_fork_registered = False


@contextlib.contextmanager
def katex_server_per_writer():
    """sphinxcontrib-katex 0.9.11: a page writer forked by a parallel build starts its own render server.

    Upstream keeps one node render server per process, talked to over one
    socket. A writer forked after the parent started its server would share
    that socket with its siblings, so each writer forgets the inherited server
    and starts its own. Upstream stops its server at interpreter exit, which a
    forked writer never reaches; forked workers do run multiprocessing's
    finalizers, so one is registered after the fork (the fork clears the
    parent's). It can go when upstream starts a server per process id.
    Test: ``test_a_forked_writer_forgets_the_inherited_katex_server``.
    """
    global _writers_own_servers, _after_fork_registered
    from sphinxcontrib.katex import KaTeXServer

    if not _after_fork_registered:
        multiprocessing.util.register_after_fork(KaTeXServer, _own_server_after_fork)
        _after_fork_registered = True
    _writers_own_servers = True
    try:
        yield
    finally:
        _writers_own_servers = False


def _own_server_after_fork(server_class) -> None:
    if _writers_own_servers:
        server_class.katex_server = None
        multiprocessing.util.Finalize(server_class, _stop_own_server, args=(server_class,), exitpriority=10)


def _stop_own_server(server_class) -> None:
    server = server_class.katex_server
    # Python 3.13 runs a forked worker's exit handlers too, which may have stopped it already
    if server is not None and server.process.poll() is None:
        server.terminate()


def _merge_nothing(self, docnames, otherdata) -> None:
    """sphinx-proof keeps no domain data of its own: there is nothing to merge."""


@contextlib.contextmanager
def proof_domain_merges_nothing():
    """sphinx-proof 0.4.0: ``ProofDomain`` gets the domain-data merge that a parallel read (``-j``) asks for.

    Sphinx calls ``merge_domaindata`` on every domain after parallel readers
    finish; sphinx-proof's domain does not define it (its data lives in
    ``env.proof_list``, which sphinx-proof merges itself), so Sphinx's default
    raises ``NotImplementedError`` and the build fails. Nothing needs merging.
    It can go when sphinx-proof defines the method (the patch then changes
    nothing). Test: ``test_sphinx_proof_still_lacks_the_domain_data_merge``.
    """
    from sphinx_proof.domain import ProofDomain

    if "merge_domaindata" in vars(ProofDomain):
        yield
        return
    ProofDomain.merge_domaindata = _merge_nothing
    try:
        yield
    finally:
        del ProofDomain.merge_domaindata


class CellExecutionFailed(ExecutionError):
    """MyST-NB's execution error, with the failing cell and its traceback in its message.

    Example:
        >>> try:
        ...     try:
        ...         1 / 0
        ...     except ZeroDivisionError as cell_error:
        ...         raise CellExecutionFailed("docs/page.md") from cell_error
        ... except CellExecutionFailed as failure:
        ...     print(failure)
        docs/page.md
        division by zero
    """

    def __str__(self) -> str:
        page = super().__str__()
        return f"{page}\n{self.__cause__}" if self.__cause__ else page


@contextlib.contextmanager
def cell_errors_carry_their_traceback():
    """myst-nb 1.4.0: a page whose cell fails raises an error that carries the cell's traceback.

    In cache mode myst-nb raises ``ExecutionError(path) from err``, whose message
    is the page's path only; the traceback goes to the log. A parallel reader
    that fails loses the warnings it logged, so the build's error named the
    page and nothing else. Rebinding the name the cache module raises makes its
    message carry the cause. It can go when myst-nb puts the cause in the
    message. Test: ``test_a_failing_cell_names_its_page_and_carries_its_traceback``.
    """
    import myst_nb.core.execute.cache as cached_execution

    upstream = cached_execution.ExecutionError
    cached_execution.ExecutionError = CellExecutionFailed
    try:
        yield
    finally:
        cached_execution.ExecutionError = upstream


def _statement_run_with_own_content_id(upstream_run):
    def run(self):
        [statement] = upstream_run(self)
        for child in statement.children:
            if child.get("ids") == ["proof-content"]:
                child["ids"] = [f"{statement['ids'][0]}-content"]
        return [statement]
    return run


@contextlib.contextmanager
def statement_contents_get_their_own_ids():
    """sphinx-proof 0.4.0: the body of each numbered statement gets an id of its own.

    Upstream gives the body of every ``{prf:theorem}``, ``{prf:proposition}``, ...
    the same ``id="proof-content"``, so a page with two statements has duplicate
    ids (the Nu HTML checker's error; a link to ``#proof-content`` could only
    reach the first). Each body's id becomes its statement's id followed by
    ``-content``; nothing refers to the old one. It can go when upstream gives
    each body a unique id (or none).
    Test: ``test_sphinx_proof_still_gives_every_statement_body_the_same_id``.
    """
    from sphinx_proof.directive import ElementDirective

    upstream = vars(ElementDirective)["run"]
    ElementDirective.run = _statement_run_with_own_content_id(upstream)
    try:
        yield
    finally:
        ElementDirective.run = upstream


def _proof_run_with_own_id(upstream_run):
    def run(self):
        [proof] = upstream_run(self)
        for box in proof.children:
            if box.get("ids") == ["proof"]:
                box["ids"] = [f"proof-{self.env.new_serialno('proof')}"]
        return [proof]
    return run


@contextlib.contextmanager
def proofs_get_their_own_ids():
    """sphinx-proof 0.4.0: each ``{prf:proof}`` box gets an id of its own (``proof-0``, ``proof-1``, ... on a page).

    Upstream gives every proof box ``id="proof"``, so a page with two proofs has
    duplicate ids, and styles the box through that id (``div#proof`` in its
    ``proof.css``); ``gradavg.css`` carries the same rule for the numbered ids
    and goes with this patch. It can go when upstream gives each proof a unique
    id (or none). Test: ``test_sphinx_proof_still_gives_every_proof_the_same_id``.
    """
    from sphinx_proof.directive import ProofDirective

    upstream = vars(ProofDirective)["run"]
    ProofDirective.run = _proof_run_with_own_id(upstream)
    try:
        yield
    finally:
        ProofDirective.run = upstream


#: an operator whose content KaTeX wrote as identifiers (``\bmod``): MathML's ``<mo>`` holds text only
_OPERATOR_OF_IDENTIFIERS = re.compile(r'<mo([^>]*)><mrow>((?:<mi mathvariant="normal">[^<]*</mi>)+)</mrow></mo>')
_IDENTIFIER_TEXT = re.compile(r"<mi[^>]*>([^<]*)</mi>")
#: a function name and the invisible function application after it, ``\max`` typeset alone
_FUNCTION_NAME = re.compile("<mi[^>]*>[^<]*</mi><mo>\u2061</mo>")
#: MathML elements whose children are each one argument (base, script, numerator, ...)
_FIXED_ARITY = frozenset({"msub", "msup", "msubsup", "munder", "mover", "munderover", "mfrac", "mroot"})
_TAG = re.compile(r"<(/?)([a-z]+)[^>]*?(/?)>")
_STYLE = re.compile(r' style="([^"]*)"')
_NEGATIVE_HEIGHT = re.compile(r"(?<![-\w])height:-[0-9.]+em;?")


def _function_names_grouped(mathml: str) -> str:
    """Wrap each function name that is a whole argument of a fixed-arity element, with its ``&#x2061;``, in ``<mrow>``."""
    pieces, open_elements, written = [], [], 0
    for tag in _TAG.finditer(mathml):
        if tag.start() < written:
            continue  # inside a function name already wrapped
        name = _FUNCTION_NAME.match(mathml, tag.start())
        if name and open_elements and open_elements[-1] in _FIXED_ARITY:
            pieces += [mathml[written:tag.start()], "<mrow>", name.group(), "</mrow>"]
            written = name.end()
        elif tag.group(1):
            open_elements.pop()
        elif not tag.group(3):
            open_elements.append(tag.group(2))
    return "".join(pieces) + mathml[written:]


def _without_negative_heights(style: re.Match) -> str:
    kept = _NEGATIVE_HEIGHT.sub("", style.group(1))
    return f' style="{kept}"' if kept else ""


def valid_katex_markup(rendered: str) -> str:
    """KaTeX's rendering of one formula with the three constructs the Nu HTML checker rejects rewritten.

    See :func:`katex_markup_is_valid`. The rendering is otherwise unchanged.

    Example:
        >>> valid_katex_markup('<math><msub><mi>x</mi><mi>max</mi><mo>\u2061</mo></msub></math>')
        '<math><msub><mi>x</mi><mrow><mi>max</mi><mo>\\u2061</mo></mrow></msub></math>'
        >>> valid_katex_markup('<mo lspace="0.22em"><mrow><mi mathvariant="normal">m</mi>'
        ...                    '<mi mathvariant="normal">o</mi><mi mathvariant="normal">d</mi></mrow></mo>')
        '<mo lspace="0.22em">mod</mo>'
        >>> valid_katex_markup('<span class="vlist" style="height:-0.0139em;"></span><span style="top:-2.5em;height:-1em;">')
        '<span class="vlist"></span><span style="top:-2.5em;">'
    """
    rendered = _OPERATOR_OF_IDENTIFIERS.sub(
        lambda operator: f"<mo{operator.group(1)}>{''.join(_IDENTIFIER_TEXT.findall(operator.group(2)))}</mo>", rendered)
    rendered = _function_names_grouped(rendered)
    return _STYLE.sub(_without_negative_heights, rendered)


@contextlib.contextmanager
def katex_markup_is_valid():
    """KaTeX 0.19.1 (npm), through sphinxcontrib-katex 0.9.11: every typeset formula is valid HTML and MathML.

    KaTeX writes three constructs the Nu HTML checker rejects. ``\\bmod`` becomes
    an ``<mo>`` holding an ``<mrow>`` of identifiers, where ``<mo>`` holds text
    only: it becomes ``<mo>mod</mo>``. A function name that is a whole argument
    (``\\epsilon_{\\max}``) is written as two children, ``<mi>max</mi>`` and the
    invisible function application, of an element that takes one per argument
    (``<msub>``): the two are grouped in an ``<mrow>``, as KaTeX already does
    for ``\\max_i``. A script's box may get a negative CSS ``height``, which
    is invalid and so ignored by browsers: it is dropped, which changes no
    rendering. sphinxcontrib-katex's ``render_latex`` (what its math visitors
    call) returns the rewritten markup (:func:`valid_katex_markup`). It can go
    when KaTeX writes none of the three.
    Test: ``test_katex_still_writes_markup_the_nu_checker_rejects``.
    """
    import sphinxcontrib.katex as katex

    upstream = katex.render_latex

    def render_latex(latex, options=None):
        return valid_katex_markup(upstream(latex, options))

    katex.render_latex = render_latex
    try:
        yield
    finally:
        katex.render_latex = upstream


#: every patch, entered in this order while a build runs
PATCHES = (katex_connects_until_listening, katex_server_per_writer, proof_domain_merges_nothing,
           cell_errors_carry_their_traceback, statement_contents_get_their_own_ids, proofs_get_their_own_ids,
           katex_markup_is_valid)


def setup_upstream_patches(app) -> None:
    """Enter every patch now, and leave them all when the build finishes (or fails)."""
    patches = contextlib.ExitStack()
    for patch in PATCHES:
        patches.enter_context(patch())
    app.connect("build-finished", lambda app, exception: patches.close(), priority=900)
