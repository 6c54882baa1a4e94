"""The world of gloo ranks: started once, a failing rank function fails only its run, and no process is left behind (gradavg.checks.torch_adapter)."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from gradavg.checks.torch_adapter import (MAX_RANKS, NEEDS_TORCH, RankFailed, Ranks, TorchUnavailable, _rank_and_size,
                                          needs_torch, ranks, world_size)


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def gone_within(pids, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(running(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def test_the_size_of_a_world_is_refused_just_past_its_limits_and_accepted_just_inside():
    assert world_size(1) == 1 and world_size(MAX_RANKS) == MAX_RANKS
    for size in (0, MAX_RANKS + 1, 2.0):
        with pytest.raises(ValueError, match="a world of 1 to 8 ranks"):
            world_size(size)
    with pytest.raises(ValueError, match="a world of 1 to 8 ranks"):
        Ranks(MAX_RANKS + 1)


def test_a_rank_function_that_raises_fails_its_run_and_the_world_runs_the_next():
    world = ranks(2)
    assert world.run(_rank_and_size) == [(0, 2), (1, 2)]
    with pytest.raises(RankFailed, match="(?s)rank 0 failed.*TypeError.*rank 1 failed"):
        world.run(_rank_and_size, [(1,), (1,)])  # one argument too many in each rank
    assert world.alive() and world.run(_rank_and_size) == [(0, 2), (1, 2)]
    assert ranks(2) is world
    with pytest.raises(ValueError, match="one tuple of arguments per rank"):
        world.run(_rank_and_size, [()])


def test_a_failing_check_inside_a_world_leaves_no_process_behind():
    with pytest.raises(RankFailed):
        with Ranks(2) as world:
            pids = world.pids
            world.run(_rank_and_size, [(1,), (1,)])
    assert gone_within(pids, 10), "a rank outlived its world"
    with pytest.raises(RankFailed, match="was stopped"):
        world.run(_rank_and_size)


def test_a_port_in_use_falls_back_to_a_free_one():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        with Ranks(1, port=port) as world:
            assert world.port != port and world.run(_rank_and_size) == [(0, 1)]
    finally:
        taken.close()


def test_the_ranks_stop_when_their_parent_dies_without_stopping_them():
    script = ("import os, sys\nfrom gradavg.checks.torch_adapter import Ranks\nworld = Ranks(2)\n"
              "print(*world.pids, flush=True)\nos._exit(0)\n")  # no atexit, no close: as if killed
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    pids = [int(pid) for pid in done.stdout.split()]
    assert len(pids) == 2 and gone_within(pids, 10), "a rank outlived its dead parent"


def test_missing_pytorch_gives_a_verdict_that_says_what_to_install():
    def check():
        raise TorchUnavailable(NEEDS_TORCH)

    verdict = needs_torch(check)()
    assert not verdict.holds and verdict.method == NEEDS_TORCH
    # not a failure: the check was not run, and the verdict says why
    assert not verdict.ran and verdict.missing == NEEDS_TORCH and verdict.summary() == f"not run: {NEEDS_TORCH}"


def test_the_world_listens_on_loopback_only():
    world = ranks(2)
    listening = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True).stdout
    mine = [line for line in listening.splitlines() if f"pid={os.getpid()}," in line or
            any(f"pid={pid}," in line for pid in world.pids)]
    assert mine and all(line.split()[3].startswith("127.0.0.1:") for line in mine), mine


def test_ctrl_c_stops_the_world_with_its_parent():
    # A Python in a terminal turns Ctrl-C into KeyboardInterrupt; a process started by one that ignores or blocks
    # SIGINT (a test runner's background job) inherits that instead, so the parent restores the terminal's handling
    # first, before it imports anything: a library that took Ctrl-C over on import would still fail this test.
    # SIGUSR1 makes the parent print where each of its threads is: if it does not stop, the failure says where it hangs.
    script = ("import faulthandler, signal, time\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
              "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n"
              "faulthandler.register(signal.SIGUSR1, all_threads=True)\n"
              "from gradavg.checks.torch_adapter import Ranks\nworld = Ranks(2)\n"
              "print(*world.pids, flush=True)\ntime.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(running(pid) for pid in pids)
        parent.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process
        try:
            _, stderr = parent.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            parent.send_signal(signal.SIGUSR1)
            time.sleep(2)
            parent.kill()
            pytest.fail("the parent did not stop within 60 s of Ctrl-C; where it was:\n" + parent.communicate()[1])
        assert "KeyboardInterrupt" in stderr
        assert gone_within(pids, 10), "a rank outlived the Ctrl-C that stopped its parent"
    finally:
        parent.kill()
        parent.wait()
