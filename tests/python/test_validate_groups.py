"""validate(group_by=...): the dict `scaleplan validate --group-by COL --format json` prints (both call
fitting/law_validation.h's grouped validation), each group's validation that of the group selected by hand, and the
command line's errors."""

import pytest

import scaleplan


@pytest.fixture(scope="module")
def sourced_runs(all_runs, tmp_path_factory):
    """The bundled Chinchilla runs with a source column: alternate rows from sources a and b."""
    runs = all_runs.copy()
    runs["source"] = ["a" if i % 2 == 0 else "b" for i in range(len(runs))]
    path = tmp_path_factory.mktemp("groups") / "sourced.csv"
    runs.to_csv(path, index=False)
    return path


def without(entry, *keys):
    return {key: value for key, value in entry.items() if key not in keys}


def test_chinchilla_groups_give_the_cli_json_and_each_group_alone(sourced_runs, cli_json):
    expected = cli_json("validate", sourced_runs, "--group-by", "source", "--holdout-above", "1e20", "--format", "json")
    got = scaleplan.validate(str(sourced_runs), holdout_above=1e20, group_by="source")
    assert got == expected
    assert got["group_by"] == ["source"] and got["law"] == "chinchilla" and got["mode"] == "holdout"
    assert [group["group"] for group in got["groups"]] == [{"source": "a"}, {"source": "b"}]
    assert [group["num_runs"] for group in got["groups"]] == [123, 122]
    # Each group's validation is that of its runs picked by a filter (only the data notes differ: the filter's).
    for group in got["groups"]:
        alone = scaleplan.validate(str(sourced_runs), holdout_above=1e20, filter=f"source={group['group']['source']}")
        assert without(group, "group", "num_runs", "data") == without(alone, "data")
        assert group["data"]["num_runs"] == alone["data"]["num_runs"] == group["num_runs"]


def test_routing_bundled_groups_give_the_cli_json(cli_json):
    expected = cli_json("validate", "--law", "routing", "--holdout-above", "1e20", "--group-by", "router_type",
                        "--format", "json")
    got = scaleplan.validate(law="routing", holdout_above=1e20, group_by="router_type")
    assert got == expected
    routers = [group["group"]["router_type"] for group in got["groups"]]
    assert routers == ["Dense", "S-Base", "Hash", "RL-R"]  # in order of first appearance in the file
    # The 5 dense runs alone have no routed run to fit: a verdict saying so, the others validated (each router
    # without the Dense runs, as the note says).
    dense = got["groups"][0]
    assert dense["usable"] is False and "a routing fit needs routed runs" in dense["status"]
    assert any("without the Dense runs" in note for note in got["notes"])
    for group in got["groups"][1:]:
        router = group["group"]["router_type"]
        alone = scaleplan.validate(law="routing", holdout_above=1e20, filter=f"router_type={router}")
        assert without(group, "group", "num_runs", "data") == without(alone, "data")


@pytest.mark.parametrize("law,mode", [("isoflop", dict(leave_one_budget_out=True)),
                                      ("kaplan", dict(holdout_above=1e20))])
def test_isoflop_and_kaplan_groups_give_the_cli_json(law, mode, sourced_runs, cli_json):
    cli_mode = ["--leave-one-budget-out"] if "leave_one_budget_out" in mode else ["--holdout-above", "1e20"]
    expected = cli_json("validate", sourced_runs, "--law", law, "--group-by", "source", *cli_mode, "--format", "json")
    got = scaleplan.validate(sourced_runs, law=law, group_by=["source"], **mode)
    assert got == expected
    assert len(got["groups"]) == 2 and all("folds" in group for group in got["groups"])


def test_grouped_validation_errors(sourced_runs, cli, tmp_path):
    # No group has a run above the threshold: the command line exits 3, the module raises InputError.
    assert cli("validate", sourced_runs, "--group-by", "source", "--holdout-above", "1e30").returncode == 3
    with pytest.raises(scaleplan.InputError, match="no group could be validated; source=a: .*no run lies above"):
        scaleplan.validate(sourced_runs, holdout_above=1e30, group_by="source")
    with pytest.raises(scaleplan.InputError, match="no column named 'nope' \\(from --group-by\\)"):
        scaleplan.validate(sourced_runs, holdout_above=1e20, group_by="nope")
    with pytest.raises(scaleplan.UsageError, match="law='frantar2023-t5' takes no group_by"):
        scaleplan.validate(law="frantar2023-t5", group_by="sparsity")
    sweep = tmp_path / "sweep.csv"
    sweep.write_text("compute,batch_tokens,learning_rate,loss\n1e18,1e6,1e-3,3.0\n")
    with pytest.raises(scaleplan.UsageError, match="law='hyperparams' takes no group_by"):
        scaleplan.validate(sweep, law="hyperparams", holdout_above=1e20, group_by="compute")
