"""Tests of gradavg.checks.jax_adapter: JAX on host devices, the flag set before JAX is imported."""

import os

from gradavg.checks import jax_adapter
from gradavg.engine import claims
from gradavg.engine.claims import Claim, Verdict


def test_use_host_devices_keeps_other_flags_and_replaces_an_old_count():
    environment = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2 --xla_dump_to=/tmp/x"}
    assert jax_adapter.use_host_devices(environment) == "--xla_dump_to=/tmp/x " + jax_adapter.DEVICE_FLAG
    assert jax_adapter.use_host_devices({}) == jax_adapter.DEVICE_FLAG


def test_the_test_session_asked_for_the_devices_before_jax():
    # conftest.py sets the flag before any test module imports JAX
    assert jax_adapter.DEVICE_FLAG in os.environ["XLA_FLAGS"].split()
    assert jax_adapter.jax_modules(jax_adapter.DEVICES).jax.device_count() == jax_adapter.DEVICES


def test_missing_jax_gives_a_claim_that_was_not_run_with_the_message_kept():
    @jax_adapter.needs_jax
    def check(right):
        raise jax_adapter.JaxUnavailable(f"{jax_adapter.NEEDS_JAX} (No module named 'jax')")

    verdict = check(True)
    assert (verdict.holds, verdict.ran) == (False, False)
    assert verdict.method == verdict.missing == "needs JAX: pip install 'gradavg[jax]' (No module named 'jax')"
    result = Claim.contrasting("zz.jax", "s", check=check, right=True, wrong=False, control="c", evidence="proof",
                               scope="all").run()
    assert (result.status, result.ok, result.needs) == ("not run", False, verdict.missing)
    # a check that runs passes through untouched
    assert jax_adapter.needs_jax(lambda: Verdict(True, "ran", evidence="proof"))().ran


def test_a_check_that_combines_guarded_checks_is_not_run_as_a_whole():
    # as check_replicated combines two check_data_parallel verdicts: without JAX the inner ones decide nothing,
    # so the outer check must not combine them (max of their residuals, None > None, was a TypeError)
    calls = []

    @jax_adapter.needs_jax
    def inner():
        calls.append("inner")
        raise jax_adapter.JaxUnavailable(jax_adapter.NEEDS_JAX)

    @jax_adapter.needs_jax
    def outer():
        verdicts = [inner(), inner()]
        calls.append("combined")
        return Verdict(False, "combined", residual=max(v.residual for v in verdicts))

    verdict = outer()
    assert (verdict.ran, verdict.missing, calls) == (False, jax_adapter.NEEDS_JAX, ["inner"])
    # called on its own, the inner check is still guarded, and the guard is released after each call
    assert not inner().ran and not inner().ran and not claims._guarded.get()
