"""The lifecycle of sphinxcontrib-katex's render servers: every one the build starts is stopped when it ends.

Each process stops its own server when it exits (forked page writers through
:func:`gradavg.site.sphinxext.upstream_patches.katex_server_per_writer`). This
room catches any left over: the build notes the process id of every render
server it starts (:class:`NotedPopen`) and, when it finishes, stops those still
running. A leftover would outlive the build holding the build's output pipes
open, so that a caller waiting for them would never return.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from pathlib import Path

_MAIN_PROCESS = os.getpid()

#: where the build notes the process ids of its KaTeX render servers (set when the build starts)
_noted: Path | None = None


class NotedPopen(subprocess.Popen):
    """A KaTeX render server's process, noted where the build stops whatever of them still runs at its end."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if _noted is not None:
            (_noted / str(self.pid)).touch()


def _note_katex_servers(app) -> None:
    global _noted
    _noted = Path(tempfile.mkdtemp(prefix="gradavg-katex-"))


def _stop_katex_servers(app, exception) -> None:
    """Stop every KaTeX render server this build started that still runs (and only those: a reused pid is left alone)."""
    global _noted
    if _noted is None or os.getpid() != _MAIN_PROCESS:
        return
    for noted in sorted(_noted.iterdir()):
        try:
            if b"katex-server" in Path("/proc", noted.name, "cmdline").read_bytes():
                os.kill(int(noted.name), signal.SIGTERM)
        except OSError:
            pass  # already gone
        noted.unlink()
    _noted.rmdir()
    _noted = None


def setup_katex_servers(app) -> None:
    """Note the render servers from the start of the build, and stop those left at its end."""
    app.connect("builder-inited", _note_katex_servers)
    app.connect("build-finished", _stop_katex_servers)
