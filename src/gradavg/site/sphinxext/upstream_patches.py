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


#: every patch, entered in this order while a build runs
PATCHES = (katex_connects_until_listening, katex_server_per_writer, proof_domain_merges_nothing,
           cell_errors_carry_their_traceback)


def setup_upstream_patches(app) -> None:
    """Enter every patch now, and leave them all when the build finishes (or fails)."""
    patches = contextlib.ExitStack()
    for patch in PATCHES:
        patches.enter_context(patch())
    app.connect("build-finished", lambda app, exception: patches.close(), priority=900)
