// `fit --format json` of an IsoFLOP fit and of a law of the user's own form carry `diagnostics`, checked on the real
// binary against independent values: the straight line's closed-form standard errors computed here from the budgets
// the JSON lists, and the built-in Chinchilla and routing fits' diagnostics for their laws written as expressions.
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

// The keys of a JSON object, in order.
std::vector<std::string> KeysOf(const nlohmann::json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

// `fit --law routing` carries each router's diagnostics in JSON (the keys of the MoE fit's), and they are those of
// the same runs fitted through --law-expr with eq. 1 written out (E_start and E_max as they are, where the built-in
// fit takes their logs): one objective, the same standard errors. The runs are picked from the bundled file as
// BundledClarkRuns picks them (routing frequency 0.5, k 1, seed 42), the router's with the Dense ones.
TEST(LawDiagnosticsCli, RoutingFitCarriesTheDiagnosticsOfItsLawAsAnExpression) {
  const nlohmann::json routing = FitJson("--law routing");
  const nlohmann::json moe = FitJson(testing::SourcePath("tests/bad_input/moe_plain.csv") + " --law moe");
  ASSERT_EQ(routing["routers"].size(), 3u);
  const std::string log_e_hat = "(-log(1/(num_experts - 1 + 1/(1/E_start - 1/E_max)) + 1/E_max))";
  const std::string law =
      "'exp(a*log(N) + b*" + log_e_hat + " + c*log(N)*" + log_e_hat + "/2.302585092994046 + 2.302585092994046*d)'";
  const std::string options =
      " --param a=-0.12:-0.04:0.04 --param b=-0.2:0.1:0.1 --param c=-0.01:0.02:0.01 --param d=0.8:1.4:0.3"
      " --param E_start=1:4:1.5 --param E_max=50:1050:500 --n-col dense_parameter_count --d-col num_tokens"
      " --loss-col loss_validation --filter routing_frequency=0.5 --filter k=1 --filter seed=42";
  for (const nlohmann::json& router : routing["routers"]) {
    const std::string name = router["router"];
    SCOPED_TRACE(name);
    const nlohmann::json& diagnostics = router["diagnostics"];
    EXPECT_EQ(KeysOf(diagnostics), KeysOf(moe["diagnostics"]));
    EXPECT_EQ(diagnostics["num_runs"], router["num_runs"]);
    EXPECT_EQ(diagnostics["residual_trends"][0]["axis"], "N");
    EXPECT_EQ(diagnostics["residual_trends"][1]["axis"], "E");
    EXPECT_EQ(router["warnings"], nlohmann::json::array());
    std::string others;
    for (const char* other : {"S-Base", "RL-R", "Hash"}) {
      if (name != other) others += std::string(" --filter 'router_type!=") + other + "'";
    }
    const nlohmann::json expression =
        FitJson(testing::SourcePath("data/clark2022_routing_runs.csv") + " --law-expr " + law + options + others);
    EXPECT_EQ(expression["data"]["num_runs"], router["num_runs"]);
    EXPECT_NEAR(expression["objective"].get<double>(), router["objective"].get<double>(),
                1e-9 * router["objective"].get<double>());
    const nlohmann::json& want = expression["diagnostics"]["standard_errors"];
    for (const char* parameter : {"a", "b", "c", "d", "E_start", "E_max"}) {
      const double se = diagnostics["standard_errors"][parameter].get<double>();
      EXPECT_NEAR(se, want[parameter].get<double>(), 1e-6 * se) << parameter;
      EXPECT_NEAR(router[parameter].get<double>(), expression["parameters"][parameter].get<double>(),
                  1e-6 * std::fabs(router[parameter].get<double>()))
          << parameter;
    }
  }
}

}  // namespace
}  // namespace scaleplan
