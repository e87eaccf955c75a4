"""scaleplan.fit against the command line: the same runs give the same JSON, number for number."""

import json
import os
import stat
import threading
import time

import numpy as np
import pytest

import scaleplan


def test_dataframe_of_the_bundled_runs_gives_the_cli_fit(selected_runs, cli_json):
    # The DataFrame holds the bundled runs as pandas read them; the CLI fits its compiled-in copy. The same 240 runs in
    # the same order give the same optimum to the last digit; only the source's name and the CLI's note on its own
    # selection differ.
    expected = cli_json("fit", "--format", "json")
    got = scaleplan.fit(selected_runs).to_dict()
    assert got["objective"] == expected["objective"]
    assert got["data"]["hash"] == expected["data"]["hash"]
    assert got["data"]["source"] == "<DataFrame>"
    assert got["data"]["notes"] == expected["data"]["notes"][:1]  # "no tokens column: D = C / (6 N) ..."
    for d in (got, expected):
        del d["data"]["source"], d["data"]["notes"]
    assert got == expected


def test_published_epoch_optimum(selected_runs):
    # Besiroglu et al. 2024 (Table 1) refit Approach 3 to these runs: E 1.82, A 482, B 2085, alpha 0.3478, beta 0.3658.
    fit = scaleplan.fit(selected_runs)
    assert fit.E == pytest.approx(1.82, abs=0.01)
    assert fit.alpha == pytest.approx(0.3478, abs=0.002)
    assert fit.beta == pytest.approx(0.3658, abs=0.002)
    assert fit.A == pytest.approx(482, rel=0.02)
    assert fit.B == pytest.approx(2085, rel=0.05)


def test_csv_path_and_dict_give_the_cli_json_byte_for_byte(all_runs, tmp_path, cli):
    path = tmp_path / "runs.csv"
    all_runs.to_csv(path, index=False)
    args = ["--bootstrap=20", "--seed", "3", "--compute", "1e21,1e24", "--filter", "Model Size<5e9"]
    result = cli("fit", path, "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    fit = scaleplan.fit(str(path), bootstrap=20, seed=3, compute=[1e21, 1e24], filter="Model Size<5e9")
    assert fit.to_json() + "\n" == result.stdout
    assert fit.intervals["alpha"][0] < fit.alpha < fit.intervals["alpha"][1]

    as_dict = {name: all_runs[name].to_numpy() for name in all_runs.columns}
    from_dict = scaleplan.fit(as_dict, bootstrap=20, seed=3, compute=[1e21, 1e24], filter="Model Size<5e9").to_dict()
    expected = json.loads(result.stdout)
    assert from_dict["data"]["source"] == "<dict>"
    from_dict["data"]["source"] = expected["data"]["source"]
    assert from_dict == expected


@pytest.mark.parametrize("law", ["kaplan", "isoflop"])
def test_other_laws_give_the_cli_json(law, cli_json):
    expected = cli_json("fit", "--law", law, "--format", "json")
    assert scaleplan.fit(None, law).to_dict() == expected


def test_a_kaplan_bootstrap_and_budgets_give_the_cli_json(cli):
    # Both front ends assemble the fit with fitting/law_fits.h: intervals, diagnostics and the warning at a budget
    # beyond the runs (1e25 FLOPs, about 800x the largest bundled run) come out byte for byte the same.
    result = cli("fit", "--law", "kaplan", "--bootstrap", "20", "--seed", "5", "--compute", "1e25", "--format", "json")
    assert result.returncode == 0, result.stderr
    fit = scaleplan.fit(None, "kaplan", bootstrap=20, seed=5, compute=1e25)
    assert fit.to_json() + "\n" == result.stdout
    assert set(fit.intervals) == {"N_c", "D_c", "alpha_N", "alpha_D", "exponent_params", "exponent_tokens"}
    assert fit.intervals["alpha_N"][0] <= fit.alpha_N <= fit.intervals["alpha_N"][1]
    assert any(w.startswith("at 1.00e+25 FLOPs: extrapolates") for w in fit.warnings)


def test_group_by_fits_each_group(all_runs, cli_json, tmp_path):
    runs = all_runs.assign(size=np.where(all_runs["Model Size"] < 1e9, "small", "large"))
    path = tmp_path / "runs.csv"
    runs.to_csv(path, index=False)
    expected = cli_json("fit", path, "--group-by", "size", "--format", "json")
    fits = scaleplan.fit(runs, group_by="size")
    assert list(fits) == [("small",), ("large",)] or list(fits) == [("large",), ("small",)]
    for group in expected["groups"]:
        got = fits[(group["group"]["size"],)].to_dict()
        assert got["objective"] == group["objective"]
        assert got["data"]["hash"] == group["data"]["hash"]


@pytest.mark.parametrize("law", ["chinchilla", "kaplan"])
def test_group_by_with_budgets_warns_as_the_cli(all_runs, cli_json, tmp_path, law):
    # 1e25 FLOPs lies far beyond both groups' runs. fit --group-by lists each group's allocation there without an
    # extrapolation warning (fitting/law_fits.h WarnsBeyondFittedRuns); the module's groups say the same, while the
    # same budget without group_by is warned about.
    runs = all_runs.assign(size=np.where(all_runs["Model Size"] < 1e9, "small", "large"))
    path = tmp_path / "runs.csv"
    runs.to_csv(path, index=False)
    expected = cli_json("fit", path, "--law", law, "--group-by", "size", "--compute", "1e21,1e25", "--format", "json")
    fits = scaleplan.fit(runs, law, group_by="size", compute=[1e21, 1e25], source=str(path))
    assert len(expected["groups"]) == len(fits) == 2
    for group in expected["groups"]:
        key = (group.pop("group")["size"],)
        assert group.pop("num_runs") == len(fits[key].runs)
        assert fits[key].to_dict() == group
        assert not any("extrapolates" in w for w in fits[key].warnings)
        assert [a["compute_flops"] for a in group["allocations"]] == [1e21, 1e25]
    ungrouped = scaleplan.fit(runs, law, compute=1e25)
    assert any(w.startswith("at 1.00e+25 FLOPs: extrapolates") for w in ungrouped.warnings)


def test_predict_is_the_closed_form(selected_runs):
    fit = scaleplan.fit(selected_runs)
    rng = np.random.default_rng(7)
    n = 10 ** rng.uniform(7, 12, size=(3, 1))
    d = 10 ** rng.uniform(9, 13, size=4)
    expected = fit.E + fit.A / n**fit.alpha + fit.B / d**fit.beta
    got = fit.predict(n, d)
    assert got.shape == (3, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert fit.predict(1e9, 2e10) == pytest.approx(fit.E + fit.A / 1e9**fit.alpha + fit.B / 2e10**fit.beta, rel=1e-13)


def test_allocate_is_the_closed_form(selected_runs):
    # Hoffmann et al. eq. 4: G = (alpha A / (beta B))^(1/(alpha+beta)), N_opt = G (C/6)^a, D_opt = (C/6)^b / G.
    fit = scaleplan.fit(selected_runs)
    c = 5.76e23
    g = (fit.alpha * fit.A / (fit.beta * fit.B)) ** (1 / (fit.alpha + fit.beta))
    a = fit.beta / (fit.alpha + fit.beta)
    allocation = fit.allocate(c)
    assert allocation["num_params"] == pytest.approx(g * (c / 6) ** a, rel=1e-12)
    assert 6 * allocation["num_params"] * allocation["num_tokens"] == pytest.approx(c, rel=1e-12)
    assert allocation == pytest.approx(fit.to_dict()["allocations"][0] | {"loss": allocation["loss"]}, rel=1e-15)
    table = fit.allocate([1e21, 1e23])
    assert list(table["compute_flops"]) == [1e21, 1e23]


def test_fits_release_the_gil(selected_runs):
    # Two single-threaded fits in two Python threads, while this thread ticks (records the time in a pure-Python
    # loop). Each fit records when it started and ended. The fits overlap in time, and the ticker never stalls for
    # long while they run: a fit that held the GIL would stop every other Python thread for its whole length (the
    # second fit could not begin, the ticker would pause), which is what the largest gap between ticks measures. No
    # progress callback: calling into Python would hand the GIL around even if the fit held it.
    barrier = threading.Barrier(3)
    spans = {}

    def work(name):
        barrier.wait()
        start = time.monotonic()
        scaleplan.fit(selected_runs, threads=1, starts=512)
        spans[name] = (start, time.monotonic())

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    barrier.wait()
    ticks = []
    while any(thread.is_alive() for thread in threads):
        ticks.append(time.monotonic())
    for thread in threads:
        thread.join()
    (a_start, a_end), (b_start, b_end) = spans["a"], spans["b"]
    assert a_start < b_end and b_start < a_end, spans
    shortest = min(a_end - a_start, b_end - b_start)
    inside = [t for t in ticks if min(a_start, b_start) <= t <= max(a_end, b_end)]
    largest_gap = max(later - earlier for earlier, later in zip(inside, inside[1:]))
    assert largest_gap < 0.5 * shortest, (largest_gap, shortest)


def test_progress_reports_every_start_and_its_errors_surface(selected_runs):
    calls = []
    scaleplan.fit(selected_runs, starts=16, progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert calls[-1] == ("fit", 16, 16)

    def fail(stage, done, total):
        raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        scaleplan.fit(selected_runs, progress=fail)


def test_save_is_read_by_cli_plan_and_cli_out_is_read_by_load_fit(all_runs, tmp_path, cli, cli_json):
    path = tmp_path / "runs.csv"
    all_runs.to_csv(path, index=False)
    fit = scaleplan.fit(str(path))
    saved = tmp_path / "python_fit.json"
    fit.save(saved)
    cli_out = tmp_path / "cli_fit.json"
    cli_json("fit", path, "--out", cli_out, "--format", "json")
    assert saved.read_bytes() == cli_out.read_bytes()  # the CLI's own --out file, byte for byte
    # and with the CLI's permissions (a new file's, under the umask), not the temporary file's 0600
    assert stat.S_IMODE(saved.stat().st_mode) == stat.S_IMODE(cli_out.stat().st_mode)

    plan = cli_json("plan", "--fit", saved, "--compute", "1e23", "--format", "json")
    assert {k: plan["law"][k] for k in ("E", "A", "B", "alpha", "beta")} == fit.parameters
    assert plan["num_params"] == fit.allocate(1e23)["num_params"]
    assert plan["num_tokens"] == fit.allocate(1e23)["num_tokens"]

    loaded = scaleplan.load_fit(cli_out)
    assert loaded.to_dict() == fit.to_dict()
    assert loaded.law.alpha == fit.alpha
    np.testing.assert_array_equal(loaded.predict([1e9, 1e10], [1e11, 1e12]), fit.predict([1e9, 1e10], [1e11, 1e12]))


def test_named_columns_are_the_cli_column_options(all_runs, tmp_path, cli_json):
    runs = all_runs.rename(columns={"Model Size": "params_total", "Training FLOP": "flops_total", "loss": "val"})
    path = tmp_path / "renamed.csv"
    runs.to_csv(path, index=False)
    expected = cli_json("fit", path, "--n-col", "params_total", "--c-col", "flops_total", "--loss-col", "val",
                        "--format", "json")
    got = scaleplan.fit(runs, n="params_total", c="flops_total", loss="val").to_dict()
    assert got["objective"] == expected["objective"] and got["data"]["hash"] == expected["data"]["hash"]
    with pytest.raises(scaleplan.InputError, match="missing column for N"):
        scaleplan.fit(runs)  # no alias of N among the headers
