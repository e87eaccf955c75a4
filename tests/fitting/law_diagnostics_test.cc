// Diagnostics of the expression, MoE, routing and IsoFLOP fits (fitting/expression_fit.h DiagnoseExpressionFit,
// fitting/diagnostics.h DiagnoseMoeFit and DiagnoseRoutingFit, fitting/isoflop_fit.h DiagnoseIsoFlopFit) against
// independent values: the built-in Chinchilla fit's diagnostics for the Chinchilla form written as an expression, the
// MoE law of Krajewski et al. 2024 (eq. 9) and the routing law of Clark et al. 2022 (eq. 1) fitted both built-in and
// as an expression, and the textbook closed form of a straight line's least-squares standard errors for the IsoFLOP
// exponent.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/budgets.h"
#include "core/bundled_data.h"
#include "core/runs_table.h"
#include "core/sparse_laws.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/diagnostics.h"
#include "fitting/expression_fit.h"
#include "fitting/isoflop_fit.h"
#include "fitting/sparse_fit.h"

namespace scaleplan {
namespace {

int IndexOf(const FitDiagnostics& diagnostics, const std::string& name) {
  for (size_t k = 0; k < diagnostics.names.size(); ++k) {
    if (diagnostics.names[k] == name) return static_cast<int>(k);
  }
  ADD_FAILURE() << "no parameter " << name;
  return 0;
}

// A fit of runs from the law's own form: a well-conditioned Hessian, no parameter unconstrained, no warning.
void ExpectEveryParameterConstrained(const FitDiagnostics& diagnostics) {
  EXPECT_GT(diagnostics.min_eigenvalue, kMinHessianEigenvalue);
  for (const UnconstrainedParameter& parameter : diagnostics.unconstrained) {
    ADD_FAILURE() << parameter.name << ": " << parameter.reason;
  }
  EXPECT_TRUE(diagnostics.warnings.empty());
}

// `name` alone unconstrained, by its bootstrap interval (wider than kMaxIntervalRatio), with its one warning.
void ExpectOnlyUnconstrainedByTheBootstrap(const FitDiagnostics& verdicts, const std::string& name) {
  ASSERT_EQ(verdicts.unconstrained.size(), 1u);
  EXPECT_EQ(verdicts.unconstrained[0].name, name);
  EXPECT_NE(verdicts.unconstrained[0].reason.find("bootstrap interval"), std::string::npos);
  ASSERT_EQ(verdicts.warnings.size(), 1u);
  EXPECT_EQ(verdicts.warnings[0].rfind(name + " is not constrained by these runs: ", 0), 0u) << verdicts.warnings[0];
}

// Every standard error and correlation of `expected` (by name) in `actual`, to `relative` (correlations to
// `relative` absolute).
void ExpectSameDiagnostics(const FitDiagnostics& actual, const FitDiagnostics& expected, double relative) {
  ASSERT_TRUE(actual.available);
  ASSERT_TRUE(expected.available);
  EXPECT_NEAR(actual.residual_scale, expected.residual_scale, relative * expected.residual_scale);
  EXPECT_NEAR(actual.huber_factor, expected.huber_factor, relative * expected.huber_factor);
  for (size_t a = 0; a < expected.names.size(); ++a) {
    const int i = IndexOf(actual, expected.names[a]);
    EXPECT_NEAR(actual.values[i], expected.values[a], relative * std::fabs(expected.values[a])) << expected.names[a];
    EXPECT_NEAR(actual.standard_errors[i], expected.standard_errors[a], relative * expected.standard_errors[a])
        << expected.names[a];
    for (size_t b = 0; b < expected.names.size(); ++b) {
      const int j = IndexOf(actual, expected.names[b]);
      EXPECT_NEAR(actual.correlations(i, j), expected.correlations(a, b), relative)
          << expected.names[a] << ", " << expected.names[b];
    }
  }
  std::vector<std::string> actual_unconstrained, expected_unconstrained;
  for (const UnconstrainedParameter& p : actual.unconstrained) actual_unconstrained.push_back(p.name);
  for (const UnconstrainedParameter& p : expected.unconstrained) expected_unconstrained.push_back(p.name);
  EXPECT_EQ(actual_unconstrained, expected_unconstrained);
}

TEST(ExpressionDiagnostics, TermsAreTheOutermostSums) {
  const std::vector<ExpressionParam> params = {ParseExpressionParam("E=1"), ParseExpressionParam("A=400"),
                                               ParseExpressionParam("alpha=0.3"), ParseExpressionParam("B=2000"),
                                               ParseExpressionParam("beta=0.3")};
  EXPECT_EQ(ExpressionParamTerms(MakeExpressionLawSpec("E + A/N^alpha + B/D^beta", params)),
            (std::vector<int>{0, 1, 1, 2, 2}));
  EXPECT_EQ(ExpressionParamTerms(MakeExpressionLawSpec("-(B*D^-beta) + E - A/N^alpha", params)),
            (std::vector<int>{1, 2, 2, 0, 0}));
  // One product: one term.
  EXPECT_EQ(ExpressionParamTerms(MakeExpressionLawSpec("E * (1 + A/N^alpha + B/D^beta)", params)),
            (std::vector<int>{0, 0, 0, 0, 0}));
}

// The built-in parametrisation (a, b, e, alpha, beta) = (log A, log B, log E, alpha, beta) written out.
TEST(ExpressionDiagnostics, ChinchillaFormEqualsTheBuiltInDiagnostics) {
  const RunsTable table = BundledChinchillaRuns();
  const ExpressionLawSpec spec = MakeExpressionLawSpec(
      "exp(a - alpha*log(N)) + exp(b - beta*log(D)) + exp(e)",
      {ParseExpressionParam("a=0:25:5"), ParseExpressionParam("b=0:25:5"), ParseExpressionParam("e=-1:1:0.5"),
       ParseExpressionParam("alpha=0:2:0.5"), ParseExpressionParam("beta=0:2:0.5")});
  const ExpressionRuns runs = BindExpressionLaw(spec, table, "");
  const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  const FitDiagnostics diagnostics = DiagnoseExpressionFit(runs, spec, fit);

  ChinchillaFit builtin = FitChinchilla(table, MultiStartOptions{});
  ASSERT_TRUE(builtin.search.usable);
  const FitDiagnostics reference = DiagnoseChinchillaFit(table, builtin);
  // The expression reports the logs as they are: compare alpha and beta, and E, A, B's relative errors with the
  // errors of e, a, b (the delta method: SE(log x) = SE(x) / x).
  for (const auto& [log_name, name] : {std::pair<std::string, std::string>{"e", "E"}, {"a", "A"}, {"b", "B"}}) {
    const int i = IndexOf(diagnostics, log_name);
    const int j = IndexOf(reference, name);
    EXPECT_NEAR(diagnostics.standard_errors[i], reference.standard_errors[j] / reference.values[j],
                1e-6 * diagnostics.standard_errors[i])
        << name;
  }
  for (const char* name : {"alpha", "beta"}) {
    EXPECT_NEAR(diagnostics.standard_errors[IndexOf(diagnostics, name)],
                reference.standard_errors[IndexOf(reference, name)],
                1e-6 * reference.standard_errors[IndexOf(reference, name)])
        << name;
  }
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"e", "E"}, {"a", "A"}, {"b", "B"}, {"alpha", "alpha"}, {"beta", "beta"}};
  for (const auto& [x, x_ref] : pairs) {
    for (const auto& [y, y_ref] : pairs) {
      EXPECT_NEAR(diagnostics.correlations(IndexOf(diagnostics, x), IndexOf(diagnostics, y)),
                  reference.correlations(IndexOf(reference, x_ref), IndexOf(reference, y_ref)), 1e-6)
          << x << ", " << y;
    }
  }
  EXPECT_NEAR(diagnostics.residual_scale, reference.residual_scale, 1e-6 * reference.residual_scale);
  EXPECT_NEAR(diagnostics.rmse_log, reference.rmse_log, 1e-6 * reference.rmse_log);
}

// E + A/N^alpha + B/D^beta: the law in the parameters users read. Its Jacobian is the built-in one times the
// derivatives of the logs, so its covariance is the built-in one by the delta method, which is exact for the
// Gauss-Newton covariance. At one point the two agree to round-off; at each fit's own optimum to the solvers'
// agreement.
TEST(ExpressionDiagnostics, NaturalChinchillaFormEqualsTheBuiltInDiagnostics) {
  const RunsTable table = BundledChinchillaRuns();
  const ExpressionLawSpec spec = MakeExpressionLawSpec(
      "E + A/N^alpha + B/D^beta", {ParseExpressionParam("E=1:2.5:0.5"), ParseExpressionParam("A=100:1000:300"),
                                   ParseExpressionParam("alpha=0.2:0.6:0.2"), ParseExpressionParam("B=500:3000:500"),
                                   ParseExpressionParam("beta=0.2:0.6:0.2")});
  const ExpressionRuns runs = BindExpressionLaw(spec, table, "");
  const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  const FitDiagnostics diagnostics = DiagnoseExpressionFit(runs, spec, fit);
  ASSERT_EQ(diagnostics.names, (std::vector<std::string>{"E", "A", "alpha", "B", "beta"}));

  ChinchillaFit builtin = FitChinchilla(table, MultiStartOptions{});
  ASSERT_TRUE(builtin.search.usable);
  ExpectSameDiagnostics(diagnostics, DiagnoseChinchillaFit(table, builtin), 1e-6);

  // The built-in diagnostics at the expression's optimum (a, b, e, alpha, beta) = (log A, log B, log E, alpha, beta).
  const std::vector<double>& p = fit.params;
  builtin.search.params = {std::log(p[1]), std::log(p[3]), std::log(p[0]), p[2], p[4]};
  ExpectSameDiagnostics(diagnostics, DiagnoseChinchillaFit(table, builtin), 1e-9);
}

// Runs of Krajewski et al. 2024's eq. 9 with their coefficients, L = c + (g / G^gamma + a) / N^alpha + b / D^beta,
// times exp(noise_log * z) with z standard normal (Box-Muller on a fixed-seed std::mt19937_64, whose output the
// standard fixes): N 1e8 ... 1e10 total (5 sizes), D 2e9 ... 5e10 (4), G in {1, 2, 4, 8, 16}; 100 runs, as CSV.
std::string KrajewskiRunsCsv(double noise_log) {
  const FineGrainedMoeLaw law = KrajewskiMoeLaw();
  std::mt19937_64 engine(20240207);
  auto uniform = [&engine] { return (static_cast<double>(engine() >> 11) + 0.5) * 0x1.0p-53; };  // in (0, 1)
  std::string csv = "N,D,granularity,loss\n";
  char line[128];
  for (double num_params : {1e8, 1e8 * std::sqrt(10.0), 1e9, 1e9 * std::sqrt(10.0), 1e10}) {
    for (double num_tokens : {2e9, 2e9 * std::cbrt(25.0), 2e9 * std::cbrt(625.0), 5e10}) {
      for (double granularity : {1.0, 2.0, 4.0, 8.0, 16.0}) {
        const double z = std::sqrt(-2 * std::log(uniform())) * std::cos(2 * std::numbers::pi * uniform());
        const double loss_nats = law.Loss(num_params, num_tokens, granularity) * std::exp(noise_log * z);
        std::snprintf(line, sizeof line, "%.17g,%.17g,%g,%.17g\n", num_params, num_tokens, granularity, loss_nats);
        csv += line;
      }
    }
  }
  return csv;
}

// Eq. 9 written as an expression in the parameters the MoE diagnostics report (a, b, g and c as they are, where the
// built-in fit takes their logs), the granularity read from the runs' column.
ExpressionLawSpec MoeExpressionSpec() {
  return MakeExpressionLawSpec(
      "c + (g/granularity^gamma + a)/N^alpha + b/D^beta",
      {ParseExpressionParam("a=5:30:5"), ParseExpressionParam("alpha=0.05:0.25:0.1"),
       ParseExpressionParam("b=10:50:20"), ParseExpressionParam("beta=0.05:0.25:0.1"), ParseExpressionParam("g=1:3:1"),
       ParseExpressionParam("gamma=0.2:1:0.4"), ParseExpressionParam("c=0.3:0.6:0.15")});
}

// The MoE fit's diagnostics (DiagnoseMoeFit: Jacobian by Jets through MoeModel's log-space parametrisation, a, b, g,
// c by the delta method) against the same runs fitted as an expression law (Jacobian by Jets through the
// expression's program, no logs). The two Jacobians differ by the diagonal of d log x / d x, so their covariances
// agree exactly at one point; at each fit's own optimum to the solvers' agreement. Both must find one optimum.
TEST(MoeDiagnostics, EqualTheSameLawFittedAsAnExpression) {
  const std::string csv = KrajewskiRunsCsv(0.003);
  const MoeRunsTable moe_runs = ParseMoeRunsCsv(csv, "krajewski_noisy.csv");
  ASSERT_EQ(moe_runs.runs.size(), 100u);
  MoeFit moe = FitMoeLaw(moe_runs, MultiStartOptions{});
  ASSERT_TRUE(moe.search.usable) << moe.search.status;
  const FitDiagnostics diagnostics = DiagnoseMoeFit(moe_runs, moe);
  ASSERT_EQ(diagnostics.names, (std::vector<std::string>{"a", "alpha", "b", "beta", "g", "gamma", "c"}));

  const ExpressionLawSpec spec = MoeExpressionSpec();
  const ExpressionRuns runs = BindExpressionLaw(spec, ParseRunsCsv(csv, "krajewski_noisy.csv"), csv);
  const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  EXPECT_NEAR(fit.search.objective, moe.search.objective, 1e-9 * moe.search.objective);
  const FitDiagnostics expression = DiagnoseExpressionFit(runs, spec, fit);
  for (size_t k = 0; k < diagnostics.names.size(); ++k) {
    std::printf("  %-6s %12.6g  SE moe %.6e  SE expression %.6e\n", diagnostics.names[k].c_str(), diagnostics.values[k],
                diagnostics.standard_errors[k], expression.standard_errors[k]);
  }
  std::printf("  objective moe %.12e, expression %.12e; unconstrained:", moe.search.objective, fit.search.objective);
  for (const UnconstrainedParameter& parameter : diagnostics.unconstrained) std::printf(" %s", parameter.name.c_str());
  std::printf("\n");
  ExpectSameDiagnostics(expression, diagnostics, 1e-4);
  // The standard errors are on the scale of the noise: each coefficient lies within 4 of them of the law the runs
  // were drawn from.
  const FineGrainedMoeLaw truth = KrajewskiMoeLaw();
  const double truths[] = {truth.a, truth.alpha, truth.b, truth.beta, truth.g, truth.gamma, truth.c};
  for (size_t k = 0; k < 7; ++k) {
    EXPECT_NEAR(diagnostics.values[k], truths[k], 4 * diagnostics.standard_errors[k]) << diagnostics.names[k];
  }

  // The MoE diagnostics at the expression's optimum (log a, alpha, log b, beta, log g, gamma, log c).
  const std::vector<double>& p = fit.params;
  moe.search.params = {std::log(p[0]), p[1], std::log(p[2]), p[3], std::log(p[4]), p[5], std::log(p[6])};
  ExpectSameDiagnostics(expression, DiagnoseMoeFit(moe_runs, moe), 1e-9);
}

// Noise-free runs of eq. 9 pin every coefficient down: the fit recovers Krajewski's coefficients and no parameter is
// reported unconstrained (the correlation between g and gamma, or a and alpha, is no defect of these runs).
TEST(MoeDiagnostics, NoiseFreeRunsLeaveNoParameterUnconstrained) {
  const MoeRunsTable table = ParseMoeRunsCsv(KrajewskiRunsCsv(0.0), "krajewski_exact.csv");
  const MoeFit fit = FitMoeLaw(table, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  const FineGrainedMoeLaw truth = KrajewskiMoeLaw();
  EXPECT_NEAR(fit.law.g, truth.g, 1e-4 * truth.g);
  EXPECT_NEAR(fit.law.gamma, truth.gamma, 1e-4 * truth.gamma);
  const FitDiagnostics diagnostics = DiagnoseMoeFit(table, fit);
  ASSERT_TRUE(diagnostics.available);
  ExpectEveryParameterConstrained(diagnostics);

  // A bootstrap interval spanning more than kMaxIntervalRatio marks its parameter, by MoeIntervalNames()'s name.
  MoeFit wide = fit;
  wide.intervals = {{"g", {0.02, 2.2}}, {"gamma", {0.57, 0.59}}};
  ExpectOnlyUnconstrainedByTheBootstrap(DiagnoseMoeFit(table, wide), "g");
}

// Clark et al. 2022's eq. 1 written out as an expression in the parameters the routing diagnostics report (E_start
// and E_max as they are, where the built-in fit takes their logs), over the runs' experts column, with the built-in
// start grid (E_start and E_max spaced evenly in place of their logs):
//   L = exp(a ln N + b ln E^ + c ln N ln E^ / ln 10 + d ln 10) = 10^(a log10 N + b log10 E^ + c log10 N log10 E^ + d),
//   ln E^ = -ln(1 / (E - 1 + 1 / (1/E_start - 1/E_max)) + 1/E_max).
ExpressionLawSpec RoutingExpressionSpec() {
  const std::string log_e_hat = "(-log(1/(experts - 1 + 1/(1/E_start - 1/E_max)) + 1/E_max))";
  return MakeExpressionLawSpec(
      "exp(a*log(N) + b*" + log_e_hat + " + c*log(N)*" + log_e_hat + "/2.302585092994046 + 2.302585092994046*d)",
      {ParseExpressionParam("a=-0.12:-0.04:0.04"), ParseExpressionParam("b=-0.2:0.1:0.1"),
       ParseExpressionParam("c=-0.01:0.02:0.01"), ParseExpressionParam("d=0.8:1.4:0.3"),
       ParseExpressionParam("E_start=1:4:1.5"), ParseExpressionParam("E_max=50:1050:500")});
}

// One router's runs with the Dense runs (RoutingRunsFor) as a runs CSV the expression reads: N the dense parameters,
// D the tokens (the law reads none), the experts column and the loss, every number to 17 digits.
std::string RoutingRunsCsv(const RoutingRunsTable& runs) {
  std::string csv = "N,D,experts,loss\n";
  char line[160];
  for (const RoutingRun& run : runs.runs) {
    std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%.17g\n", run.num_params,
                  run.num_tokens > 0 ? run.num_tokens : 1.3e11, run.num_experts, run.loss_nats);
    csv += line;
  }
  return csv;
}

// The routing fit's diagnostics (DiagnoseRoutingFit: Jacobian by Jets through RoutingModel's log10 form, E_start and
// E_max by the delta method from their logs) against each router's bundled runs fitted as the expression above
// (Jacobian by Jets through the expression's program, no logs). Both must find one optimum; the covariances then
// agree to the solvers' agreement, and exactly at one point. The trend along log N is the expression's (the same
// residuals against the same N); the law has no tokens, so the second axis is log E.
TEST(RoutingDiagnostics, EqualTheSameLawFittedAsAnExpressionOnClarksRuns) {
  const RoutingRunsTable table = BundledClarkRuns();
  const std::vector<RoutingFit> fits = FitRoutingLaws(table);
  ASSERT_EQ(fits.size(), 3u);
  const ExpressionLawSpec spec = RoutingExpressionSpec();
  for (RoutingFit routing : fits) {
    SCOPED_TRACE(routing.router);
    ASSERT_TRUE(routing.search.usable) << routing.search.status;
    const FitDiagnostics diagnostics = DiagnoseRoutingFit(table, routing);
    ASSERT_EQ(diagnostics.names, (std::vector<std::string>{"a", "b", "c", "d", "E_start", "E_max"}));
    ASSERT_EQ(diagnostics.num_runs, routing.num_runs);

    const std::string csv = RoutingRunsCsv(RoutingRunsFor(table, routing.router));
    const ExpressionRuns runs = BindExpressionLaw(spec, ParseRunsCsv(csv, routing.router + ".csv"), csv);
    const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
    ASSERT_TRUE(fit.search.usable) << fit.search.status;
    EXPECT_NEAR(fit.search.objective, routing.search.objective, 1e-9 * routing.search.objective);
    const FitDiagnostics expression = DiagnoseExpressionFit(runs, spec, fit);
    std::printf("  %s: objective routing %.12e, expression %.12e\n", routing.router.c_str(), routing.search.objective,
                fit.search.objective);
    for (size_t k = 0; k < diagnostics.names.size(); ++k) {
      std::printf("    %-8s %12.6g  SE routing %.9e  SE expression %.9e\n", diagnostics.names[k].c_str(),
                  diagnostics.values[k], diagnostics.standard_errors[k], expression.standard_errors[k]);
    }
    ExpectSameDiagnostics(expression, diagnostics, 1e-6);
    EXPECT_TRUE(diagnostics.unconstrained.empty());
    ASSERT_EQ(diagnostics.trends.size(), 2u);
    EXPECT_EQ(diagnostics.trends[0].axis, "N");
    EXPECT_EQ(diagnostics.trends[1].axis, "E");
    ASSERT_EQ(expression.trends[0].axis, "N");
    EXPECT_NEAR(diagnostics.trends[0].slope, expression.trends[0].slope, 1e-6 * std::fabs(expression.trends[0].slope));

    // The routing diagnostics at the expression's optimum (a, b, c, d, ln E_start, ln E_max).
    const std::vector<double>& p = fit.params;
    routing.search.params = {p[0], p[1], p[2], p[3], std::log(p[4]), std::log(p[5])};
    ExpectSameDiagnostics(expression, DiagnoseRoutingFit(table, routing), 1e-9);
  }
}

// The diagnostics take the fit's own Huber delta: at delta 1, far above the residuals' scale (s about 0.008), every
// residual lies in Huber's quadratic part and kappa is the least-squares s^2 (factor 1); at the default 1e-3, below
// s, the factor lies near the L1 limit pi/2 (HuberVarianceFactor's closed form at the fitted s).
TEST(RoutingDiagnostics, TakeTheFitsHuberDelta) {
  const RoutingRunsTable table = BundledClarkRuns();
  MultiStartOptions least_squares;
  least_squares.huber_delta = 1.0;
  const std::vector<RoutingFit> wide = FitRoutingLaws(table, least_squares);
  const std::vector<RoutingFit> narrow = FitRoutingLaws(table);
  ASSERT_EQ(wide.size(), 3u);
  ASSERT_EQ(narrow.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    SCOPED_TRACE(narrow[k].router);
    const FitDiagnostics at_one = DiagnoseRoutingFit(table, wide[k]);
    const FitDiagnostics at_default = DiagnoseRoutingFit(table, narrow[k]);
    ASSERT_TRUE(at_one.available);
    ASSERT_TRUE(at_default.available);
    EXPECT_NEAR(at_one.huber_factor, 1.0, 1e-12);
    EXPECT_NEAR(at_default.huber_factor, HuberVarianceFactor(1e-3, at_default.residual_scale), 1e-12);
    EXPECT_GT(at_default.huber_factor, 1.4);
  }
}

// Noise-free runs of Clark et al.'s S-Base law (Table 3): dense N 1e7 ... 1e10 (7 sizes) at E 1 (the Dense runs) and
// 2 ... 512 (powers of two). The fit recovers every coefficient, no parameter is unconstrained, the Hessian is well
// conditioned and the residuals leave no trend; a bootstrap interval spanning more than kMaxIntervalRatio marks its
// parameter by RoutingIntervalNames()'s name.
TEST(RoutingDiagnostics, NoiseFreeRunsRecoverTheLawAndLeaveNoParameterUnconstrained) {
  const RoutingLaw truth = ClarkSBaseLaw();
  RoutingRunsTable table;
  table.source = "sbase_exact.csv";
  for (double num_params : {1e7, 3e7, 1e8, 3e8, 1e9, 3e9, 1e10}) {
    for (double num_experts = 1; num_experts <= 512; num_experts *= 2) {
      RoutingRun run;
      run.router = num_experts == 1 ? "Dense" : "S-Base";
      run.num_params = num_params;
      run.num_experts = num_experts;
      run.loss_nats = truth.Loss(num_params, num_experts);
      run.line = static_cast<int>(table.runs.size()) + 2;
      table.runs.push_back(run);
    }
  }
  const std::vector<RoutingFit> fits = FitRoutingLaws(table);
  ASSERT_EQ(fits.size(), 1u);
  const RoutingFit& fit = fits[0];
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  const double want[] = {truth.a, truth.b, truth.c, truth.d, truth.e_start, truth.e_max};
  const FitDiagnostics diagnostics = DiagnoseRoutingFit(table, fit);
  ASSERT_TRUE(diagnostics.available);
  ASSERT_EQ(diagnostics.num_runs, 70);
  for (size_t k = 0; k < 6; ++k) {
    EXPECT_NEAR(diagnostics.values[k], want[k], 1e-4 * std::fabs(want[k])) << diagnostics.names[k];
  }
  ExpectEveryParameterConstrained(diagnostics);

  RoutingFit wide = fit;
  wide.intervals = {{"E_max", {40.0, 9000.0}}, {"E_start", {1.7, 2.0}}};
  ExpectOnlyUnconstrainedByTheBootstrap(DiagnoseRoutingFit(table, wide), "E_max");
}

// The Jacobian by Jets against central differences of the law's log prediction.
TEST(ExpressionDiagnostics, JacobianMatchesFiniteDifferences) {
  const RunsTable table = BundledChinchillaRuns();
  const ExpressionLawSpec spec = MakeExpressionLawSpec(
      "E + A/N^alpha + B/D^beta + k*log(C)",
      {ParseExpressionParam("E=1.5"), ParseExpressionParam("A=400"), ParseExpressionParam("alpha=0.33"),
       ParseExpressionParam("B=2000"), ParseExpressionParam("beta=0.36"), ParseExpressionParam("k=0.001")});
  const ExpressionRuns runs = BindExpressionLaw(spec, table, "");
  const std::vector<double> params = {1.5, 400, 0.33, 2000, 0.36, 0.001};
  const Eigen::MatrixXd jacobian = ExpressionLogJacobian(runs, params);
  ASSERT_EQ(jacobian.rows(), static_cast<Eigen::Index>(table.runs.size()));
  ASSERT_EQ(jacobian.cols(), 6);
  for (size_t j = 0; j < params.size(); ++j) {
    const double h = 1e-6 * std::max(1.0, std::fabs(params[j]));
    std::vector<double> up = params, down = params;
    up[j] += h;
    down[j] -= h;
    const std::vector<double> plus = PredictExpression(runs, up), minus = PredictExpression(runs, down);
    for (size_t i = 0; i < table.runs.size(); i += 17) {
      const double difference = (std::log(plus[i]) - std::log(minus[i])) / (2 * h);
      EXPECT_NEAR(jacobian(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)), difference,
                  1e-6 * std::max(1.0, std::fabs(difference)))
          << "run " << i << ", parameter " << j;
    }
  }
}

// The IsoFLOP exponent fit's standard errors against a straight line's closed form, computed here from the budgets
// the fit used: with x = log C, y = log N_opt, S_xx = SUM (x - x_bar)^2 and s^2 = RSS / (n - 2),
//   SE(a) = s / sqrt(S_xx),  SE(log k) = s sqrt(1/n + x_bar^2 / S_xx),  Cov(log k, a) = -s^2 x_bar / S_xx.
void ExpectIsoFlopClosedForm(bool keep_extrapolated) {
  const RunsTable table = BundledChinchillaRuns();
  const std::vector<std::vector<size_t>> groups =
      BudgetsWithAtLeast(GroupByBudget(table), static_cast<size_t>(kDefaultIsoFlopMinBudgetRuns));
  const IsoFlopFit fit = FitIsoFlop(table, groups, nullptr, keep_extrapolated);
  ASSERT_TRUE(fit.usable) << fit.status;
  const FitDiagnostics diagnostics = DiagnoseIsoFlopFit(fit);
  ASSERT_TRUE(diagnostics.available);

  std::vector<double> x, y;
  for (const IsoFlopBudget& b : fit.budgets) {
    if (!b.used) continue;
    x.push_back(std::log(b.compute_flops));
    y.push_back(std::log(b.num_params_opt));
  }
  const double n = static_cast<double>(x.size());
  ASSERT_EQ(static_cast<int>(n), fit.num_budgets_used);
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
  const double intercept = y_bar - slope * x_bar;
  double rss = 0;
  for (size_t i = 0; i < x.size(); ++i) rss += std::pow(y[i] - intercept - slope * x[i], 2);
  const double s2 = rss / (n - 2);
  const double se_slope = std::sqrt(s2 / sxx);
  const double se_intercept = std::sqrt(s2 * (1 / n + x_bar * x_bar / sxx));
  const double correlation = -s2 * x_bar / sxx / (se_slope * se_intercept);

  EXPECT_NEAR(fit.exponent_params, slope, 1e-9);
  const int a = IndexOf(diagnostics, "exponent_params");
  const int k = IndexOf(diagnostics, "coeff_params");
  const int b = IndexOf(diagnostics, "exponent_tokens");
  const int k_d = IndexOf(diagnostics, "coeff_tokens");
  EXPECT_NEAR(diagnostics.residual_scale, std::sqrt(s2), 1e-9 * std::sqrt(s2));
  EXPECT_NEAR(diagnostics.standard_errors[a], se_slope, 1e-8 * se_slope);
  EXPECT_NEAR(diagnostics.standard_errors[k], fit.coeff_params * se_intercept, 1e-6 * fit.coeff_params * se_intercept);
  EXPECT_NEAR(diagnostics.correlations(a, k), correlation, 1e-6);
  // The token law mirrors the parameter law (D_opt = C / (6 N_opt)): b = 1 - a.
  EXPECT_NEAR(fit.exponent_tokens, 1 - fit.exponent_params, 1e-9);
  EXPECT_NEAR(diagnostics.standard_errors[b], se_slope, 1e-8 * se_slope);
  EXPECT_NEAR(diagnostics.standard_errors[k_d], fit.coeff_tokens * se_intercept,
              1e-6 * fit.coeff_tokens * se_intercept);
  EXPECT_NEAR(diagnostics.correlations(a, b), -1.0, 1e-9);
  EXPECT_NEAR(diagnostics.correlations(k, k_d), -1.0, 1e-9);
  EXPECT_TRUE(diagnostics.unconstrained.empty());
}

TEST(IsoFlopDiagnostics, ExponentStandardErrorsAreTheClosedForm) { ExpectIsoFlopClosedForm(false); }

TEST(IsoFlopDiagnostics, ExponentStandardErrorsWithExtrapolatedMinimaKept) { ExpectIsoFlopClosedForm(true); }

TEST(IsoFlopDiagnostics, TwoBudgetsGiveNoStandardErrors) {
  IsoFlopFit fit;
  fit.usable = true;
  fit.exponent_params = 0.5;
  fit.coeff_params = 0.1;
  fit.exponent_tokens = 0.5;
  fit.coeff_tokens = 1.0 / 6 / 0.1;
  for (double c : {1e18, 1e19}) {
    IsoFlopBudget b;
    b.compute_flops = c;
    b.num_params_opt = 0.1 * std::sqrt(c);
    b.num_tokens_opt = c / (6 * b.num_params_opt);
    b.usable = b.used = true;
    fit.budgets.push_back(b);
  }
  const FitDiagnostics diagnostics = DiagnoseIsoFlopFit(fit);
  EXPECT_FALSE(diagnostics.available);
  EXPECT_EQ(diagnostics.num_runs, 2);
  EXPECT_TRUE(std::isnan(diagnostics.standard_errors[0]));
}

}  // namespace
}  // namespace scaleplan
