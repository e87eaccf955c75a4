"""The charts of `scaleplan plot` (and the desktop planner's chart tabs), drawn with matplotlib.

    import scaleplan, scaleplan.plot
    fit = scaleplan.fit(runs)
    scaleplan.plot.fit(fit, runs)          # loss against compute: runs coloured by N, the law per N bin, L_opt(C)
    scaleplan.plot.isoflop(fit, runs)      # loss against N at fixed budgets, each profile's minimum
    scaleplan.plot.frontier(fit, runs)     # N_opt and D_opt against compute, with the runs' N and D
    scaleplan.plot.residuals(fit, runs)    # ln(L_hat / L) per run against compute, with the Huber threshold

Each function draws on `ax` (a new figure when None) and returns the axes. `runs` is anything scaleplan.fit accepts
(a DataFrame, a dict of arrays, a CSV path, None for the bundled runs), read with the same column options; by default
the runs the fit was made from. Needs matplotlib (Debian: python3-matplotlib).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

import scaleplan as _scaleplan

__all__ = ["fit", "isoflop", "frontier", "residuals"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the machine
        raise ImportError("scaleplan.plot needs matplotlib (Debian: apt-get install python3-matplotlib)") from error
    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(7, 4.5))
    return ax


def _runs(the_fit, runs, runs_options):
    if runs is None and not runs_options and getattr(the_fit, "runs", None) is not None:
        return the_fit.runs
    return _scaleplan.load_runs(runs, **runs_options)


def _law(the_fit):
    law = getattr(the_fit, "law", the_fit)
    if not isinstance(law, _scaleplan.Law):
        raise _scaleplan.UsageError("the charts draw a Chinchilla law: a chinchilla Fit or a scaleplan.Law")
    return law


def _compute_range(table, law, margin=3.0):
    c = table.compute_flops
    return np.geomspace(c.min() / margin, c.max() * margin, 200)


def fit(the_fit, runs: Any = None, *, ax=None, num_bins: int = 6, **runs_options):
    """Loss against compute: the runs coloured by N, the fitted law's curve L(N, C / 6N) at each N bin's geometric
    mean, and the compute-optimal frontier L_opt(C), the envelope of those curves."""
    plt = _pyplot()
    ax = _axes(ax)
    law = _law(the_fit)
    table = _runs(the_fit, runs, runs_options)
    n = table.num_params
    points = ax.scatter(table.compute_flops, table.loss_nats, c=np.log10(n), cmap="viridis", s=14, zorder=3)
    plt.colorbar(points, ax=ax, label="log10 N (parameters)")
    compute = _compute_range(table, law)
    edges = np.geomspace(n.min(), n.max() * (1 + 1e-12), num_bins + 1)
    colours = plt.get_cmap("viridis")(np.linspace(0, 1, num_bins))
    for k in range(num_bins):
        inside = (n >= edges[k]) & (n < edges[k + 1])
        if not inside.any():
            continue
        size = float(np.exp(np.log(n[inside]).mean()))
        ax.plot(compute, law.predict(np.full_like(compute, size), compute / (6 * size)), color=colours[k], lw=1,
                alpha=0.8)
    optimal = [law.allocate(float(c))["loss"] for c in compute]
    ax.plot(compute, optimal, color="black", lw=2, label="compute-optimal frontier L_opt(C)")
    loss = table.loss_nats
    ax.set_ylim(min(loss.min(), min(optimal)) * 0.97, loss.max() * 1.1)  # the runs, not the curves' far ends
    ax.set_xscale("log")
    ax.set_xlabel("compute C (FLOPs)")
    ax.set_ylabel("loss (nats/token)")
    ax.set_title(f"Loss vs compute: {table.source}")
    ax.legend(loc="upper right")
    return ax


def isoflop(the_fit, runs: Any = None, *, ax=None, budgets=None, **runs_options):
    """IsoFLOP profiles: the law's loss against N at fixed compute budgets (by default 5 budgets spanning the runs),
    the runs within 10% of each budget, and each profile's minimum N_opt(C)."""
    ax = _axes(ax)
    law = _law(the_fit)
    table = _runs(the_fit, runs, runs_options)
    c = table.compute_flops
    if budgets is None:
        budgets = np.geomspace(c.min(), c.max(), 5)
    for budget in np.atleast_1d(budgets):
        n_opt = law.allocate(float(budget))["num_params"]
        sizes = np.geomspace(n_opt / 30, n_opt * 30, 200)
        line, = ax.plot(sizes, law.predict(sizes, budget / (6 * sizes)), lw=1.5, label=f"C = {budget:.3g}")
        near = np.abs(c / budget - 1) < 0.1
        ax.scatter(table.num_params[near], table.loss_nats[near], color=line.get_color(), s=14, zorder=3)
        ax.scatter([n_opt], [law.allocate(float(budget))["loss"]], color=line.get_color(), marker="*", s=120,
                   edgecolor="black", zorder=4)
    ax.set_xscale("log")
    ax.set_xlabel("N (parameters)")
    ax.set_ylabel("loss (nats/token)")
    ax.set_title(f"IsoFLOP profiles: {table.source}")
    ax.legend(fontsize="small")
    return ax


def frontier(the_fit, runs: Any = None, *, ax=None, **runs_options):
    """N_opt and D_opt against compute (C = 6 N D), with the runs' N and D."""
    ax = _axes(ax)
    law = _law(the_fit)
    table = _runs(the_fit, runs, runs_options)
    compute = _compute_range(table, law, margin=100.0)
    allocations = [law.allocate(float(c)) for c in compute]
    ax.plot(compute, [a["num_params"] for a in allocations], color="tab:blue",
            label=f"N_opt ~ C^{law.exponent_params:.3f}")
    ax.plot(compute, [a["num_tokens"] for a in allocations], color="tab:orange",
            label=f"D_opt ~ C^{law.exponent_tokens:.3f}")
    ax.scatter(table.compute_flops, table.num_params, color="tab:blue", s=8, alpha=0.5, label="runs' N")
    ax.scatter(table.compute_flops, table.num_tokens, color="tab:orange", s=8, alpha=0.5, label="runs' D")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("compute C (FLOPs)")
    ax.set_ylabel("parameters, tokens")
    ax.set_title(f"N_opt, D_opt vs compute: {table.source}")
    ax.legend()
    return ax


def residuals(the_fit, runs: Any = None, *, ax=None, **runs_options):
    """ln(L_hat / L) per run against compute, with the Huber threshold delta the fit used (+-delta)."""
    ax = _axes(ax)
    law = _law(the_fit)
    table = _runs(the_fit, runs, runs_options)
    r = np.log(law.predict(table.num_params, table.num_tokens) / table.loss_nats)
    ax.scatter(table.compute_flops, r, c=np.log10(table.num_params), cmap="viridis", s=14)
    ax.axhline(0, color="black", lw=1)
    search = getattr(the_fit, "search", None) if hasattr(the_fit, "to_dict") else None
    delta = search["huber_delta"] if isinstance(search, dict) else _scaleplan._DEFAULTS["delta"]
    for sign in (-1, 1):
        ax.axhline(sign * delta, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("compute C (FLOPs)")
    ax.set_ylabel("ln(L_hat / L)")
    ax.set_title(f"Residuals: {table.source} (dashed: Huber delta {delta:g})")
    return ax
