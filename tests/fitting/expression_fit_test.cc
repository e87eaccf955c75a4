#include "fitting/expression_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/bundled_data.h"
#include "core/error.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan {
namespace {

// The plain Huber-sum minimum on Besiroglu et al.'s 240 runs, to 10 decimals (as tests/fitting/chinchilla_fit_test.cc
// asserts it: within 5e-11, half its last digit). The built-in fit's own optimum is matched to 1e-9 relative.
constexpr double kPublishedObjective = 0.0010182740;
constexpr double kPublishedDigits = 5e-11;

// The built-in law (fitting/chinchilla_fit.h) written as an expression in the same parameters and with the same
// 4,500-point grid: log L_hat = LSE(a - alpha log N, b - beta log D, e).
const char* const kChinchillaForm = "exp(a - alpha*log(N)) + exp(b - beta*log(D)) + exp(e)";

std::vector<ExpressionParam> HoffmannParams() {
  return {ParseExpressionParam("a=0:25:5"), ParseExpressionParam("b=0:25:5"), ParseExpressionParam("e=-1:1:0.5"),
          ParseExpressionParam("alpha=0:2:0.5"), ParseExpressionParam("beta=0:2:0.5")};
}

ExpressionRuns Bind(const std::string& text, const std::vector<ExpressionParam>& params, const RunsTable& table,
                    const std::string& csv = "") {
  return BindExpressionLaw(MakeExpressionLawSpec(text, params), table, csv);
}

TEST(ExpressionFit, ChinchillaFormReachesTheBuiltInOptimum) {
  const RunsTable table = BundledChinchillaRuns();
  const ExpressionLawSpec spec = MakeExpressionLawSpec(kChinchillaForm, HoffmannParams());
  ASSERT_EQ(spec.Grid().Size(), 4500u);
  const ExpressionRuns runs = BindExpressionLaw(spec, table, "");
  const MultiStartOptions options;
  const ExpressionFit fit = FitExpressionLaw(runs, spec, options);
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  EXPECT_NEAR(fit.search.objective, kPublishedObjective, kPublishedDigits);

  const ChinchillaFit builtin = FitChinchilla(table, options);
  ASSERT_TRUE(builtin.search.usable);
  EXPECT_NEAR(fit.search.objective, builtin.search.objective, 1e-9 * builtin.search.objective);
  // Same parameter order (a, b, e, alpha, beta): the same optimum, to the solver's precision.
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_NEAR(fit.params[k], builtin.search.params[k], 1e-5 * std::max(1.0, std::fabs(builtin.search.params[k])))
        << fit.param_names[k];
  }
  EXPECT_NEAR(std::exp(fit.params[2]), 1.8172, 5e-5);  // E, as the built-in test has it
  EXPECT_NEAR(fit.params[3], 0.34731, 5e-6);           // alpha
  EXPECT_NEAR(fit.residuals.rmse, builtin.residuals.rmse, 1e-7);
}

TEST(ExpressionFit, NaturalChinchillaFormReachesTheSameLoss) {
  // E + A/N^alpha + B/D^beta with raw A and B: another parametrisation of the same law, so the same optimum when
  // the grid brackets it.
  const RunsTable table = BundledChinchillaRuns();
  const std::vector<ExpressionParam> params = {
      ParseExpressionParam("E=1:2.5:0.5"), ParseExpressionParam("A=100:1000:300"),
      ParseExpressionParam("alpha=0.2:0.6:0.2"), ParseExpressionParam("B=500:3000:500"),
      ParseExpressionParam("beta=0.2:0.6:0.2")};
  const ExpressionLawSpec spec = MakeExpressionLawSpec("E + A/N^alpha + B/D^beta", params);
  const ExpressionRuns runs = BindExpressionLaw(spec, table, "");
  const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  EXPECT_NEAR(fit.search.objective, kPublishedObjective, kPublishedDigits);
  const ChinchillaFit builtin = FitChinchilla(table, MultiStartOptions{});
  EXPECT_NEAR(fit.search.objective, builtin.search.objective, 1e-9 * builtin.search.objective);
  EXPECT_NEAR(fit.params[0], builtin.law.E, 1e-5 * builtin.law.E);
  EXPECT_NEAR(fit.params[1], builtin.law.A, 1e-4 * builtin.law.A);
  EXPECT_NEAR(fit.params[2], builtin.law.alpha, 1e-5 * builtin.law.alpha);
  EXPECT_NEAR(fit.params[3], builtin.law.B, 1e-4 * builtin.law.B);
  EXPECT_NEAR(fit.params[4], builtin.law.beta, 1e-5 * builtin.law.beta);
  EXPECT_NEAR(fit.params[0], 1.8172, 5e-4);   // E
  EXPECT_NEAR(fit.params[2], 0.34731, 5e-5);  // alpha
}

TEST(ExpressionFit, JetGradientMatchesFiniteDifferences) {
  const RunsTable table = BundledChinchillaRuns();
  const std::vector<ExpressionParam> params = {ParseExpressionParam("E=1"),       ParseExpressionParam("A=400"),
                                               ParseExpressionParam("alpha=0.3"), ParseExpressionParam("B=2000"),
                                               ParseExpressionParam("beta=0.3"),  ParseExpressionParam("k=0.01")};
  // Every operation with a derivative in it: +, -, *, /, ^ (variable and constant exponents), exp, log, sqrt, min.
  const ExpressionRuns runs =
      Bind("E + A/N^alpha + B*D^-beta - k*sqrt(log(C)) + min(k, 0.5)*exp(-k) + (k/2)^2 + 2^k", params, table);
  const std::vector<double> x = {1.9, 420.0, 0.33, 2100.0, 0.29, 0.02};
  std::vector<double> gradient, jet_gradient;
  const double cost = ExpressionObjectiveAndJetGradient(runs, x, 1e-3, &jet_gradient);
  EXPECT_NEAR(cost, ExpressionObjective(runs, x, 1e-3), 1e-13 * cost);
  // The fit's reverse pass over all runs at once equals the Jets' forward mode to rounding.
  EXPECT_NEAR(ExpressionObjectiveAndGradient(runs, x, 1e-3, &gradient), cost, 1e-13 * cost);
  for (size_t k = 0; k < x.size(); ++k) {
    EXPECT_NEAR(gradient[k], jet_gradient[k], 1e-10 * std::max(1e-12, std::fabs(jet_gradient[k]))) << "parameter " << k;
  }
  gradient = jet_gradient;
  for (size_t k = 0; k < x.size(); ++k) {
    const double h = 1e-6 * std::max(1.0, std::fabs(x[k]));
    std::vector<double> plus = x, minus = x;
    plus[k] += h;
    minus[k] -= h;
    const double central = (ExpressionObjective(runs, plus, 1e-3) - ExpressionObjective(runs, minus, 1e-3)) / (2 * h);
    EXPECT_NEAR(gradient[k], central, 1e-5 * std::max(1.0, std::fabs(central))) << "parameter " << k;
  }
}

TEST(ExpressionFit, RecoversAKnownLawOnAColumnOfTheFile) {
  // L = E + A / N^alpha + k * epochs on a synthetic file: the fit recovers the generating values.
  std::string csv = "N,D,epochs,loss\n";
  RunsTable table;
  table.source = "generated.csv";
  int line = 2;
  for (double n : {1e7, 3e7, 1e8, 3e8, 1e9}) {
    for (double epochs : {1.0, 2.0, 4.0}) {
      const double loss = 2.0 + 300.0 / std::pow(n, 0.3) + 0.05 * epochs;
      char row[128];
      std::snprintf(row, sizeof row, "%.17g,%.17g,%.17g,%.17g\n", n, 20 * n, epochs, loss);
      csv += row;
      table.runs.push_back({n, 20 * n, 6 * n * 20 * n, loss, line++, 0});
    }
  }
  const std::vector<ExpressionParam> params = {ParseExpressionParam("E=1:3:1"), ParseExpressionParam("A=100:500:200"),
                                               ParseExpressionParam("alpha=0.1:0.5:0.2"),
                                               ParseExpressionParam("k=0:0.1:0.1")};
  const ExpressionLawSpec spec = MakeExpressionLawSpec("E + A / N^alpha + k * epochs", params);
  const ExpressionRuns runs = BindExpressionLaw(spec, table, csv);
  ASSERT_EQ(runs.column_names, (std::vector<std::string>{"N", "epochs"}));
  const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  EXPECT_NEAR(fit.params[0], 2.0, 1e-5);
  EXPECT_NEAR(fit.params[1], 300.0, 1e-2);
  EXPECT_NEAR(fit.params[2], 0.3, 1e-6);
  EXPECT_NEAR(fit.params[3], 0.05, 1e-7);
  EXPECT_LT(fit.search.objective, 1e-12);
}

TEST(ExpressionFit, BootstrapIntervalsBracketTheFit) {
  const RunsTable table = BundledChinchillaRuns();
  const ExpressionLawSpec spec = MakeExpressionLawSpec(kChinchillaForm, HoffmannParams());
  const ExpressionRuns runs = BindExpressionLaw(spec, table, "");
  const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable);
  BootstrapOptions options;
  options.num_resamples = 40;
  const ExpressionBootstrap boot = BootstrapExpressionLaw(runs, fit, options);
  ASSERT_EQ(boot.intervals.size(), 5u);
  EXPECT_EQ(boot.samples.num_failed, 0);
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_LT(boot.intervals[k].second.lower, fit.params[k]) << fit.param_names[k];
    EXPECT_GT(boot.intervals[k].second.upper, fit.params[k]) << fit.param_names[k];
  }
  // The same resamples through the built-in machinery give the same alpha interval.
  const ChinchillaFit builtin = FitChinchilla(table, MultiStartOptions{});
  const ChinchillaBootstrap builtin_boot = BootstrapChinchilla(table, builtin, options);
  EXPECT_NEAR(boot.intervals[3].second.lower, builtin_boot.intervals[3].second.lower, 1e-4);
  EXPECT_NEAR(boot.intervals[3].second.upper, builtin_boot.intervals[3].second.upper, 1e-4);
}

TEST(ExpressionFit, ParamSpecsAndTheirErrors) {
  EXPECT_EQ(ParseExpressionParam("alpha=0:1:0.25").starts, (std::vector<double>{0, 0.25, 0.5, 0.75, 1.0}));
  EXPECT_EQ(ParseExpressionParam(" E = 1.5 ").starts, (std::vector<double>{1.5}));
  const auto error = [](const std::string& text) -> std::string {
    try {
      ParseExpressionParam(text);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error("alpha"), "--param: expected NAME=LO:HI:STEP or NAME=VALUE: 'alpha'");
  EXPECT_EQ(error("alpha=1:0:0.1"), "--param: a range LO:HI:STEP needs LO <= HI and STEP > 0: 'alpha=1:0:0.1'");
  EXPECT_EQ(error("alpha=0:1"), "--param: expected NAME=LO:HI:STEP or NAME=VALUE: 'alpha=0:1'");
  EXPECT_EQ(error("2x=1"), "--param: '2x' is not a name (letters, digits and _, not starting with a digit): '2x=1'");
  EXPECT_NE(error("alpha=zero").find("'zero' is not a number"), std::string::npos);
}

TEST(ExpressionFit, SpecErrorsNameTheParameter) {
  const auto error = [](const std::string& text, const std::vector<std::string>& specs) -> std::string {
    std::vector<ExpressionParam> params;
    for (const std::string& spec : specs) params.push_back(ParseExpressionParam(spec));
    try {
      MakeExpressionLawSpec(text, params);
    } catch (const InputError& e) {
      return e.what();
    } catch (const ExpressionError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error("E + A/N^alpha", {"E=1", "A=1", "alpha=0.3", "beta=0.3"}),
            "--param: parameter 'beta' does not appear in the expression (its names: E, A, N, alpha): 'beta'");
  EXPECT_EQ(error("E + A/N^alpha", {"E=1", "E=2", "A=1", "alpha=0.3"}), "--param: parameter 'E' is given twice: 'E'");
  EXPECT_EQ(error("E + A/N^alpha", {"N=1", "E=1", "A=1", "alpha=0.3"}),
            "--param: 'N' is a run column (N, D, C, U and S are); name the parameter otherwise: 'N'");
}

TEST(ExpressionFit, UnknownNamesAndMissingColumns) {
  const RunsTable table = BundledChinchillaRuns();
  const std::vector<ExpressionParam> params = {ParseExpressionParam("E=1"), ParseExpressionParam("A=400"),
                                               ParseExpressionParam("alpha=0.3")};
  try {
    Bind("E + A/N^alpah", {params[0], params[1]}, table);
    FAIL() << "expected an ExpressionError";
  } catch (const ExpressionError& error) {
    EXPECT_EQ(std::string(error.what()), "--law-expr:1:9: unknown name 'alpah': not a --param, nor a column of " +
                                             kBundledChinchillaLabel + " (N, D, C)");
  }
  try {
    Bind("E + A/N^alpha * U", params, table);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), kBundledChinchillaLabel + ": the expression reads U (unique tokens), which " +
                                             kBundledChinchillaLabel + " does not have (it has N, D and C)");
  }
}

TEST(ExpressionFit, RunsThatCannotIdentifyTheLawAreAVerdict) {
  RunsTable table;
  table.source = "one_d.csv";
  for (int i = 0; i < 10; ++i)
    table.runs.push_back({1e8 * (i + 1), 2e9, 6 * 1e8 * (i + 1) * 2e9, 3.0 - 0.1 * i, i + 2, 0});
  const std::vector<ExpressionParam> params = {ParseExpressionParam("E=1"), ParseExpressionParam("A=400"),
                                               ParseExpressionParam("alpha=0.3"), ParseExpressionParam("B=400"),
                                               ParseExpressionParam("beta=0.3")};
  const ExpressionLawSpec spec = MakeExpressionLawSpec("E + A/N^alpha + B/D^beta", params);
  const ExpressionRuns runs = BindExpressionLaw(spec, table, "");
  try {
    FitExpressionLaw(runs, spec, MultiStartOptions{});
    FAIL() << "expected a verdict";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()),
              "one_d.csv: not identifiable: every run has D = 2e+09, so the expression's terms in it cannot be told "
              "from its parameters");
  }
}

TEST(ExpressionFit, StartsWhereTheLawIsNotFiniteAreSkipped) {
  // log(x) for x <= 0 is NaN: starts with E <= -2 (L_hat <= 0 on some run) screen as +inf and are never chosen.
  const RunsTable table = BundledChinchillaRuns();
  const std::vector<ExpressionParam> params = {ParseExpressionParam("E=-5:2:1"), ParseExpressionParam("A=400"),
                                               ParseExpressionParam("alpha=0.3"), ParseExpressionParam("B=2000"),
                                               ParseExpressionParam("beta=0.3")};
  const ExpressionLawSpec spec = MakeExpressionLawSpec("E + A/N^alpha + B/D^beta", params);
  const ExpressionRuns runs = BindExpressionLaw(spec, table, "");
  EXPECT_TRUE(std::isinf(ExpressionObjective(runs, {-5, 400, 0.3, 2000, 0.3}, 1e-3)));
  const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  EXPECT_NEAR(fit.search.objective, kPublishedObjective, 1e-7 * kPublishedObjective);
}

}  // namespace
}  // namespace scaleplan
