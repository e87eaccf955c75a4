#!/usr/bin/env python3
"""The Python module's overhead: scaleplan.fit(df) on the bundled runs against the same fit in-process in C++ (the
library call alone, on a runs table already read, through scaleplan._core.time_chinchilla_fit), in alternating
rounds; Fit.predict over a million (N, D) points against the same formula in numpy; and reading a million runs from
a dict of float64 arrays (numbers read in place) against the same values as text cells (object arrays: each cell
through str() and the CSV reader's parser, as every cell went before numbers were read in place).

    PYTHONPATH=build/python python3 bench/python_bench.py [--rounds 15] [--threads 0] [--rows 1000000] [--large-fit]

Prints the median of each and the ratios; targets: fit(df) within 1.2x of the C++ fit, predict of 1M points under
50 ms. --large-fit also times one fit (starts=4) of the million runs from the arrays and from the text cells. See
bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd

import scaleplan
from scaleplan import _core

SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def median_seconds(function, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=0, help="fit threads (0 = all cores), both sides")
    parser.add_argument("--rows", type=int, default=1_000_000, help="runs in the reading benchmark")
    parser.add_argument("--large-fit", action="store_true", help="also fit the --rows runs once from each form")
    args = parser.parse_args()

    runs = pd.read_csv(os.path.join(SOURCE_DIR, "data", "chinchilla_runs.csv"), float_precision="round_trip")
    df = runs.drop(runs["loss"].nlargest(5, keep="first").index)
    table = _core.bundled_runs([], [], "")  # the same 240 runs, read once: the C++ side pays no conversion
    python_fit = scaleplan.fit(df, threads=args.threads)
    assert python_fit.objective == _core.time_chinchilla_fit(table, args.threads), "the two fits differ"

    python_times, cpp_times = [], []
    for _ in range(args.rounds):  # alternating, so that drift in the machine's speed hits both alike
        python_times.append(median_seconds(lambda: scaleplan.fit(df, threads=args.threads), 1)[0])
        cpp_times.append(median_seconds(lambda: _core.time_chinchilla_fit(table, args.threads), 1)[0])
    python_median = statistics.median(python_times)
    cpp_median = statistics.median(cpp_times)
    ratio = python_median / cpp_median
    print(f"fit, {len(df)} runs, threads={args.threads}, median of {args.rounds} alternating rounds:")
    print(f"  scaleplan.fit(df)            {python_median * 1e3:9.2f} ms")
    print(f"  C++ FitChinchilla in-process {cpp_median * 1e3:9.2f} ms")
    print(f"  ratio                        {ratio:9.3f}x   (target <= 1.2x: {'met' if ratio <= 1.2 else 'MISSED'})")

    rng = np.random.default_rng(1)
    n = 10 ** rng.uniform(7, 12, 1_000_000)
    d = 10 ** rng.uniform(9, 13, 1_000_000)
    law = python_fit.law
    predict_median, _ = median_seconds(lambda: python_fit.predict(n, d), args.rounds)
    numpy_median, _ = median_seconds(lambda: law.E + law.A / n**law.alpha + law.B / d**law.beta, args.rounds)
    np.testing.assert_allclose(python_fit.predict(n, d), law.E + law.A / n**law.alpha + law.B / d**law.beta,
                               rtol=1e-13)
    print(f"predict, 1,000,000 points, median of {args.rounds}:")
    print(f"  Fit.predict(N, D)            {predict_median * 1e3:9.2f} ms   "
          f"(target < 50 ms: {'met' if predict_median < 0.05 else 'MISSED'})")
    print(f"  numpy E + A/N^a + B/D^b      {numpy_median * 1e3:9.2f} ms   ratio {predict_median / numpy_median:.3f}x")

    rows = args.rows
    num_params = 10 ** rng.uniform(7, 10, rows)
    num_tokens = 10 ** rng.uniform(9, 12, rows)
    loss = (law.E + law.A / num_params**law.alpha + law.B / num_tokens**law.beta) * np.exp(rng.normal(0, 0.01, rows))
    arrays = {"N": num_params, "D": num_tokens, "loss": loss}
    as_text = {name: values.astype(object) for name, values in arrays.items()}
    read = scaleplan.load_runs(arrays)
    assert np.array_equal(read.loss_nats, scaleplan.load_runs(as_text).loss_nats), "the two readings differ"
    array_median, _ = median_seconds(lambda: scaleplan.load_runs(arrays), args.rounds)
    text_rounds = max(3, args.rounds // 5)
    text_median, _ = median_seconds(lambda: scaleplan.load_runs(as_text), text_rounds)
    print(f"load_runs, {rows:,} runs x 3 columns:")
    print(f"  float64 arrays, read in place {array_median * 1e3:9.2f} ms   (median of {args.rounds})")
    print(f"  the same values as text cells {text_median * 1e3:9.2f} ms   (median of {text_rounds})   "
          f"ratio {text_median / array_median:.1f}x")
    if args.large_fit:
        for name, runs in (("float64 arrays", arrays), ("text cells", as_text)):
            seconds, _ = median_seconds(lambda: scaleplan.fit(runs, starts=4, threads=args.threads), 1)
            print(f"  fit(starts=4) from {name:15s} {seconds:9.2f} s")
    return 0 if ratio <= 1.2 and predict_median < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
