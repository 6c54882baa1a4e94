"""Sphinx extension: the build rules that tie pages to the library and to the ledger.

- A page re-executes exactly when a library file it depends on changes
  (:mod:`gradavg.site.dependencies`): each page's dependency key goes into its
  notebook metadata, where the execution cache sees it, and a page whose key
  changed is re-read. A prose edit re-executes nothing.
- Every numbered statement must name a known claim as its ``:label:``, and
  every claim must be used by some page; otherwise the build warns (and the
  strict build fails), naming the page and line.
- Each claim runs once per build, on the page that shows it: the build
  collects the verdicts from the pages' executed output (cached or not), and
  the ``gradavg-ledger`` directive turns them into the proof ledger's table; a
  claim whose verdict no page produced fails the build.
- Pages execute in kernels forked from one process that has already
  imported IPython, SymPy, NumPy and Matplotlib
  (:mod:`gradavg.site.warm_kernels`), started with the build and stopped
  with it.
- Parallel reading (``-j``) works: the execution cache's database is created
  before the readers fork, the collected keys and verdicts are merged from
  the readers, and sphinx-proof's domain (whose data lives in
  ``env.proof_list``, merged by sphinx-proof itself) gets the domain-data
  merge that Sphinx asks every domain for. A page whose cell fails names the
  page and carries the cell's traceback in the error itself, since a parallel
  reader that fails loses the warnings it logged.
"""

from __future__ import annotations

import hashlib
import html
import json
import multiprocessing.util
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from docutils import nodes
from myst_nb.core.execute.base import ExecutionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from ..checks.pages import overstated, pages_by_claim, statements
from ..engine.claims import EVIDENCE_MEANING, format_seconds, ledger
from . import warm_kernels
from .dependencies import dependency_key
from .ledger_view import ledger_totals

logger = logging.getLogger(__name__)

#: folders whose contents the executed pages depend on, besides the pages
LIBRARY_FOLDERS = ("src", "derivations")


def library_fingerprint(root: Path) -> str:
    """A short hash of every file under ``src/`` and ``derivations/`` (paths and bytes): the statement check reruns when it changes.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     root = Path(tmp)
        ...     (root / "src").mkdir()
        ...     _ = (root / "src" / "a.py").write_text("x = 1")
        ...     before = library_fingerprint(root)
        ...     _ = (root / "src" / "a.py").write_text("x = 2")
        ...     after = library_fingerprint(root)
        >>> before, after
        ('df92a9299ef175c1', '063ab5c8e625511d')
    """
    digest = hashlib.sha256()
    for folder in LIBRARY_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            # build leftovers (bytecode, the egg-info an editable install writes into src/) are not the library
            if path.is_file() and not any(part == "__pycache__" or part.endswith(".egg-info") for part in path.parts):
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _check_statements(app) -> None:
    """Warn for a numbered statement without a known claim, and for a claim no page uses.

    The check imports every claim (and so SymPy): it is skipped when the pages
    and the library are exactly as they were at the last check that passed.
    """
    pages = sorted(Path(app.srcdir).rglob("*.md"))
    key = hashlib.sha256(library_fingerprint(Path(app.confdir)).encode()
                         + b"".join(p.read_bytes() for p in pages)).hexdigest()
    stamp = Path(app.doctreedir) / "gradavg-statements-passed"
    if stamp.is_file() and stamp.read_text() == key:
        return

    claims = {claim.id: claim for claim in ledger()}
    known = set(claims)
    used, problems = set(), 0
    for statement in statements(Path(app.srcdir)):
        location = f"{statement.path}:{statement.line}"
        if statement.label is None:
            problems += 1
            logger.warning("numbered %s names no claim: give it ':label: <claim id>'", statement.kind,
                           location=location, type="gradavg", subtype="claim")
        elif statement.label not in known:
            problems += 1
            logger.warning("numbered %s names unknown claim %r", statement.kind, statement.label,
                           location=location, type="gradavg", subtype="claim")
        else:
            used.add(statement.label)
            if why := overstated(statement, claims[statement.label].evidence):
                problems += 1
                logger.warning("%s (claim %r: %s)", why, statement.label, claims[statement.label].badge,
                               location=location, type="gradavg", subtype="claim")
    for claim_id in sorted(known - used):
        problems += 1
        logger.warning("claim %r is used by no page", claim_id, type="gradavg", subtype="claim")
    if not problems:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key)


# --- precise invalidation ---------------------------------------------------------------------------------

def _keys(env) -> dict[str, str | None]:
    if not hasattr(env, "gradavg_dependency_keys"):
        env.gradavg_dependency_keys = {}
    return env.gradavg_dependency_keys


def _note_dependencies(app, docname, source) -> None:
    """Record the page's dependency key and put it in its notebook metadata, which the execution cache hashes."""
    key = dependency_key(source[0])
    _keys(app.env)[docname] = key
    if key and source[0].startswith("---\n") and "\nkernelspec:\n" in source[0]:
        source[0] = source[0].replace("\nkernelspec:\n", f"\nkernelspec:\n  gradavg_dependencies: {key}\n", 1)


def _pages_with_changed_dependencies(app, env, added, changed, removed) -> list[str]:
    """Pages whose sources did not change but whose library files did: read (and so execute) them again."""
    stale = []
    for docname, key in _keys(env).items():
        if docname in changed or docname in removed or docname not in env.found_docs:
            continue
        if dependency_key(Path(env.doc2path(docname)).read_text(encoding="utf-8")) != key:
            stale.append(docname)
    return stale


# --- one run of each claim: verdicts collected from the pages -----------------------------------------------

_VERDICT = re.compile(r'data-verdict="([^"]*)"')


def _verdicts(env) -> dict[str, dict[str, dict]]:
    if not hasattr(env, "gradavg_verdicts"):
        env.gradavg_verdicts = {}
    return env.gradavg_verdicts


def _collect_verdicts(app, doctree) -> None:
    """Keep the verdicts a page's executed cells showed (``data-verdict`` on each claim's report)."""
    found = {}
    for node in doctree.findall(nodes.raw):
        if node.get("format") == "html":
            for match in _VERDICT.finditer(node.astext()):
                row = json.loads(html.unescape(match.group(1)))
                found.setdefault(row["id"], row)
    if found:
        _verdicts(app.env)[app.env.docname] = found


def _fail_on_error_outputs(app, doctree) -> None:
    """Warn for every traceback a page's cells printed without raising (an error in a callback, say)."""
    for node in doctree.findall(nodes.literal_block):
        if "traceback" in node.get("classes", []):
            last = next((line for line in reversed(node.astext().splitlines()) if line.strip()), "")
            logger.warning("a cell printed an error: %s", last.strip(), location=node, type="gradavg", subtype="cell")


def _purge(app, env, docname) -> None:
    app.gradavg_pages_changed = True
    _verdicts(env).pop(docname, None)
    _keys(env).pop(docname, None)
    getattr(env, "gradavg_ledger_pages", set()).discard(docname)


def _merge(app, env, docnames, other) -> None:
    for docname in docnames:
        if docname in _verdicts(other):
            _verdicts(env)[docname] = _verdicts(other)[docname]
        if docname in _keys(other):
            _keys(env)[docname] = _keys(other)[docname]
    env.gradavg_ledger_pages = getattr(env, "gradavg_ledger_pages", set()) | getattr(other, "gradavg_ledger_pages", set())


class ledger_table(nodes.General, nodes.Element):
    """Where the proof ledger goes; filled in once every page has been read."""


class LedgerDirective(SphinxDirective):
    """``{gradavg-ledger}``: the totals and the table of every claim, from the verdicts the pages produced."""

    def run(self):
        if not hasattr(self.env, "gradavg_ledger_pages"):
            self.env.gradavg_ledger_pages = set()
        self.env.gradavg_ledger_pages.add(self.env.docname)
        return [ledger_table()]


def _note_pages_read(app, env, docnames) -> None:
    if docnames:
        app.gradavg_pages_changed = True


def _write_ledger_pages_when_verdicts_may_change(app, env) -> list[str]:
    """The ledger pages show every page's verdicts: write them again whenever a page was read or removed."""
    return sorted(getattr(env, "gradavg_ledger_pages", ())) if getattr(app, "gradavg_pages_changed", False) else []


def _with_math(text: str) -> list[nodes.Node]:
    """Text with ``$...$`` formulas as math nodes."""
    parts = re.split(r"\$([^$]+)\$", " ".join(str(text).split()))
    return [nodes.math(part, part) if i % 2 else nodes.Text(part) for i, part in enumerate(parts) if part]


def _fill_ledger(app, doctree, docname) -> None:
    tables = list(doctree.findall(ledger_table))
    if not tables:
        return
    shown = {}
    for page in sorted(_verdicts(app.env)):
        for claim_id, row in _verdicts(app.env)[page].items():
            shown.setdefault(claim_id, row)
    pages = pages_by_claim(Path(app.srcdir))
    rows = []
    for claim in ledger():
        row = shown.get(claim.id)
        if row is None:
            logger.warning("claim %r: no page showed its verdict, so the ledger has none (show it under its "
                           "statement with show(%r))", claim.id, claim.id, location=docname, type="gradavg",
                           subtype="claim")
            row = {"id": claim.id, "holds": False, "method": "not run by any page", "seconds": None,
                   "control_rejected": False, "evidence_backed": False}
        rows.append({**row, "statement": claim.statement, "control": claim.control, "evidence": claim.evidence,
                     "scope": claim.scope, "pages": pages.get(claim.id, [])})
    totals = ledger_totals([{**r, "seconds": r["seconds"] or 0.0} for r in rows])
    seconds = format_seconds(totals["seconds"], 2, reproducible=any(r["seconds"] is None for r in rows))
    summary = nodes.paragraph("", "", nodes.strong("", f"{totals['claims']} claims; {totals['holding']} hold; "
                                                       f"{totals['backed']} with the evidence they declare; "
                                                       f"{totals['controls_rejected']} negative controls rejected; "
                                                       f"total check time {seconds}."))
    kinds = nodes.bullet_list()
    for kind, count in totals["evidence"].items():
        kinds += nodes.list_item("", nodes.paragraph("", "", nodes.strong("", f"{kind}: {count}"),
                                                     nodes.Text(f" ({EVIDENCE_MEANING[kind]})")))
    for table in tables:
        table.replace_self([summary, kinds, _table(app, docname, rows)])


def _table(app, docname: str, rows: list[dict]) -> nodes.table:
    widths = (38, 18, 22, 10, 12)
    group = nodes.tgroup(cols=len(widths))
    group += [nodes.colspec(colwidth=w) for w in widths]
    head = nodes.thead()
    head += _row([[nodes.Text(h)] for h in ("Claim and negative control", "Evidence and scope", "Method",
                                            "Status and seconds", "Used on")])
    body = nodes.tbody()
    for r in rows:
        status = nodes.Text("holds") if r["holds"] else nodes.strong("", "FAILS")
        control = nodes.Text("control rejected") if r["control_rejected"] else nodes.strong("", "control NOT rejected")
        timing = format_seconds(r["seconds"]) if r["seconds"] is not None else format_seconds(0.0, reproducible=True)
        links = []
        for page in r["pages"]:
            title = app.env.titles[page].astext() if page in app.env.titles else page
            links += [nodes.reference("", title, internal=True, refuri=app.builder.get_relative_uri(docname, page)),
                      nodes.Text(", ")]
        claim = [nodes.paragraph("", "", nodes.literal("", r["id"]), nodes.Text(": "), *_with_math(r["statement"])),
                 nodes.paragraph("", "", nodes.emphasis("", "Control:"), nodes.Text(" "),
                                 *_with_math(r["control"]), nodes.Text("."))]
        evidence = nodes.strong("", r["evidence"]) if r["evidence_backed"] else \
            nodes.strong("", f"NOT {r['evidence']}: its check fell short")
        body += _row([claim, [evidence, nodes.Text(f": {r['scope']}")], [nodes.Text(" ".join(r["method"].split()))],
                      [status, nodes.Text("; "), control, nodes.Text(f"; {timing}")],
                      links[:-1] or [nodes.strong("", "none")]])
    group += [head, body]
    table = nodes.table(classes=["gradavg-ledger"])
    table += group
    return table


def _row(cells: list[list[nodes.Node]]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        entry = nodes.entry()
        if content and isinstance(content[0], nodes.paragraph):
            entry += content
        else:
            entry += nodes.paragraph("", "", *content)
        row += entry
    return row


def _create_execution_cache(app) -> None:
    """Open (and so create) the execution cache once, before parallel readers fork."""
    from jupyter_cache import get_cache

    get_cache(app.config.nb_execution_cache_path).list_cache_records()


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


def _start_warm_kernels(app) -> None:
    """Pages execute in kernels forked from one process that has imported what they use (:mod:`.warm_kernels`)."""
    if app.config.nb_execution_mode != "off":
        app.gradavg_warm_kernels = warm_kernels.start()


def _stop_warm_kernels(app, exception) -> None:
    template = getattr(app, "gradavg_warm_kernels", None)
    if template is not None:
        template.stop()
        app.gradavg_warm_kernels = None


def _merge_nothing(self, docnames, otherdata) -> None:
    """sphinx-proof keeps no domain data of its own: there is nothing to merge."""


def _citations_as_list_items(app, pagename, templatename, context, doctree) -> None:
    """Give bibliography entries the ``listitem`` role their ``role="list"`` container requires.

    docutils marks them ``doc-biblioentry``, which axe reports as a list
    without list items (aria-required-children).
    """
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


_KATEX_ERROR = re.compile(r'class="katex-error" title="([^"]*)"')


def _fail_on_unrendered_math(app, pagename, templatename, context, doctree) -> None:
    """Warn (and so fail the strict build) for every formula KaTeX could not typeset, naming the page."""
    for message in _KATEX_ERROR.findall(context.get("body", "")):
        logger.warning("KaTeX could not typeset a formula: %s", html.unescape(message), location=pagename,
                       type="gradavg", subtype="math")


_MAIN_PROCESS = os.getpid()


def _own_katex_server_per_writer(server_class) -> None:
    """In a forked page writer, forget the render server inherited from the parent, and stop its own when it exits.

    sphinxcontrib-katex keeps one node render server per process, talked to over
    one socket. A writer forked after the parent started its server would share
    that socket with its siblings, so each writer starts its own instead. It
    stops that server at interpreter exit, which a forked writer never reaches;
    forked workers do run multiprocessing's finalizers (registered here, after
    the fork, since the fork clears those of the parent).
    """
    server_class.katex_server = None
    multiprocessing.util.Finalize(server_class, _stop_own_katex_server, args=(server_class,), exitpriority=10)


def _stop_own_katex_server(server_class) -> None:
    server = server_class.katex_server
    # Python 3.13 runs a forked worker's exit handlers too, which may have stopped it already
    if server is not None and server.process.poll() is None:
        server.terminate()


class _NotedPopen(subprocess.Popen):
    """A KaTeX render server's process, noted where the build stops whatever of them still runs at its end."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if _katex_servers is not None:
            (_katex_servers / str(self.pid)).touch()


def _start_server_process(cls, rundir: Path, timeout: float):
    """sphinxcontrib-katex's ``KaTeXServer.start_server_process``, connecting again until the server listens.

    Upstream connects once, as soon as the server's socket file exists, which
    node creates just before it listens: on a busy machine that connection is
    refused (in most clean builds with three readers, for one writer), failing
    the build and leaving the server running. Otherwise the same: start the
    server, connect within ``timeout`` seconds, return the process and socket.
    """
    socket_path = rundir / "katex.sock"
    process = _NotedPopen(cls.build_command(socket=socket_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
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


#: where the build notes the process ids of its KaTeX render servers (set when the build starts)
_katex_servers: Path | None = None


def _note_katex_servers(app) -> None:
    global _katex_servers
    _katex_servers = Path(tempfile.mkdtemp(prefix="gradavg-katex-"))


def _stop_katex_servers(app, exception) -> None:
    """Stop every KaTeX render server this build started that still runs.

    Each process stops its own server when it exits; this catches any left
    over, which would outlive the build holding the build's output pipes open,
    so that a caller waiting for them would never return.
    """
    global _katex_servers
    if _katex_servers is None or os.getpid() != _MAIN_PROCESS:
        return
    for noted in sorted(_katex_servers.iterdir()):
        try:
            if b"katex-server" in Path("/proc", noted.name, "cmdline").read_bytes():
                os.kill(int(noted.name), signal.SIGTERM)
        except OSError:
            pass  # already gone
        noted.unlink()
    _katex_servers.rmdir()
    _katex_servers = None


def setup(app):
    import myst_nb.core.execute.cache as cached_execution
    from sphinx_proof.domain import ProofDomain
    from sphinxcontrib.katex import KaTeXServer

    KaTeXServer.start_server_process = classmethod(_start_server_process)
    if "merge_domaindata" not in vars(ProofDomain):
        ProofDomain.merge_domaindata = _merge_nothing
    cached_execution.ExecutionError = CellExecutionFailed
    app.connect("builder-inited", _create_execution_cache)
    app.connect("builder-inited", _start_warm_kernels)
    app.connect("build-finished", _stop_warm_kernels)
    app.connect("source-read", _note_dependencies)
    app.connect("env-get-outdated", _pages_with_changed_dependencies)
    app.connect("doctree-read", _collect_verdicts)
    app.connect("doctree-read", _fail_on_error_outputs)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-before-read-docs", _note_pages_read)
    app.connect("env-updated", _write_ledger_pages_when_verdicts_may_change)
    app.connect("doctree-resolved", _fill_ledger)
    app.add_node(ledger_table)
    app.add_directive("gradavg-ledger", LedgerDirective)
    app.connect("builder-inited", _check_statements)
    app.connect("html-page-context", _citations_as_list_items)
    app.connect("html-page-context", _fail_on_unrendered_math)
    app.connect("builder-inited", _note_katex_servers)
    app.connect("build-finished", _stop_katex_servers)
    multiprocessing.util.register_after_fork(KaTeXServer, _own_katex_server_per_writer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
