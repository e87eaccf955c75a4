"""Bad numbers given to the module's functions: each is refused as the command line refuses the option of the same
name, with its message (UsageError), and no message of any public function carries the library's internal-error text
(a source path) whatever number it is given."""

import math

import pytest

import scaleplan

# Values whose Python repr is also what the command line is given, so that both messages quote the same text.
BAD = [-1e23, float("nan"), float("inf")]


def cli_message(cli, command, *args):
    result = cli(command, *args)
    assert result.returncode == 2, result.stderr
    return result.stderr.splitlines()[0].removeprefix(f"scaleplan {command}: error: ")


def usage_message(call):
    with pytest.raises(scaleplan.UsageError) as error:
        call()
    return str(error.value)


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("option,call", [
    ("--compute", lambda v: scaleplan.plan(v)),
    ("--compute", lambda v: scaleplan.sweep([1e22, v])),
    ("--params", lambda v: scaleplan.plan(params=v)),
    ("--target-loss", lambda v: scaleplan.plan(target_loss=v)),
    ("--unique-tokens", lambda v: scaleplan.plan(1e22, unique_tokens=v)),
    ("--inference-tokens", lambda v: scaleplan.plan(1e22, inference_tokens=v)),
])
def test_plan_numbers_are_refused_with_the_cli_message(cli, option, call, value):
    expected = cli_message(cli, "plan", *(["--compute", "1e22"] if option in ("--unique-tokens", "--inference-tokens")
                                          else []), option, repr(value))
    assert expected.startswith(option + ": ")
    assert usage_message(lambda: call(value)) == expected


def test_the_plan_options_of_the_given_mfu_path_are_refused_as_the_cli_refuses_them(cli):
    for option, keyword, value in [("--mfu", "mfu", 1.5), ("--max-days", "max_days", -1.0),
                                   ("--price-per-hour", "price_per_hour", float("nan")), ("--ci", "ci", 1.5)]:
        expected = cli_message(cli, "plan", "--compute", "1e22", "--accelerator", "H100-SXM", option, repr(value))
        got = usage_message(lambda: scaleplan.plan(1e22, accelerator="H100-SXM", **{keyword: value}))
        assert got == expected


@pytest.mark.parametrize("args,kwargs", [
    (["--d-model", "-5.0", "--compute", "1e20"], dict(d_model=-5.0, compute=1e20)),
    (["--d-model", "4096", "--compute", "-1e+20"], dict(d_model=4096, compute=-1e20)),
    (["--d-model", "4096", "--gpu-hours", "nan"], dict(d_model=4096, gpu_hours=float("nan"))),
    (["--d-model", "4096", "--target-loss", "-1.0"], dict(d_model=4096, target_loss=-1.0)),
    (["--d-model", "4096", "--latents", "inf"], dict(d_model=4096, latents=float("inf"))),
])
def test_dictionary_names_the_option_that_was_given_and_is_bad(cli, args, kwargs):
    # Not "--d-model is required" for a negative width, nor "nothing to plan" for a negative budget.
    expected = cli_message(cli, "dictionary", *args)
    assert usage_message(lambda: scaleplan.dictionary(**kwargs)) == expected


def test_fit_refuses_an_interval_level_outside_zero_one_as_the_cli(cli):
    expected = cli_message(cli, "fit", "--ci", "1.5")
    assert expected == "--ci: must lie in (0, 1): '1.5'"
    assert usage_message(lambda: scaleplan.fit(ci=1.5)) == expected
    assert usage_message(lambda: scaleplan.fit(compute=[1e22, -1.0])) == cli_message(cli, "fit", "--compute",
                                                                                     "1e22,-1.0")


@pytest.mark.parametrize("value", [-1, float("nan"), 1.5, float("inf")])
def test_a_device_count_is_refused_as_the_cli_refuses_count(cli, value):
    text = repr(value)
    expected = cli_message(cli, "plan", "--compute", "1e22", "--accelerator", "H100-SXM", "--count", text)
    assert usage_message(lambda: scaleplan.plan(1e22, accelerator="H100-SXM", count=value)) == expected
    expected = cli_message(cli, "dictionary", "--d-model", "4096", "--compute", "1e20", "--count", text)
    assert usage_message(lambda: scaleplan.dictionary(4096, compute=1e20, count=value)) == expected


@pytest.mark.parametrize("args,call", [
    (["fit", "--threads", "-1"], lambda: scaleplan.fit(threads=-1)),
    (["fit", "--starts", "0"], lambda: scaleplan.fit(starts=0)),
    (["validate", "--leave-one-budget-out", "--budget-tolerance", "2.0"],
     lambda: scaleplan.validate(leave_one_budget_out=True, budget_tolerance=2.0)),
    (["validate", "--leave-one-budget-out", "--threads", "-1"],
     lambda: scaleplan.validate(leave_one_budget_out=True, threads=-1)),
])
def test_search_options_are_refused_as_the_cli_refuses_them(cli, args, call):
    assert usage_message(call) == cli_message(cli, *args)


def test_allocate_and_the_law_refuse_a_bad_budget_or_loss():
    law = scaleplan.published_law("hoffmann")
    assert usage_message(lambda: law.allocate(-1.0)) == "--compute: must be positive: '-1.0'"
    assert usage_message(lambda: law.allocate(float("nan"))) == "--compute: NaN is not a value: 'nan'"
    assert usage_message(lambda: law.least_compute_for_loss(float("inf"))) == "--target-loss: infinite value: 'inf'"


def test_save_into_a_missing_folder_is_an_output_error_naming_the_target(tmp_path):
    fit = scaleplan.fit(starts=2)
    target = tmp_path / "nodir" / "x.json"
    with pytest.raises(scaleplan.OutputError) as error:
        fit.save(target)
    assert str(error.value) == f"cannot write '{target}' (No such file or directory)"
    assert isinstance(error.value, scaleplan.Error)
    assert not (tmp_path / "nodir").exists()


# Every numeric keyword of the public functions, given each bad number: a scaleplan.Error (or, for a whole-number
# keyword, Python's own TypeError/ValueError of the conversion), never the library's internal error.
NUMERIC_CALLS = {
    "plan": (lambda v, k: scaleplan.plan(**({k: v} if k in ("compute", "params", "target_loss") else
                                             {"compute": 1e21, k: v})),
             ["compute", "params", "target_loss", "unique_tokens", "inference_tokens", "mfu", "price_per_hour",
              "max_days", "ci"]),
    "plan_cluster": (lambda v, k: scaleplan.plan(1e21, accelerator="H100-SXM", **{k: v}),
                     ["count", "mfu", "price_per_hour", "max_days", "global_batch_tokens", "peak_flops", "memory_bytes",
                      "intra_node_bandwidth", "inter_node_bandwidth", "inference_mfu", "inference_price_per_hour"]),
    "plan_tokens": (lambda v, k: scaleplan.plan(params=7e9, tokens=v), ["tokens"]),
    "sweep": (lambda v, k: scaleplan.sweep([1e21, v]), ["compute"]),
    "dictionary": (lambda v, k: scaleplan.dictionary(**({"d_model": 4096, k: v} if k != "d_model" else {k: v}),
                                                     **({} if k in ("compute", "gpu_hours", "target_loss", "latents")
                                                        else {"compute": 1e20})),
                   ["d_model", "compute", "gpu_hours", "target_loss", "latents", "k", "subject_params", "count",
                    "subject_layers_fraction", "mfu", "price", "batch_tokens"]),
    "fit": (lambda v, k: scaleplan.fit(starts=2, **{k: v}), ["ci", "delta", "budget_tolerance", "compute"]),
    "allocate": (lambda v, k: scaleplan.published_law("epoch").allocate(v), ["C"]),
    "least_compute_for_loss": (lambda v, k: scaleplan.published_law("epoch").least_compute_for_loss(v), ["loss"]),
    "validate": (lambda v, k: scaleplan.validate(holdout_above=v, starts=2), ["holdout_above"]),
}


@pytest.mark.parametrize("name", sorted(NUMERIC_CALLS))
def test_no_bad_number_reaches_an_internal_error(name):
    call, keywords = NUMERIC_CALLS[name]
    for keyword in keywords:
        for value in [-1.0, 0.0, float("nan"), float("inf"), -math.inf]:
            try:
                call(value, keyword)
            except scaleplan.Error as error:
                assert "internal error" not in str(error) and ".cc:" not in str(error), (keyword, value, str(error))
            except Exception as error:  # noqa: BLE001 - any other kind is the defect this test looks for
                pytest.fail(f"{name}({keyword}={value!r}) raised {type(error).__name__}: {error}")
