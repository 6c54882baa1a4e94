"""A numeric probe for real loss code: does the batch loss add up over disjoint parts?

A batch loss accumulates exactly over micro-batches in one of two conventions.
If it is a weighted mean of per-example terms, then for disjoint index sets
``A`` and ``B``

    loss(A + B) == (w(A) loss(A) + w(B) loss(B)) / (w(A) + w(B))

where ``w`` counts what the mean is over (examples, or tokens); if it is a sum
of per-example terms (``reduction="sum"``), then ``loss(A + B) == loss(A) +
loss(B)``. :func:`probe_additivity` tests both on random disjoint pairs and
says which holds; a failure carries the pair and both sides.

What it sees is loss *values* at the parameters the callable closes over. If
the identity holds for every parameter value near that point, the gradients
accumulate too (weight micro-batch gradients by ``w`` and divide by the total,
or add them); the probe does not check that, and it cannot see operations on
the gradient side (per-micro-batch gradient clipping, per-example clipping,
hooks, ``x - x.detach()`` tricks).
"""

from __future__ import annotations

import math
import random
import time
from fractions import Fraction
from typing import Callable

from ..engine.claims import Verdict

#: The unit roundoff u of each floating-point format, by dtype name. A correctly rounded
#: operation returns the exact result times (1 + delta), with delta at most u in size.
UNIT_ROUNDOFF = {
    "float64": Fraction(1, 2**53),
    "float32": Fraction(1, 2**24),
    "float16": Fraction(1, 2**11),
    "bfloat16": Fraction(1, 2**8),
}

#: the default number of rounded operations assumed on any path from an input to the loss
DEFAULT_DEPTH = 16


def unit_roundoff(value) -> tuple[str, Fraction]:
    """The dtype name and unit roundoff of a loss value: a Python float, or anything with a ``dtype``.

    Python numbers (and values without a ``dtype``) count as float64; PyTorch's
    ``torch.float32`` reads as ``float32``.

    Example:
        >>> unit_roundoff(0.5)
        ('float64', Fraction(1, 9007199254740992))
        >>> import numpy as np
        >>> unit_roundoff(np.float32(0.5))
        ('float32', Fraction(1, 16777216))
    """
    name = str(getattr(value, "dtype", "float64")).removeprefix("torch.")
    if name not in UNIT_ROUNDOFF:
        name = "float64"
    return name, UNIT_ROUNDOFF[name]


def _gamma(n: int, u: Fraction) -> Fraction:
    """``gamma_n = n u / (1 - n u)``, or a :class:`ProbeError` when ``n u`` is not below 1/2."""
    nu = n * u
    if not 0 <= nu < Fraction(1, 2):
        raise ProbeError(f"depth {n} is too large for unit roundoff {u}: depth * u must be below 1/2")
    return nu / (1 - nu)


def default_rtol(u: Fraction, depth: int = DEFAULT_DEPTH, terms: int = 1) -> float:
    """The probe's default relative tolerance, ``2 (gamma_depth(u) + gamma_{terms - 1}(v))``, ``v = min(u, 2**-24)``.

    A loss value computed with at most ``depth`` rounded operations per term,
    in a format of unit roundoff ``u``, and a sum of ``terms`` such terms
    accumulated in a format of unit roundoff ``v`` (reductions of float16 and
    bfloat16 accumulate in float32 in NumPy, JAX and PyTorch), is within
    ``gamma_depth(u) + gamma_{terms - 1}(v)`` times its magnitude of its exact
    value when the terms are of one sign (Higham 2002, lemma 3.1 and section
    4.2; ``gamma_n = n u / (1 - n u)``). The difference of ``loss(A + B)`` and
    the combination of ``loss(A)`` and ``loss(B)`` is then within twice that
    times the larger magnitude. Each ``n u`` must stay below 1/2.

    Example:
        >>> f"{default_rtol(UNIT_ROUNDOFF['float32']):.3e}"
        '1.907e-06'
        >>> f"{default_rtol(UNIT_ROUNDOFF['float64'], terms=1000):.3e}"
        '2.254e-13'
    """
    accumulate = min(u, UNIT_ROUNDOFF["float32"])
    return float(2 * (_gamma(depth, u) + _gamma(max(terms - 1, 0), accumulate)))


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


def _value(function: Callable, name: str, indices: list[int]) -> tuple[float, object]:
    """``function(indices)`` as a finite float and as returned, or a :class:`ProbeError` naming what went wrong."""
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
    return number, value


#: The conventions the probe tests, each a meaning of "adds up".
REDUCTIONS = ("auto", "mean", "sum")


def probe_additivity(
    batch_loss: Callable[[list[int]], float],
    n_examples: int,
    weight: Callable[[list[int]], float] | None = None,
    trials: int = 20,
    seed: int = 0,
    rtol: float | None = None,
    reduction: str = "auto",
    depth: int = DEFAULT_DEPTH,
) -> Verdict:
    """Test whether ``batch_loss`` adds up over disjoint parts, as a weighted mean or as a sum.

    On each of ``trials`` random disjoint pairs ``(A, B)`` it compares
    ``loss(A + B)`` with the ``weight``-weighted mean
    ``(w(A) loss(A) + w(B) loss(B)) / (w(A) + w(B))`` (the convention of a
    mean-reduced loss) and with the sum ``loss(A) + loss(B)`` (a sum-reduced
    loss). With ``reduction="auto"`` it holds if either holds on every pair,
    and its method says which, and so how to accumulate: weight each
    micro-batch by ``w`` and divide by the total ``w``, or add.

    It compares loss values at the parameters ``batch_loss`` closes over, not
    gradients: it cannot see what a training loop does to gradients
    (per-micro-batch ``clip_grad_norm_``, per-example clipping, hooks).

    Args:
        batch_loss: any callable taking a list of example indices (in
            ``range(n_examples)``) and returning one real number (a float, a
            NumPy scalar, a one-element JAX or PyTorch tensor).
        n_examples: how many examples the indices range over; at least 2.
        weight: a callable on index lists giving the weight of a part: what
            the loss averages over (for example its number of tokens). The
            default is the number of examples, ``len(indices)``.
        trials: how many random disjoint pairs ``(A, B)`` to test.
        seed: seeds the pairs, so a verdict is reproducible.
        rtol: relative tolerance of each comparison. The default follows the
            dtype of what ``batch_loss`` returns (float16, bfloat16, float32,
            float64; a Python float counts as float64; the widest unit
            roundoff seen): :func:`default_rtol` of its unit roundoff,
            ``depth`` and the number of terms. The verdict states it.
        reduction: ``"auto"`` (either convention), ``"mean"`` (the weighted
            mean only) or ``"sum"`` (the sum only).
        depth: for the default tolerance, the number of rounded operations
            on a path from an input to one term of the loss (raise it for long
            computations); the number of terms summed is taken to be the
            largest ``w(A) + w(B)`` of the trials, rounded up, which holds when
            the weight counts the terms (examples, tokens).

    Returns:
        A :class:`~gradavg.engine.claims.Verdict`. ``holds=True`` is evidence, not a
        proof: ``trials`` pairs agreed at one parameter value. ``holds=False``
        carries a witness per refuted convention: for the mean
        ``{"A", "B", "loss(A + B)", "weighted mean", "w(A)", "w(B)"}``, for the
        sum ``{"A", "B", "loss(A + B)", "loss(A) + loss(B)"}`` (under the key
        ``"sum"`` when both were tested), and the gaps ``loss(A + B)`` minus
        each, in that order.

    Raises:
        ProbeError: ``n_examples < 2``, ``trials < 1``, ``rtol < 0``, an
            unknown ``reduction``, or a ``depth`` too large for the dtype; or
            ``batch_loss`` (or ``weight``) raised, returned something that is
            not a real number, or returned a non-finite value (the message
            names the indices); or a weight is not positive.

    Example:
        >>> values = [1.0, 2.0, 4.0, 8.0]
        >>> mean_loss = lambda idx: sum(values[i] for i in idx) / len(idx)
        >>> verdict = probe_additivity(mean_loss, 4)
        >>> verdict.holds, "weighted mean" in verdict.method, "(float64, depth 16, 4 terms)" in verdict.method
        (True, True, True)
        >>> sum_loss = lambda idx: sum(values[i] for i in idx)
        >>> verdict = probe_additivity(sum_loss, 4)
        >>> verdict.holds, "a sum" in verdict.method
        (True, True)
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
    if rtol is not None and not (isinstance(rtol, (int, float)) and math.isfinite(rtol) and rtol >= 0):
        raise ProbeError(f"rtol must be a finite number >= 0 or None, got {rtol!r}")
    if reduction not in REDUCTIONS:
        raise ProbeError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ProbeError(f"depth must be a positive integer, got {depth!r}")

    weigh = weight or len
    weight_name = "weight" if weight is not None else "len"
    weighting = "the given weights" if weight is not None else "example counts"
    tested = ("mean", "sum") if reduction == "auto" else (reduction,)
    rng = random.Random(seed)
    start = time.perf_counter()
    worst = {name: 0.0 for name in tested}
    refuted: dict[str, tuple[dict, float, float, int]] = {}
    dtype, u, terms = "float64", Fraction(0), 1
    tolerance = rtol
    for trial in range(1, trials + 1):
        size = rng.randint(2, n_examples)
        chosen = rng.sample(range(n_examples), size)
        cut = rng.randint(1, size - 1)
        a, b = chosen[:cut], chosen[cut:]
        (loss_a, raw_a), (loss_b, raw_b) = _value(batch_loss, "batch_loss", a), _value(batch_loss, "batch_loss", b)
        whole, raw_whole = _value(batch_loss, "batch_loss", a + b)
        for raw in (raw_a, raw_b, raw_whole):
            name, unit = unit_roundoff(raw)
            if unit > u:
                dtype, u = name, unit
        w_a, w_b = _value(weigh, weight_name, a)[0], _value(weigh, weight_name, b)[0]
        if w_a <= 0 or w_b <= 0:
            raise ProbeError(f"weights must be positive, got w(A) = {w_a} on {a} and w(B) = {w_b} on {b}")
        terms = max(terms, math.ceil(w_a + w_b))
        if rtol is None:
            tolerance = default_rtol(u, depth, terms)
        sides = {}
        if "mean" in tested:
            mean = (w_a * loss_a + w_b * loss_b) / (w_a + w_b)
            sides["mean"] = (mean, max(abs(whole), abs(mean), abs(loss_a), abs(loss_b)),
                             {"A": a, "B": b, "loss(A + B)": whole, "weighted mean": mean, "w(A)": w_a, "w(B)": w_b})
        if "sum" in tested:
            total = loss_a + loss_b
            sides["sum"] = (total, max(abs(whole), abs(loss_a) + abs(loss_b)),
                            {"A": a, "B": b, "loss(A + B)": whole, "loss(A) + loss(B)": total})
        for name, (other, scale, witness) in sides.items():
            if name in refuted:
                continue
            difference = abs(whole - other)
            if difference > tolerance * scale:
                refuted[name] = (witness, whole - other, difference / scale, trial)
            else:
                worst[name] = max(worst[name], difference / scale if scale else 0.0)
        if len(refuted) == len(tested):
            break
    seconds = time.perf_counter() - start
    tol_text = f"rtol {tolerance:.3g}" + (f" ({dtype}, depth {depth}, {terms} terms)" if rtol is None else " (given)")
    described = {"mean": f"the mean of loss(A) and loss(B) weighted by {weighting}",
                 "sum": "loss(A) + loss(B)"}
    if len(refuted) == len(tested):
        if len(tested) == 1:
            (name,) = tested
            witness, gap, residual, trial = refuted[name]
            gaps = (gap,)
        else:
            witness = dict(refuted["mean"][0])
            witness["sum"] = refuted["sum"][0]
            gaps = (refuted["mean"][1], refuted["sum"][1])
            residual = min(refuted["mean"][2], refuted["sum"][2])
        where = " and from ".join(f"{described[name]} (trial {refuted[name][3]} of {trials})" for name in tested)
        return Verdict(
            False,
            f"numeric probe: loss(A + B) differs from {where}, {tol_text}",
            seconds=seconds, residual=residual, witness=witness, gap=gaps,
        )
    holding = [name for name in tested if name not in refuted]
    if holding == ["mean"]:
        rule = (f"it is a weighted mean ({described['mean']}): weight each micro-batch by its "
                f"{'weight' if weight is not None else 'count'} and divide by the total")
    elif holding == ["sum"]:
        rule = "it is a sum (loss(A) + loss(B)): add the micro-batch losses"
    else:
        rule = ("it is both a weighted mean and a sum on every pair tried (a loss that is zero there?): "
                "either rule accumulates it")
    return Verdict(
        True,
        f"numeric probe: loss(A + B) adds up on {trials} random disjoint pairs, {tol_text}: {rule} "
        "(values at one parameter point: evidence, not a proof)",
        seconds=seconds,
        residual=max(worst[name] for name in holding),
    )
