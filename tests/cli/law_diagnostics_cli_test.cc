// `fit --format json` of an IsoFLOP fit and of a law of the user's own form carry `diagnostics`, checked on the real
// binary against independent values: the straight line's closed-form standard errors computed here from the budgets
// the JSON lists, and the built-in Chinchilla fit's diagnostics for the Chinchilla form written as an expression.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

nlohmann::json FitJson(const std::string& args) {
  const Result r = RunScaleplan("fit " + args + " --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(LawDiagnosticsCli, IsoFlopExponentStandardErrorIsTheClosedForm) {
  for (const std::string keep : {"", " --keep-extrapolated-minima"}) {
    const nlohmann::json fit = FitJson("--law isoflop" + keep);
    ASSERT_TRUE(fit.contains("diagnostics")) << keep;
    std::vector<double> x, y;
    for (const nlohmann::json& budget : fit["budgets"]) {
      if (!budget["used"].get<bool>()) continue;
      x.push_back(std::log(budget["compute_flops"].get<double>()));
      y.push_back(std::log(budget["num_params"].get<double>()));
    }
    const double n = static_cast<double>(x.size());
    ASSERT_EQ(static_cast<int>(n), fit["num_budgets_used"].get<int>());
    double x_bar = 0, y_bar = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      x_bar += x[i] / n;
      y_bar += y[i] / n;
    }
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      sxx += (x[i] - x_bar) * (x[i] - x_bar);
      sxy += (x[i] - x_bar) * (y[i] - y_bar);
    }
    const double slope = sxy / sxx;
    double rss = 0;
    for (size_t i = 0; i < x.size(); ++i) rss += std::pow(y[i] - y_bar - slope * (x[i] - x_bar), 2);
    const double se_slope = std::sqrt(rss / (n - 2) / sxx);
    const nlohmann::json& errors = fit["diagnostics"]["standard_errors"];
    // The JSON's numbers carry 17 digits: the closed form from them agrees to round-off.
    EXPECT_NEAR(errors["exponent_params"].get<double>(), se_slope, 1e-9 * se_slope) << keep;
    EXPECT_NEAR(errors["exponent_tokens"].get<double>(), se_slope, 1e-9 * se_slope) << keep;
    EXPECT_NEAR(fit["diagnostics"]["correlations"]["exponent_params"]["exponent_tokens"].get<double>(), -1.0, 1e-9);
    EXPECT_EQ(fit["diagnostics"]["unconstrained"], nlohmann::json::array()) << keep;
  }
}

TEST(LawDiagnosticsCli, ChinchillaFormAsAnExpressionHasTheBuiltInDiagnostics) {
  const nlohmann::json builtin = FitJson("");
  const nlohmann::json expression = FitJson(
      "--law-expr 'E + A/N^alpha + B/D^beta' --param E=1:2.5:0.5 --param A=100:1000:300 "
      "--param alpha=0.2:0.6:0.2 --param B=500:3000:500 --param beta=0.2:0.6:0.2");
  ASSERT_TRUE(expression.contains("diagnostics"));
  const nlohmann::json& want = builtin["diagnostics"];
  const nlohmann::json& got = expression["diagnostics"];
  for (const char* name : {"E", "A", "B", "alpha", "beta"}) {
    const double se = want["standard_errors"][name].get<double>();
    EXPECT_NEAR(got["standard_errors"][name].get<double>(), se, 1e-6 * se) << name;
    for (const char* other : {"E", "A", "B", "alpha", "beta"}) {
      EXPECT_NEAR(got["correlations"][name][other].get<double>(), want["correlations"][name][other].get<double>(), 1e-6)
          << name << ", " << other;
    }
  }
  EXPECT_EQ(got["unconstrained"], want["unconstrained"]);
  EXPECT_NEAR(got["residual_scale"].get<double>(), want["residual_scale"].get<double>(),
              1e-6 * want["residual_scale"].get<double>());
}

// `fit --law moe` carries its diagnostics in JSON without --diagnostics, one standard error per coefficient of eq. 9.
// The runs are Krajewski et al.'s law without noise: every coefficient is pinned down (fitting's law_diagnostics_test
// checks the values against the same law fitted as an expression).
TEST(LawDiagnosticsCli, MoeFitCarriesDiagnostics) {
  const nlohmann::json fit = FitJson(testing::SourcePath("tests/bad_input/moe_plain.csv") + " --law moe");
  ASSERT_TRUE(fit.contains("diagnostics"));
  const nlohmann::json& diagnostics = fit["diagnostics"];
  EXPECT_TRUE(diagnostics["available"].get<bool>());
  EXPECT_EQ(diagnostics["num_runs"].get<int>(), 60);
  for (const char* name : {"a", "alpha", "b", "beta", "g", "gamma", "c"}) {
    ASSERT_TRUE(diagnostics["standard_errors"].contains(name)) << name;
    EXPECT_NEAR(diagnostics["correlations"][name][name].get<double>(), 1.0, 1e-12) << name;
  }
  EXPECT_EQ(diagnostics["unconstrained"], nlohmann::json::array());
}

}  // namespace
}  // namespace scaleplan
