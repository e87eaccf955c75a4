"""scaleplan.plot draws what `scaleplan plot` draws: the charts' data are the law's closed forms."""

import numpy as np
import pytest

import scaleplan

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import scaleplan.plot  # noqa: E402


@pytest.fixture(scope="module")
def fit(selected_runs):
    return scaleplan.fit(selected_runs)


def test_fit_chart_draws_the_runs_and_the_frontier(fit, selected_runs):
    ax = scaleplan.plot.fit(fit)
    frontier = [line for line in ax.get_lines() if line.get_label().startswith("compute-optimal")][0]
    c, loss = frontier.get_data()
    np.testing.assert_allclose(loss, [fit.allocate(x)["loss"] for x in c], rtol=1e-15)
    points = ax.collections[0].get_offsets()
    assert len(points) == len(selected_runs) == 240


def test_residuals_chart_is_the_log_ratio(fit):
    ax = scaleplan.plot.residuals(fit)
    points = np.asarray(ax.collections[0].get_offsets())
    runs = fit.runs
    expected = np.log((fit.E + fit.A / runs.num_params**fit.alpha + fit.B / runs.num_tokens**fit.beta)
                      / runs.loss_nats)
    np.testing.assert_allclose(points[:, 1], expected, rtol=1e-10, atol=1e-14)
    assert sorted(line.get_ydata()[0] for line in ax.get_lines())[-1] == fit.search["huber_delta"]


def test_frontier_and_isoflop_charts(fit):
    ax = scaleplan.plot.frontier(fit)
    c, n = ax.get_lines()[0].get_data()
    np.testing.assert_allclose(n, [fit.allocate(x)["num_params"] for x in c], rtol=1e-15)
    ax = scaleplan.plot.isoflop(fit, budgets=[1e20])
    sizes, loss = ax.get_lines()[0].get_data()
    assert sizes[np.argmin(loss)] == pytest.approx(fit.allocate(1e20)["num_params"], rel=0.05)
