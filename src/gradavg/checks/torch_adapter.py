"""PyTorch for the checks: imported on first use, and a world of gloo processes on loopback, started once.

Every function that runs PyTorch imports it through :func:`torch_modules`
(or :func:`transformers_loss` for Hugging Face's loss code), so ``gradavg
ledger`` and the other pages do not load it, and a machine without it gets
verdicts that say what is missing (:func:`needs_torch`) instead of an error.

Checks that need several processes (``DistributedDataParallel``,
``all_gather``) run in :class:`Ranks`: ``size`` processes joined in one
``gloo`` process group whose rendezvous store is held by the calling process
on ``127.0.0.1``. The world starts once per process (:func:`ranks`) and every
check of a page reuses it; it stops when :meth:`Ranks.close` is called, when
the calling process exits, or, if that process dies without a word, within a
second (each rank watches its parent). A rank function that raises fails that
run only: the error comes back with its traceback and the world stays usable.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import queue
import signal
import socket
import traceback
import warnings
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, Callable, Sequence

from ..engine.claims import not_run_without

#: what a verdict says when PyTorch (or transformers) is not installed
NEEDS_TORCH = "needs PyTorch: pip install 'gradavg[torch]'"
#: how long a run of the world may take before it is declared stuck, and the world stopped
RUN_TIMEOUT = 120
#: how long the ranks may take to start, import PyTorch and join the group
START_TIMEOUT = 120
#: the only address the world listens on or connects to
LOOPBACK = "127.0.0.1"


class TorchUnavailable(RuntimeError):
    """PyTorch or transformers cannot run a check here: not installed.

    Example:
        >>> str(TorchUnavailable(NEEDS_TORCH))
        "needs PyTorch: pip install 'gradavg[torch]'"
    """


class RankFailed(RuntimeError):
    """A rank function raised, or the world did not answer in time; the message carries the rank's traceback."""


def torch_modules() -> SimpleNamespace:
    """PyTorch, ``torch.nn.functional`` and ``torch.distributed``, imported now.

    Raises :class:`TorchUnavailable` if PyTorch is missing.

    Example:
        >>> modules = torch_modules()
        >>> modules.torch.zeros(2, dtype=modules.torch.float64).dtype
        torch.float64
    """
    try:
        import torch
        import torch.distributed as dist
        import torch.nn.functional as F
    except ImportError as error:
        raise TorchUnavailable(f"{NEEDS_TORCH} ({error})") from error
    return SimpleNamespace(torch=torch, F=F, dist=dist, version=torch.__version__)


@contextlib.contextmanager
def _hugging_face():
    """Import Hugging Face's modules inside this block (after PyTorch), or raise :class:`TorchUnavailable` naming what is missing.

    The imports are written out in the block, so that the site's reading of imports from the source
    (:func:`gradavg.site.imports.third_party_needs`) sees which package a check needs. Their packages
    import ``tqdm.auto``, which warns in a Jupyter kernel without ipywidgets that its notebook progress
    bars are unavailable; these checks draw no progress bar, so that one warning is dropped.
    """
    torch_modules()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            yield
    except ImportError as error:
        raise TorchUnavailable(f"{NEEDS_TORCH} ({error})") from error


def transformers_loss() -> SimpleNamespace:
    """Hugging Face's loss functions (``transformers.loss.loss_utils``) and the version of transformers.

    Raises :class:`TorchUnavailable` if transformers (or PyTorch) is missing.

    Example:
        >>> transformers_loss().ForCausalLMLoss.__name__
        'ForCausalLMLoss'
    """
    with _hugging_face():
        import transformers
        from transformers.loss import loss_utils
    return SimpleNamespace(ForCausalLMLoss=loss_utils.ForCausalLMLoss, version=transformers.__version__)


def accelerate_modules() -> SimpleNamespace:
    """Hugging Face's ``accelerate.Accelerator`` and the version of accelerate.

    Raises :class:`TorchUnavailable` if accelerate (or PyTorch) is missing.

    Example:
        >>> accelerate_modules().Accelerator.__name__
        'Accelerator'
    """
    with _hugging_face():
        import accelerate
    return SimpleNamespace(Accelerator=accelerate.Accelerator, version=accelerate.__version__)


#: wraps a check so that missing PyTorch gives a verdict that it was not run, and why
#: (:func:`gradavg.engine.claims.not_run_without`)
needs_torch = not_run_without(TorchUnavailable)


def _serve(rank: int, size: int, port: int, parent: int, tasks, results) -> None:
    """One rank: join the gloo group through the parent's store, then run what the parent sends until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the world
    try:
        import torch.distributed as dist

        store = dist.TCPStore(LOOPBACK, port, size, is_master=False, timeout=timedelta(seconds=START_TIMEOUT))
        dist.init_process_group("gloo", store=store, rank=rank, world_size=size,
                                timeout=timedelta(seconds=RUN_TIMEOUT))
    except BaseException:
        results.put((rank, False, traceback.format_exc()))
        return
    results.put((rank, True, "ready"))
    while True:
        try:
            task = tasks.get(timeout=1)
        except queue.Empty:
            if os.getppid() != parent:  # the parent died without stopping the world
                break
            continue
        if task is None:
            break
        function, arguments = task
        try:
            results.put((rank, True, function(rank, size, *arguments)))
        except BaseException:
            results.put((rank, False, traceback.format_exc()))
    dist.destroy_process_group()


#: the most ranks a world may have (each is a process that imports PyTorch)
MAX_RANKS = 8


def world_size(size: int) -> int:
    """``size`` if it is a number of ranks a world may have (1 to :data:`MAX_RANKS`); otherwise a ``ValueError``.

    Example:
        >>> world_size(2)
        2
        >>> world_size(9)
        Traceback (most recent call last):
        ...
        ValueError: a world of 1 to 8 ranks, got 9
    """
    if not isinstance(size, int) or not 1 <= size <= MAX_RANKS:
        raise ValueError(f"a world of 1 to {MAX_RANKS} ranks, got {size}")
    return size


class Ranks:
    """``size`` processes in one ``gloo`` process group on 127.0.0.1, each running what :meth:`run` sends.

    The calling process holds the group's rendezvous store; ``port`` asks for
    a port for it (0, the default, lets the system choose one that is free; a
    port in use falls back to that). Use it as a context manager, or call
    :meth:`close`; the world is also stopped when this process exits.

    Example:
        >>> with Ranks(2) as world:
        ...     world.run(_rank_and_size, [(), ()])
        [(0, 2), (1, 2)]
    """

    def __init__(self, size: int = 2, port: int = 0):
        size = world_size(size)
        dist = torch_modules().dist
        # the store listens on a socket bound here to loopback (given only a host name, it listens on every
        # interface); the store owns the socket from now on and closes it when it is dropped
        listener = _loopback_listener(port)
        self.size, self.port = size, listener.getsockname()[1]
        self._store = dist.TCPStore(LOOPBACK, self.port, size, is_master=True, wait_for_workers=False,
                                    master_listen_fd=listener.detach())
        context = multiprocessing.get_context("spawn")  # never fork a process that may hold threads (JAX, torch)
        self._results = context.Queue()
        self._tasks = [context.Queue() for _ in range(size)]
        self._processes = [context.Process(target=_serve, args=(rank, size, self.port, os.getpid(), self._tasks[rank],
                                                                self._results), daemon=True, name=f"gradavg-rank-{rank}")
                           for rank in range(size)]
        atexit.register(self.close)
        for process in self._processes:
            process.start()
        try:
            self._collect(START_TIMEOUT, "start")
        except BaseException:
            self.close()
            raise

    @property
    def pids(self) -> list[int]:
        """The ranks' process ids."""
        return [process.pid for process in self._processes]

    def alive(self) -> bool:
        """Whether every rank is still running."""
        return bool(self._processes) and all(process.is_alive() for process in self._processes)

    def _collect(self, timeout: float, what: str) -> list[Any]:
        answers: dict[int, tuple[bool, Any]] = {}
        while len(answers) < self.size:
            try:
                rank, ok, value = self._results.get(timeout=timeout)
            except queue.Empty:
                self.close()
                raise RankFailed(f"the world of {self.size} ranks did not {what} within {timeout} s, so it was "
                                 f"stopped") from None
            answers[rank] = (ok, value)
        failed = [(rank, value) for rank, (ok, value) in sorted(answers.items()) if not ok]
        if failed:
            raise RankFailed("\n".join(f"rank {rank} failed to {what}:\n{value}" for rank, value in failed))
        return [answers[rank][1] for rank in range(self.size)]

    def run(self, function: Callable, arguments: Sequence[tuple] | None = None) -> list[Any]:
        """Call ``function(rank, size, *arguments[rank])`` in every rank at once; the results, by rank.

        ``function`` must be a module-level function (it is sent by name).
        Raises :class:`RankFailed` when a rank raises (with its traceback; the
        world stays usable) or the world does not answer within
        :data:`RUN_TIMEOUT` seconds (then it is stopped).
        """
        if not self.alive():
            raise RankFailed("the world of ranks was stopped; start another")
        arguments = [()] * self.size if arguments is None else list(arguments)
        if len(arguments) != self.size:
            raise ValueError(f"one tuple of arguments per rank: {self.size} ranks, {len(arguments)} tuples")
        for rank in range(self.size):
            self._tasks[rank].put((function, tuple(arguments[rank])))
        return self._collect(RUN_TIMEOUT, f"run {getattr(function, '__name__', function)}")

    def close(self) -> None:
        """Stop every rank: ask first, then terminate any that does not stop within five seconds, then kill.

        A rank left running would hang the parent's exit, where multiprocessing joins its daemons.
        """
        started = [process for process in self._processes if process.pid is not None]
        for process, tasks in zip(self._processes, self._tasks):
            if process in started and process.is_alive():
                tasks.put(None)
        for process in started:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            if process.is_alive():  # SIGTERM can be caught or stuck behind a blocking call; SIGKILL cannot
                process.kill()
                process.join(timeout=5)
        self._processes = []
        self._store = None  # closes its listening socket
        atexit.unregister(self.close)

    def __enter__(self) -> "Ranks":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _loopback_listener(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1 at ``port``, or at a free port when ``port`` is 0 or already in use."""
    for candidate in ([port, 0] if port else [0]):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((LOOPBACK, candidate))
        except OSError:
            listener.close()
            continue
        listener.listen(128)
        return listener
    raise OSError(f"no free port on {LOOPBACK}")


def _rank_and_size(rank: int, size: int) -> tuple[int, int]:
    return rank, size


_shared: dict[int, Ranks] = {}


def ranks(size: int = 2) -> Ranks:
    """The world of ``size`` ranks this process shares between checks: started on first use, restarted if stopped.

    Example:
        >>> ranks(2) is ranks(2)
        True
    """
    world = _shared.get(size)
    if world is None or not world.alive():
        world = _shared[size] = Ranks(size)
    return world
