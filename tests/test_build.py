"""The strict docs build: it succeeds on the real pages and fails, naming the page, on bad ones."""

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import NOTEBOOK_FRONT_MATTER, ROOT, sphinx_build
from gradavg.engine.claims import ledger

pytestmark = pytest.mark.build

FRONT_MATTER = NOTEBOOK_FRONT_MATTER.replace("---\n", "---\norphan: true\n", 1)


def page(title: str, code: str) -> str:
    return f"{FRONT_MATTER}# {title}\n\n```{{code-cell}} ipython3\n{code}\n```\n"


def test_site_builds_with_every_claim_shown(built_site):
    assert (built_site / "index.html").is_file()
    linearity = (built_site / "linearity.html").read_text()
    assert "linearity.general-n" in linearity and "gradavg-verdict gradavg-ok" in linearity
    assert "gradavg-bad" not in linearity


@pytest.fixture
def docs_copy(tmp_path) -> Path:
    """A copy of docs/ to add bad pages to (its good pages hit the execution cache)."""
    copy = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", copy)
    return copy


def test_a_failing_cell_fails_the_build_with_page_and_traceback(docs_copy, tmp_path):
    (docs_copy / "bad_raise.md").write_text(page("Raises", "numerator = 1\nnumerator / 0"))
    build = sphinx_build(docs_copy, tmp_path / "out")
    log = build.stdout + build.stderr
    assert build.returncode != 0
    assert "bad_raise" in log and "ZeroDivisionError" in log


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory) -> tuple[str, dict]:
    """One strict build of a docs copy holding every kind of bad page that warns (one build, not one per kind).

    Returns the build's log and the line numbers where statements were appended.
    """
    tmp_path = tmp_path_factory.mktemp("bad")
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "bad_stderr.md").write_text(page("Stderr", "import sys\nprint('oops', file=sys.stderr)"))
    (docs / "bad_warning.md").write_text(page("Warning", "import warnings\nwarnings.warn('careful now')"))
    (docs / "bad_math.md").write_text("---\norphan: true\n---\n\n# Bad math\n\nA broken fraction $\\frac{1}{$.\n")
    # the cell itself succeeds; drawing its figure afterwards fails and IPython only prints the traceback
    code = "import matplotlib.pyplot as plt\nplt.figure()\nplt.ylabel(r'$\\\\notasymbol$')"
    (docs / "bad_callback.md").write_text(page("Callback", code))
    linearity = docs / "linearity.md"
    linearity.write_text(linearity.read_text().replace(":label: linearity.general-n\n", ""))
    references = docs / "references.md"
    lines = {"references": references.read_text().count("\n")}
    references.write_text(references.read_text() + "\n```{prf:theorem} Made up\n:label: no.such-claim\n\nFalse.\n```\n")
    # the rule's negative control: a theorem backed by sampled evidence (the same claim as an observation passes)
    sampled = next(c for c in ledger() if c.evidence == "sampled")
    glossary = docs / "glossary.md"
    lines["glossary"] = glossary.read_text().count("\n")
    glossary.write_text(glossary.read_text() + f"\n```{{prf:theorem}} Overstated\n:label: {sampled.id}\n\nSo.\n```\n"
                        f"\n```{{prf:observation}} Labelled\n:label: {sampled.id}\n\nSo.\n```\n")
    build = sphinx_build(docs, tmp_path / "out")
    assert build.returncode != 0
    return build.stdout + build.stderr, lines


def test_stderr_and_warnings_fail_the_build_naming_the_page(bad_build):
    log, _ = bad_build
    assert "bad_stderr.md" in log and "bad_warning.md" in log
    assert log.count("stderr was found in the cell outputs") == 2


def test_statements_must_name_known_claims_rest_on_their_evidence_and_claims_must_be_used(bad_build):
    log, lines = bad_build
    assert f"references.md:{lines['references'] + 2}: WARNING: numbered theorem names unknown claim 'no.such-claim'" in log
    assert "linearity.md" in log and "numbered theorem names no claim" in log
    assert "claim 'linearity.general-n' is used by no page" in log
    assert f"glossary.md:{lines['glossary'] + 2}: WARNING: a theorem rests on sampled evidence" in log
    assert log.count("rests on sampled evidence") == 1, "the observation must pass"


def test_a_formula_katex_cannot_render_fails_the_build(bad_build):
    log, _ = bad_build
    assert "bad_math" in log and "KaTeX" in log


def test_an_error_printed_after_a_cell_fails_the_build(bad_build):
    log, _ = bad_build
    assert "bad_callback.md" in log and "a cell printed an error" in log


# --- the KaTeX render servers the build starts ---------------------------------------------------------------

def test_every_katex_server_the_build_started_is_stopped_when_it_ends():
    import sys

    from gradavg.site import sphinxext

    sphinxext._note_katex_servers(None)
    server = sphinxext._NotedPopen([sys.executable, "-c", "import time; time.sleep(60)", "katex-server"])
    other = sphinxext._NotedPopen([sys.executable, "-c", "import time; time.sleep(60)", "not-a-render-server"])
    try:
        sphinxext._stop_katex_servers(None, None)
        assert server.wait(timeout=10) != 0  # stopped by the build's end
        with pytest.raises(subprocess.TimeoutExpired):
            other.wait(timeout=0.5)  # a process that is no render server (a reused pid, say) is left alone
    finally:
        other.kill()
        server.kill()
        other.wait()
        server.wait()


def test_the_katex_server_is_reached_even_if_it_listens_only_after_binding(tmp_path):
    import socket
    import sys

    from gradavg.site.sphinxext import _start_server_process

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

    process, connection = _start_server_process(Server, tmp_path, timeout=10)
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
