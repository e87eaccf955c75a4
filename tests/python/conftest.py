"""Shared fixtures of the Python module's tests: the built `scaleplan` binary (SCALEPLAN_BINARY, set by CTest), the
source tree (SCALEPLAN_SOURCE_DIR) and the bundled runs read independently of the module, by pandas."""

import json
import os
import subprocess

import pytest

pd = pytest.importorskip("pandas")
scaleplan = pytest.importorskip("scaleplan", reason="the scaleplan module is not built (PYTHONPATH=build/python)")

SOURCE_DIR = os.environ.get("SCALEPLAN_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="session")
def cli():
    """Runs the command line: cli(args...) -> CompletedProcess with text stdout and stderr."""
    binary = os.environ.get("SCALEPLAN_BINARY", os.path.join(SOURCE_DIR, "build", "cli", "scaleplan"))
    if not os.access(binary, os.X_OK):
        pytest.skip(f"the scaleplan binary is not built ({binary})")

    def run(*args):
        return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=600)

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    """cli_json(args...) -> the parsed stdout of a command that must succeed."""

    def run(*args):
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return run


@pytest.fixture(scope="session")
def all_runs():
    """data/chinchilla_runs.csv as pandas reads it (all 245 runs), doubles parsed with round-trip precision."""
    return pd.read_csv(os.path.join(SOURCE_DIR, "data", "chinchilla_runs.csv"), float_precision="round_trip")


@pytest.fixture(scope="session")
def selected_runs(all_runs):
    """Besiroglu et al. 2024's selection, made here with pandas: the 5 highest-loss runs dropped (ties in file order),
    240 runs in file order, as `scaleplan fit` uses by default."""
    return all_runs.drop(all_runs["loss"].nlargest(5, keep="first").index)
