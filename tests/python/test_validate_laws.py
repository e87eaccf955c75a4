"""validate(law=...) for every law `scaleplan validate --law` takes: the same dict as the command line's JSON for the
same runs and options, and the command line's errors."""

import json
import math
import os

import numpy as np
import pytest

import scaleplan

from conftest import SOURCE_DIR

MUENNIGHOFF = os.path.join(SOURCE_DIR, "data", "muennighoff2023_runs.csv")
CLARK = os.path.join(SOURCE_DIR, "data", "clark2022_routing_runs.csv")
DICTIONARY = os.path.join(SOURCE_DIR, "data", "dictionary_runs_generated.csv")


def write_sweep(path):
    """A noise-free hyper-parameter sweep: at C = 1e18 ... 1e21 a 3 x 3 grid (factor 2 in batch and learning rate)
    centred on B* = 0.5 C^0.30 and eta* = 0.6 C^-0.15, loss 3 (1 + 0.01 x^2 + 0.01 y^2) with x, y the log distances
    from the optimum: each budget's near-optimal region is its centre alone, so the laws fitted on any budgets predict
    every other budget's optimum exactly."""
    lines = ["compute,batch_tokens,learning_rate,loss"]
    for c in (1e18, 1e19, 1e20, 1e21):
        b_star, lr_star = 0.5 * c**0.30, 0.6 * c**-0.15
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                x, y = i * math.log(2), j * math.log(2)
                lines.append(f"{c:.10g},{b_star * 2**i:.10g},{lr_star * 2**j:.10g},"
                             f"{3 * (1 + 0.01 * x * x + 0.01 * y * y):.10g}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("cli_args,kwargs", [
    (["--law", "kaplan", "--holdout-above", "1e20"], dict(law="kaplan", holdout_above=1e20)),
    (["--law", "kaplan", "--leave-one-budget-out"], dict(law="kaplan", leave_one_budget_out=True)),
    (["--law", "isoflop", "--leave-one-budget-out"], dict(law="isoflop", leave_one_budget_out=True)),
    (["--law", "isoflop", "--holdout-above", "1e20", "--keep-extrapolated-minima"],
     dict(law="isoflop", holdout_above=1e20, keep_extrapolated_minima=True)),
    (["--law", "routing", "--holdout-above", "1e20"], dict(law="routing", holdout_above=1e20)),
    (["--law", "data-constrained", "--holdout-above", "1e20"], dict(law="data-constrained", holdout_above=1e20)),
    (["--law", "data-constrained", MUENNIGHOFF, "--n-col", "N_params", "--d-col", "D_tokens", "--u-col",
      "U_unique_tokens", "--loss-col", "val_loss_c4", "--leave-one-budget-out", "--min-budget-runs", "5"],
     dict(runs=MUENNIGHOFF, law="data-constrained", n="N_params", d="D_tokens", u_col="U_unique_tokens",
          loss="val_loss_c4", leave_one_budget_out=True, min_budget_runs=5)),
    (["--law", "sparse", "--leave-one-budget-out"], dict(law="sparse", leave_one_budget_out=True)),
    (["--law", "dictionary", DICTIONARY, "--leave-one-budget-out", "--min-budget-runs", "3"],
     dict(runs=DICTIONARY, law="dictionary", leave_one_budget_out=True, min_budget_runs=3)),
    (["--law", "frantar2023-t5"], dict(law="frantar2023-t5")),
])
def test_validate_of_each_law_gives_the_cli_json(cli_args, kwargs, cli_json):
    expected = cli_json("validate", *cli_args, "--format", "json")
    got = scaleplan.validate(**kwargs)
    assert got == expected
    assert got["law"] == kwargs["law"]


def test_routing_holds_out_the_runs_above_the_threshold_at_6nd(cli_json):
    # Which runs a routing hold-out predicts, counted here with pandas from the bundled file: Clark et al.'s 163 runs
    # (routing frequency 0.5, k 1, seed 42) at C = 6 N D with N the dense parameters and D the num_tokens column.
    import pandas as pd
    runs = pd.read_csv(CLARK)
    runs = runs[(runs["routing_frequency"] == 0.5) & (runs["k"] == 1) & (runs["seed"] == 42)]
    compute = 6.0 * runs["dense_parameter_count"] * runs["num_tokens"]
    got = scaleplan.validate(law="routing", holdout_above=1e20)
    fold = got["folds"][0]
    assert fold["num_heldout"] == int((compute > 1e20).sum()) == 80
    assert fold["num_train"] == int((compute <= 1e20).sum())
    assert fold["heldout_compute_max_flops"] == pytest.approx(compute.max(), rel=1e-12)
    assert got["data"]["num_runs"] == len(runs)


def test_data_constrained_holds_out_the_runs_above_the_threshold_at_6nd():
    import pandas as pd
    runs = pd.read_csv(MUENNIGHOFF)
    compute = 6.0 * runs["N_params"] * runs["D_tokens"]
    got = scaleplan.validate(MUENNIGHOFF, law="data-constrained", holdout_above=1e20, n="N_params", d="D_tokens",
                             u_col="U_unique_tokens", loss="val_loss_c4")
    fold = got["folds"][0]
    assert fold["num_heldout"] == int((compute > 1e20).sum())
    assert fold["num_train"] + fold["num_heldout"] == len(runs)
    assert fold["usable"]


@pytest.mark.parametrize("mode_args,mode_kwargs", [
    (["--holdout-above", "3e19"], dict(holdout_above=3e19)),
    (["--leave-one-budget-out"], dict(leave_one_budget_out=True)),
])
def test_hyperparams_validation_gives_the_cli_json(mode_args, mode_kwargs, cli_json, tmp_path):
    sweep = write_sweep(tmp_path / "sweep.csv")
    expected = cli_json("validate", "--law", "hyperparams", sweep, *mode_args, "--format", "json")
    got = scaleplan.validate(sweep, law="hyperparams", **mode_kwargs)
    assert got == expected
    # Noise-free power laws: every held-out optimum is predicted to the precision the file holds.
    usable = [fold for fold in got["folds"] if fold["usable"]]
    assert len(usable) == (2 if "holdout_above" in mode_kwargs else 4)
    for fold in usable:
        assert abs(fold["log_error_batch"]) < 1e-8 and abs(fold["log_error_lr"]) < 1e-8


def test_a_file_without_the_compute_raises_the_cli_input_error(cli, tmp_path):
    import pandas as pd
    runs = pd.read_csv(CLARK).drop(columns=["num_tokens"])
    path = tmp_path / "no_tokens.csv"
    runs.to_csv(path, index=False)
    result = cli("validate", "--law", "routing", path, "--holdout-above", "1e20")
    assert result.returncode == 3
    message = [line for line in result.stderr.splitlines() if line.startswith("scaleplan validate: error: ")][0]
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.validate(path, law="routing", holdout_above=1e20)
    assert str(error.value) == message[len("scaleplan validate: error: "):]
    assert "needs a tokens column" in str(error.value)


def test_bad_arguments_raise_usage_errors():
    with pytest.raises(scaleplan.UsageError, match="law must be chinchilla, kaplan, isoflop, data-constrained, "
                       "sparse, moe, dictionary, routing, hyperparams or frantar2023-t5, not 'nope'"):
        scaleplan.validate(law="nope", holdout_above=1e20)
    with pytest.raises(scaleplan.UsageError, match="law='routing' reads its runs with the routing law's own reader"):
        scaleplan.validate({"N": np.array([1e9])}, law="routing", holdout_above=1e20)
    with pytest.raises(scaleplan.UsageError, match="give one of holdout_above"):
        scaleplan.validate(law="routing")
    with pytest.raises(scaleplan.UsageError, match="law='moe' needs a runs file"):
        scaleplan.validate(law="moe", holdout_above=1e20)
    with pytest.raises(scaleplan.UsageError, match="law='hyperparams' needs a runs file"):
        scaleplan.validate(law="hyperparams", leave_one_budget_out=True)
    with pytest.raises(scaleplan.UsageError, match="keep_extrapolated_minima goes with law='isoflop'"):
        scaleplan.validate(law="kaplan", holdout_above=1e20, keep_extrapolated_minima=True)
    with pytest.raises(scaleplan.UsageError, match="u_col, sparsity_col, n_is_dense and tokens_per_step go with"):
        scaleplan.validate(law="chinchilla", holdout_above=1e20, u_col="U")
    with pytest.raises(scaleplan.UsageError, match="batch_col, lr_col, seq_len and near_optimal go with"):
        scaleplan.validate(law="isoflop", leave_one_budget_out=True, batch_col="batch")
    with pytest.raises(scaleplan.UsageError, match="takes no holdout_above"):
        scaleplan.validate(law="frantar2023-t5", holdout_above=1e20)
    with pytest.raises(scaleplan.UsageError, match="takes no source"):
        scaleplan.validate(law="routing", holdout_above=1e20, source="runs")
