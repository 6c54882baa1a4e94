"""The accumulation page's float computations and figures: batch losses for the probe, the imbalance and bias figures.

NumPy (and Matplotlib, imported when a figure is drawn), on top of the exact
weights of :mod:`gradavg.topics.accumulation`; no claim uses this module, so the
claims re-run in the browser without NumPy.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .accumulation import mean_of_means_weights, split, total_count_weights


def scheme_gradient(per_example: np.ndarray, sizes: Sequence[int], scheme: Callable) -> np.ndarray:
    """A scheme's step gradient from per-example gradients (rows), in floating point.

    Micro-batch ``k`` holds the next ``sizes[k]`` rows; its summed gradient is
    scaled by ``scheme(sizes)[k]`` and the results are added.

    Example:
        >>> grads = np.array([[1.0], [2.0], [6.0]])
        >>> scheme_gradient(grads, [1, 2], total_count_weights), scheme_gradient(grads, [1, 2], mean_of_means_weights)
        (array([3.]), array([2.5]))
    """
    per_example = np.asarray(per_example, dtype=float)
    if sum(sizes) != len(per_example):
        raise ValueError(f"sizes add up to {sum(sizes)} but there are {len(per_example)} per-example gradients")
    return sum(float(c) * per_example[group].sum(axis=0) for group, c in zip(split(sizes), scheme(sizes)))


# Batch losses of the kind found in training code, for the probe's demonstrations.

def sequence_dataset(n_sequences: int = 40, max_tokens: int = 120, seed: int = 0) -> list[np.ndarray]:
    """Per-token losses of ``n_sequences`` sequences of 1..``max_tokens`` tokens (fixed seed).

    Longer sequences get lower per-token losses on average, as in language
    modelling where later tokens have more context.

    Example:
        >>> data = sequence_dataset(3, seed=1)
        >>> len(data), all(len(s) >= 1 for s in data)
        (3, True)
    """
    if n_sequences < 1 or max_tokens < 1:
        raise ValueError(f"need n_sequences >= 1 and max_tokens >= 1, got {n_sequences}, {max_tokens}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_tokens + 1, size=n_sequences)
    return [rng.gamma(2.0, 1.0 + 3.0 / np.sqrt(n), size=n) for n in lengths]


def token_count(data: list[np.ndarray]) -> Callable[[list[int]], int]:
    """A weight for the probe: the number of tokens in the chosen sequences.

    Example:
        >>> token_count([np.ones(2), np.ones(5)])([0, 1])
        7
    """
    return lambda indices: int(sum(len(data[i]) for i in indices))


def _float_format(dtype):
    """``(format, accumulator)``: NumPy scalar types for a loss computed in ``dtype`` (a name or a type).

    The accumulator of the 16-bit formats is float32, as in JAX and PyTorch; the
    losses here pass it to NumPy's ``sum`` as ``dtype=``, because NumPy's own
    ``sum`` of a bfloat16 array adds in bfloat16, one term after another.

    Example:
        >>> [t.__name__ for t in _float_format("bfloat16")], [t.__name__ for t in _float_format("float64")]
        (['bfloat16', 'float32'], ['float64', 'float64'])
    """
    if dtype in ("bfloat16",):
        import ml_dtypes

        dtype = ml_dtypes.bfloat16
    kind = np.dtype(dtype)
    return kind.type, (np.float32 if kind.itemsize < 4 else kind.type)


def token_mean_loss(data: list[np.ndarray], dtype=None) -> Callable[[list[int]], float]:
    """The batch loss as the mean over every token of the chosen sequences (summed, divided by the total count).

    The chosen sequences' tokens are concatenated and summed by one call of
    NumPy's pairwise ``sum``, so the probe's ``summation="pairwise"`` model fits
    it. With ``dtype`` (``"float32"``, ``"bfloat16"``, ...) the tokens are
    rounded to that format and summed with ``dtype=np.float32`` for the 16-bit
    formats (NumPy's default would add bfloat16 in bfloat16, term by term), and
    the sum and the count are cast to the format before dividing; the loss
    returns a NumPy scalar of that format. Without it, a Python float.

    Example:
        >>> token_mean_loss([np.array([1.0]), np.array([3.0, 3.0, 3.0])])([0, 1])
        2.5
        >>> value = token_mean_loss([np.array([1.0]), np.array([3.0, 3.0, 3.0])], dtype="bfloat16")([0, 1])
        >>> str(value.dtype), float(value)
        ('bfloat16', 2.5)
    """
    if dtype is None:
        def loss(indices: list[int]) -> float:
            tokens = np.concatenate([data[i] for i in indices])
            return float(tokens.sum() / len(tokens))

        return loss
    kind, accumulator = _float_format(dtype)

    def rounded(indices: list[int]):
        tokens = np.concatenate([data[i] for i in indices]).astype(kind)
        return kind(tokens.sum(dtype=accumulator)) / kind(len(tokens))

    return rounded


def token_sum_loss(data: list[np.ndarray]) -> Callable[[list[int]], float]:
    """The batch loss as the sum of every token's loss (``reduction="sum"``), by one pairwise NumPy ``sum``.

    Example:
        >>> token_sum_loss([np.array([1.0]), np.array([3.0, 3.0, 3.0])])([0, 1])
        10.0
    """
    return lambda indices: float(np.concatenate([data[i] for i in indices]).sum())


def mean_of_micro_batch_means(data: list[np.ndarray], micro_batch: int = 4, dtype=None) -> Callable[[list[int]], float]:
    """The loss an accumulation loop reports when it averages per-micro-batch token means with equal weights.

    The chosen sequences are cut into consecutive micro-batches of
    ``micro_batch`` sequences; each micro-batch's loss is its own token mean
    (:func:`token_mean_loss`, in ``dtype`` if given, and then so is their mean).

    Example:
        >>> data = [np.array([1.0]), np.array([3.0, 3.0, 3.0])]
        >>> mean_of_micro_batch_means(data, micro_batch=1)([0, 1])
        2.0
        >>> str(mean_of_micro_batch_means(data, micro_batch=1, dtype="float32")([0, 1]).dtype)
        'float32'
    """
    mean = token_mean_loss(data, dtype)

    def loss(indices: list[int]) -> float:
        parts = [indices[k : k + micro_batch] for k in range(0, len(indices), micro_batch)]
        return float(np.mean([mean(part) for part in parts]))

    if dtype is None:
        return loss
    kind, accumulator = _float_format(dtype)

    def rounded(indices: list[int]):
        parts = [indices[k : k + micro_batch] for k in range(0, len(indices), micro_batch)]
        return kind(np.array([mean(part) for part in parts], dtype=kind).sum(dtype=accumulator)) / kind(len(parts))

    return rounded


def batch_normalised_loss(x: np.ndarray, y: np.ndarray, w: float = 1.0) -> Callable[[list[int]], float]:
    """Mean squared error of ``w * z`` against ``y``, with ``z`` the inputs standardised by the batch's own mean and spread.

    Each example's term depends on the other examples in the batch through
    the batch statistics (a one-example batch has spread 0; a small constant
    keeps it finite).

    Example:
        >>> loss = batch_normalised_loss(np.array([0.0, 2.0]), np.array([-1.0, 1.0]))
        >>> round(loss([0, 1]), 6)
        0.0
    """
    def loss(indices: list[int]) -> float:
        xb, yb = x[indices], y[indices]
        z = (xb - xb.mean()) / np.sqrt(xb.var() + 1e-5)
        return float(np.mean((w * z - yb) ** 2))

    return loss


def noisy_line(n: int = 112, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points ``(x, y)`` with ``y = 2 x + 1`` plus standard normal noise, ``x`` standard normal (fixed seed).

    Example:
        >>> x, y = noisy_line(5)
        >>> x.shape, y.shape
        ((5,), (5,))
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return x, 2.0 * x + 1.0 + rng.normal(size=n)


# The page's figure: accumulation error against micro-batch imbalance.

def imbalance_gaps(per_example: np.ndarray, shuffles: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    """Relative error of a two-micro-batch step, against the full-batch mean, for every split ``n_1 + n_2 = N``.

    For each short size ``n_1 = 1 .. N // 2``, the rows of ``per_example`` are
    shuffled ``shuffles`` times (fixed seed) and cut into micro-batches of
    ``n_1`` and ``N - n_1`` rows; the error ``|g_scheme - g| / |g|`` is
    averaged over the shuffles, for the mean of micro-batch means and for
    summed losses divided by the total count; ``"mean_of_means_bias"`` is the
    length of the mean over the shuffles of the mean of means' error (its bias,
    plus the noise of a finite number of shuffles), relative to ``|g|``.

    Returns:
        A dictionary with the keys ``short`` (the ``n_1`` values), ``ratio``
        (``n_2 / n_1``), ``mean_of_means``, ``total_count`` and
        ``mean_of_means_bias`` (the errors).

    Example:
        >>> gaps = imbalance_gaps(np.arange(8.0).reshape(4, 2), shuffles=3)
        >>> gaps["short"].tolist(), bool(gaps["total_count"].max() < 1e-12)
        ([1, 2], True)
    """
    per_example = np.asarray(per_example, dtype=float)
    n = len(per_example)
    full = per_example.mean(axis=0)
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(n) for _ in range(shuffles)]
    short = np.arange(1, n // 2 + 1)
    errors = {"mean_of_means": [], "total_count": [], "mean_of_means_bias": []}
    for n1 in short:
        sizes = [int(n1), int(n - n1)]
        for name, scheme in (("mean_of_means", mean_of_means_weights), ("total_count", total_count_weights)):
            deviations = [scheme_gradient(per_example[order], sizes, scheme) - full for order in orders]
            errors[name].append(np.mean([np.linalg.norm(d) for d in deviations]) / np.linalg.norm(full))
            if name == "mean_of_means":
                errors["mean_of_means_bias"].append(np.linalg.norm(np.mean(deviations, axis=0)) / np.linalg.norm(full))
    return {"short": short, "ratio": (n - short) / short, **{k: np.array(v) for k, v in errors.items()}}


def imbalance_figure(gaps: dict[str, np.ndarray], mark: tuple[int, int] | None = None):
    """Plot :func:`imbalance_gaps`: relative error against the size ratio ``n_2 / n_1`` (log-log).

    ``mark`` is a split ``(n_1, n_2)`` to point out. The total-count scheme's
    error is rounding (about ``1e-16``): on the linear scale it lies on zero.

    Example:
        >>> fig = imbalance_figure(imbalance_gaps(np.arange(8.0).reshape(4, 2), shuffles=3))
        >>> len(fig.axes)
        1
    """
    import matplotlib.pyplot as plt  # imported here: the batch losses and the data need only NumPy

    figure, axes = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    axes.plot(gaps["ratio"], gaps["mean_of_means"], "o-", ms=3, color="tab:red",
              label="mean of micro-batch means")
    if "mean_of_means_bias" in gaps:
        axes.plot(gaps["ratio"], gaps["mean_of_means_bias"], "--", color="tab:red",
                  label="mean of micro-batch means, averaged over the shuffles (bias, plus shuffle noise)")
    axes.plot(gaps["ratio"], gaps["total_count"], "s-", ms=3, color="tab:blue",
              label="summed losses / total count")
    if mark is not None:
        n1, n2 = mark
        index = int(np.argmin(np.abs(gaps["short"] - n1)))
        axes.annotate(f"{n1} and {n2}", xy=(gaps["ratio"][index], gaps["mean_of_means"][index]),
                      xytext=(0.4, 0.45), textcoords="axes fraction", arrowprops=dict(arrowstyle="->"))
    axes.set(xscale="log", ylim=(-0.03, None), xlabel="imbalance $n_2 / n_1$ of the two micro-batches",
             ylabel=r"$\|g_{\mathrm{step}} - \nabla C\| \,/\, \|\nabla C\|$",
             title="Two micro-batches, one step: error against the full-batch gradient")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    return figure


# Bias or noise: the mean of means over random shuffles.

def shuffle_errors(units: Sequence[np.ndarray], sizes: Sequence[int], shuffles: int = 2000,
                   seed: int = 0) -> dict[str, float]:
    """The mean-of-means step over random shuffles of ``units``: its typical error and its bias.

    ``units[j]`` holds the per-token gradients (rows) of one unit (an example,
    or a sequence of tokens). Each shuffle permutes the units and cuts them into
    micro-batches of ``sizes[k]`` units; the step is the mean over micro-batches
    of each micro-batch's mean token gradient, and ``g`` the mean over every
    token. Returned, relative to ``|g|``: ``"step"``, the mean over shuffles of
    ``|step - g|``; ``"bias"``, ``|mean over shuffles of (step - g)|``; and
    ``"bias_se"``, the standard error of that mean (its noise, per component,
    the largest).

    Example:
        >>> rows = [np.array([[1.0]]), np.array([[2.0]]), np.array([[6.0]])]
        >>> errors = shuffle_errors(rows, [1, 2], shuffles=50)
        >>> sorted(errors), errors["step"] > 0
        (['bias', 'bias_se', 'step'], True)
    """
    if sum(sizes) != len(units) or min(sizes) < 1:
        raise ValueError(f"sizes {list(sizes)} must be positive and add up to the {len(units)} units")
    units = [np.asarray(u, dtype=float).reshape(len(u), -1) for u in units]
    sums = np.array([u.sum(axis=0) for u in units])
    counts = np.array([len(u) for u in units], dtype=float)
    full = sums.sum(axis=0) / counts.sum()
    rng = np.random.default_rng(seed)
    bounds = np.cumsum([0, *sizes])
    deviations = np.empty((shuffles, len(full)))
    for s in range(shuffles):
        order = rng.permutation(len(units))
        means = [sums[order[a:b]].sum(axis=0) / counts[order[a:b]].sum() for a, b in zip(bounds[:-1], bounds[1:])]
        deviations[s] = np.mean(means, axis=0) - full
    norm = np.linalg.norm(full)
    return {"step": float(np.linalg.norm(deviations, axis=1).mean() / norm),
            "bias": float(np.linalg.norm(deviations.mean(axis=0)) / norm),
            "bias_se": float(np.max(deviations.std(axis=0, ddof=1)) / np.sqrt(shuffles) / norm)}


def token_gradients(data: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per-token gradients of a squared-error location model ``(theta - z_t)**2 / 2`` at ``theta = 0``: ``-z_t``.

    With ``data`` from :func:`sequence_dataset`, whose per-token values fall with
    the sequence's length, the gradients are correlated with the token counts.

    Example:
        >>> [g.ravel().tolist() for g in token_gradients([np.array([1.0, 3.0])])]
        [[-1.0, -3.0]]
    """
    return [-np.asarray(z, dtype=float).reshape(-1, 1) for z in data]


def token_bias_rows(data: Sequence[np.ndarray], per_micro_batch: Sequence[int], shuffles: int = 2000,
                    seed: int = 0) -> list[tuple[int, dict[str, float]]]:
    """:func:`shuffle_errors` of the mean of per-micro-batch token means, for each micro-batch size in sequences.

    ``data`` is cut into micro-batches of ``m`` sequences each (``m`` must
    divide ``len(data)``), with :func:`token_gradients` as the per-token gradients.

    Example:
        >>> rows = token_bias_rows([np.ones(1), np.zeros(3)], [1, 2], shuffles=4)
        >>> [(m, round(e["bias"], 3)) for m, e in rows]
        [(1, 1.0), (2, 0.0)]
    """
    grads = token_gradients(data)
    rows = []
    for m in per_micro_batch:
        if m < 1 or len(data) % m:
            raise ValueError(f"{m} sequences per micro-batch do not divide the {len(data)} sequences")
        rows.append((int(m), shuffle_errors(grads, [m] * (len(data) // m), shuffles, seed)))
    return rows


def token_bias_figure(rows: Sequence[tuple[int, dict[str, float]]]):
    """Plot :func:`token_bias_rows`: the per-step error and the bias against the sequences per micro-batch.

    Example:
        >>> fig = token_bias_figure([(1, {"step": 0.2, "bias": 0.2}), (2, {"step": 0.1, "bias": 0.05})])
        >>> len(fig.axes)
        1
    """
    import matplotlib.pyplot as plt

    sizes = [m for m, _ in rows]
    figure, axes = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    axes.plot(sizes, [e["step"] for _, e in rows], "o-", ms=3, color="tab:red",
              label="mean of micro-batch token means: error of one step (mean over shuffles)")
    axes.plot(sizes, [e["bias"] for _, e in rows], "s--", ms=3, color="tab:purple",
              label="its bias: error of the step averaged over the shuffles")
    axes.axhline(0.0, color="tab:blue", label="summed token losses / total tokens (exact)")
    axes.set(xscale="log", xlabel="sequences per micro-batch (of 40; token counts vary)",
             ylabel=r"$\|\cdot\| \,/\, \|\nabla C\|$",
             title="Sequences of 1 to 120 tokens: the mean of means is biased")
    axes.set_xticks(sizes, [str(m) for m in sizes])
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(loc="upper right", fontsize=8)
    return figure
