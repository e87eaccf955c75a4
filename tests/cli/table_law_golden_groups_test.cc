// Drives the real `scaleplan fit --law LAW --group-by COL --save-golden` and `check` with grouped goldens of the laws
// whose runs have a reader of their own (routing, moe): each group's golden against the golden `fit --filter COL=VALUE
// --save-golden` records and the one of a file holding only the group's rows, written here from
// data/clark2022_routing_runs.csv or from a law evaluated here; the check of the same runs, of one group's runs changed
// by a known factor, and of runs that miss a group or hold one the golden lacks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

// A path in the temporary directory with no file at it (the commands refuse nothing there).
std::string TempPath(const std::string& name) {
  const std::string path = testing::WriteTempFile(name, "");
  std::remove(path.c_str());
  return path;
}

nlohmann::json ReadJson(const std::string& path) { return nlohmann::json::parse(testing::ReadWholeFile(path)); }

// The line of check's table about the group `label` ("router_type=Hash"), its padding squeezed to one space:
// "router_type=Hash 51 runs ok: ...".
std::string GroupLine(const std::string& out, const std::string& label) {
  for (const std::string& line : testing::Lines(out)) {
    const size_t at = line.find("] " + label + " ");
    if (at == std::string::npos) continue;
    std::string squeezed;
    for (const char c : line.substr(at + 2)) {
      if (c != ' ' || squeezed.empty() || squeezed.back() != ' ') squeezed += c;
    }
    return squeezed;
  }
  return "";
}

// The rows of data/clark2022_routing_runs.csv that Clark et al.'s fitting code reads (routing frequency 0.5, k 1, seed
// 42: the bundled routing runs) and `keep(router)` keeps, with each kept row's loss_validation multiplied by
// `loss_factor(router)`, as a CSV file of their own.
template <typename Keep, typename Factor>
std::string ClarkRows(const std::string& name, const Keep& keep, const Factor& loss_factor) {
  std::ifstream in(testing::SourcePath("data/clark2022_routing_runs.csv"));
  std::string header_line;
  std::getline(in, header_line);
  const std::vector<std::string> header = testing::Split(header_line);
  const auto column = [&header](const std::string& column_name) {
    for (size_t k = 0; k < header.size(); ++k) {
      if (header[k] == column_name) return k;
    }
    ADD_FAILURE() << "no column " << column_name;
    return size_t{0};
  };
  std::string out = header_line + "\n";
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells = testing::Split(line);
    const std::string router = cells.at(column("router_type"));
    if (std::stod(cells.at(column("routing_frequency"))) != 0.5 || std::stod(cells.at(column("k"))) != 1 ||
        std::stod(cells.at(column("seed"))) != 42 || !keep(router)) {
      continue;
    }
    const double factor = loss_factor(router);
    if (factor != 1.0) {
      char loss[32];
      std::snprintf(loss, sizeof loss, "%.17g", std::stod(cells.at(column("loss_validation"))) * factor);
      cells.at(column("loss_validation")) = loss;
    }
    for (size_t k = 0; k < cells.size(); ++k) out += (k ? "," : "") + cells[k];
    out += "\n";
  }
  return testing::WriteTempFile(name, out);
}

const std::vector<std::string> kRouters = {"S-Base", "Hash", "RL-R"};  // in order of first appearance in the file

// The routed routers' runs of the bundled routing runs, grouped by router, recorded once for the tests below.
class RoutingGoldenGroups : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    golden_path_ = new std::string(TempPath("routing_groups_golden.json"));
    const Result r =
        RunScaleplan("fit --law routing --filter 'router_type!=Dense' --group-by router_type --save-golden " +
                     Quoted(*golden_path_));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    std::remove(golden_path_->c_str());
    delete golden_path_;
    golden_path_ = nullptr;
  }
  static std::string* golden_path_;
};

std::string* RoutingGoldenGroups::golden_path_ = nullptr;

// Each router's golden in the grouped file is, key for key, the golden `--filter router_type=R --save-golden` records
// (parameters, objective, hash, source and options), and its hash and parameters are those of a file holding only
// that router's rows.
TEST_F(RoutingGoldenGroups, EachGroupsGoldenIsItsFilteredGolden) {
  const nlohmann::json grouped = ReadJson(*golden_path_);
  EXPECT_EQ(grouped["schema_version"], 1);
  EXPECT_EQ(grouped["group_by"], nlohmann::json::array({"router_type"}));
  ASSERT_EQ(grouped["groups"].size(), kRouters.size());
  for (size_t g = 0; g < kRouters.size(); ++g) {
    const std::string& router = kRouters[g];
    SCOPED_TRACE(router);
    const nlohmann::json& group = grouped["groups"][g];
    EXPECT_EQ(group["group"], nlohmann::json({{"router_type", router}}));
    const std::string single_path = TempPath("routing_golden_" + router + ".json");
    const Result r =
        RunScaleplan("fit --law routing --filter router_type=" + router + " --save-golden " + Quoted(single_path));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json single = ReadJson(single_path);
    EXPECT_EQ(group["golden"], single);
    EXPECT_EQ(group["golden"]["parameters"].size(), 6u);  // the router's a, b, c, d, E_start, E_max alone
    EXPECT_TRUE(group["golden"]["parameters"].contains(router + ".d"));

    // The router's rows, counted and written from the data file by hand.
    const std::string own_path = ClarkRows(
        "routing_" + router + ".csv", [&router](const std::string& row_router) { return row_router == router; },
        [](const std::string&) { return 1.0; });
    const size_t own_rows = testing::Lines(testing::ReadWholeFile(own_path)).size() - 1;
    EXPECT_EQ(group["golden"]["data"]["num_runs"], own_rows);
    const std::string own_golden_path = TempPath("routing_golden_own_" + router + ".json");
    ASSERT_EQ(
        RunScaleplan("fit --law routing " + Quoted(own_path) + " --save-golden " + Quoted(own_golden_path)).exit_code,
        0);
    const nlohmann::json own = ReadJson(own_golden_path);
    EXPECT_EQ(group["golden"]["data"]["hash"], own["data"]["hash"]);
    for (const auto& [name, value] : own["parameters"].items()) {
      EXPECT_NEAR(group["golden"]["parameters"][name].get<double>(), value.get<double>(),
                  1e-6 * std::abs(value.get<double>()))
          << name;
    }
    std::remove(single_path.c_str());
    std::remove(own_golden_path.c_str());
  }
}

// The Dense group alone cannot identify the routing law's expert terms: a grouped golden of every router is refused
// naming it, and no file is written.
TEST_F(RoutingGoldenGroups, AGroupWithNoFitToRecordIsNamedAndNothingIsWritten) {
  const std::string path = TempPath("routing_groups_dense.json");
  const Result r = RunScaleplan("fit --law routing --group-by router_type --save-golden " + Quoted(path));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("--save-golden: group router_type=Dense has no routing fit to record"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("no routed runs"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(std::ifstream(path).good());
}

// The runs it was recorded from hold, read from the bundled runs or from a file of the same rows; the grouping may be
// named if it is the golden's.
TEST_F(RoutingGoldenGroups, TheSameRunsPassTheirCheck) {
  const std::string selection = " --filter 'router_type!=Dense' --golden " + Quoted(*golden_path_);
  const Result r = RunScaleplan("check" + selection + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json check = nlohmann::json::parse(r.out);
  ASSERT_EQ(check["groups"].size(), kRouters.size());
  for (size_t g = 0; g < kRouters.size(); ++g) {
    SCOPED_TRACE(kRouters[g]);
    EXPECT_EQ(check["groups"][g]["group"]["router_type"], kRouters[g]);
    EXPECT_EQ(check["groups"][g]["status"], "ok");
    EXPECT_EQ(check["groups"][g]["law"], "routing");
    EXPECT_EQ(check["groups"][g]["data"]["hash_matches"], true);
    EXPECT_EQ(check["groups"][g]["num_checked"], 7);  // six coefficients and the objective
  }
  EXPECT_EQ(check["num_drifted_groups"], 0);

  const Result table = RunScaleplan("check" + selection + " --group-by router_type");
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("one golden per group of router_type"), std::string::npos) << table.out;
  EXPECT_EQ(GroupLine(table.out, "router_type=RL-R"), "router_type=RL-R 54 runs ok: all 7 checked quantities hold")
      << table.out;

  const std::string routed = ClarkRows(
      "routing_routed.csv", [](const std::string& router) { return router != "Dense"; },
      [](const std::string&) { return 1.0; });
  EXPECT_EQ(RunScaleplan("check " + Quoted(routed) + " --golden " + Quoted(*golden_path_)).exit_code, 0);
  // A routing golden has no U column to name.
  const Result u_col = RunScaleplan("check" + selection + " --u-col U");
  EXPECT_EQ(u_col.exit_code, 2);
  EXPECT_NE(u_col.err.find("--u-col goes with a data-constrained golden"), std::string::npos) << u_col.err;
}

// RL-R's losses 1% higher: that group alone drifts, in its intercept d alone, by log10(1.01) (the law is linear in
// log10 L with intercept d, so scaling every loss moves d by exactly that and the optimum nowhere else); exit 1.
TEST_F(RoutingGoldenGroups, OneRoutersChangedLossesDriftInThatGroupAlone) {
  const std::string scaled = ClarkRows(
      "routing_rlr_scaled.csv", [](const std::string& router) { return router != "Dense"; },
      [](const std::string& router) { return router == "RL-R" ? 1.01 : 1.0; });
  const Result r = RunScaleplan("check " + Quoted(scaled) + " --golden " + Quoted(*golden_path_) + " --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("1 of 3 groups drifted"), std::string::npos) << r.err;
  const nlohmann::json check = nlohmann::json::parse(r.out);
  ASSERT_EQ(check["groups"].size(), 3u);
  EXPECT_EQ(check["num_drifted_groups"], 1);
  EXPECT_EQ(check["groups"][0]["status"], "ok");
  EXPECT_EQ(check["groups"][1]["status"], "ok");
  const nlohmann::json& rlr = check["groups"][2];
  EXPECT_EQ(rlr["group"]["router_type"], "RL-R");
  EXPECT_EQ(rlr["status"], "drift");
  EXPECT_EQ(rlr["data"]["hash_matches"], false);
  EXPECT_EQ(rlr["num_failed"], 1);
  int found = 0;
  for (const nlohmann::json& quantity : rlr["checks"]) {
    if (quantity["quantity"] != "RL-R.d") continue;
    ++found;
    EXPECT_EQ(quantity["verdict"], "DRIFT");
    EXPECT_NEAR(quantity["now"].get<double>() - quantity["golden"].get<double>(), std::log10(1.01), 1e-6);
  }
  EXPECT_EQ(found, 1);

  const Result table = RunScaleplan("check " + Quoted(scaled) + " --golden " + Quoted(*golden_path_));
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_EQ(GroupLine(table.out, "router_type=RL-R"),
            "router_type=RL-R 54 runs DRIFT: 1 of 6 drifted: RL-R.d 1.12031 -> 1.12463 (+3.86e-03) (1 skipped)")
      << table.out;
  EXPECT_EQ(GroupLine(table.out, "router_type=Hash"), "router_type=Hash 51 runs ok: all 7 checked quantities hold")
      << table.out;
}

// A router the runs no longer hold, or one the golden does not record (the Dense runs, left in), is drift: exit 1.
TEST_F(RoutingGoldenGroups, AMissingOrExtraGroupIsDrift) {
  const Result missing = RunScaleplan("check --filter 'router_type!=Dense' --filter 'router_type!=Hash' --golden " +
                                      Quoted(*golden_path_) + " --format json");
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  const nlohmann::json without_hash = nlohmann::json::parse(missing.out);
  ASSERT_EQ(without_hash["groups"].size(), 3u);
  EXPECT_EQ(without_hash["groups"][1]["group"]["router_type"], "Hash");
  EXPECT_EQ(without_hash["groups"][1]["status"], "missing from the runs");
  EXPECT_EQ(without_hash["groups"][0]["status"], "ok");
  EXPECT_EQ(without_hash["groups"][2]["status"], "ok");

  const Result extra = RunScaleplan("check --golden " + Quoted(*golden_path_));
  EXPECT_EQ(extra.exit_code, 1) << extra.err;
  EXPECT_EQ(GroupLine(extra.out, "router_type=Dense"),
            "router_type=Dense 5 runs DRIFT: a group the golden does not record")
      << extra.out;
}

// Every group of a routing golden is read by the routing reader: a Kaplan golden among them is refused as bad input,
// naming the group.
TEST_F(RoutingGoldenGroups, AGroupedGoldenOfALawWithItsOwnReaderHoldsThatLawAlone) {
  const std::string kaplan_path = TempPath("kaplan_golden_for_groups.json");
  ASSERT_EQ(RunScaleplan("fit " + Quoted(testing::SourcePath("data/chinchilla_runs.csv")) +
                         " --law kaplan --save-golden " + Quoted(kaplan_path))
                .exit_code,
            0);
  nlohmann::json mixed = ReadJson(*golden_path_);
  mixed["groups"][1]["golden"] = ReadJson(kaplan_path);
  const std::string mixed_path = testing::WriteTempFile("routing_kaplan_groups.json", mixed.dump());
  const Result r = RunScaleplan("check --filter 'router_type!=Dense' --golden " + Quoted(mixed_path));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("key 'groups[1].golden.law': a kaplan golden among routing goldens"), std::string::npos)
      << r.err;
  std::remove(kaplan_path.c_str());
}

// A law read from a file: two families of MoE runs, each from Krajewski et al.'s form with its own coefficients. Each
// family's golden is its filtered golden and the golden of its hand-split file; the check of the same file holds.
TEST(TableLawGoldenGroups, GroupedMoeGoldenIsEachFamilysOwnAndHolds) {
  const std::string header = "family,total_params,tokens,granularity,loss\n";
  std::string both = header;
  std::string b_only = header;
  int k = 0;
  for (const std::string family : {"a", "b"}) {
    const double scale = family == "a" ? 1.0 : 1.3;
    for (double n : {1e8, 3e8, 1e9, 3e9}) {
      for (double d : {3e9, 1e10, 3e10, 1e11}) {
        for (double g : {1.0, 2.0, 4.0, 8.0}) {
          const double law =
              0.47 + (2.1 * scale / std::pow(g, 0.58) + 18.1) / std::pow(n, 0.115) + 30.8 * scale / std::pow(d, 0.147);
          char line[160];
          std::snprintf(line, sizeof line, "%s,%.17g,%.17g,%g,%.17g\n", family.c_str(), n, d, g,
                        law * (1.0 + 0.004 * std::sin(1.3 * ++k)));
          both += line;
          if (family == "b") b_only += line;
        }
      }
    }
  }
  const std::string both_path = testing::WriteTempFile("moe_golden_both.csv", both);
  const std::string b_path = testing::WriteTempFile("moe_golden_b.csv", b_only);
  const std::string golden_path = TempPath("moe_groups_golden.json");
  Result r =
      RunScaleplan("fit --law moe " + Quoted(both_path) + " --group-by family --save-golden " + Quoted(golden_path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json grouped = ReadJson(golden_path);
  ASSERT_EQ(grouped["groups"].size(), 2u);
  const std::string filtered_path = TempPath("moe_golden_filtered_b.json");
  ASSERT_EQ(
      RunScaleplan("fit --law moe " + Quoted(both_path) + " --filter family=b --save-golden " + Quoted(filtered_path))
          .exit_code,
      0);
  EXPECT_EQ(grouped["groups"][1]["group"], nlohmann::json({{"family", "b"}}));
  EXPECT_EQ(grouped["groups"][1]["golden"], ReadJson(filtered_path));
  const std::string own_path = TempPath("moe_golden_own_b.json");
  ASSERT_EQ(RunScaleplan("fit --law moe " + Quoted(b_path) + " --save-golden " + Quoted(own_path)).exit_code, 0);
  const nlohmann::json own = ReadJson(own_path);
  EXPECT_EQ(grouped["groups"][1]["golden"]["data"]["hash"], own["data"]["hash"]);
  EXPECT_EQ(grouped["groups"][1]["golden"]["parameters"], own["parameters"]);
  EXPECT_EQ(grouped["groups"][1]["golden"]["data"]["num_runs"], 64);

  r = RunScaleplan("check " + Quoted(both_path) + " --golden " + Quoted(golden_path));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(GroupLine(r.out, "family=a"), "family=a 64 runs ok: all 8 checked quantities hold") << r.out;
  EXPECT_EQ(GroupLine(r.out, "family=b"), "family=b 64 runs ok: all 8 checked quantities hold") << r.out;
  // The golden was recorded from a file: the runs must be named.
  r = RunScaleplan("check --golden " + Quoted(golden_path));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("name the runs to check"), std::string::npos) << r.err;

  // Families named 1000 and 1e3 are two groups as text, but --filter family=1000 keeps both as numbers: a group is
  // what its filter keeps, so neither can be fitted or recorded alone.
  std::string numeric = header;
  for (const std::string& line : testing::Lines(both)) {
    if (line.rfind("a,", 0) == 0) numeric += "1000" + line.substr(1) + "\n";
    if (line.rfind("b,", 0) == 0) numeric += "1e3" + line.substr(1) + "\n";
  }
  const std::string numeric_path = testing::WriteTempFile("moe_golden_numeric.csv", numeric);
  r = RunScaleplan("fit --law moe " + Quoted(numeric_path) + " --group-by family --save-golden " +
                   Quoted(TempPath("moe_numeric_golden.json")));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("group family=1000 holds 64 runs but --filter family=1000 keeps 128"), std::string::npos)
      << r.err;
  for (const std::string& path : {golden_path, filtered_path, own_path}) std::remove(path.c_str());
}

// `dictionary --runs --group-by` and `fit --law hyperparams --group-by`: each group's coefficients are those of the
// filtered fit, and each grouped golden holds on its own runs. The dictionary runs are the generated ones twice, the
// second copy's losses 2% higher (its alpha and zeta shift by ln 1.02, B by 2%); the sweeps are two noise-free families
// of B* = k_B C^0.3, lr* = k_lr C^-0.15 (k_B 0.5 and 0.8, k_lr 0.6 and 0.4), which the fit recovers.
TEST(TableLawGroups, DictionaryAndHyperparameterRunsGroupAsTheirFilters) {
  std::string dictionary;
  int row = 0;
  for (const char* family : {"a", "b"}) {
    for (const std::string& line : testing::Lines(testing::ReadWholeFile(
             testing::SourcePath("data/dictionary_runs_generated.csv")))) {
      if (line.empty() || line[0] == '#') continue;
      if (line.rfind("n,", 0) == 0) {
        if (row++ == 0) dictionary += line + ",family\n";
        continue;
      }
      const size_t at = line.rfind(',');
      const double loss = std::stod(line.substr(at + 1)) * (family[0] == 'a' ? 1.0 : 1.02);
      char cell[64];
      std::snprintf(cell, sizeof cell, "%.17g", loss);
      dictionary += line.substr(0, at + 1) + cell + "," + family + "\n";
    }
  }
  const std::string dictionary_path = testing::WriteTempFile("dictionary_families.csv", dictionary);
  const std::string dictionary_golden = TempPath("dictionary_families_golden.json");
  Result r = RunScaleplan("dictionary --runs " + Quoted(dictionary_path) + " --group-by family --format json " +
                          "--save-golden " + Quoted(dictionary_golden));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json grouped = nlohmann::json::parse(r.out);
  ASSERT_EQ(grouped["groups"].size(), 2u);
  for (const nlohmann::json& group : grouped["groups"]) {
    const std::string family = group["group"]["family"];
    const Result own = RunScaleplan("dictionary --runs " + Quoted(dictionary_path) + " --filter family=" + family +
                                    " --format json");
    ASSERT_EQ(own.exit_code, 0) << own.err;
    const nlohmann::json law = nlohmann::json::parse(own.out)["fit"]["converged_law"];
    for (const char* key : {"alpha", "beta_k", "beta_n", "gamma", "zeta", "eta"}) {
      EXPECT_EQ(group["parameters"][key], law[key]) << family << " " << key;
    }
  }
  EXPECT_NEAR(grouped["groups"][1]["parameters"]["zeta"].get<double>() -
                  grouped["groups"][0]["parameters"]["zeta"].get<double>(),
              std::log(1.02), 1e-6);
  r = RunScaleplan("check " + Quoted(dictionary_path) + " --golden " + Quoted(dictionary_golden));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  std::string sweep = "family,compute,batch_tokens,learning_rate,loss\n";
  for (const auto& [family, k_batch, k_lr] : {std::tuple{"a", 0.5, 0.6}, std::tuple{"b", 0.8, 0.4}}) {
    for (const double compute : {1e18, 1e19, 1e20}) {
      for (int i = -1; i <= 1; ++i) {
        for (int j = -1; j <= 1; ++j) {
          const double x = i * std::log(2.0), y = j * std::log(2.0);
          char line[256];
          std::snprintf(line, sizeof line, "%s,%.17g,%.17g,%.17g,%.17g\n", family, compute,
                        k_batch * std::pow(compute, 0.3) * std::pow(2.0, i),
                        k_lr * std::pow(compute, -0.15) * std::pow(2.0, j), 3.0 * (1 + 0.01 * (x * x + y * y)));
          sweep += line;
        }
      }
    }
  }
  const std::string sweep_path = testing::WriteTempFile("hyperparams_families.csv", sweep);
  const std::string sweep_golden = TempPath("hyperparams_families_golden.json");
  r = RunScaleplan("fit --law hyperparams " + Quoted(sweep_path) + " --group-by family --format json --save-golden " +
                   Quoted(sweep_golden));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json sweeps = nlohmann::json::parse(r.out);
  ASSERT_EQ(sweeps["groups"].size(), 2u);
  EXPECT_NEAR(sweeps["groups"][0]["parameters"]["batch_coefficient"].get<double>(), 0.5, 1e-9);
  EXPECT_NEAR(sweeps["groups"][1]["parameters"]["batch_coefficient"].get<double>(), 0.8, 1e-9);
  EXPECT_NEAR(sweeps["groups"][1]["parameters"]["lr_coefficient"].get<double>(), 0.4, 1e-9);
  EXPECT_NEAR(sweeps["groups"][1]["parameters"]["lr_exponent"].get<double>(), -0.15, 1e-9);
  r = RunScaleplan("check " + Quoted(sweep_path) + " --golden " + Quoted(sweep_golden));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const std::string& path : {dictionary_golden, sweep_golden}) std::remove(path.c_str());
}

}  // namespace
}  // namespace scaleplan
