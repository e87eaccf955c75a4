"""plan_moe, plan_routed and plan_sparse: the dicts `scaleplan plan --law krajewski2024 | clark2022 | frantar2023-t5 |
--fit FIT.json --format json` print (both build them with core/sparse_plans.h), checked against the published laws'
closed forms, and the command line's errors."""

import json
import math
import os

import pytest

import scaleplan

from conftest import SOURCE_DIR

MOE_RUNS = os.path.join(SOURCE_DIR, "tests", "bad_input", "moe_plain.csv")

# Krajewski et al. 2024 eq. 9 (their fitted coefficients) and Clark et al. 2022 Table 3's S-Base row.
KRAJEWSKI = dict(a=18.1, alpha=0.115, b=30.8, beta=0.147, g=2.1, gamma=0.58, c=0.47)
CLARK_S_BASE = dict(a=-0.082, b=-0.108, c=0.009, d=1.104, e_start=1.847, e_max=314.478)


@pytest.fixture(scope="module")
def moe_fit(cli, tmp_path_factory):
    path = tmp_path_factory.mktemp("moe") / "moe.json"
    result = cli("fit", MOE_RUNS, "--law", "moe", "--out", path)
    assert result.returncode == 0, result.stderr
    return str(path)


@pytest.fixture(scope="module")
def routing_fit(cli, tmp_path_factory):
    path = tmp_path_factory.mktemp("routing") / "routing.json"
    result = cli("fit", "--law", "routing", "--out", path)
    assert result.returncode == 0, result.stderr
    return str(path)


def moe_loss(law, n, d, g):
    return law["c"] + (law["g"] / g ** law["gamma"] + law["a"]) / n ** law["alpha"] + law["b"] / d ** law["beta"]


@pytest.mark.parametrize("cli_args,kwargs", [
    (["--compute", "1e22"], dict(compute=1e22)),
    (["--compute", "1e24", "--granularity", "8", "--expansion-rate", "16"],
     dict(compute=1e24, granularity=8, expansion_rate=16)),
])
def test_plan_moe_gives_the_cli_json_and_eq_9(cli_args, kwargs, cli_json):
    expected = cli_json("plan", "--law", "krajewski2024", *cli_args, "--format", "json")
    got = scaleplan.plan_moe(**kwargs)
    assert got == expected
    assert got["law"] == "krajewski2024"
    # Eq. 9 at the plan's N, D and G, the budget spent, E G experts and the shape's (4 + 8 E) d^2 n_blocks.
    assert got["loss"] == pytest.approx(moe_loss(KRAJEWSKI, got["num_params"], got["num_tokens"], got["granularity"]),
                                        rel=1e-12)
    assert got["training_flops"] == pytest.approx(kwargs["compute"], rel=1e-6)
    assert got["num_experts"] == pytest.approx(got["expansion_rate"] * got["granularity"], rel=1e-12)
    e = got["expansion_rate"]
    assert got["num_params"] == pytest.approx((4 + 8 * e) * got["d_model"] ** 2 * got["num_blocks"], rel=1e-9)
    assert got["num_active_params"] == pytest.approx(12 * got["d_model"] ** 2 * got["num_blocks"], rel=1e-9)
    if "granularity" in kwargs:
        assert got["granularity"] == kwargs["granularity"]


def test_plan_moe_with_a_saved_fit(moe_fit, cli_json):
    expected = cli_json("plan", "--fit", moe_fit, "--compute", "1e22", "--format", "json")
    got = scaleplan.plan_moe(1e22, fit=moe_fit)
    assert got == expected
    assert got["law"] == moe_fit
    # The runs are eq. 9 with Krajewski et al.'s coefficients, which the fit recovers: the published law's plan.
    published = scaleplan.plan_moe(1e22)
    for key in ("num_params", "num_tokens", "granularity", "loss"):
        assert got[key] == pytest.approx(published[key], rel=1e-4), key


def saturated_experts(law, e):
    return 1 / (1 / (e - 1 + 1 / (1 / law["e_start"] - 1 / law["e_max"])) + 1 / law["e_max"])


def routing_loss(law, n, e):
    x, s = math.log10(n), math.log10(saturated_experts(law, e))
    return 10 ** (law["a"] * x + law["b"] * s + law["c"] * x * s + law["d"])


def test_plan_routed_gives_the_cli_json_and_clark_eq_1(cli_json):
    expected = cli_json("plan", "--law", "clark2022", "--params", "1.3B,13B", "--format", "json")
    got = scaleplan.plan_routed([1.3e9, 13e9])
    assert got == expected
    assert got["source"] == "clark2022" and list(got["cutoffs"]) == ["S-Base", "RL-R", "Hash"]
    assert len(got["plans"]) == 3 * 2 * 4  # routers x N x the default E = 1, 8, 64, 512
    law = CLARK_S_BASE
    # N_cutoff = 10^(-b / c): 10^12 for S-Base (b = -0.108, c = 0.009).
    assert got["cutoffs"]["S-Base"] == pytest.approx(10 ** (-law["b"] / law["c"]), rel=1e-9)
    s_1 = math.log10(law["e_start"])
    for plan in (p for p in got["plans"] if p["router"] == "S-Base"):
        n, e = plan["num_params"], plan["num_experts"]
        assert plan["loss"] == pytest.approx(routing_loss(law, n, e), rel=1e-12)
        assert plan["dense_loss"] == pytest.approx(routing_loss(law, n, 1), rel=1e-12)
        assert plan["saturated_experts"] == pytest.approx(saturated_experts(law, e), rel=1e-12)
        n_bar = 10 ** ((math.log10(plan["loss"]) - law["b"] * s_1 - law["d"]) / (law["a"] + law["c"] * s_1))
        assert plan["effective_params"] == pytest.approx(n_bar, rel=1e-9)
        assert routing_loss(law, plan["effective_params"], 1) == pytest.approx(plan["loss"], rel=1e-12)


def test_plan_routed_with_routers_and_a_saved_fit(routing_fit, cli_json):
    expected = cli_json("plan", "--law", "clark2022", "--params", "1.3B", "--experts", "1,64", "--router",
                        "Hash,S-Base", "--format", "json")
    got = scaleplan.plan_routed(1.3e9, [1, 64], routers=["Hash", "S-Base"])
    assert got == expected
    assert [plan["router"] for plan in got["plans"]] == ["Hash", "Hash", "S-Base", "S-Base"]

    expected = cli_json("plan", "--fit", routing_fit, "--params", "1.3B,13B", "--format", "json")
    got = scaleplan.plan_routed([1.3e9, 13e9], fit=routing_fit)
    assert got == expected
    assert got["source"] == routing_fit
    # Each router's plan follows eq. 1 with the coefficients the fit saved.
    with open(routing_fit) as file:
        routers = {r["router"]: r for r in json.load(file)["routers"]}
    for plan in got["plans"]:
        saved = routers[plan["router"]]
        law = dict(a=saved["a"], b=saved["b"], c=saved["c"], d=saved["d"], e_start=saved["E_start"],
                   e_max=saved["E_max"])
        assert plan["loss"] == pytest.approx(routing_loss(law, plan["num_params"], plan["num_experts"]), rel=1e-12)


def test_sparse_plan_errors(moe_fit, routing_fit, tmp_path):
    with pytest.raises(scaleplan.UsageError, match=r"--compute: must be positive: '-1.0'"):
        scaleplan.plan_moe(-1)
    with pytest.raises(scaleplan.UsageError, match=r"--granularity: must lie in \[1, 256\]: '0.5'"):
        scaleplan.plan_moe(1e22, granularity=0.5)
    with pytest.raises(scaleplan.UsageError, match="--expansion-rate: must be at least 1: '0.5'"):
        scaleplan.plan_moe(1e22, expansion_rate=0.5)
    with pytest.raises(scaleplan.UsageError, match="plan_moe: fit takes a moe fit .*a routing fit"):
        scaleplan.plan_moe(1e22, fit=routing_fit)
    with pytest.raises(scaleplan.UsageError, match="plan_routed: fit takes a routing fit .*a moe fit"):
        scaleplan.plan_routed(1e9, fit=moe_fit)
    with pytest.raises(scaleplan.UsageError, match=r"--router: the law has no router 'Nope' \(it has S-Base, RL-R"):
        scaleplan.plan_routed(1e9, routers="Nope")
    with pytest.raises(scaleplan.UsageError, match=r"--experts: must be a whole number of at least 1: '0.5'"):
        scaleplan.plan_routed(1e9, experts=0.5)
    with pytest.raises(scaleplan.UsageError, match=r"--experts: must be a whole number of at least 1: '1.5'"):
        scaleplan.plan_routed(1e9, experts=[1, 1.5])
    with pytest.raises(scaleplan.InputError, match=r"krajewski2024 gives no usable plan at 1.00e-05 FLOPs: D = "):
        scaleplan.plan_moe(1e-5)
    with pytest.raises(scaleplan.UsageError, match=r"--params: must be positive"):
        scaleplan.plan_routed(0)
    with pytest.raises(scaleplan.UsageError, match=r"law='clark2022' needs params, the dense \(per-token\) sizes"):
        scaleplan.plan(law="clark2022")
    with pytest.raises(scaleplan.UsageError, match="law='krajewski2024' is planned by scaleplan.plan_moe, one"):
        scaleplan.sweep([1e21, 1e22], law="krajewski2024")
    missing = tmp_path / "missing.json"
    with pytest.raises(scaleplan.InputError, match="missing.json: cannot read the file"):
        scaleplan.plan_moe(1e22, fit=missing)
    not_json = tmp_path / "runs.json"
    not_json.write_text("N,D,loss\n")
    with pytest.raises(scaleplan.InputError, match="runs.json: not valid JSON"):
        scaleplan.plan_routed(1e9, fit=not_json)


def test_plan_hands_a_moe_or_routing_fit_to_its_planner(moe_fit, routing_fit, cli_json):
    # As the command line's `plan --fit FIT.json` does: the same JSON as the command, the same dict as the planner.
    expected = cli_json("plan", "--fit", moe_fit, "--compute", "1e22", "--format", "json")
    assert scaleplan.plan(1e22, fit=moe_fit) == expected == scaleplan.plan_moe(1e22, fit=moe_fit)
    expected = cli_json("plan", "--fit", routing_fit, "--params", "1.3B,13B", "--experts", "1,64", "--format", "json")
    got = scaleplan.plan(params=[1.3e9, 13e9], experts=[1, 64], fit=routing_fit)
    assert got == expected
    assert [(p["num_params"], p["num_experts"]) for p in got["plans"][:4]] == [(1.3e9, 1), (1.3e9, 64), (13e9, 1),
                                                                               (13e9, 64)]
    # Without experts, plan_routed's default expert counts (1, 8, 64, 512), as the command's.
    expected = cli_json("plan", "--fit", routing_fit, "--params", "1.3B", "--format", "json")
    assert scaleplan.plan(params=1.3e9, fit=routing_fit) == expected
    # The published laws the same way: plan(law=...) is the command's plan --law.
    assert scaleplan.plan(1e22, law="krajewski2024") == cli_json("plan", "--law", "krajewski2024", "--compute",
                                                                 "1e22", "--format", "json")
    assert scaleplan.plan(params=13e9, experts=[1, 512], law="clark2022") == cli_json(
        "plan", "--law", "clark2022", "--params", "13B", "--experts", "1,512", "--format", "json")


def test_plan_refuses_what_a_sparse_fit_planner_does_not_take(moe_fit, routing_fit, cli):
    with pytest.raises(scaleplan.UsageError, match=r"a moe fit is planned by scaleplan.plan_moe\(compute, fit=...\), which "
                                                   r"takes no accelerator, mfu"):
        scaleplan.plan(1e22, fit=moe_fit, accelerator="H100-SXM", mfu=0.4)
    with pytest.raises(scaleplan.UsageError, match="a moe fit needs one compute budget"):
        scaleplan.plan(fit=moe_fit)
    with pytest.raises(scaleplan.UsageError, match="a moe fit needs one compute budget"):
        scaleplan.plan([1e21, 1e22], fit=moe_fit)
    with pytest.raises(scaleplan.UsageError, match=r"a routing fit is planned by scaleplan.plan_routed\(params, experts, "
                                                   r"fit=...\), which takes no compute"):
        scaleplan.plan(1e22, params=1e9, fit=routing_fit)
    with pytest.raises(scaleplan.UsageError, match="a routing fit needs params"):
        scaleplan.plan(fit=routing_fit)
    with pytest.raises(scaleplan.UsageError, match=r"law='krajewski2024' is planned by scaleplan.plan_moe\(compute\), "
                                                   r"which takes no accelerator"):
        scaleplan.plan(1e22, law="krajewski2024", accelerator="H100-SXM")
    with pytest.raises(scaleplan.UsageError, match="give either fit or law, not both"):
        scaleplan.plan(1e22, fit=moe_fit, law="krajewski2024")
    # A keyword given at its default value is no conflict.
    assert scaleplan.plan(1e22, fit=moe_fit, shape=False)["law"] == moe_fit


def test_sparse_plans_warn_beyond_the_fitted_runs(moe_fit, cli_json):
    # moe_plain.csv's runs reach N 3e9 (total), D 5e10 and G 16; the warnings are the command's, word for word.
    got = scaleplan.plan_moe(1e25, fit=moe_fit)
    assert got == cli_json("plan", "--fit", moe_fit, "--compute", "1e25", "--format", "json")
    assert len(got["warnings"]) == 1
    warning = got["warnings"][0]
    assert "N is %.3gx the largest fitted model (3B parameters)" % (got["num_params"] / 3e9) in warning
    assert "G = %.3g is above the largest fitted granularity (16)" % got["granularity"] in warning
    assert scaleplan.plan_moe(1e19, fit=moe_fit, granularity=8)["warnings"] == []
    # Clark et al.'s bundled runs reach a dense N of 1,308,819,456.
    routed = scaleplan.plan_routed([1.3e9, 1e12], [1, 8])
    assert routed["warnings"] == ["N 1T: N is %.3gx the largest fitted model (1.31B parameters)" % (1e12 / 1308819456)]


# Frantar et al. 2023 eq. 1 in the form their notebook prints (google-research/jaxpruner, bigsparse): N in millions
# of non-zero parameters, D in units of 1e5 steps of T5's 128 x 512 = 65,536 tokens.
FRANTAR_T5 = dict(a=0.56778512, b=0.72161276, c=1.52265016, d=0.24513173, e=0.63361517, f=0.20270772, g=0.65074219)
T5_TOKENS_PER_STEP = 128 * 512


def frantar_t5_loss(s, n, d_tokens):
    law = FRANTAR_T5
    steps = d_tokens / T5_TOKENS_PER_STEP
    return (law["a"] * (1 - s) ** law["b"] + law["c"]) * (n / 1e6) ** -law["d"] + law["e"] * (steps / 1e5) ** -law[
        "f"] + law["g"]


def frantar_eq_1(law, s, n, d):
    # L(S, N, D) = (a_S (1 - S)^b_S + c_S) (1 / N)^b_N + (a_D / D)^b_D + c
    return (law["a_S"] * (1 - s) ** law["b_S"] + law["c_S"]) * (1 / n) ** law["b_N"] + (law["a_D"] / d) ** law[
        "b_D"] + law["c"]


@pytest.fixture(scope="module")
def sparse_fit(cli, tmp_path_factory):
    path = tmp_path_factory.mktemp("sparse") / "sparse.json"
    result = cli("fit", "--law", "sparse", "--out", path)
    assert result.returncode == 0, result.stderr
    return str(path)


def test_plan_sparse_gives_the_cli_json_and_eq_1(cli_json):
    expected = cli_json("plan", "--law", "frantar2023-t5", "--compute", "1e21", "--sparsity", "0.75", "--format",
                        "json")
    got = scaleplan.plan_sparse(1e21, sparsity=0.75)
    assert got == expected
    assert got["law"] == "frantar2023-t5" and got["sparse_method"] == "static" and not got["optimal_sparsity"]
    assert got["sparsity"] == 0.75
    n, d = got["num_nonzero_params"], got["num_tokens"]
    assert got["loss"] == pytest.approx(frantar_t5_loss(0.75, n, d), rel=1e-12)
    assert got["dense_loss"] == pytest.approx(frantar_t5_loss(0, got["dense"]["num_params"],
                                                              got["dense"]["num_tokens"]), rel=1e-12)
    # A static mask executes 6 N D: the budget is spent, on N / (1 - S) weights with the zeros.
    assert 6 * n * d == pytest.approx(1e21, rel=1e-9)
    assert got["num_params"] == pytest.approx(n / 0.25, rel=1e-12)
    # The plan is the optimum of eq. 1 along 6 N D = C: a 1% larger or smaller N loses.
    for factor in (0.99, 1.01):
        assert frantar_t5_loss(0.75, n * factor, d / factor) > got["loss"]
    # At S 0.75 the sparse model beats the dense one of the same budget (M(0.75) = 2.16 in the notebook's law).
    assert got["loss"] < got["dense_loss"]


def test_plan_sparse_optimal_sparsity_and_methods(cli_json):
    expected = cli_json("plan", "--compute", "1e21", "--optimal-sparsity", "--sparse-method", "rigl", "--format",
                        "json")
    got = scaleplan.plan_sparse(1e21, optimal_sparsity=True, sparse_method="rigl")
    assert got == expected
    assert got["optimal_sparsity"] and got["sparse_method"] == "rigl"
    s, n, d = got["sparsity"], got["num_nonzero_params"], got["num_tokens"]
    assert 0 < s < 0.99
    assert got["loss"] == pytest.approx(frantar_t5_loss(s, n, d), rel=1e-12)
    # The search's optimum against its neighbours (brute force at S -+ 0.01).
    for other in (s - 0.01, s + 0.01):
        assert scaleplan.plan_sparse(1e21, sparsity=other, sparse_method="rigl")["loss"] > got["loss"]

    # Every option of the command by its keyword: gmp's schedule, the search's bound and the speed-up.
    expected = cli_json("plan", "--compute", "3e20", "--sparsity", "0.5", "--sparse-method", "gmp", "--prune-begin",
                        "0.1", "--prune-end", "0.6", "--sparse-speedup", "2", "--format", "json")
    got = scaleplan.plan_sparse(3e20, sparsity=0.5, sparse_method="gmp", prune_begin=0.1, prune_end=0.6,
                                sparse_speedup=2)
    assert got == expected
    assert got["loss"] == pytest.approx(frantar_t5_loss(0.5, got["num_nonzero_params"], got["num_tokens"]),
                                        rel=1e-12)
    # GMP after Zhu and Gupta: dense until 0.1, the cubic schedule to 0.6 (mean density 1 - 3 S / 4), then 1 - S.
    assert got["flops_fraction_of_dense"] == pytest.approx(0.1 + 0.5 * (1 - 0.75 * 0.5) + 0.4 * 0.5, rel=1e-6)
    expected = cli_json("plan", "--compute", "1e20", "--optimal-sparsity", "--max-sparsity", "0.8", "--sparse-method",
                        "set", "--update-interval", "50", "--format", "json")
    got = scaleplan.plan_sparse(1e20, optimal_sparsity=True, max_sparsity=0.8, sparse_method="set",
                                update_interval=50)
    assert got == expected
    # A static or SET mask pays 6 N D whatever S, so the sparser the better: the optimum is the bound.
    assert got["sparsity"] == pytest.approx(0.8, abs=1e-6)


def test_plan_sparse_with_a_saved_fit(sparse_fit, cli_json):
    expected = cli_json("plan", "--fit", sparse_fit, "--compute", "1e20", "--sparsity", "0.5", "--sparse-method",
                        "rigl", "--format", "json")
    got = scaleplan.plan_sparse(1e20, sparsity=0.5, sparse_method="rigl", fit=sparse_fit)
    assert got == expected
    assert got["law"] == sparse_fit
    with open(sparse_fit) as file:
        saved = json.load(file)
    law = {name: saved[name] for name in ("a_S", "b_S", "c_S", "b_N", "a_D", "b_D", "c")}
    assert got["loss"] == pytest.approx(frantar_eq_1(law, 0.5, got["num_nonzero_params"], got["num_tokens"]),
                                        rel=1e-12)
    optimal = scaleplan.plan_sparse(1e20, optimal_sparsity=True, fit=sparse_fit)
    assert optimal == cli_json("plan", "--fit", sparse_fit, "--compute", "1e20", "--optimal-sparsity", "--format",
                               "json")


def test_plan_sparse_errors_are_the_commands(sparse_fit, moe_fit, cli):
    def command_error(*args):
        result = cli("plan", *args, "--format", "json")
        assert result.returncode == 2, result.stderr
        return result.stderr

    for kwargs, args, message in [
        (dict(sparsity=1.5), ["--sparsity", "1.5"], "--sparsity: must lie in [0, 1): '1.5'"),
        (dict(sparsity=-0.25), ["--sparsity", "-0.25"], "--sparsity: must lie in [0, 1): '-0.25'"),
        (dict(), [], "give one of --sparsity S and --optimal-sparsity"),
        (dict(sparsity=0.5, optimal_sparsity=True), ["--sparsity", "0.5", "--optimal-sparsity"],
         "give one of --sparsity S and --optimal-sparsity"),
        (dict(optimal_sparsity=True, max_sparsity=1.0), ["--optimal-sparsity", "--max-sparsity", "1.0"],
         "--max-sparsity: must lie in [0, 1): '1.0'"),
        (dict(sparsity=0.5, sparse_method="dense"), ["--sparsity", "0.5", "--sparse-method", "dense"],
         "--sparse-method dense: plan a dense model with plain 'plan'"),
        (dict(sparsity=0.5, sparse_method="magic"), ["--sparsity", "0.5", "--sparse-method", "magic"],
         "--sparse-method: must be one of dense, static, set, snfs, rigl or gmp: 'magic'"),
        (dict(sparsity=0.5, prune_begin=0.8), ["--sparsity", "0.5", "--prune-begin", "0.8"],
         "pruning must begin and end within the run, 0 <= begin <= end <= 1"),
        (dict(sparsity=0.5, update_interval=0.5), ["--sparsity", "0.5", "--update-interval", "0.5"],
         "the mask update interval must be at least 1 step"),
        (dict(sparsity=0.5, sparse_speedup=0), ["--sparsity", "0.5", "--sparse-speedup", "0"],
         "--sparse-speedup: must be positive: '0"),  # '0' typed, '0.0' as Python writes it
    ]:
        stderr = command_error("--law", "frantar2023-t5", "--compute", "1e21", *args)
        with pytest.raises(scaleplan.UsageError) as raised:
            scaleplan.plan_sparse(1e21, **kwargs)
        assert message in str(raised.value), kwargs
        assert message in stderr, (kwargs, stderr)
    with pytest.raises(scaleplan.UsageError, match=r"--compute: must be positive: '0.0'"):
        scaleplan.plan_sparse(0, sparsity=0.5)
    # A saved fit says what it needs, as the command does.
    message = f"{sparse_fit}: a sparse fit plans at a sparsity: give one of --sparsity S and --optimal-sparsity"
    assert message in command_error("--fit", sparse_fit, "--compute", "1e21")
    with pytest.raises(scaleplan.UsageError) as raised:
        scaleplan.plan_sparse(1e21, fit=sparse_fit)
    assert message in str(raised.value)
    # A moe fit is plan_moe's (the command plans it as an MoE, and refuses --sparsity with it).
    with pytest.raises(scaleplan.UsageError, match="plan_sparse: fit takes a sparse fit .*a moe fit"):
        scaleplan.plan_sparse(1e21, sparsity=0.5, fit=moe_fit)


def test_plan_names_plan_sparse_for_a_sparse_weight_fit(sparse_fit):
    # plan() has no sparsity keyword: a sparse fit or law='frantar2023-t5' is refused, naming plan_sparse.
    with pytest.raises(scaleplan.UsageError, match=r"plan: a sparse fit plans at a sparsity, which plan\(\) has no "
                                                   r"keyword for: scaleplan.plan_sparse\(compute, sparsity=S, "
                                                   r"fit='.*sparse.json'\)"):
        scaleplan.plan(1e22, fit=sparse_fit)
    with pytest.raises(scaleplan.UsageError, match=r"plan: law='frantar2023-t5' plans at a sparsity.*"
                                                   r"scaleplan.plan_sparse\(compute, sparsity=S\)"):
        scaleplan.plan(1e22, law="frantar2023-t5")
    with pytest.raises(scaleplan.UsageError, match=r"plan: a sparse fit plans at a sparsity"):
        scaleplan.plan(1e22, fit=sparse_fit, accelerator="H100-SXM")
    with pytest.raises(scaleplan.UsageError, match="give either fit or law, not both"):
        scaleplan.plan(1e22, fit=sparse_fit, law="frantar2023-t5")
    with pytest.raises(scaleplan.UsageError, match="law='frantar2023-t5' is planned by scaleplan.plan_sparse, one"):
        scaleplan.sweep([1e21, 1e22], law="frantar2023-t5")
