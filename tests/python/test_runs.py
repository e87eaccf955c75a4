"""Runs from arrays (a DataFrame's columns, a dict of numpy arrays): numbers read in place by the command line's reader
(core/runs_table.h RunsFromColumnarTable), with its checks, selection, warnings and messages, and without a copy."""

import tracemalloc
import warnings

import numpy as np
import pytest

import scaleplan


def cli_warnings(stderr, path, source):
    prefix = "scaleplan: warning: "
    return [line[len(prefix):].replace(str(path), source) for line in stderr.splitlines() if line.startswith(prefix)]


def cli_error(cli, *args):
    result = cli(*args)
    prefix = f"scaleplan {args[0]}: error: "
    lines = [line[len(prefix):] for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert lines, result.stderr
    return result.returncode, lines[0]


@pytest.fixture(scope="module")
def mixed_runs(all_runs):
    """The bundled runs with every kind of column the reader meets: D beside C (30% off 6 N D on every seventh run,
    which the reader warns of), an int64 column, a text column, and two runs without a loss."""
    runs = all_runs.copy()
    flops = runs["Training FLOP"].to_numpy()
    tokens = flops / (6 * runs["Model Size"].to_numpy())
    tokens[::7] *= 1.3
    runs["tokens"] = tokens
    runs["seed"] = np.arange(len(runs), dtype=np.int64) % 3
    runs["source"] = np.where(runs["Model Size"] < 1e9, "small", "large")
    runs.loc[[4, 9], "loss"] = np.nan
    return runs


@pytest.mark.parametrize("args, kwargs", [
    (["--skip-bad-rows"], dict(skip_bad_rows=True)),
    (["--skip-bad-rows", "--filter", "source=small", "--filter", "seed!=1", "--exclude-lines", "20-40,77"],
     dict(skip_bad_rows=True, filter=["source=small", "seed!=1"], exclude_lines="20-40,77")),
    (["--skip-bad-rows", "--filter", "Model Size>=3e8", "--filter", "tokens<2e11", "--c-col", "Training FLOP"],
     dict(skip_bad_rows=True, filter=["Model Size>=3e8", "tokens<2e11"], c="Training FLOP")),
])
def test_a_dataframe_and_its_csv_give_the_same_fit(mixed_runs, tmp_path, cli, args, kwargs):
    path = tmp_path / "runs.csv"
    mixed_runs.to_csv(path, index=False)
    result = cli("fit", path, "--format", "json", "--starts", "16", *args)
    assert result.returncode == 0, result.stderr
    expected = result.stdout
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = scaleplan.fit(mixed_runs, starts=16, source=str(path), **kwargs)
    assert fit.to_json() + "\n" == expected  # same runs, notes, optimum and allocation, byte for byte
    cli_said = cli_warnings(result.stderr, path, str(path))
    assert [str(w.message) for w in caught] == cli_said
    assert any("and 6 N D differ by more than 10% on" in w for w in cli_said)  # the C-vs-6ND warning, from arrays
    as_dict = {name: mixed_runs[name].to_numpy() for name in mixed_runs.columns}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert scaleplan.fit(as_dict, starts=16, source=str(path), **kwargs).to_json() + "\n" == expected


@pytest.mark.parametrize("column, row, value, text", [
    ("loss", 6, np.nan, "nan"),
    ("loss", 0, np.inf, "inf"),
    ("Model Size", 3, -5.0, "-5.0"),
    ("Model Size", 11, 0.0, "0.0"),
    ("Training FLOP", 200, -np.inf, "-inf"),
    ("seed", 8, -2, "-2"),  # an int64 column read as N
])
def test_a_bad_number_in_an_array_gives_the_cli_message(all_runs, tmp_path, cli, column, row, value, text):
    runs = all_runs.assign(seed=np.arange(1, len(all_runs) + 1, dtype=np.int64) * 10**6)
    runs[column] = runs[column].astype(np.int64 if column == "seed" else np.float64)
    runs.loc[row, column] = value
    path = tmp_path / "runs.csv"
    runs.to_csv(path, index=False, na_rep="nan")  # the cell as the array holds it (pandas writes NaN as "" otherwise)
    n_col = ["--n-col", "seed"] if column == "seed" else []
    code, message = cli_error(cli, "fit", path, *n_col)
    assert code == 3
    assert f":{row + 2}: " in message and f"'{text}'" in message  # row i is line i + 2; the value quoted as the file's
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.fit(runs, n="seed" if column == "seed" else "N")
    assert str(error.value) == message.replace(str(path), "<DataFrame>")
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.fit({name: runs[name].to_numpy() for name in runs.columns}, n="seed" if column == "seed" else "N")
    assert str(error.value) == message.replace(str(path), "<dict>")


def traced_peak_bytes(function):
    """The most memory Python's allocators (numpy's arrays included) held at once while `function` ran, beyond what
    was held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        function()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_float64_and_int64_arrays_are_read_without_a_copy():
    rng = np.random.default_rng(3)
    rows = 200_000
    n = 10 ** rng.uniform(7, 10, rows)
    d = 10 ** rng.uniform(9, 12, rows)
    loss = 1.8 + 400 / n**0.34 + 2000 / d**0.37
    column_bytes = 8 * rows
    block = np.column_stack([n, d, loss])  # one row per run: each column a view with a 24-byte stride
    cases = {
        "contiguous": {"N": n, "D": d, "loss": loss},
        "strided": {"N": block[:, 0], "D": block[:, 1], "loss": block[:, 2]},
        "int64": {"N": n.astype(np.int64), "D": d, "loss": loss},
        "reversed": {"N": n[::-1], "D": d[::-1], "loss": loss[::-1]},
    }
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"N": n, "D": d, "loss": loss})
    for name, runs in cases.items():
        peak = traced_peak_bytes(lambda: scaleplan.load_runs(runs))
        assert peak < column_bytes / 100, (name, peak)
        assert scaleplan.load_runs(runs).num_params[0] == runs["N"][0]
    assert traced_peak_bytes(lambda: scaleplan.load_runs(frame)) < column_bytes / 100
    # The measure sees a copy where one is made: float32 values are converted to float64 once.
    as_float32 = {"N": n.astype(np.float32), "D": d, "loss": loss}
    assert traced_peak_bytes(lambda: scaleplan.load_runs(as_float32)) >= column_bytes
    np.testing.assert_array_equal(scaleplan.load_runs(as_float32).num_params, n.astype(np.float32))
