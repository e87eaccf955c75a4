"""scaleplan.plan and scaleplan.sweep against `scaleplan plan --format json` (core/plan.h MakePlan on both sides)."""

import json

import numpy as np
import pytest

import scaleplan


def cli_plans(cli, *args):
    result = cli("plan", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("args, kwargs", [
    (["--compute", "1e23", "--law", "epoch"], dict(compute=1e23, law="epoch")),
    (["--params", "70B", "--law", "hoffmann"], dict(params=70e9, law="hoffmann")),
    (["--target-loss", "2.0", "--law", "epoch"], dict(target_loss=2.0, law="epoch")),
    (["--compute", "1e24", "--unique-tokens", "500B", "--law", "epoch"],
     dict(compute=1e24, unique_tokens=500e9, law="epoch")),
    (["--compute", "1e24", "--inference-tokens", "10T", "--law", "epoch"],
     dict(compute=1e24, inference_tokens=10e12, law="epoch")),
    (["--params", "70B", "--accelerator", "H100-SXM", "--count", "1024", "--mfu", "0.4", "--law", "epoch"],
     dict(params=70e9, accelerator="H100-SXM", count=1024, mfu=0.4, law="epoch")),
    (["--compute", "1e22,1e23"], dict(compute=[1e22, 1e23])),
    (["--params", "405B", "--compute", "3.8e25", "--accelerator", "H100-SXM", "--max-days", "90", "--law", "epoch"],
     dict(params=405e9, compute=3.8e25, accelerator="H100-SXM", max_days=90, law="epoch")),  # the layout search
    (["--compute", "1e23", "--bootstrap=20", "--seed", "4"], dict(compute=1e23, bootstrap=20, seed=4)),
])
def test_plan_gives_the_cli_json(cli, args, kwargs):
    expected = cli_plans(cli, *args)
    got = scaleplan.plan(**kwargs)
    assert (got if isinstance(got, list) else [got]) == expected
    if "accelerator" in kwargs and "mfu" not in kwargs:
        assert "layout" in expected[0] and expected[0]["layouts_considered"] > 0
    if "bootstrap" in kwargs:
        assert expected[0]["interval_laws"] > 0


def test_plan_with_a_fit_object_and_a_saved_fit(cli, tmp_path, selected_runs):
    fit = scaleplan.fit(selected_runs)
    path = tmp_path / "fit.json"
    fit.save(path)
    expected = cli_plans(cli, "--compute", "1e22,1e24", "--fit", path)
    assert scaleplan.plan([1e22, 1e24], fit=str(path)) == expected
    from_object = scaleplan.plan([1e22, 1e24], fit=fit)
    for row in from_object:
        assert row["law"]["source"] == "fit from <Fit>"
        row["law"]["source"] = expected[0]["law"]["source"]
    assert from_object == expected


def test_plan_is_hoffmanns_closed_form():
    # Hoffmann et al. 2022 eq. 4 with their published law: N_opt = G (C/6)^a, G = (alpha A / (beta B))^(1/(alpha+beta)).
    law = scaleplan.published_law("hoffmann")
    c = 5.76e23
    g = (law.alpha * law.A / (law.beta * law.B)) ** (1 / (law.alpha + law.beta))
    row = scaleplan.plan(c, law="hoffmann")
    assert row["num_params"] == pytest.approx(g * (c / 6) ** (law.beta / (law.alpha + law.beta)), rel=1e-12)
    assert row["num_tokens"] == pytest.approx(c / (6 * row["num_params"]), rel=1e-12)


def test_sweep_is_one_plan_per_budget():
    budgets = [1e21, 1e22, 1e23, 1e24]
    table = scaleplan.sweep(budgets, law="epoch")
    assert len(table) == 4
    assert list(table["num_params"]) == [scaleplan.plan(c, law="epoch")["num_params"] for c in budgets]
    assert np.all(np.diff(table["num_params"]) > 0) and "law.E" in table.columns


def test_plan_errors_carry_the_cli_messages(cli):
    result = cli("plan", "--compute", "1e23", "--accelerator", "H999")
    assert result.returncode == 2
    message = result.stderr.splitlines()[0].removeprefix("scaleplan plan: error: ")
    with pytest.raises(scaleplan.UsageError) as error:
        scaleplan.plan(1e23, accelerator="H999")
    assert str(error.value) == message
    with pytest.raises(scaleplan.UsageError):
        scaleplan.plan(target_loss=1.0, law="hoffmann")  # below E = 1.69: no compute reaches it


def test_a_kaplan_fit_saves_and_plans_as_the_cli(cli, tmp_path):
    fit = scaleplan.fit(None, "kaplan")
    path = tmp_path / "kaplan.json"
    fit.save(path)
    cli_out = tmp_path / "cli_kaplan.json"
    assert cli("fit", "--law", "kaplan", "--out", cli_out).returncode == 0
    assert path.read_bytes() == cli_out.read_bytes()
    assert scaleplan.plan(1e22, fit=str(path)) == cli_plans(cli, "--compute", "1e22", "--fit", path)[0]
    loaded = scaleplan.load_fit(path)
    assert loaded.law is None and loaded.N_c == fit.N_c
