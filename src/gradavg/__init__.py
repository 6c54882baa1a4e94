"""gradavg: executable proofs that averaging per-example gradients is right, and where it stops.

The public names below are imported on first use, so that ``import gradavg.<module>``
(the Sphinx extension, for one) does not pay for SymPy and NumPy up front.
"""

import importlib

#: public name -> the module that defines it
_EXPORTS = {
    "Claim": "engine.claims",
    "Result": "engine.claims",
    "Verdict": "engine.claims",
    "get": "engine.claims",
    "ledger": "engine.claims",
    "register": "engine.claims",
    "check_batch_cost": "checks.check",
    "check_gradient_of_mean": "checks.check",
    "Moments": "checks.estimation",
    "minibatch_moments": "checks.estimation",
    "noise_scale": "checks.estimation",
    "ProbeError": "checks.probe",
    "probe_additivity": "checks.probe",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gradavg' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__():
    return __all__
