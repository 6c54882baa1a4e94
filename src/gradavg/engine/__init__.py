"""The decision engine, the lowest layer: claims and verdicts, exact decision with witnesses,
gradients from the definition of the derivative, sums as sufficient statistics, models.

It imports nothing else from the package.
"""
