// `fit --law sparse | frantar2023-t5 | routing` and `validate --law frantar2023-t5` through the real binary.
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan::testing {
namespace {

nlohmann::json JsonOf(const CommandResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

TEST(SparseCliTest, FitFrantarT5PutsTheFitOnTopAndThePublishedLawBeside) {
  const nlohmann::json json = JsonOf(RunScaleplan("fit --law frantar2023-t5 --format json"));
  EXPECT_EQ(json["law"], "sparse");
  EXPECT_LE(json["objective"].get<double>(), 2.3425e-4);
  EXPECT_NEAR(json["exponents"]["b_N"].get<double>(), 0.2317, 5e-4);
  // The notebook's coefficients in eq. 1's form (a_S = a 1e6^d) and their objective under the summed Huber.
  EXPECT_NEAR(json["published"]["b_N"].get<double>(), 0.24513173, 1e-12);
  EXPECT_NEAR(json["published"]["a_S"].get<double>(), 0.56778512 * std::pow(1e6, 0.24513173), 1e-9);
  EXPECT_NEAR(json["published"]["objective"].get<double>(), 3.6497e-4, 5e-9);
  EXPECT_EQ(json["data"]["num_runs"], 48);
}

TEST(SparseCliTest, FrantarT5TakesNoRunsFile) {
  const CommandResult result = RunScaleplan("fit runs.csv --law frantar2023-t5");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--law sparse"), std::string::npos) << result.err;
}

TEST(SparseCliTest, FitRoutingPerRouterBesideThePublishedSBaseLaw) {
  const nlohmann::json json = JsonOf(RunScaleplan("fit --law routing --format json"));
  ASSERT_EQ(json["routers"].size(), 3u);
  EXPECT_EQ(json["data"]["num_runs"], 163);
  for (const nlohmann::json& router : json["routers"]) {
    EXPECT_TRUE(router["usable"].get<bool>());
    if (router["router"] == "S-Base") {
      EXPECT_EQ(router["num_runs"], 58);
      EXPECT_NEAR(router["published"]["E_max"].get<double>(), 314.478, 1e-9);
      EXPECT_LE(router["objective"].get<double>(), router["published"]["objective"].get<double>());
    }
  }
}

TEST(SparseCliTest, ValidateShowsBothLawsOnTheNotebooksHeldOutRun) {
  const nlohmann::json json = JsonOf(RunScaleplan("validate --law frantar2023-t5 --format json"));
  EXPECT_DOUBLE_EQ(json["held_out"]["measured"].get<double>(), 1.48278);
  EXPECT_NEAR(json["published"]["predicted"].get<double>(), 1.46830, 5e-6);
  EXPECT_LE(json["fit"]["objective"].get<double>(), 2.3425e-4);
  EXPECT_LT(json["fit"]["objective"].get<double>(), json["published"]["objective"].get<double>());
}

}  // namespace
}  // namespace scaleplan::testing
