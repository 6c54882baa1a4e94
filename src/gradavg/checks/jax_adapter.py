"""JAX for the checks: imported on first use, on as many host CPU devices as the data-parallel checks need.

Every function that runs JAX imports it through :func:`jax_modules`, so
``gradavg ledger`` and the other pages do not load it, and a machine without
JAX gets verdicts that say what is missing (:func:`needs_jax`) instead of an
error. Before JAX is first imported, :func:`use_host_devices` asks XLA for
:data:`DEVICES` CPU devices, so ``jax.shard_map`` runs the same SPMD program it
runs across accelerators.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

from ..engine.claims import not_run_without

#: how many CPU devices the data-parallel checks run on
DEVICES = 4
#: the XLA option that splits the host CPU into DEVICES devices; it must be set before JAX is imported
DEVICE_FLAG = f"--xla_force_host_platform_device_count={DEVICES}"
#: what a verdict says when JAX is not installed
NEEDS_JAX = "needs JAX: pip install 'gradavg[jax]'"


class JaxUnavailable(RuntimeError):
    """JAX cannot run a check here: it is not installed, or it started with too few devices.

    Example:
        >>> str(JaxUnavailable(NEEDS_JAX))
        "needs JAX: pip install 'gradavg[jax]'"
    """


def use_host_devices(environ=None) -> str:
    """Add :data:`DEVICE_FLAG` to ``XLA_FLAGS`` (keeping other flags); returns the new value.

    It takes effect only if JAX has not been imported yet in this process:
    call it first (the test suite's ``conftest.py`` does, and :func:`jax_modules`
    does when JAX is not loaded).

    Example:
        >>> environment = {"XLA_FLAGS": "--xla_cpu_use_thunk_runtime=true"}
        >>> use_host_devices(environment)
        '--xla_cpu_use_thunk_runtime=true --xla_force_host_platform_device_count=4'
        >>> use_host_devices(environment) == environment["XLA_FLAGS"]  # idempotent
        True
    """
    environ = os.environ if environ is None else environ
    flags = [flag for flag in environ.get("XLA_FLAGS", "").split()
             if not flag.startswith("--xla_force_host_platform_device_count")]
    environ["XLA_FLAGS"] = " ".join([*flags, DEVICE_FLAG])
    return environ["XLA_FLAGS"]


def jax_modules(devices: int = 1) -> SimpleNamespace:
    """JAX, ``jax.numpy``, ``jax.lax`` and optax, imported now, with float64 enabled.

    Raises :class:`JaxUnavailable` if JAX or optax is missing, or if fewer than
    ``devices`` devices are visible (JAX was imported before :func:`use_host_devices`).

    Example:
        >>> modules = jax_modules()
        >>> modules.jnp.zeros(2).dtype
        dtype('float64')
    """
    if "jax" not in sys.modules:
        use_host_devices()
    try:
        import jax
        import optax
    except ImportError as error:
        raise JaxUnavailable(f"{NEEDS_JAX} ({error})") from error
    jax.config.update("jax_enable_x64", True)
    found = jax.device_count()
    if found < devices:
        raise JaxUnavailable(f"needs {devices} JAX devices, found {found}: set XLA_FLAGS={DEVICE_FLAG} "
                             "before JAX is first imported in the process")
    from jax.sharding import NamedSharding, PartitionSpec
    return SimpleNamespace(jax=jax, jnp=jax.numpy, lax=jax.lax, optax=optax, version=jax.__version__,
                           P=PartitionSpec, NamedSharding=NamedSharding)


#: wraps a check so that missing JAX (or missing devices) gives a verdict that it was not run, and why
#: (:func:`gradavg.engine.claims.not_run_without`)
needs_jax = not_run_without(JaxUnavailable)
