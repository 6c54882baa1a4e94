"""gradavg: executable proofs that averaging per-example gradients is right, and where it stops."""

from .claims import Claim, Result, Verdict, get, ledger, register

__all__ = ["Claim", "Result", "Verdict", "get", "ledger", "register"]
