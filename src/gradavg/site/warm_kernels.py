"""Warm kernels: every page executes in a kernel forked from one process that has already imported what pages use.

A fresh Jupyter kernel spends about a second starting IPython and importing
SymPy, NumPy and Matplotlib before a page's first cell runs; the build starts
one per executed page. Instead, the build starts one *template* process
(:func:`serve`) that imports those once and waits on a Unix socket. The
``python3`` kernel spec the build points Jupyter at runs this module as the
kernel command (:func:`launch`): it hands the template its command line,
working directory, environment and standard streams, and the template forks a
child that becomes the kernel. The child is an ordinary ipykernel in every way
that the page can see; the launcher stays alive as the process Jupyter
watches, forwards signals to the child, and the child exits when the launcher
disappears (even killed outright).

Nothing here decides what a page computes: if the template is missing, busy
dying, or failed to import something, the launcher becomes a plain
``ipykernel`` instead. An import that warns fails the template (so the warning
surfaces in the page's own kernel, where it fails the strict build).
JAX is never imported by the template: it starts threads, and a forked copy of
a threaded process can deadlock.
"""

from __future__ import annotations

import array
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

#: environment variable naming the template's socket (inherited by the kernel launchers)
SOCKET_VARIABLE = "GRADAVG_WARM_KERNELS"
#: what the template imports once (IPython's kernel and what the pages' cells import first);
#: Matplotlib's inline backend is left to each kernel, since it hooks into the kernel's shell when imported
PRELOAD = ("ipykernel.kernelapp", "numpy", "sympy", "matplotlib.pyplot", "myst_nb")
_HEADER = struct.Struct("!I")


class Template:
    """The running template process and the kernel spec that routes kernels to it (see :func:`start`)."""

    def __init__(self, process: subprocess.Popen, folder: Path, saved: dict[str, str | None]):
        self.process, self.folder, self._saved = process, folder, saved

    def stop(self) -> None:
        """Stop the template and restore the environment; kernels already forked run on."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for path in sorted(self.folder.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        self.folder.rmdir()


def start() -> Template:
    """Start the template and point this process's Jupyter (and its children) at the warm ``python3`` kernel.

    Sets :data:`SOCKET_VARIABLE` and puts a ``python3`` kernel spec first on
    ``JUPYTER_PATH``; :meth:`Template.stop` undoes both.
    """
    folder = Path(tempfile.mkdtemp(prefix="gradavg-kernels-"))
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", __name__, "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True},
    }))
    path = folder / "template.sock"
    # bound here, so a kernel launched at once finds it (and waits for the template's imports)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(64)
    process = subprocess.Popen([sys.executable, "-m", __name__, "--serve", str(listener.fileno())],
                               stdin=subprocess.DEVNULL, pass_fds=[listener.fileno()])
    listener.close()
    saved = {name: os.environ.get(name) for name in (SOCKET_VARIABLE, "JUPYTER_PATH")}
    os.environ[SOCKET_VARIABLE] = str(path)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), saved["JUPYTER_PATH"]]))
    return Template(process, folder, saved)


def serve(listening: int) -> None:
    """The template: import :data:`PRELOAD`, then fork one kernel per request on the listening socket.

    Exits when its parent (the build) is gone.
    """
    import importlib
    import warnings

    parent = os.getppid()
    listener = socket.socket(fileno=listening)
    # as ipykernel's launcher does: the working directory leaves the import path (IPython puts '' back)
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel sets it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in PRELOAD:
            importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernels are reaped as they exit
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        connection.settimeout(None)
        try:
            request, streams = _receive(connection)
        except (OSError, ValueError):
            connection.close()
            continue
        child = os.fork()
        if child == 0:
            listener.close()
            _become_kernel(connection, request, streams)
        for stream in streams:
            os.close(stream)
        try:
            connection.sendall(_HEADER.pack(child))
        except OSError:
            os.kill(child, signal.SIGKILL)
        connection.close()


def _receive(connection: socket.socket) -> tuple[dict, list[int]]:
    """One request: a length-prefixed JSON object, with the launcher's three standard streams attached."""
    streams = array.array("i")
    data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(3 * streams.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            streams.frombytes(payload[: len(payload) - len(payload) % streams.itemsize])
    if len(data) < _HEADER.size:
        raise ValueError("short request")
    (length,) = _HEADER.unpack_from(data)
    body = data[_HEADER.size:]
    while len(body) < length:
        more = connection.recv(length - len(body))
        if not more:
            raise ValueError("truncated request")
        body += more
    if len(streams) != 3:
        raise ValueError("a request carries three standard streams")
    return json.loads(body), list(streams)


def _become_kernel(connection: socket.socket, request: dict, streams: list[int]) -> None:
    """In the forked child: take the launcher's streams, directory and environment, and run ipykernel."""
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for target, stream in enumerate(streams):
            os.dup2(stream, target)
            os.close(stream)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = request["argv"]
        threading.Thread(target=_exit_with_launcher, args=(connection,), daemon=True).start()
        from ipykernel.kernelapp import IPKernelApp

        arguments = request["argv"][1:]
        if "JPY_PARENT_PID" in request["env"]:  # ipykernel reads it when imported, which was in the template
            arguments.append(f"--IPKernelApp.parent_handle={request['env']['JPY_PARENT_PID']}")
        IPKernelApp.launch_instance(argv=arguments)
        code = 0
    except BaseException as error:  # a kernel child must never return into the template's loop
        print(f"warm kernel failed: {error!r}", file=sys.stderr, flush=True)
        code = 1
    os._exit(code)


def _exit_with_launcher(connection: socket.socket) -> None:
    # the launcher never writes: this returns when it exits or is killed
    connection.recv(1)
    os._exit(1)


def launch(arguments: list[str]) -> None:
    """The kernel command: run the kernel in a child of the template, or be a plain ipykernel if there is none."""
    path = os.environ.get(SOCKET_VARIABLE)
    answer = _request_kernel(path, arguments) if path else None
    if answer is None:
        os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *arguments])
    child, connection = answer
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, lambda received, frame: _forward(child, received))
    # the kernel keeps its end of the connection open while it lives
    while connection.recv(1):
        pass
    connection.close()


def _request_kernel(path: str, arguments: list[str]) -> tuple[int, socket.socket] | None:
    """Ask the template for a kernel: its process id and the connection it holds, or ``None`` when no template answers."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
        body = json.dumps({"argv": ["ipykernel_launcher", *arguments], "cwd": os.getcwd(),
                           "env": dict(os.environ)}).encode()
        connection.sendmsg([_HEADER.pack(len(body)) + body],
                           [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]).tobytes())])
        reply = b""
        while len(reply) < _HEADER.size:
            more = connection.recv(_HEADER.size - len(reply))
            if not more:
                raise ConnectionError("the template closed the connection")
            reply += more
    except OSError:
        connection.close()
        return None
    return _HEADER.unpack(reply)[0], connection


def _forward(child: int, number: int) -> None:
    try:
        os.kill(child, number)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]))
    else:
        launch(sys.argv[1:])
