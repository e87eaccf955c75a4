"""scaleplan.plan and scaleplan.sweep against `scaleplan plan --format json` (core/plan.h MakePlan on both sides)."""

import json
import os

import numpy as np
import pytest

import scaleplan
from conftest import SOURCE_DIR


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


def test_plan_with_a_saved_expression_fit(cli, tmp_path):
    # A law of the user's own form (core/expression_law.h): the same search on both sides, Hoffmann's eq. 4 for the
    # Chinchilla form, and a law reading unique tokens refused with the CLI's message.
    path = tmp_path / "expression.json"
    path.write_text(json.dumps({"schema_version": 1, "law": "expression", "usable": True,
                                "expression": "E + A/N^alpha + B/D^beta",
                                "parameters": {"E": 1.69, "A": 406.4, "alpha": 0.34, "B": 410.7, "beta": 0.28}}))
    expected = cli_plans(cli, "--compute", "1e22,1e24", "--fit", path)
    assert scaleplan.plan([1e22, 1e24], fit=str(path)) == expected
    g = (0.34 * 406.4 / (0.28 * 410.7)) ** (1 / 0.62)
    for row in expected:
        assert row["num_params"] == pytest.approx(g * (row["compute_flops"] / 6) ** (0.28 / 0.62), rel=1e-6)
    path.write_text(path.read_text().replace("B/D^beta", "B/min(U, D)^beta"))
    with pytest.raises(Exception, match="reads the column 'U' \\(unique tokens\\), which a plan has no value for"):
        scaleplan.plan(1e22, fit=str(path))


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
    # The cluster options reach every row, as plan()'s do.
    table = scaleplan.sweep([1e22, 1e23], law="epoch", accelerator="H100-SXM", precision="fp8", seq_len=8192)
    assert list(table["precision"]) == ["fp8", "fp8"]
    assert list(table["architecture.seq_len"]) == [8192, 8192]


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


# The cluster stage's options: each keyword is the command line's option, dashes as underscores.
@pytest.mark.parametrize("args, kwargs", [
    (["--arch", "llama3-405b", "--tokens", "15.6T", "--accelerator", "H100-SXM", "--layout", "tp=8,pp=16,dp=128"],
     dict(arch="llama3-405b", tokens=15.6e12, accelerator="H100-SXM", layout="tp=8,pp=16,dp=128")),
    (["--layers", "32", "--d-model", "4096", "--heads", "32", "--tokens", "2T", "--accelerator", "H100-SXM"],
     dict(layers=32, d_model=4096, heads=32, tokens=2e12, accelerator="H100-SXM")),
    (["--layers", "24", "--d-model", "2048", "--heads", "16", "--ffn-kind", "mlp", "--vocab", "50257", "--compute",
      "1e22", "--accelerator", "A100-80GB", "--law", "epoch"],
     dict(layers=24, d_model=2048, heads=16, ffn_kind="mlp", vocab=50257, compute=1e22, accelerator="A100-80GB",
          law="epoch")),
    (["--arch", "mixtral-8x7b", "--experts", "16", "--shared-experts", "0", "--tokens", "1T", "--accelerator",
      "H100-SXM", "--precision", "fp8", "--global-batch-tokens", "4M"],
     dict(arch="mixtral-8x7b", experts=16, shared_experts=0, tokens=1e12, accelerator="H100-SXM", precision="fp8",
          global_batch_tokens=4e6)),
    (["--params", "7B", "--seq-len", "8192", "--accelerator", "H100-SXM", "--hyperparams", "steplaw"],
     dict(params=7e9, seq_len=8192, accelerator="H100-SXM", hyperparams="steplaw")),
    (["--params", "70B", "--accelerator", "H100-SXM", "--peak-flops", "2e15", "--memory-bytes", "141G",
      "--inter-node-bandwidth", "100G", "--devices-per-node", "4", "--intra-node-bandwidth", "300G"],
     dict(params=70e9, accelerator="H100-SXM", peak_flops=2e15, memory_bytes=141e9, inter_node_bandwidth=100e9,
          devices_per_node=4, intra_node_bandwidth=300e9)),
    (["--compute", "1e24", "--inference-tokens", "10T", "--accelerator", "H100-SXM", "--count", "1024", "--mfu", "0.4",
      "--inference-mfu", "0.2", "--inference-price-per-hour", "3", "--law", "epoch"],
     dict(compute=1e24, inference_tokens=10e12, accelerator="H100-SXM", count=1024, mfu=0.4, inference_mfu=0.2,
          inference_price_per_hour=3, law="epoch")),
])
def test_plan_cluster_options_give_the_cli_json(cli, args, kwargs):
    expected = cli_plans(cli, *args)
    got = scaleplan.plan(**kwargs)
    assert (got if isinstance(got, list) else [got]) == expected


def test_plan_model_sizes_are_the_published_counts():
    # Meta's Llama 3.1 405B (126 layers x 16,384, 128 heads, 8 KV, d_ff 53,248, 128,256-token vocabulary, untied):
    # 405,853,388,800 parameters; the model card's 15.6T tokens give C = 6 N D.
    row = scaleplan.plan(arch="llama3-405b", tokens=15.6e12, accelerator="H100-SXM", layout="tp=8,pp=16,dp=128")
    assert row["num_params"] == 405_853_388_800
    assert row["compute_flops"] == pytest.approx(6 * 405_853_388_800 * 15.6e12, rel=1e-15)
    assert row["layout"]["tp"] == 8 and row["layout"]["pp"] == 16 and row["layout"]["dp"] == 128
    # From scratch, 32 x 4096 with 32 heads is Llama 2 7B: SwiGLU d_ff = 8/3 d rounded to 256 = 11,008, a 32,000-token
    # vocabulary, untied embeddings: 6,738,415,616 parameters, as Meta's released checkpoint holds.
    row = scaleplan.plan(layers=32, d_model=4096, heads=32, tokens=2e12, accelerator="H100-SXM")
    d, f, v, layers = 4096, 11008, 32000, 32
    assert row["num_params"] == layers * (4 * d * d + 3 * d * f + 2 * d) + d + 2 * v * d == 6_738_415_616


@pytest.mark.parametrize("args, kwargs", [
    (["--arch", "nope", "--tokens", "1T", "--accelerator", "H100-SXM"],
     dict(arch="nope", tokens=1e12, accelerator="H100-SXM")),
    (["--arch", "llama3-8b", "--layers", "0", "--accelerator", "H100-SXM"],
     dict(arch="llama3-8b", layers=0, accelerator="H100-SXM")),
    (["--layers", "32", "--d-model", "4096", "--tokens", "1T", "--accelerator", "H100-SXM"],
     dict(layers=32, d_model=4096, tokens=1e12, accelerator="H100-SXM")),
    (["--layers", "32", "--d-model", "4096", "--heads", "30", "--tokens", "1T", "--accelerator", "H100-SXM"],
     dict(layers=32, d_model=4096, heads=30, tokens=1e12, accelerator="H100-SXM")),
    (["--ffn-kind", "foo", "--params", "7B", "--accelerator", "H100-SXM"],
     dict(ffn_kind="foo", params=7e9, accelerator="H100-SXM")),
    (["--precision", "fp16", "--params", "7B", "--accelerator", "H100-SXM"],
     dict(precision="fp16", params=7e9, accelerator="H100-SXM")),
    (["--params", "7B", "--accelerator", "H100-SXM", "--layout", "tp=3"],
     dict(params=7e9, accelerator="H100-SXM", layout="tp=3")),
    (["--params", "7B", "--accelerator", "H100-SXM", "--recompute", "Full"],  # core/plan.h ParseRecomputeChoice
     dict(params=7e9, accelerator="H100-SXM", recompute="Full")),
])
def test_plan_cluster_errors_carry_the_cli_messages(cli, args, kwargs):
    result = cli("plan", *args)
    assert result.returncode == 2
    message = result.stderr.splitlines()[0].removeprefix("scaleplan plan: error: ")
    with pytest.raises(scaleplan.UsageError) as error:
        scaleplan.plan(**kwargs)
    assert str(error.value) == message


def test_plan_cluster_files_are_read_as_the_cli_reads_them(cli, tmp_path):
    catalogue = os.path.join(SOURCE_DIR, "data", "hardware.json")
    expected = cli_plans(cli, "--params", "7B", "--accelerator", "H100-SXM", "--hardware", catalogue)
    assert [scaleplan.plan(params=7e9, accelerator="H100-SXM", hardware=catalogue)] == expected
    missing = tmp_path / "missing.json"
    result = cli("plan", "--params", "7B", "--hyperparams", missing)
    assert result.returncode == 3
    with pytest.raises(scaleplan.InputError) as error:
        scaleplan.plan(params=7e9, hyperparams=missing)
    assert str(error.value) == result.stderr.splitlines()[0].removeprefix("scaleplan plan: error: ")
