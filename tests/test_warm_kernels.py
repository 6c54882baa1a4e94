"""Warm kernels: forked from a template that has imported what pages use, and indistinguishable to a page."""

import json
import os
import signal
import time

import pytest
from jupyter_client.manager import KernelManager

from gradavg.site import warm_kernels


def run(client, code: str) -> str:
    """Execute ``code`` in the kernel and return what it printed."""
    printed = []
    reply = client.execute_interactive(code, timeout=60, output_hook=lambda message: printed.append(
        message["content"].get("text", "")) if message["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """A ``python3`` kernel started the way the build starts one, in ``tmp_path``; yields its client."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADAVG_TEST_VARIABLE", "from the launcher")
    managers = []

    def start():
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel(cwd=str(tmp_path))
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        managers.append((manager, client))
        return manager, client

    yield start
    for manager, client in managers:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.fixture
def template():
    started = warm_kernels.start()
    yield started
    started.stop()


FACTS = ("import json, os, sys\n"
         "print(json.dumps({'sympy': 'sympy' in sys.modules, 'cwd': os.getcwd(), 'path': sys.path,"
         " 'variable': os.environ.get('GRADAVG_TEST_VARIABLE'), 'pid': os.getpid()}))")


def test_a_warm_kernel_has_the_imports_and_otherwise_looks_like_a_plain_kernel(kernel, tmp_path):
    manager, client = kernel()
    plain = json.loads(run(client, FACTS))
    started = warm_kernels.start()
    try:
        manager, client = kernel()
        warm = json.loads(run(client, FACTS))
    finally:
        started.stop()
    assert (plain["sympy"], warm["sympy"]) == (False, True)  # the template imported SymPy, not the page's kernel
    assert warm["cwd"] == plain["cwd"] == str(tmp_path)
    assert warm["path"] == plain["path"]
    assert warm["variable"] == plain["variable"] == "from the launcher"
    assert warm["pid"] != manager.provisioner.process.pid  # the kernel is the template's child, not the launcher


def test_without_a_template_the_launcher_becomes_a_plain_kernel(template, kernel, tmp_path, monkeypatch):
    monkeypatch.setenv(warm_kernels.SOCKET_VARIABLE, str(tmp_path / "no-such.sock"))
    manager, client = kernel()
    facts = json.loads(run(client, FACTS))
    assert facts["sympy"] is False
    assert facts["pid"] == manager.provisioner.process.pid  # the launcher exec'd ipykernel itself


def test_the_kernel_exits_when_its_launcher_is_killed(template, kernel):
    manager, client = kernel()
    child = int(run(client, "import os\nprint(os.getpid())"))
    os.kill(manager.provisioner.process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the warm kernel outlived its killed launcher")


def test_an_interrupt_reaches_the_warm_kernel(template, kernel):
    manager, client = kernel()
    client.execute("import time\ntry:\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    print('interrupted')")
    time.sleep(1)
    manager.interrupt_kernel()
    printed = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "interrupted" not in "".join(printed):
        message = client.get_iopub_msg(timeout=15)
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
    assert "interrupted" in "".join(printed)


def test_stopping_the_template_restores_the_environment():
    before = {name: os.environ.get(name) for name in (warm_kernels.SOCKET_VARIABLE, "JUPYTER_PATH")}
    started = warm_kernels.start()
    assert os.environ[warm_kernels.SOCKET_VARIABLE].endswith("template.sock")
    started.stop()
    assert {name: os.environ.get(name) for name in before} == before
    assert not started.folder.exists() and started.process.poll() is not None
