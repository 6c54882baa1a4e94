"""Tests of gradavg.checks.jax_adapter: JAX on host devices, the flag set before JAX is imported."""

import os

from gradavg.checks import jax_adapter


def test_use_host_devices_keeps_other_flags_and_replaces_an_old_count():
    environment = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2 --xla_dump_to=/tmp/x"}
    assert jax_adapter.use_host_devices(environment) == "--xla_dump_to=/tmp/x " + jax_adapter.DEVICE_FLAG
    assert jax_adapter.use_host_devices({}) == jax_adapter.DEVICE_FLAG


def test_the_test_session_asked_for_the_devices_before_jax():
    # conftest.py sets the flag before any test module imports JAX
    assert jax_adapter.DEVICE_FLAG in os.environ["XLA_FLAGS"].split()
    assert jax_adapter.jax_modules(jax_adapter.DEVICES).jax.device_count() == jax_adapter.DEVICES
