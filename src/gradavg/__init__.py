"""gradavg: executable proofs that averaging per-example gradients is right, and where it stops."""

from .check import check_batch_cost, check_gradient_of_mean
from .claims import Claim, Result, Verdict, get, ledger, register
from .estimation import Moments, minibatch_moments, noise_scale
from .probe import ProbeError, probe_additivity

__all__ = ["Moments", "minibatch_moments", "noise_scale", "Claim", "Result", "Verdict", "check_batch_cost", "check_gradient_of_mean", "get", "ledger", "probe_additivity", "ProbeError", "register"]
