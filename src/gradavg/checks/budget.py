"""Time and memory budgets for checks driven by user input.

A short loss such as ``exp(exp(exp(w*x)))`` can keep SymPy busy for minutes,
and Python code cannot be interrupted safely from inside. So a budgeted call
runs in a forked child process with a cap on its address space; the parent
waits at most the budget, then kills the child and raises
:class:`BudgetExceeded`. Nothing is left running and the parent's memory is
untouched.

This module is imported only when a budget is asked for: it needs ``fork``
and ``resource``, which a browser (Pyodide) does not have, and the checks
themselves work there without it.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import resource
from typing import Any, Callable

#: default memory the check may add on top of what the process already uses
MEMORY_BYTES = 2 * 1024**3


class BudgetExceeded(Exception):
    """The check was stopped, undecided, because it ran out of time or memory.

    Attributes:
        seconds: the time budget.
        reason: ``"time"`` or ``"memory"``.

    Example:
        >>> str(BudgetExceeded(5, "time"))
        'stopped undecided after 5 s (the time budget)'
    """

    def __init__(self, seconds: float, reason: str = "time"):
        self.seconds, self.reason = seconds, reason
        if reason == "time":
            super().__init__(f"stopped undecided after {seconds:g} s (the time budget)")
        else:
            super().__init__("stopped undecided: the check needed more memory than its budget")


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(function: Callable[[], Any], memory: int, connection) -> None:
    try:
        try:
            start = _address_space()
        except OSError:
            start = 0
        resource.setrlimit(resource.RLIMIT_AS, (start + memory, resource.getrlimit(resource.RLIMIT_AS)[1]))
        outcome = ("value", function())
    except MemoryError:
        outcome = ("memory", None)
    except BaseException as error:  # noqa: BLE001 - every failure is sent back to the parent and raised there
        outcome = ("error", error)
    try:
        connection.send_bytes(pickle.dumps(outcome))
    except Exception as error:  # noqa: BLE001 - an exception that does not pickle travels as its text
        connection.send_bytes(pickle.dumps(("error", RuntimeError(f"{type(error).__name__}: {error}"))))
    connection.close()


def run_with_budget(function: Callable[[], Any], seconds: float, memory: int = MEMORY_BYTES) -> Any:
    """Call ``function()`` in a forked child; return its value or raise what it raised.

    Args:
        function: takes no arguments; its value must pickle (a
            :class:`~gradavg.engine.claims.Verdict` does).
        seconds: the time budget (wall clock), more than 0.
        memory: bytes the child may allocate beyond what it starts with.

    Raises:
        BudgetExceeded: the child ran past ``seconds`` (it is killed) or out of
            memory.
        ValueError: ``seconds`` is not a positive number.

    Example:
        >>> run_with_budget(lambda: 6 * 7, seconds=30)
        42
        >>> import time
        >>> run_with_budget(lambda: time.sleep(60), seconds=0.2)
        Traceback (most recent call last):
        ...
        gradavg.checks.budget.BudgetExceeded: stopped undecided after 0.2 s (the time budget)
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ValueError(f"the time budget must be a positive number of seconds, got {seconds!r}")
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(function, memory, send), daemon=True)
    process.start()
    send.close()
    try:
        if not receive.poll(seconds):
            raise BudgetExceeded(seconds, "time")
        try:
            kind, payload = pickle.loads(receive.recv_bytes())
        except EOFError:  # the child died without a word (killed for its memory, for instance)
            raise BudgetExceeded(seconds, "memory") from None
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join()
    if kind == "memory":
        raise BudgetExceeded(seconds, "memory")
    if kind == "error":
        raise payload
    return payload
