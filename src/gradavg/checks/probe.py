"""A numeric probe for real loss code: does the batch loss add up over disjoint parts?

If a batch loss is a weighted mean of per-example terms, then for disjoint
index sets ``A`` and ``B``

    loss(A + B) == (w(A) loss(A) + w(B) loss(B)) / (w(A) + w(B))

where ``w`` counts what the mean is over (examples, or tokens). A loss with
that property, at every parameter value, has a gradient that accumulates
exactly: micro-batch gradients weighted by ``w`` add up to the whole batch's
gradient. :func:`probe_additivity` tests the property on random disjoint
pairs; a failure carries the pair and both sides.
"""

from __future__ import annotations

import math
import random
import time
from typing import Callable

from ..engine.claims import Verdict


class ProbeError(ValueError):
    """Bad input to :func:`probe_additivity`: the message names the cause.

    A subclass of :class:`ValueError`.

    Example:
        >>> try:
        ...     probe_additivity(lambda idx: 1 / 0, 3)
        ... except ProbeError as error:
        ...     print(error)
        batch_loss raised ZeroDivisionError on indices [...]: division by zero
    """


def _value(function: Callable, name: str, indices: list[int]) -> float:
    """``function(indices)`` as a finite float, or a :class:`ProbeError` naming what went wrong."""
    try:
        value = function(list(indices))
    except Exception as error:  # the caller's code: report any failure with its indices
        raise ProbeError(f"{name} raised {type(error).__name__} on indices {indices}: {error}") from error
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ProbeError(f"{name} returned {value!r} ({type(value).__name__}) on indices {indices}; "
                         "it must return one real number") from error
    if not math.isfinite(number):
        raise ProbeError(f"{name} returned a non-finite value ({number}) on indices {indices}")
    return number


def probe_additivity(
    batch_loss: Callable[[list[int]], float],
    n_examples: int,
    weight: Callable[[list[int]], float] | None = None,
    trials: int = 20,
    seed: int = 0,
    rtol: float = 1e-9,
) -> Verdict:
    """Test whether ``batch_loss`` is the ``weight``-weighted mean of its parts, on random disjoint pairs.

    Args:
        batch_loss: any callable taking a list of example indices (in
            ``range(n_examples)``) and returning one real number (a float, a
            NumPy scalar, a one-element tensor).
        n_examples: how many examples the indices range over; at least 2.
        weight: a callable on index lists giving the weight of a part: what
            the loss averages over (for example its number of tokens). The
            default is the number of examples, ``len(indices)``.
        trials: how many random disjoint pairs ``(A, B)`` to test.
        seed: seeds the pairs, so a verdict is reproducible.
        rtol: relative tolerance of the comparison (floating point rounding).

    Returns:
        A :class:`~gradavg.engine.claims.Verdict`. ``holds=True`` is evidence, not a
        proof: ``trials`` pairs agreed. ``holds=False`` carries the witness
        ``{"A", "B", "loss(A + B)", "weighted mean", "w(A)", "w(B)"}`` and the
        gap ``(loss(A + B) - weighted mean,)``.

    Raises:
        ProbeError: ``n_examples < 2``, ``trials < 1`` or ``rtol < 0``; or
            ``batch_loss`` (or ``weight``) raised, returned something that is
            not a real number, or returned a non-finite value (the message
            names the indices); or a weight is not positive.

    Example:
        >>> values = [1.0, 2.0, 4.0, 8.0]
        >>> mean_loss = lambda idx: sum(values[i] for i in idx) / len(idx)
        >>> probe_additivity(mean_loss, 4).holds
        True
        >>> max_loss = lambda idx: max(values[i] for i in idx)
        >>> verdict = probe_additivity(max_loss, 4)
        >>> verdict.holds, sorted(verdict.witness)[:2]
        (False, ['A', 'B'])
    """
    if not callable(batch_loss):
        raise ProbeError(f"batch_loss must be callable, got {type(batch_loss).__name__}")
    if weight is not None and not callable(weight):
        raise ProbeError(f"weight must be callable or None, got {type(weight).__name__}")
    if isinstance(n_examples, bool) or not isinstance(n_examples, int) or n_examples < 2:
        raise ProbeError(f"n_examples must be an integer >= 2 (two disjoint non-empty parts), got {n_examples!r}")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ProbeError(f"trials must be a positive integer, got {trials!r}")
    if not (isinstance(rtol, (int, float)) and math.isfinite(rtol) and rtol >= 0):
        raise ProbeError(f"rtol must be a finite number >= 0, got {rtol!r}")

    weigh = weight or len
    weight_name = "weight" if weight is not None else "len"
    weighting = "the given weights" if weight is not None else "example counts"
    rng = random.Random(seed)
    start = time.perf_counter()
    worst = 0.0
    for trial in range(1, trials + 1):
        size = rng.randint(2, n_examples)
        chosen = rng.sample(range(n_examples), size)
        cut = rng.randint(1, size - 1)
        a, b = chosen[:cut], chosen[cut:]
        loss_a, loss_b = _value(batch_loss, "batch_loss", a), _value(batch_loss, "batch_loss", b)
        whole = _value(batch_loss, "batch_loss", a + b)
        w_a, w_b = _value(weigh, weight_name, a), _value(weigh, weight_name, b)
        if w_a <= 0 or w_b <= 0:
            raise ProbeError(f"weights must be positive, got w(A) = {w_a} on {a} and w(B) = {w_b} on {b}")
        mean = (w_a * loss_a + w_b * loss_b) / (w_a + w_b)
        scale = max(abs(whole), abs(mean), abs(loss_a), abs(loss_b))
        difference = abs(whole - mean)
        if difference > rtol * scale:
            return Verdict(
                False,
                f"numeric probe: loss(A + B) differs from the mean of loss(A) and loss(B) weighted by {weighting} "
                f"(trial {trial} of {trials}, rtol {rtol:g})",
                seconds=time.perf_counter() - start,
                residual=difference / scale,
                witness={"A": a, "B": b, "loss(A + B)": whole, "weighted mean": mean, "w(A)": w_a, "w(B)": w_b},
                gap=(whole - mean,),
            )
        worst = max(worst, difference / scale if scale else 0.0)
    return Verdict(
        True,
        f"numeric probe: loss(A + B) equals the mean of loss(A) and loss(B) weighted by {weighting} on {trials} "
        f"random disjoint pairs, to rtol {rtol:g} (evidence, not a proof)",
        seconds=time.perf_counter() - start,
        residual=worst,
    )
