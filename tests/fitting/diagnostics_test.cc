#include "fitting/diagnostics.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/bundled_data.h"
#include "core/chinchilla_law.h"
#include "fitting/chinchilla_fit.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// Besiroglu et al. 2024's point estimate.
const ChinchillaLaw kTruth{1.817, 482.01, 2085.43, 0.3478, 0.3658};

// Runs on a grid of N and D following `loss(N, D)` times exp(noise), noise ~ N(0, sigma^2).
template <class Loss>
RunsTable GridRuns(const std::vector<double>& params, const std::vector<double>& tokens, const Loss& loss, double sigma,
                   std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  RunsTable table;
  table.source = "generated.csv";
  for (double n : params) {
    for (double d : tokens) {
      TrainingRun run;
      run.num_params = n;
      run.num_tokens = d;
      run.compute_flops = 6 * n * d;
      run.loss_nats = loss(n, d) * std::exp(sigma > 0 ? noise(rng) : 0.0);
      run.line = static_cast<int>(table.runs.size()) + 2;
      table.runs.push_back(run);
    }
  }
  return table;
}

double TruthLoss(double num_params, double num_tokens) { return kTruth.Loss(num_params, num_tokens); }

std::vector<double> LogSpaced(double lo, double hi, int count) {
  std::vector<double> values;
  for (int i = 0; i < count; ++i) values.push_back(lo * std::pow(hi / lo, i / (count - 1.0)));
  return values;
}

RunsTable ChinchillaRuns(double sigma, std::uint64_t seed) {
  return GridRuns(LogSpaced(1e7, 1e10, 7), LogSpaced(1e9, 1e12, 7), TruthLoss, sigma, seed);
}

bool Contains(const std::vector<UnconstrainedParameter>& list, const std::string& name) {
  return std::any_of(list.begin(), list.end(), [&](const UnconstrainedParameter& p) { return p.name == name; });
}

// A model linear in its parameters: log L_hat = p0 + p1 x + p2 x^2, for the closed form.
struct QuadraticModel {
  static constexpr int kNumParams = 3;
  std::vector<double> x, log_loss;
  int NumSamples() const { return static_cast<int>(x.size()); }
  double LogTarget(int i) const { return log_loss[i]; }
  double Weight(int) const { return 1.0; }
  template <typename T>
  T LogPrediction(const T* p, int i) const {
    return p[0] + p[1] * x[i] + p[2] * (x[i] * x[i]);
  }
};

// Simpson's rule for f over [lo, hi] with `steps` (even) intervals.
template <class F>
double Simpson(const F& f, double lo, double hi, int steps) {
  const double h = (hi - lo) / steps;
  double sum = f(lo) + f(hi);
  for (int k = 1; k < steps; ++k) sum += (k % 2 ? 4 : 2) * f(lo + k * h);
  return sum * h / 3;
}

// Huber's factor E[psi^2] / (s^2 E[psi']^2) under N(0, s^2), by quadrature on each side of the kinks at +-delta.
double IntegratedHuberFactor(double delta, double s) {
  const auto density = [s](double r) {
    return std::exp(-0.5 * r * r / (s * s)) / (s * std::sqrt(2 * std::numbers::pi));
  };
  const double inside = Simpson(density, -delta, delta, 2000);
  const double inside_second = Simpson([&](double r) { return r * r * density(r); }, -delta, delta, 2000);
  const double tail = Simpson(density, delta, delta + 40 * s, 200000);  // one side; beyond 40 s is below 1e-300
  return (inside_second + 2 * delta * delta * tail) / (s * s * inside * inside);
}

TEST(Diagnostics, HuberFactorMatchesTheIntegralAndItsLimits) {
  EXPECT_NEAR(HuberVarianceFactor(1e6, 0.02), 1.0, 1e-12);                   // least squares
  EXPECT_NEAR(HuberVarianceFactor(1e-9, 0.02), std::numbers::pi / 2, 1e-6);  // least absolute deviations
  for (double c : {0.05, 0.3, 1.0, 1.345, 3.0}) {
    EXPECT_NEAR(HuberVarianceFactor(c * 0.02, 0.02), IntegratedHuberFactor(c * 0.02, 0.02), 1e-8) << "c = " << c;
  }
  // Huber's classical efficiency: 95% at c = 1.345, so the factor is 1 / 0.95.
  EXPECT_NEAR(1 / HuberVarianceFactor(1.345, 1.0), 0.95, 1e-3);
}

TEST(Diagnostics, LinearLeastSquaresGivesSigmaSquaredXtXInverse) {
  std::mt19937_64 rng(testing::TestSeed());
  std::normal_distribution<double> noise(0.0, 0.03);
  QuadraticModel model;
  for (int i = 0; i < 40; ++i) {
    const double x = -1 + i / 19.5;
    model.x.push_back(x);
    model.log_loss.push_back(0.7 - 0.2 * x + 0.05 * x * x + noise(rng));
  }
  // The ordinary least-squares solution and its textbook covariance, from the normal equations.
  Eigen::MatrixXd design(40, 3);
  Eigen::VectorXd y(40);
  for (int i = 0; i < 40; ++i) {
    design.row(i) << 1.0, model.x[i], model.x[i] * model.x[i];
    y[i] = model.log_loss[i];
  }
  const Eigen::MatrixXd xtx_inverse = (design.transpose() * design).inverse();
  const Eigen::VectorXd beta = xtx_inverse * design.transpose() * y;
  const double sigma2 = (y - design * beta).squaredNorm() / (40 - 3);
  const Eigen::MatrixXd expected = sigma2 * xtx_inverse;

  RunsTable table;  // only for the trends: x as N
  for (double x : model.x) table.runs.push_back(TrainingRun{std::exp(x + 20), 1e10, 1e21, 1.0, 0, 0});
  const std::vector<double> params = {beta[0], beta[1], beta[2]};
  const FitDiagnostics d =
      DiagnoseModelFit(model, table, params, {{"c0", 0, false, 0}, {"c1", 1, false, 1}, {"c2", 2, false, 2}}, 1e6);
  ASSERT_TRUE(d.available);
  EXPECT_NEAR(d.huber_factor, 1.0, 1e-12);
  EXPECT_NEAR(d.residual_scale * d.residual_scale, sigma2, 1e-12 * sigma2);
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      EXPECT_NEAR(d.covariance(a, b), expected(a, b), 1e-9 * std::sqrt(expected(a, a) * expected(b, b)));
    }
    EXPECT_NEAR(d.standard_errors[a], std::sqrt(expected(a, a)), 1e-9 * std::sqrt(expected(a, a)));
  }
  EXPECT_NEAR(d.correlations(0, 2), expected(0, 2) / std::sqrt(expected(0, 0) * expected(2, 2)), 1e-9);
  EXPECT_TRUE(d.unconstrained.empty());
}

// 1/2 SUM (log L(x) - log L(x_hat))^2 over the runs, with x = (E, A, B, alpha, beta) in the scale users read: its
// Hessian at x_hat is J^T J in that scale, with no log parametrisation and no automatic differentiation.
double PredictionDistance(const std::vector<double>& x, const std::vector<double>& x_hat, const RunsTable& table) {
  const ChinchillaLaw law{x[0], x[1], x[2], x[3], x[4]};
  const ChinchillaLaw fitted{x_hat[0], x_hat[1], x_hat[2], x_hat[3], x_hat[4]};
  double sum = 0;
  for (const TrainingRun& run : table.runs) {
    const double r =
        std::log(law.Loss(run.num_params, run.num_tokens)) - std::log(fitted.Loss(run.num_params, run.num_tokens));
    sum += 0.5 * r * r;
  }
  return sum;
}

TEST(Diagnostics, ChinchillaCovarianceMatchesAFiniteDifferenceHessianInTheReportedScale) {
  const RunsTable runs = ChinchillaRuns(0.02, testing::TestSeed());
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable);
  const FitDiagnostics d = DiagnoseChinchillaFit(runs, fit);
  ASSERT_TRUE(d.available);
  ASSERT_EQ(d.names, (std::vector<std::string>{"E", "A", "B", "alpha", "beta"}));
  const std::vector<double> x_hat = {fit.law.E, fit.law.A, fit.law.B, fit.law.alpha, fit.law.beta};
  // Central differences of the function values, steps 1e-4 of each value (the library differentiates nothing).
  Eigen::MatrixXd hessian(5, 5);
  for (int j = 0; j < 5; ++j) {
    for (int k = 0; k < 5; ++k) {
      const double step = 1e-5;
      const double hj = step * std::abs(x_hat[j]), hk = step * std::abs(x_hat[k]);
      auto at = [&](double sj, double sk) {
        std::vector<double> x = x_hat;
        x[j] += sj * hj;
        x[k] += sk * hk;
        return PredictionDistance(x, x_hat, runs);
      };
      hessian(j, k) = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * hj * hk);
    }
  }
  // s^2 from the residuals and Huber's factor by quadrature, both computed here.
  double rss = 0;
  for (const TrainingRun& run : runs.runs) {
    rss += std::pow(std::log(fit.law.Loss(run.num_params, run.num_tokens)) - std::log(run.loss_nats), 2);
  }
  const double s2 = rss / (runs.runs.size() - 5);
  const Eigen::MatrixXd expected =
      IntegratedHuberFactor(fit.options.huber_delta, std::sqrt(s2)) * s2 * hessian.inverse();
  for (int a = 0; a < 5; ++a) {
    EXPECT_NEAR(d.standard_errors[a], std::sqrt(expected(a, a)), 1e-5 * std::sqrt(expected(a, a))) << d.names[a];
    for (int b = 0; b < 5; ++b) {
      EXPECT_NEAR(d.correlations(a, b), expected(a, b) / std::sqrt(expected(a, a) * expected(b, b)), 1e-5)
          << d.names[a] << ", " << d.names[b];
    }
  }
  EXPECT_TRUE(d.unconstrained.empty());
}

TEST(Diagnostics, StandardErrorsPredictTheSpreadOfRefits) {
  // 600 data sets from the law with normal log noise (sigma 0.02), each fitted: the spread of the fitted alpha,
  // beta and log E against the root-mean-square standard error the diagnostics predicted (0.92, 0.94 and 0.96: on
  // 49 runs the estimate is slightly conservative). Least squares' own covariance s^2 (J^T J)^-1, without Huber's
  // factor (1.53 here), would predict standard errors 19% smaller, and ratios near 1.15 that fail the upper bound.
  const int kDataSets = 600;
  MultiStartOptions options;
  options.num_starts = 8;
  std::vector<std::vector<double>> estimates(3), predicted(3);
  for (int k = 0; k < kDataSets; ++k) {
    const RunsTable runs = ChinchillaRuns(0.02, testing::TestSeed() + 1000 + k);
    const ChinchillaFit fit = FitChinchilla(runs, options);
    ASSERT_TRUE(fit.search.usable);
    const FitDiagnostics d = DiagnoseChinchillaFit(runs, fit);
    estimates[0].push_back(fit.law.alpha);
    estimates[1].push_back(fit.law.beta);
    estimates[2].push_back(std::log(fit.law.E));
    predicted[0].push_back(d.standard_errors[3]);
    predicted[1].push_back(d.standard_errors[4]);
    predicted[2].push_back(d.standard_errors[0] / fit.law.E);
  }
  const char* names[] = {"alpha", "beta", "log E"};
  for (int q = 0; q < 3; ++q) {
    double mean = 0, spread = 0, rms = 0;
    for (int k = 0; k < kDataSets; ++k) mean += estimates[q][k] / kDataSets;
    for (int k = 0; k < kDataSets; ++k) {
      spread += std::pow(estimates[q][k] - mean, 2) / (kDataSets - 1);
      rms += predicted[q][k] * predicted[q][k] / kDataSets;
    }
    const double ratio = std::sqrt(spread / rms);
    std::printf("%s: spread of refits / predicted standard error = %.3f\n", names[q], ratio);
    EXPECT_GT(ratio, 0.82) << names[q];
    EXPECT_LT(ratio, 1.08) << names[q];
  }
}

TEST(Diagnostics, ANarrowRangeOfDLeavesEBAndBetaUnconstrained) {
  // 8 sizes over three decades, but D within 6%: B / D^beta is nearly one number, which E absorbs.
  const RunsTable runs =
      GridRuns(LogSpaced(1e7, 1e10, 8), {1e10, 1.03e10, 1.06e10}, TruthLoss, 0.01, testing::TestSeed());
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  const FitDiagnostics d = DiagnoseChinchillaFit(runs, fit);
  // B and beta always; E, which trades with the near-constant D term, with most noise draws.
  EXPECT_TRUE(Contains(d.unconstrained, "B"));
  EXPECT_TRUE(Contains(d.unconstrained, "beta"));
  EXPECT_FALSE(Contains(d.unconstrained, "A"));
  EXPECT_FALSE(Contains(d.unconstrained, "alpha"));
  bool warned = false;
  for (const std::string& warning : d.warnings)
    warned = warned || warning.find("beta is not constrained by these runs: ") == 0;
  EXPECT_TRUE(warned);
  // The same sizes with D over three decades constrain every parameter.
  const RunsTable wide =
      GridRuns(LogSpaced(1e7, 1e10, 8), LogSpaced(1e9, 1e12, 3), TruthLoss, 0.01, testing::TestSeed());
  EXPECT_TRUE(DiagnoseChinchillaFit(wide, FitChinchilla(wide, MultiStartOptions{})).unconstrained.empty());
}

TEST(Diagnostics, ACollinearDirectionIsSingular) {
  // Two identical Jacobian columns: the Hessian is singular along their difference, and both are named.
  Eigen::MatrixXd jacobian(6, 3);
  Eigen::VectorXd residuals(6), weights = Eigen::VectorXd::Ones(6);
  for (int i = 0; i < 6; ++i) {
    jacobian.row(i) << 1.0, i, i;
    residuals[i] = 0.01 * std::sin(i);
  }
  const FitDiagnostics d = DiagnoseFromJacobian(jacobian, residuals, weights, {0.5, 1.0, 2.0},
                                                {{"c", 0, false, 0}, {"u", 1, false, 1}, {"v", 2, false, 2}}, 1e-3);
  EXPECT_LT(d.min_eigenvalue, kMinHessianEigenvalue);
  EXPECT_TRUE(Contains(d.unconstrained, "u"));
  EXPECT_TRUE(Contains(d.unconstrained, "v"));
  EXPECT_FALSE(Contains(d.unconstrained, "c"));
  EXPECT_TRUE(std::isinf(d.standard_errors[1]));
  EXPECT_TRUE(std::isfinite(d.standard_errors[0]));
}

TEST(Diagnostics, ACorrelationAbove099MarksOnlyImpreciseParameters) {
  // Columns 1 and 2 nearly collinear (correlation of the estimates about -0.999): with tiny residuals both are known
  // to a fraction of a percent and nothing is marked; with residuals 1000 times larger both are marked.
  Eigen::MatrixXd jacobian(8, 3);
  Eigen::VectorXd residuals(8), weights = Eigen::VectorXd::Ones(8);
  for (int i = 0; i < 8; ++i) {
    jacobian.row(i) << 1.0, 1.0 + 0.1 * i, 1.0 + 0.1 * i + 0.002 * (i % 2);
    residuals[i] = 1e-6 * std::sin(3.0 * i);
  }
  const std::vector<ReportedParameter> reported = {{"c", 0, false, 0}, {"u", 1, false, 1}, {"v", 2, false, 2}};
  const FitDiagnostics tiny = DiagnoseFromJacobian(jacobian, residuals, weights, {0.5, 1.0, 2.0}, reported, 1e-3);
  ASSERT_GT(std::abs(tiny.correlations(1, 2)), 0.99);
  EXPECT_LT(tiny.standard_errors[1], 0.1 * 1.0);
  EXPECT_TRUE(tiny.unconstrained.empty());
  const FitDiagnostics noisy =
      DiagnoseFromJacobian(jacobian, 1000 * residuals, weights, {0.5, 1.0, 2.0}, reported, 1e-3);
  EXPECT_NEAR(noisy.correlations(1, 2), tiny.correlations(1, 2), 1e-9);  // the design alone sets correlations
  EXPECT_GT(noisy.standard_errors[1], 0.1 * 1.0);
  EXPECT_TRUE(Contains(noisy.unconstrained, "u"));
  EXPECT_TRUE(Contains(noisy.unconstrained, "v"));
}

TEST(Diagnostics, TheBundledRunsAreConstrainedAndTrendFree) {
  const RunsTable runs = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  const FitDiagnostics d = DiagnoseChinchillaFit(runs, fit);
  EXPECT_TRUE(d.unconstrained.empty());
  EXPECT_TRUE(d.warnings.empty());
  // A with alpha and B with beta are correlated above 0.99 (A is quoted at N = 1), and exempt.
  EXPECT_GT(d.correlations(1, 3), 0.99);
  EXPECT_GT(d.correlations(2, 4), 0.99);
  // The relative standard errors, as the bootstrap of Besiroglu et al. 2024 orders them: E best known, then the
  // exponents, then the coefficients.
  const double e = d.standard_errors[0] / d.values[0], alpha = d.standard_errors[3] / d.values[3];
  const double a = d.standard_errors[1] / d.values[1];
  EXPECT_LT(e, alpha);
  EXPECT_LT(alpha, a);
}

// The loss of a law whose data term grows with N (B (N / 1e8)^0.25 / D^beta): not separable, so E + A/N^alpha +
// B/D^beta misses an N-D interaction.
double InteractingLoss(double n, double d) {
  return kTruth.E + kTruth.A / std::pow(n, kTruth.alpha) +
         kTruth.B * std::pow(n / 1e8, 0.25) / std::pow(d, kTruth.beta);
}

TEST(Diagnostics, ResidualsTrendWhenTheLawMissesATerm) {
  const RunsTable missing =
      GridRuns(LogSpaced(1e7, 1e10, 10), LogSpaced(1e9, 1e12, 10), InteractingLoss, 0.005, testing::TestSeed());
  const FitDiagnostics d = DiagnoseChinchillaFit(missing, FitChinchilla(missing, MultiStartOptions{}));
  ASSERT_EQ(d.trends.size(), 3u);
  EXPECT_EQ(d.trends[0].axis, "N");
  EXPECT_TRUE(d.trends[0].flagged) << d.trends[0].t_statistic << " " << d.trends[0].change_log;
  bool warned = false;
  for (const std::string& warning : d.warnings) warned = warned || warning.find("the residuals trend with log N") == 0;
  EXPECT_TRUE(warned);

  // Data from the law itself, 20 noise draws: no trend on any axis.
  for (int k = 0; k < 20; ++k) {
    const RunsTable clean = ChinchillaRuns(0.005, testing::TestSeed() + 77 + k);
    const FitDiagnostics c = DiagnoseChinchillaFit(clean, FitChinchilla(clean, MultiStartOptions{}));
    for (const ResidualTrend& trend : c.trends) EXPECT_FALSE(trend.flagged) << "draw " << k << " " << trend.axis;
    EXPECT_TRUE(c.warnings.empty()) << "draw " << k;
  }
}

TEST(Diagnostics, TrendSlopeAndTStatisticAgainstOrdinaryLeastSquares) {
  // r = 0.004 log x + a wobble: the slope and its t-statistic from Eigen's least-squares solve.
  std::vector<double> log_x, r;
  for (int i = 0; i < 30; ++i) {
    log_x.push_back(15 + 0.3 * i);
    r.push_back(0.004 * log_x.back() + 0.01 * std::sin(2.1 * i));
  }
  Eigen::MatrixXd design(30, 2);
  Eigen::VectorXd y(30);
  for (int i = 0; i < 30; ++i) {
    design.row(i) << 1.0, log_x[i];
    y[i] = r[i];
  }
  const Eigen::VectorXd coef = design.colPivHouseholderQr().solve(y);
  const double s2 = (y - design * coef).squaredNorm() / 28;
  const double se = std::sqrt(s2 * (design.transpose() * design).inverse()(1, 1));
  const ResidualTrend trend = FitResidualTrend("N", log_x, r);
  EXPECT_NEAR(trend.slope, coef[1], 1e-12);
  EXPECT_NEAR(trend.t_statistic, coef[1] / se, 1e-8 * std::abs(coef[1] / se));
  EXPECT_NEAR(trend.change_log, coef[1] * 0.3 * 29, 1e-12);
  EXPECT_EQ(trend.flagged, std::abs(coef[1] / se) > 4 && std::abs(coef[1] * 0.3 * 29) > 0.01);
  // One value of x: no trend.
  EXPECT_EQ(FitResidualTrend("D", std::vector<double>(30, 20.0), r).slope, 0.0);
}

TEST(Diagnostics, AWideBootstrapIntervalMarksAParameter) {
  FitDiagnostics d;
  d.names = {"E", "A", "alpha"};
  d.values = {1.8, 400, 0.34};
  AddIntervalRule({{"E", {0.0, 2.1}}, {"A", {10, 5000}}, {"alpha", {0.2, 0.5}}, {"a", {0.0, 1.0}}}, &d);
  ASSERT_EQ(d.unconstrained.size(), 2u);
  EXPECT_EQ(d.unconstrained[0].name, "E");
  EXPECT_NE(d.unconstrained[0].reason.find("reaches zero"), std::string::npos);
  EXPECT_EQ(d.unconstrained[1].name, "A");
  EXPECT_NE(d.unconstrained[1].reason.find("spans a factor of 500"), std::string::npos);
}

}  // namespace
}  // namespace scaleplan
