"""Every KaTeX render server a build starts is stopped when the build ends (gradavg.site.sphinxext.katex_servers)."""

import subprocess
import sys

import pytest

from gradavg.site.sphinxext import katex_servers


def test_every_katex_server_the_build_started_is_stopped_when_it_ends():
    katex_servers._note_katex_servers(None)
    # a render server dies of SIGTERM; a child inherits an ignored SIGTERM from its parent (seen in the full
    # suite), so each stand-in restores the default first
    sleeper = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_DFL); time.sleep(60)"
    server = katex_servers.NotedPopen([sys.executable, "-c", sleeper, "katex-server"])
    other = katex_servers.NotedPopen([sys.executable, "-c", sleeper, "not-a-render-server"])
    try:
        katex_servers._stop_katex_servers(None, None)
        assert server.wait(timeout=10) != 0  # stopped by the build's end
        with pytest.raises(subprocess.TimeoutExpired):
            other.wait(timeout=0.5)  # a process that is no render server (a reused pid, say) is left alone
    finally:
        other.kill()
        server.kill()
        other.wait()
        server.wait()
