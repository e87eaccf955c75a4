#!/usr/bin/env python3
"""Reference implementation of the Approach-3 fit in Python/SciPy, for the benchmarks under bench/.

    chinchilla_reference.py fit RUNS.csv          L-BFGS-B with analytic gradients from all 4,500 grid points
    chinchilla_reference.py bootstrap RUNS.csv R  BFGS, one start (the full-data optimum) per resample, R resamples

Prints one JSON line with the seconds taken (excluding interpreter start-up) and the result. The CSV is the bundled
data/chinchilla_runs.csv (columns 'Model Size', 'Training FLOP', 'loss'); the 5 highest-loss runs are dropped.
"""
import csv
import itertools
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

DELTA = 1e-3


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    keep = np.argsort(-loss, kind="stable")[5:]
    keep.sort()
    n, c, loss = n[keep], c[keep], loss[keep]
    return np.log(n), np.log(c / (6 * n)), np.log(loss)


def objective(p, log_n, log_d, log_l, weights):
    a, b, e, alpha, beta = p
    u = a - alpha * log_n
    v = b - beta * log_d
    stack = np.stack([u, v, np.full_like(u, e)])
    lse = logsumexp(stack, axis=0)
    r = lse - log_l
    inner = np.abs(r) <= DELTA
    cost = np.sum(weights * np.where(inner, 0.5 * r * r, DELTA * (np.abs(r) - 0.5 * DELTA)))
    slope = weights * np.where(inner, r, DELTA * np.sign(r))
    soft = np.exp(stack - lse)
    grad = np.array([
        np.sum(slope * soft[0]), np.sum(slope * soft[1]), np.sum(slope * soft[2]),
        -np.sum(slope * soft[0] * log_n), -np.sum(slope * soft[1] * log_d)])
    return cost, grad


def grid():
    return itertools.product(np.arange(0, 30, 5), np.arange(0, 30, 5), np.arange(-1, 1.5, 0.5),
                             np.arange(0, 2.5, 0.5), np.arange(0, 2.5, 0.5))


def fit(data, weights):
    best = None
    for start in grid():
        res = minimize(objective, np.array(start), args=(*data, weights), jac=True, method="L-BFGS-B")
        if best is None or res.fun < best.fun:
            best = res
    return best


def main():
    mode, path = sys.argv[1], sys.argv[2]
    data = load(path)
    weights = np.ones_like(data[0])
    start = time.perf_counter()
    if mode == "fit":
        best = fit(data, weights)
        result = {"objective": float(best.fun), "params": [float(x) for x in best.x]}
    else:
        resamples = int(sys.argv[3])
        full = minimize(objective, np.array([6.17, 7.67, 0.6, 0.35, 0.37]), args=(*data, weights), jac=True,
                        method="BFGS").x
        rng = np.random.default_rng(0)
        alphas = []
        for _ in range(resamples):
            counts = np.bincount(rng.integers(0, len(weights), len(weights)), minlength=len(weights))
            res = minimize(objective, full, args=(*data, counts.astype(float)), jac=True, method="BFGS")
            alphas.append(res.x[3])
        result = {"alpha_interval": [float(np.percentile(alphas, 2.5)), float(np.percentile(alphas, 97.5))]}
    result["seconds"] = time.perf_counter() - start
    print(json.dumps(result))


if __name__ == "__main__":
    main()
