// Drives the real `scaleplan fit` and `validate` with the run selection (--filter, --group-by) on the laws with runs
// readers of their own (routing, MoE, sparse, data-constrained): each selected or grouped result against the same
// command run on a file holding only those rows, written here by hand from the bundled data files or from a law
// evaluated here, or against the command filtered to the group's runs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

nlohmann::json Json(const std::string& args, int exit_code = 0) {
  const Result r = RunScaleplan(args + " --format json");
  EXPECT_EQ(r.exit_code, exit_code) << args << "\n" << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

// The header and the rows of a bundled data file for which `keep` (given the row's comma-separated cells, by header
// name) holds, as a CSV file of their own.
template <typename Keep>
std::string BundledRows(const std::string& name, const Keep& keep) {
  std::ifstream in(std::string(SCALEPLAN_SOURCE_DIR) + "/data/" + name);
  std::string header_line;
  std::getline(in, header_line);
  const std::vector<std::string> header = testing::Split(header_line);
  std::string out = header_line + "\n";
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = testing::Split(line);
    const auto cell = [&](const std::string& column) {
      for (size_t k = 0; k < header.size(); ++k) {
        if (header[k] == column) return cells.at(k);
      }
      ADD_FAILURE() << name << " has no column " << column;
      return std::string();
    };
    if (keep(cell)) out += line + "\n";
  }
  return out;
}

// The runs Clark et al.'s fitting code reads (the bundled routing runs) of one router, as a file of their own.
std::string ClarkRouterFile(const std::string& router) {
  return testing::WriteTempFile("clark_" + router + ".csv",
                                BundledRows("clark2022_routing_runs.csv", [&router](const auto& cell) {
                                  return cell("router_type") == router && std::stod(cell("routing_frequency")) == 0.5 &&
                                         std::stod(cell("k")) == 1 && std::stod(cell("seed")) == 42;
                                }));
}

TEST(TableLawSelection, GroupedRoutingValidationEqualsEachRouterFilteredAndFromItsOwnFile) {
  const nlohmann::json grouped = Json("validate --law routing --holdout-above 1e20 --group-by router_type");
  ASSERT_TRUE(grouped.is_object());
  EXPECT_EQ(grouped["law"], "routing");
  EXPECT_EQ(grouped["group_by"], nlohmann::json::array({"router_type"}));
  ASSERT_EQ(grouped["groups"].size(), 4u);  // Dense, S-Base, Hash, RL-R in order of first appearance
  // The 5 Dense runs alone: no routed run to fit, however many there were; the others print.
  EXPECT_EQ(grouped["groups"][0]["group"]["router_type"], "Dense");
  EXPECT_EQ(grouped["groups"][0]["num_runs"], 5);
  EXPECT_EQ(grouped["groups"][0]["usable"], false);
  EXPECT_NE(grouped["groups"][0]["status"].get<std::string>().find("a routing fit needs routed runs"),
            std::string::npos);
  const std::vector<std::pair<std::string, int>> routers = {{"S-Base", 53}, {"Hash", 51}, {"RL-R", 54}};
  for (size_t g = 0; g < routers.size(); ++g) {
    const auto& [router, num_runs] = routers[g];
    SCOPED_TRACE(router);
    const nlohmann::json& group = grouped["groups"][g + 1];
    EXPECT_EQ(group["group"]["router_type"], router);
    EXPECT_EQ(group["num_runs"], num_runs);
    const nlohmann::json filtered = Json("validate --law routing --holdout-above 1e20 --filter router_type=" + router);
    EXPECT_EQ(filtered["data"]["num_runs"], num_runs);
    ASSERT_EQ(filtered["folds"].size(), 1u);
    EXPECT_TRUE(filtered["folds"][0]["usable"].get<bool>());
    EXPECT_EQ(group["folds"], filtered["folds"]);
    // The filter keeps exactly the rows a file of that router's runs holds.
    const nlohmann::json own =
        Json("validate --law routing " + Quoted(ClarkRouterFile(router)) + " --holdout-above 1e20");
    EXPECT_EQ(own["data"]["num_runs"], num_runs);
    EXPECT_EQ(own["data"]["hash"], filtered["data"]["hash"]);
    EXPECT_EQ(own["folds"], filtered["folds"]);
  }
}

TEST(TableLawSelection, FilteredRoutingFitEqualsTheFitOfItsOwnFile) {
  const nlohmann::json filtered = Json("fit --law routing --filter router_type=Hash");
  const nlohmann::json own = Json("fit --law routing " + Quoted(ClarkRouterFile("Hash")));
  ASSERT_TRUE(filtered.is_object());
  ASSERT_TRUE(own.is_object());
  // One router fitted, with the same coefficients and objective, whichever way its runs were picked.
  ASSERT_EQ(filtered["routers"].size(), 1u);
  EXPECT_EQ(filtered["routers"][0]["router"], "Hash");
  EXPECT_EQ(filtered["routers"][0]["num_runs"], 51);
  EXPECT_EQ(filtered["routers"], own["routers"]);
}

TEST(TableLawSelection, FilteredBundledSparseRunsFitAsAFileOfThoseRows) {
  // The T5 runs of the four smallest scales (30 runs at 4 sparsities), picked by --filter and written by hand.
  const std::string path = testing::WriteTempFile(
      "t5_small.csv",
      BundledRows("frantar2023_t5_sparse_runs.csv", [](const auto& cell) { return std::stod(cell("scale")) <= 0.25; }));
  const nlohmann::json filtered = Json("fit --law sparse --filter 'scale<=0.25'");
  const nlohmann::json own =
      Json("fit --law sparse " + Quoted(path) + " --n-col num_nonzero_params --d-col steps --tokens-per-step 65536");
  ASSERT_TRUE(filtered.is_object());
  ASSERT_TRUE(own.is_object());
  EXPECT_EQ(filtered["residuals"]["num_runs"], 30);
  EXPECT_EQ(filtered["sparsity_levels"], 4);
  for (const char* key : {"a_S", "b_S", "c_S", "b_N", "a_D", "b_D", "c", "objective", "residuals"}) {
    EXPECT_EQ(filtered[key], own[key]) << key;
  }
}

// plot --group-by with a saved routing fit groups the runs as that law's reader reads them (the bundled routing
// runs, not the Chinchilla runs): one chart per router, each the chart --filter draws of that router's runs.
TEST(TableLawSelection, GroupedResidualsOfARoutingFitAreEachRoutersFilteredChart) {
  const std::string fit = testing::WriteTempFile("routing_fit.json", "");
  std::remove(fit.c_str());
  ASSERT_EQ(RunScaleplan("fit --law routing --out " + Quoted(fit)).exit_code, 0);
  const std::string out = testing::WriteTempFile("routing_residuals.svg", "");
  std::remove(out.c_str());
  const std::string stem = out.substr(0, out.size() - 4);
  const Result r = RunScaleplan("plot residuals --fit " + Quoted(fit) + " --group-by router_type --out " + Quoted(out));
  if (r.exit_code == 2 && r.err.find("Qt") != std::string::npos) GTEST_SKIP() << "built without the GUI";
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string router : {"Dense", "S-Base", "Hash", "RL-R"}) {
    SCOPED_TRACE(router);
    // The router's run count, from the data file itself.
    const std::vector<std::string> rows = testing::Lines(testing::ReadWholeFile(ClarkRouterFile(router)));
    const std::string path = stem + ".router_type-" + router + ".svg";
    EXPECT_NE(r.out.find(path + "  (router_type=" + router + ", " + std::to_string(rows.size() - 1) + " runs)"),
              std::string::npos)
        << r.out;
    const std::string alone = stem + ".filtered-" + router + ".svg";
    ASSERT_EQ(RunScaleplan("plot residuals --fit " + Quoted(fit) + " --filter router_type=" + router + " --out " +
                           Quoted(alone))
                  .exit_code,
              0);
    const std::string grouped = testing::ReadWholeFile(path);
    EXPECT_NE(grouped.find("</svg>"), std::string::npos);
    EXPECT_EQ(grouped, testing::ReadWholeFile(alone));
  }
}

// MoE runs of Krajewski et al.'s form, L = c + (g / G^gamma + a) / N^alpha + b / D^beta, for two families with
// different coefficients and a small deterministic wobble, each family also written to a file of its own.
class MoeSelection : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string header = "family,total_params,tokens,granularity,loss\n";
    std::string both = header;
    std::string a = header;
    std::string b = header;
    int k = 0;
    for (const std::string family : {"a", "b"}) {
      const double scale = family == "a" ? 1.0 : 1.3;
      for (double n : {1e8, 3e8, 1e9, 3e9}) {
        for (double d : {3e9, 1e10, 3e10, 1e11}) {
          for (double g : {1.0, 2.0, 4.0, 8.0}) {
            const double law = 0.47 + (2.1 * scale / std::pow(g, 0.58) + 18.1) / std::pow(n, 0.115) +
                               30.8 * scale / std::pow(d, 0.147);
            char line[160];
            std::snprintf(line, sizeof line, "%s,%.17g,%.17g,%g,%.17g\n", family.c_str(), n, d, g,
                          law * (1.0 + 0.004 * std::sin(1.3 * ++k)));
            both += line;
            (family == "a" ? a : b) += line;
          }
        }
      }
    }
    both_path_ = testing::WriteTempFile("moe_both.csv", both);
    a_path_ = testing::WriteTempFile("moe_a.csv", a);
    b_path_ = testing::WriteTempFile("moe_b.csv", b);
  }

  std::string both_path_, a_path_, b_path_;
};

TEST_F(MoeSelection, FilteredFitEqualsTheFitOfAHandSplitFile) {
  const nlohmann::json filtered = Json("fit --law moe " + Quoted(both_path_) + " --filter family=b");
  const nlohmann::json own = Json("fit --law moe " + Quoted(b_path_));
  ASSERT_TRUE(filtered.is_object());
  ASSERT_TRUE(own.is_object());
  for (const char* key : {"a", "alpha", "b", "beta", "g", "gamma", "c", "objective"}) {
    ASSERT_TRUE(own.contains(key)) << key;
    EXPECT_EQ(filtered[key], own[key]) << key;
  }
}

TEST_F(MoeSelection, GroupedValidationEqualsEachHandSplitFile) {
  const nlohmann::json grouped =
      Json("validate --law moe " + Quoted(both_path_) + " --holdout-above 1e20 --group-by family");
  ASSERT_EQ(grouped["groups"].size(), 2u);
  const std::string paths[] = {a_path_, b_path_};
  for (size_t g = 0; g < 2; ++g) {
    const nlohmann::json& group = grouped["groups"][g];
    EXPECT_EQ(group["group"]["family"], g == 0 ? "a" : "b");
    EXPECT_EQ(group["num_runs"], 64);
    const nlohmann::json own = Json("validate --law moe " + Quoted(paths[g]) + " --holdout-above 1e20");
    ASSERT_EQ(own["folds"].size(), 1u);
    EXPECT_GT(own["folds"][0]["num_heldout"].get<int>(), 0);
    EXPECT_EQ(group["folds"], own["folds"]);
  }
}

// fit --group-by: each group's coefficients and objective are those of the fit of its hand-split file.
TEST_F(MoeSelection, GroupedFitEqualsTheFitOfEachHandSplitFile) {
  const nlohmann::json grouped = Json("fit --law moe " + Quoted(both_path_) + " --group-by family");
  EXPECT_EQ(grouped["law"], "moe");
  EXPECT_EQ(grouped["group_by"], nlohmann::json::array({"family"}));
  ASSERT_EQ(grouped["groups"].size(), 2u);
  const std::string paths[] = {a_path_, b_path_};
  for (size_t g = 0; g < 2; ++g) {
    const nlohmann::json& group = grouped["groups"][g];
    EXPECT_EQ(group["group"]["family"], g == 0 ? "a" : "b");
    EXPECT_EQ(group["num_runs"], 64);
    EXPECT_TRUE(group["usable"].get<bool>());
    const nlohmann::json own = Json("fit --law moe " + Quoted(paths[g]));
    for (const char* key : {"a", "alpha", "b", "beta", "g", "gamma", "c"}) {
      EXPECT_EQ(group["parameters"][key], own[key]) << key;
    }
    EXPECT_EQ(group["objective"], own["objective"]);
  }
}

// fit --group-by --bootstrap: each group is resampled on its own, as the fit of its hand-split file with the same
// --bootstrap and --seed, so its intervals are that fit's.
TEST_F(MoeSelection, GroupedBootstrapIntervalsAreEachHandSplitFilesOwn) {
  const nlohmann::json grouped =
      Json("fit --law moe " + Quoted(both_path_) + " --group-by family --bootstrap=20 --seed 5");
  ASSERT_EQ(grouped["groups"].size(), 2u);
  const std::string paths[] = {a_path_, b_path_};
  for (size_t g = 0; g < 2; ++g) {
    const nlohmann::json& group = grouped["groups"][g];
    const nlohmann::json own = Json("fit --law moe " + Quoted(paths[g]) + " --bootstrap=20 --seed 5");
    ASSERT_TRUE(own.contains("intervals"));
    EXPECT_EQ(group["intervals"], own["intervals"]);
    EXPECT_EQ(group["bootstrap"]["resamples"], 20);
    EXPECT_EQ(group["bootstrap"]["failed"], own["bootstrap"]["failed"]);
    for (const char* key : {"alpha", "gamma"}) {  // the interval holds the group's own estimate
      EXPECT_LE(group["intervals"][key][0].get<double>(), group["parameters"][key].get<double>()) << key;
      EXPECT_GE(group["intervals"][key][1].get<double>(), group["parameters"][key].get<double>()) << key;
    }
  }
}

// The routing law grouped by router: each router's coefficients are those of the fit filtered to its runs; the Dense
// group, which cannot identify the expert terms, carries its verdict while the others print.
TEST(TableLawSelection, GroupedRoutingFitEqualsEachRouterFiltered) {
  const nlohmann::json grouped = Json("fit --law routing --group-by router_type");
  ASSERT_EQ(grouped["groups"].size(), 4u);
  int fitted = 0;
  for (const nlohmann::json& group : grouped["groups"]) {
    const std::string router = group["group"]["router_type"];
    if (router == "Dense") {
      EXPECT_FALSE(group["usable"].get<bool>());
      EXPECT_NE(group["status"].get<std::string>().find("no routed runs"), std::string::npos) << group["status"];
      continue;
    }
    ++fitted;
    const nlohmann::json own = Json("fit --law routing --filter router_type=" + router);
    ASSERT_EQ(own["routers"].size(), 1u);
    const nlohmann::json& law = own["routers"][0];
    EXPECT_EQ(group["num_runs"], law["num_runs"]);
    for (const char* key : {"a", "b", "c", "d", "E_start", "E_max"}) {
      EXPECT_EQ(group["parameters"][router + "." + key], law[key]) << router << " " << key;
    }
  }
  EXPECT_EQ(fitted, 3);
}

// fit --law data-constrained --group-by --bootstrap: each group of Muennighoff et al.'s runs (the three smallest unique
// token budgets: 75, 27 and 25 runs) is resampled as the fit filtered to its runs with the same --bootstrap and --seed,
// so its intervals are that fit's, bit for bit.
TEST(TableLawSelection, GroupedDataConstrainedBootstrapEqualsEachGroupFiltered) {
  const std::string smallest = "--filter 'U_unique_tokens<=1.5e9'";
  const nlohmann::json grouped =
      Json("fit --law data-constrained " + smallest + " --group-by U_unique_tokens --bootstrap=20 --seed 5");
  ASSERT_EQ(grouped["groups"].size(), 3u);
  const std::pair<std::string, int> groups[] = {{"100000000", 75}, {"400000000", 27}, {"1500000000", 25}};
  for (size_t g = 0; g < 3; ++g) {
    const auto& [unique_tokens, num_runs] = groups[g];
    SCOPED_TRACE(unique_tokens);
    const nlohmann::json& group = grouped["groups"][g];
    EXPECT_EQ(group["group"]["U_unique_tokens"], unique_tokens);
    EXPECT_EQ(group["num_runs"], num_runs);
    ASSERT_TRUE(group["usable"].get<bool>()) << group["status"];
    const nlohmann::json own =
        Json("fit --law data-constrained --filter U_unique_tokens=" + unique_tokens + " --bootstrap=20 --seed 5");
    ASSERT_TRUE(own.contains("intervals"));
    EXPECT_EQ(own["data"]["num_runs"], num_runs);
    EXPECT_EQ(group["parameters"]["R_D_star"], own["R_D_star"]);
    EXPECT_EQ(group["parameters"]["R_N_star"], own["R_N_star"]);
    EXPECT_EQ(group["intervals"], own["intervals"]);  // doubles compared exactly
    EXPECT_EQ(group["bootstrap"], own["bootstrap"]);
    EXPECT_EQ(group["bootstrap"]["resamples"], 20);
    for (const char* key : {"R_D_star", "R_N_star"}) {
      EXPECT_LE(group["intervals"][key][0].get<double>(), group["intervals"][key][1].get<double>()) << key;
    }
  }
  // Another seed resamples other runs.
  const nlohmann::json other =
      Json("fit --law data-constrained " + smallest + " --group-by U_unique_tokens --bootstrap=20 --seed 6");
  EXPECT_NE(other["groups"][0]["intervals"], grouped["groups"][0]["intervals"]);
}

TEST_F(MoeSelection, AFilterOrGroupingOnAMissingColumnNamesItAndExits3) {
  const std::vector<std::string> commands = {
      "fit --law moe " + Quoted(both_path_) + " --filter famly=a",
      "validate --law moe " + Quoted(both_path_) + " --holdout-above 1e20 --filter famly=a",
      "validate --law routing --holdout-above 1e20 --filter famly=a", "fit --law sparse --filter famly=a"};
  for (const std::string& command : commands) {
    SCOPED_TRACE(command);
    const Result r = RunScaleplan(command);
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("no column named 'famly' (from --filter)"), std::string::npos) << r.err;
  }
  const Result r = RunScaleplan("validate --law moe " + Quoted(both_path_) + " --holdout-above 1e20 --group-by famly");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("no column named 'famly' (from --group-by)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace scaleplan
