"""Unit tests of the models, data, numeric, figure and display helpers."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import sympy as sp

from gradavg.topics.data import anscombe_i
from gradavg.engine.claims import Claim, Verdict
from gradavg.site.display import ClaimFailure, show
from gradavg.topics.linearity import gradients_at_one_point
from gradavg.engine.models import linear_regression
from gradavg.engine.numeric import least_squares_gradient, per_example_gradients


def test_linear_regression_model():
    model = linear_regression(2)
    assert [str(p) for p in model.params] == ["w_1", "w_2", "b"]
    assert [str(d) for d in model.data] == ["x_1", "x_2", "y"]
    with pytest.raises(ValueError):
        linear_regression(0)


def test_anscombe_returns_copies():
    x, y = anscombe_i()
    assert len(x) == len(y) == 11
    x[0] = 999
    assert anscombe_i()[0][0] == 10.0


def test_per_example_gradients_match_least_squares_on_unseen_data():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=50), rng.normal(size=50)
    grads = per_example_gradients(linear_regression(1))([0.3, -0.2], x, y)
    assert grads.shape == (50, 2)
    assert np.allclose(grads.mean(axis=0), least_squares_gradient([0.3, -0.2], x, y), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="data columns"):
        per_example_gradients(linear_regression(1))([0.3, -0.2], x)


def test_identically_zero_gradient_entries_are_broadcast():
    w, v, x = sp.symbols("w v x")
    from gradavg.engine.models import Model

    grads = per_example_gradients(Model("v unused", w * x, (w, v), (x,)))([1.0, 2.0], np.arange(4.0))
    assert grads.shape == (4, 2) and np.all(grads[:, 1] == 0)


def test_figure_returns_one_gradient_per_example():
    x, y = anscombe_i()
    figure, grads = gradients_at_one_point(x, y, (0.1, 2.0), (-1, 1), (0, 4))
    assert grads.shape == (11, 2) and len(figure.axes) == 1


def test_show_reports_both_verdicts_and_the_evidence_under_the_statement():
    report = show("linearity.general-n")
    html = report._repr_html_()
    assert "linearity.general-n" in html and "rejected" in html
    assert "holds" in repr(report)
    badge = report.result.claim.badge
    assert badge.startswith("Proved: ") and badge.endswith(report.result.claim.scope)
    # the badge is the first line of the box, right under the statement
    assert html.splitlines()[1] == f'<p class="gradavg-evidence gradavg-evidence-proof">{badge.replace("<", "&lt;").replace(">", "&gt;")}</p>'


@pytest.mark.parametrize("holds, evidence, control_holds", [(False, "proof", False), (True, "proof", True),
                                                            (True, "sampled", False)])
def test_show_raises_when_a_claim_fails_falls_short_or_its_control_passes(monkeypatch, holds, evidence, control_holds):
    fake = Claim("fake.claim", "s", lambda: Verdict(holds, "m", evidence=evidence), "c",
                 lambda: Verdict(control_holds, "m"), "proof", "all")
    monkeypatch.setattr("gradavg.site.display.get", lambda claim_id, module=None: fake)
    with pytest.raises(ClaimFailure, match="fake.claim"):
        show("fake.claim")
