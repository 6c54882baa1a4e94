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
from ..engine.rounding import UNIT_ROUNDOFF, gamma

#: The default number of rounded operations in the loss's own format after its reduction (casting the sum,
#: converting the count, dividing; see :func:`default_rtol`).
DEFAULT_DEPTH = 3
#: How far the depth of NumPy's pairwise sum of ``T`` terms can exceed ``ceil(log2 T)``. NumPy adds a block of
#: ``n <= 128`` terms with 8 accumulators (at most 15 additions each), combines them in 3 more, then adds the
#: ``n % 8`` remaining terms one by one (up to 7): ``T = 127`` needs 14 + 3 + 7 = 24 additions, 17 more than
#: ``ceil(log2 127)``. A longer array is cut into ``8 floor(T / 16)`` and the rest, each at least 64 terms and
#: at most ``(T - 15) / 2 + 15``, so every halving adds one addition and lowers ``ceil(log2(T - 15))`` by one;
#: the blocks of 64 to 128 terms exceed ``ceil(log2(n - 15))`` by at most 17 and the arrays below 64 terms
#: exceed ``ceil(log2 n)`` by at most 10, so 17 bounds every ``T`` (``tests/test_probe.py`` counts it).
LEAF_ADDITIONS = 17
#: How many elements NumPy converts at a time when a sum changes format (``np.getbufsize()``): a sum given
#: ``dtype=`` adds each buffer pairwise and the buffers' sums one after another.
NUMPY_BUFFER = 8192
#: How the loss code adds its terms up, each with the depth (rounded additions on any path) it implies for
#: ``terms`` terms: see :func:`summation_depth`.
SUMMATIONS = ("pairwise", "buffered", "sequential")


def unit_roundoff(value, dtype: str | None = None) -> tuple[str, Fraction]:
    """The dtype name and unit roundoff of a loss value: a Python float, or anything with a ``dtype``.

    Python numbers (and values without a ``dtype``) count as float64, so a
    float32 loss returned through ``.item()`` or ``float()`` reads as float64:
    return the tensor or array itself, or name the format with ``dtype``.
    PyTorch's ``torch.float32`` reads as ``float32``.

    Example:
        >>> unit_roundoff(0.5)
        ('float64', Fraction(1, 9007199254740992))
        >>> import numpy as np
        >>> unit_roundoff(np.float32(0.5))
        ('float32', Fraction(1, 16777216))
        >>> unit_roundoff(0.5, dtype="float32")
        ('float32', Fraction(1, 16777216))
    """
    if dtype is not None:
        name = str(dtype).removeprefix("torch.")
        if name not in UNIT_ROUNDOFF:
            raise ProbeError(f"dtype must be one of {', '.join(UNIT_ROUNDOFF)}, got {dtype!r}")
        return name, UNIT_ROUNDOFF[name]
    name = str(getattr(value, "dtype", "float64")).removeprefix("torch.")
    if name not in UNIT_ROUNDOFF:
        name = "float64"
    return name, UNIT_ROUNDOFF[name]


def _gamma(n: int, u: Fraction) -> Fraction:
    """``gamma_n = n u / (1 - n u)``, or a :class:`ProbeError` when ``n u`` is not below 1/2."""
    if not 0 <= n * u < Fraction(1, 2):
        raise ProbeError(f"depth {n} is too large for unit roundoff {u}: depth * u must be below 1/2")
    return gamma(n, u)


def summation_depth(terms: int, summation: str = "pairwise") -> int:
    """A bound on the rounded additions on any path of a sum of at most ``terms`` terms, for the way the code adds them.

    ``"sequential"`` (a Python loop, ``np.cumsum``, an accumulator updated term
    by term, NumPy's ``sum`` of a bfloat16 array, or of a float16 array along
    an axis other than its last): ``terms - 1``. ``"pairwise"`` (NumPy's ``sum``
    of a 1-D array, or along the last axis, in float64, float32 or float16,
    without a change of format): ``ceil(log2(terms)) + LEAF_ADDITIONS`` (see
    :data:`LEAF_ADDITIONS`). ``"buffered"`` (NumPy's ``sum`` that converts as
    it goes, such as a bfloat16 or float16 array summed with
    ``dtype=np.float32``): pairwise within each buffer of :data:`NUMPY_BUFFER`
    elements, the buffers' sums added in turn, so ``ceil(terms / NUMPY_BUFFER)
    - 1`` more. None is ever more than the sequential count. Other libraries'
    reductions (JAX, PyTorch) have their own trees, which this does not model.
    A reduction deeper than the one named is outside the probe's default tolerance.

    Example:
        >>> summation_depth(157334, "sequential"), summation_depth(157334), summation_depth(5)
        (157333, 35, 4)
        >>> summation_depth(157334, "buffered"), summation_depth(8192, "buffered") == summation_depth(8192)
        (49, True)
    """
    if summation not in SUMMATIONS:
        raise ProbeError(f"summation must be one of {SUMMATIONS}, got {summation!r}")
    if terms <= 1:
        return 0
    if summation == "sequential":
        return terms - 1
    if summation == "buffered":
        within = summation_depth(min(terms, NUMPY_BUFFER), "pairwise")
        return min(terms - 1, within + math.ceil(terms / NUMPY_BUFFER) - 1)
    return min(terms - 1, math.ceil(math.log2(terms)) + LEAF_ADDITIONS)


def default_rtol(u: Fraction, depth: int = DEFAULT_DEPTH, terms: int = 1, summation: str = "pairwise",
                 accumulator: str | None = None) -> float:
    """The probe's default relative tolerance, ``2 (g_d + g_s + g_d g_s)``, ``g_d = gamma_depth(u)``, ``g_s = gamma_s(v)``.

    Here ``gamma_n(u) = n u / (1 - n u)``, ``s`` is :func:`summation_depth` of
    ``terms`` and ``summation``, and ``v`` is the unit roundoff of the format
    the sum accumulates in: ``accumulator`` (a dtype name) if given, else
    ``min(u, 2**-24)``, float32 for the 16-bit formats. That default fits JAX
    and PyTorch, whose reductions of float16 and bfloat16 accumulate in
    float32, and NumPy's ``sum`` of a float16 array as a whole or along its
    last axis. It does not fit NumPy's other 16-bit sums: a bfloat16 array
    (ml_dtypes) is summed term by term in bfloat16 unless ``dtype=np.float32``
    is passed (``accumulator="bfloat16", summation="sequential"``), and a
    float16 array along another axis term by term in float16. When
    ``s v >= 1/2`` the bound is at least 100 % and says nothing (from ``s v >= 1``,
    as for a bfloat16 running sum of more than 256 terms, it does not exist):
    it raises :class:`ProbeError` rather than return it.

    The model: the loss is a sum (or a mean) of ``terms`` per-example terms.
    Each term is computed the same way whatever batch it sits in, so its own
    rounding is the same in ``loss(A + B)``, ``loss(A)`` and ``loss(B)`` and
    cancels from the comparison; what differs is the reduction, ``s`` rounded
    additions in a format of unit roundoff ``v``, and then at most ``depth``
    rounded operations in the loss's own format (casting the sum, converting
    the count, dividing). When the terms are all of one sign, each computed
    loss is then within ``(1 + g_s)(1 + g_d) - 1 = g_d + g_s + g_d g_s`` times
    its magnitude of the exact one (Higham 2002, lemma 3.1 and section 4.2).
    The probe combines ``loss(A)`` and ``loss(B)`` exactly (in rationals), so
    ``loss(A + B)`` minus that combination is within twice this bound times the
    larger magnitude. With terms of both signs that cancel (``mean(x) - 1000``)
    the bound relative to the values does not hold: pass an ``rtol`` sized to
    the cancellation, on a float64 copy. Each ``n u`` must stay below 1/2.

    Example:
        >>> f"{default_rtol(UNIT_ROUNDOFF['float32']):.3e}"
        '3.576e-07'
        >>> f"{default_rtol(UNIT_ROUNDOFF['bfloat16'], terms=2400):.4f}"
        '0.0237'
        >>> f"{default_rtol(UNIT_ROUNDOFF['float32'], terms=157334, summation='sequential'):.4f}"
        '0.0189'
        >>> default_rtol(UNIT_ROUNDOFF['bfloat16'], terms=2400, summation='sequential', accumulator='bfloat16')
        Traceback (most recent call last):
        ...
        gradavg.checks.probe.ProbeError: no rounding bound: a sequential sum of 2400 terms accumulating in bfloat16 ...
    """
    if accumulator is None:
        accumulate = min(u, UNIT_ROUNDOFF["float32"])
        name = next((key for key, unit in UNIT_ROUNDOFF.items() if unit == accumulate), "the loss's format")
    else:
        name, accumulate = unit_roundoff(0.0, accumulator)
    additions = summation_depth(max(terms, 1), summation)
    if additions * accumulate >= Fraction(1, 2):
        raise ProbeError(
            f"no rounding bound: a {summation} sum of {terms} terms accumulating in {name} has up to {additions} "
            f"rounded additions on a path, and {additions} * u = {float(additions * accumulate):.3g} is not below "
            "1/2, so a rounding bound of the sum would be at least 100 % (none exists from 1 on); accumulate in a "
            "wider format (NumPy: .sum(dtype=np.float32), then summation='buffered') and say so with "
            "accumulator=, or pass rtol=")
    final, adding = _gamma(depth, u), _gamma(additions, accumulate)
    return float(2 * (final + adding + final * adding))


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
    terms: Callable[[list[int]], int] | None = None,
    summation: str = "pairwise",
    dtype: str | None = None,
    accumulator: str | None = None,
) -> Verdict:
    """Test whether ``batch_loss`` adds up over disjoint parts, as a weighted mean or as a sum.

    On each of ``trials`` random disjoint pairs ``(A, B)`` it compares
    ``loss(A + B)`` with the ``weight``-weighted mean
    ``(w(A) loss(A) + w(B) loss(B)) / (w(A) + w(B))`` (the convention of a
    mean-reduced loss) and with the sum ``loss(A) + loss(B)`` (a sum-reduced
    loss), both combinations computed exactly in rationals. With
    ``reduction="auto"`` it holds if either holds on every pair, and its method
    says which, and so how to accumulate: weight each micro-batch by ``w`` and
    divide by the total ``w``, or add.

    It compares loss values at the parameters ``batch_loss`` closes over, not
    gradients: it cannot see what a training loop does to gradients
    (per-micro-batch ``clip_grad_norm_``, per-example clipping, hooks).

    The default tolerance (:func:`default_rtol`) is a rounding bound, not a
    margin, and it is a bound only when its assumptions hold: ``terms`` counts
    the terms the loss really sums (tokens, for a token-level loss: pass
    ``terms=`` or ``weight=`` the token count, even for a summed loss),
    ``summation`` names how the code adds them, ``accumulator`` the format it
    adds them in (by default float32 for a 16-bit loss, as in JAX and PyTorch;
    NumPy's own ``sum`` of a bfloat16 array adds in bfloat16, one term after
    another), the dtype is the one the loss
    is computed in (a float32 loss returned through ``.item()`` reads as
    float64: return the tensor, or pass ``dtype="float32"``), and the terms are
    of one sign. Where a bound that holds is too loose to see a bug (a long
    ``"sequential"`` float32 sum of 10**5 tokens allows about 2 %), probe a
    float64 copy of the loss.

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
        rtol: relative tolerance of each comparison. The default is
            :func:`default_rtol` of the unit roundoff of ``dtype`` (or of the
            widest format the loss returned: float16, bfloat16, float32,
            float64; a Python float counts as float64), ``depth``, the largest
            number of terms of ``A + B`` over the trials and ``summation``.
            The verdict states it.
        reduction: ``"auto"`` (either convention), ``"mean"`` (the weighted
            mean only) or ``"sum"`` (the sum only).
        depth: for the default tolerance, the rounded operations in the loss's
            own format after its reduction (default 3: cast, count, divide);
            raise it when a term's own value can change with the batch it sits
            in (different kernels for different shapes).
        terms: for the default tolerance, a callable giving the number of
            terms summed in a part; the default is ``weight`` if given, else
            ``len``.
        summation: for the default tolerance, ``"pairwise"`` (NumPy's ``sum``
            of a float64, float32 or float16 array along its last axis; the
            default) or ``"sequential"`` (a running accumulator, and NumPy's
            ``sum`` of a bfloat16 array): see :func:`summation_depth`.
        dtype: the format the loss is computed in (``"float32"``...), when the
            value returned does not carry it.
        accumulator: for the default tolerance, the format the sum
            accumulates in (a dtype name). The default is float32 for a
            16-bit loss and the loss's own format otherwise: right for JAX,
            PyTorch and NumPy's float16 ``sum`` along the last axis, wrong for
            NumPy's bfloat16 ``sum`` without ``dtype=np.float32`` (pass
            ``"bfloat16"`` and ``summation="sequential"``). See
            :func:`default_rtol`.

    Returns:
        A :class:`~gradavg.engine.claims.Verdict`. ``holds=True`` is evidence, not a
        proof: ``trials`` pairs agreed at one parameter value. ``holds=False``
        carries a witness per refuted convention: for the mean
        ``{"A", "B", "loss(A + B)", "weighted mean", "w(A)", "w(B)"}``, for the
        sum ``{"A", "B", "loss(A + B)", "loss(A) + loss(B)"}`` (under the key
        ``"sum"`` when both were tested), and the gaps ``loss(A + B)`` minus
        each, in that order; its method says what to check before blaming the
        loss when the default tolerance was used.

    Raises:
        ProbeError: ``n_examples < 2``, ``trials < 1``, ``rtol < 0``, an
            unknown ``reduction``, ``summation``, ``dtype`` or
            ``accumulator``, or a ``depth`` too large for the dtype, or (with
            the default tolerance) a sum too long for its accumulator to have
            a rounding bound (``s u >= 1/2``: a bfloat16 running sum of more
            than 128 terms); or ``batch_loss`` (or ``weight``, or
            ``terms``) raised, returned something that is not a real number,
            or returned a non-finite value (the message names the indices); or
            a weight is not positive.

    Example:
        >>> values = [1.0, 2.0, 4.0, 8.0]
        >>> mean_loss = lambda idx: sum(values[i] for i in idx) / len(idx)
        >>> verdict = probe_additivity(mean_loss, 4)
        >>> verdict.holds, "weighted mean" in verdict.method, "(float64, depth 3, 4 terms, pairwise)" in verdict.method
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
    if terms is not None and not callable(terms):
        raise ProbeError(f"terms must be callable or None, got {type(terms).__name__}")
    if isinstance(n_examples, bool) or not isinstance(n_examples, int) or n_examples < 2:
        raise ProbeError(f"n_examples must be an integer >= 2 (two disjoint non-empty parts), got {n_examples!r}")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ProbeError(f"trials must be a positive integer, got {trials!r}")
    if rtol is not None and not (isinstance(rtol, (int, float)) and math.isfinite(rtol) and rtol >= 0):
        raise ProbeError(f"rtol must be a finite number >= 0 or None, got {rtol!r}")
    if reduction not in REDUCTIONS:
        raise ProbeError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if summation not in SUMMATIONS:
        raise ProbeError(f"summation must be one of {SUMMATIONS}, got {summation!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ProbeError(f"depth must be a positive integer, got {depth!r}")
    if dtype is not None:
        unit_roundoff(0.0, dtype)
    if accumulator is not None:
        unit_roundoff(0.0, accumulator)

    weigh = weight or len
    weight_name = "weight" if weight is not None else "len"
    count = terms or weigh
    count_name = "terms" if terms is not None else weight_name
    weighting = "the given weights" if weight is not None else "example counts"
    tested = ("mean", "sum") if reduction == "auto" else (reduction,)
    rng = random.Random(seed)
    start = time.perf_counter()
    worst = {name: 0.0 for name in tested}
    refuted: dict[str, tuple[dict, float, float, int]] = {}
    named, u = unit_roundoff(0.0, dtype) if dtype is not None else ("float64", Fraction(0))
    n_terms = 1
    tolerance = rtol
    for trial in range(1, trials + 1):
        size = rng.randint(2, n_examples)
        chosen = rng.sample(range(n_examples), size)
        cut = rng.randint(1, size - 1)
        a, b = chosen[:cut], chosen[cut:]
        (loss_a, raw_a), (loss_b, raw_b) = _value(batch_loss, "batch_loss", a), _value(batch_loss, "batch_loss", b)
        whole, raw_whole = _value(batch_loss, "batch_loss", a + b)
        if dtype is None:
            for raw in (raw_a, raw_b, raw_whole):
                name, unit = unit_roundoff(raw)
                if unit > u:
                    named, u = name, unit
        w_a, w_b = _value(weigh, weight_name, a)[0], _value(weigh, weight_name, b)[0]
        if w_a <= 0 or w_b <= 0:
            raise ProbeError(f"weights must be positive, got w(A) = {w_a} on {a} and w(B) = {w_b} on {b}")
        n_terms = max(n_terms, math.ceil(_value(count, count_name, a + b)[0]))
        if rtol is None:
            tolerance = default_rtol(u, depth, n_terms, summation, accumulator)
        exact_whole = Fraction(whole)
        sides = {}
        if "mean" in tested:
            mean = (Fraction(w_a) * Fraction(loss_a) + Fraction(w_b) * Fraction(loss_b)) / (Fraction(w_a) + Fraction(w_b))
            sides["mean"] = (mean, max(abs(exact_whole), abs(mean), abs(Fraction(loss_a)), abs(Fraction(loss_b))),
                             {"A": a, "B": b, "loss(A + B)": whole, "weighted mean": float(mean),
                              "w(A)": w_a, "w(B)": w_b})
        if "sum" in tested:
            total = Fraction(loss_a) + Fraction(loss_b)
            sides["sum"] = (total, max(abs(exact_whole), abs(Fraction(loss_a)) + abs(Fraction(loss_b))),
                            {"A": a, "B": b, "loss(A + B)": whole, "loss(A) + loss(B)": float(total)})
        for name, (other, scale, witness) in sides.items():
            if name in refuted:
                continue
            difference = abs(exact_whole - other)
            if difference > Fraction(tolerance) * scale:
                refuted[name] = (witness, float(exact_whole - other), float(difference / scale), trial)
            else:
                worst[name] = max(worst[name], float(difference / scale) if scale else 0.0)
        if len(refuted) == len(tested):
            break
    seconds = time.perf_counter() - start
    summed_in = accumulator or ("float32" if u > UNIT_ROUNDOFF["float32"] else named)
    format_text = named if summed_in == named else f"{named} summed in {summed_in}"
    tol_text = f"rtol {tolerance:.3g}" + (f" ({format_text}, depth {depth}, {n_terms} terms, {summation})"
                                          if rtol is None else " (given)")
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
        hint = ""
        if rtol is None:
            hint = (f"; if the loss is right, check this tolerance's assumptions: its dtype (read as {named}; "
                    "a loss returned through .item() or float() reads as float64: return the tensor or pass "
                    "dtype=), terms= the number of terms it sums (tokens), summation='sequential' for a running "
                    "sum, accumulator= the format the sum adds in (NumPy sums bfloat16 in bfloat16), and terms of one "
                    "sign (else rtol=, on a float64 copy)")
        return Verdict(
            False,
            f"numeric probe: loss(A + B) differs from {where}, {tol_text}{hint}",
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
