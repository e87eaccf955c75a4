"""validate(), check(), the published laws and the errors, against the command line."""

import json
import os

import numpy as np
import pytest

import scaleplan

from conftest import SOURCE_DIR

GOLDEN = os.path.join(SOURCE_DIR, "data", "golden", "chinchilla.json")


def test_validate_gives_the_cli_json(selected_runs, cli_json):
    expected = cli_json("validate", "--holdout-above", "1e21", "--format", "json")
    got = scaleplan.validate(holdout_above=1e21)
    assert got == expected
    from_frame = scaleplan.validate(selected_runs, leave_one_budget_out=True)
    expected = cli_json("validate", "--leave-one-budget-out", "--format", "json")
    assert from_frame["pooled"] == expected["pooled"]
    assert from_frame["folds"] == expected["folds"]


def test_check_gives_the_cli_json(cli_json):
    expected = cli_json("check", "--golden", GOLDEN, "--format", "json")
    got = scaleplan.check(golden=GOLDEN)
    assert got == expected
    assert got["passed"]
    drifted = scaleplan.check(golden=GOLDEN, filter="Model Size<2e9")
    assert not drifted["passed"] and drifted["num_failed"] > 0


def test_check_of_a_kaplan_golden_gives_the_cli_json(cli, cli_json, tmp_path):
    golden = tmp_path / "kaplan_golden.json"
    result = cli("fit", "--law", "kaplan", "--save-golden", golden)
    assert result.returncode == 0, result.stderr
    expected = cli_json("check", "--golden", golden, "--format", "json")
    assert scaleplan.check(golden=golden) == expected
    assert expected["law"] == "kaplan" and expected["passed"]


@pytest.mark.parametrize("law,parameter", [("data-constrained", "R_N_star"), ("sparse", "b_N")])
def test_check_of_a_law_with_its_own_reader_gives_the_cli_json(law, parameter, cli, cli_json, tmp_path):
    # Goldens of the bundled data-constrained and sparse runs, checked by the module and by the command line: the
    # same verdict and the same JSON, passing as recorded and drifting in the one parameter moved by 1%.
    golden = tmp_path / f"{law}_golden.json"
    result = cli("fit", "--law", law, "--save-golden", golden)
    assert result.returncode == 0, result.stderr
    expected = cli_json("check", "--golden", golden, "--format", "json")
    got = scaleplan.check(golden=golden)
    assert got == expected
    assert got["law"] == law and got["passed"] and got["data"]["hash_matches"]

    recorded = json.loads(golden.read_text())
    recorded["parameters"][parameter] *= 1.01
    moved = tmp_path / f"{law}_moved.json"
    moved.write_text(json.dumps(recorded))
    result = cli("check", "--golden", moved, "--format", "json")
    assert result.returncode == 1, result.stderr
    drifted = scaleplan.check(golden=str(moved))
    assert drifted == json.loads(result.stdout)
    assert not drifted["passed"] and drifted["num_failed"] == 1
    assert [c["quantity"] for c in drifted["checks"] if c["verdict"] == "DRIFT"] == [parameter]

    # Its runs are read by the law's own reader: a DataFrame, column keywords and intervals are refused.
    with pytest.raises(scaleplan.UsageError, match=f"a {law} golden is checked against a CSV path"):
        scaleplan.check({"N": [1.0]}, golden=golden)
    with pytest.raises(scaleplan.UsageError, match="takes no column or selection keywords"):
        scaleplan.check(golden=golden, filter="N>1")
    with pytest.raises(scaleplan.UsageError, match="has no intervals"):
        scaleplan.check(golden=golden, check_intervals=True)


def test_published_laws_are_the_papers():
    # Hoffmann et al. 2022, eq. 10: E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28.
    law = scaleplan.published_law("hoffmann")
    assert (law.E, law.A, law.B, law.alpha, law.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)
    assert set(scaleplan.published_laws()) >= {"hoffmann", "epoch"}
    with pytest.raises(scaleplan.UsageError, match="no published law 'nope'"):
        scaleplan.published_law("nope")


def cli_error(cli, *args):
    result = cli(*args)
    prefix = f"scaleplan {args[0]}: error: "
    lines = [line for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert lines, result.stderr
    return result.returncode, lines[0][len(prefix):]


def test_bad_cells_raise_input_error_with_the_cli_message(all_runs, tmp_path, cli):
    runs = all_runs.copy()
    runs.loc[3, "Model Size"] = -5.0
    path = tmp_path / "runs.csv"
    runs.to_csv(path, index=False)
    code, message = cli_error(cli, "fit", path)
    assert code == 3
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.fit(runs)
    assert str(error.value) == message.replace(str(path), "<DataFrame>")
    assert ":5: " in str(error.value)  # row 3 is line 5 of df.to_csv(index=False): header on line 1
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.fit(str(path))
    assert str(error.value) == message


def test_missing_column_and_file_raise_input_error_with_the_cli_message(all_runs, tmp_path, cli):
    runs = all_runs.drop(columns=["loss"])
    path = tmp_path / "runs.csv"
    runs.to_csv(path, index=False)
    _, message = cli_error(cli, "fit", path)
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.fit(runs)
    assert str(error.value) == message.replace(str(path), "<DataFrame>")
    missing = tmp_path / "absent.json"
    code, message = cli_error(cli, "plan", "--fit", missing)
    assert code == 3
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.load_fit(missing)
    assert str(error.value) == message
    broken = tmp_path / "broken.json"
    broken.write_text('{"E": 1.7, "A": "x"}')
    _, message = cli_error(cli, "plan", "--fit", broken)
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.load_fit(broken)
    assert str(error.value) == message


def test_bad_arguments_raise_usage_error_with_the_cli_message(cli):
    code, message = cli_error(cli, "fit", "--grid", "alpha=2:0:1")
    assert code == 2
    with pytest.raises(scaleplan.UsageError) as error:
        scaleplan.fit(grid="alpha=2:0:1")
    assert str(error.value) == message
    _, message = cli_error(cli, "fit", "--filter", "Model Size")
    with pytest.raises(scaleplan.UsageError) as error:
        scaleplan.fit(filter="Model Size")
    assert str(error.value) == message
    with pytest.raises(scaleplan.UsageError, match="law must be chinchilla, kaplan or isoflop, not 'nope'"):
        scaleplan.fit(law="nope")
    with pytest.raises(scaleplan.UsageError, match="give one of holdout_above"):
        scaleplan.validate()


def test_errors_share_one_base():
    for error in (scaleplan.InputError, scaleplan.UsageError, scaleplan.FitError):
        assert issubclass(error, scaleplan.Error) and error is not scaleplan.Error


def test_unidentifiable_runs_raise_input_error():
    # One model size: the law's N term cannot be identified (fitting/identifiability.h).
    runs = {"N": np.full(8, 1e8), "D": np.geomspace(1e9, 1e11, 8), "loss": np.linspace(3.5, 3.0, 8)}
    with pytest.raises(scaleplan.InputError, match="<dict>"):
        scaleplan.fit(runs)


@pytest.mark.parametrize("args, kwargs", [
    (["--d-model", "4096", "--compute", "1e20"], dict(compute=1e20)),
    (["--d-model", "8192", "--gpu-hours", "50K", "--subject-params", "70B"],
     dict(d_model=8192, gpu_hours=50e3, subject_params=70e9)),
    (["--d-model", "4096", "--target-loss", "0.2", "--k", "64"], dict(target_loss=0.2, k=64)),
    (["--d-model", "4096", "--latents", "1M", "--accelerator", "A100-80GB"],
     dict(latents=1e6, accelerator="A100-80GB")),
])
def test_dictionary_gives_the_cli_json(cli_json, args, kwargs):
    expected = cli_json("dictionary", *args, "--format", "json")
    got = scaleplan.dictionary(kwargs.pop("d_model", 4096), **kwargs)
    assert got == expected
    # The plan's own arithmetic: training FLOPs are the per-token FLOPs times the tokens.
    assert got["compute_flops"] == pytest.approx(got["flops_per_token"] * got["num_tokens"], rel=1e-12)


def test_dictionary_errors_carry_the_cli_messages(cli):
    code, message = cli_error(cli, "dictionary", "--d-model", "4096")
    assert code == 2
    with pytest.raises(scaleplan.UsageError) as error:
        scaleplan.dictionary(4096)
    assert str(error.value) == message
    # A plan the devices cannot hold is a result (the command line's exit code 1), not an exception.
    plan = scaleplan.dictionary(8192, gpu_hours=50e3, subject_params=70e9, count=8)
    assert not plan["feasible"] and "8 devices cannot hold" in plan["reasons"][0]
