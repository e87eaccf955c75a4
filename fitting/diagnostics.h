// What a fit's optimum says about itself: standard errors and correlations of the parameters, the parameters the runs
// do not constrain, and warnings when the law describes the runs poorly (large or trending residuals).
//
// Standard errors. Every law here minimises SUM_i w_i Huber_delta(r_i), r_i = log L_hat_i - log L_i
// (fitting/multistart.h). The covariance at the optimum theta is Huber's asymptotic covariance of a regression
// M-estimator (Huber 1981, Robust Statistics, sec. 7.6):
//
//   Cov(theta) = kappa * (J^T W J)^-1,     kappa = E[psi(r)^2] / (E[psi'(r)])^2,
//
// with J_ij = d log L_hat_i / d theta_j the Jacobian of the log predictions (computed exactly with Ceres Jets, no
// step size), W = diag(w_i), and psi = Huber_delta' = clamp(r, -delta, delta). J^T W J is the Gauss-Newton Hessian of
// the log-space least-squares objective 1/2 SUM w_i r_i^2 (its exact Hessian when the law is linear in theta, or
// when the residuals vanish). The expectations in kappa are taken over normal residuals r ~ N(0, s^2), with
// s^2 = SUM w_i r_i^2 / (n - p) (n = SUM w_i runs, p parameters); with c = delta / s, Phi and phi the standard normal
// distribution and density:
//
//   E[psi'] = 2 Phi(c) - 1,   E[psi^2] = s^2 (2 Phi(c) - 1 - 2 c phi(c)) + 2 delta^2 (1 - Phi(c)).
//
// Limits: delta >> s (every residual in Huber's quadratic part) gives kappa = s^2, the textbook least-squares
// covariance s^2 (J^T J)^-1 (for a linear law, s^2 (X^T X)^-1 exactly); delta << s (the usual case: delta = 1e-3,
// residuals of a few percent) gives kappa = (pi / 2) s^2, the variance of least absolute deviations under normal
// errors, which is what the Huber fit then is.
//
// Why not the Huber objective's own Hessian: psi' is 1 inside delta and 0 outside, so with delta = 1e-3 only the few
// runs whose residual happens to lie within 1e-3 give it curvature; its inverse measures which runs sit inside the
// kink, not the information in the data. The empirical version of Huber's formula (the means of psi^2 and psi' over
// the runs) has the same fault: at an optimum of a near-L1 objective about p residuals sit at zero by construction.
// Evaluating the expectations under a normal law with the fitted scale keeps the formula smooth and exact in both
// limits.
//
// Assumptions: runs independent, log residuals of one variance (no run weights beyond bootstrap counts), roughly
// normal, and the optimum in the interior of a smooth valley (the law's form is right). Outlying runs inflate s and
// so every standard error: conservative. The bootstrap (fitting/bootstrap.h) assumes none of this; where the two
// disagree, trust the bootstrap.
//
// Reported scale: the fit works in log A, log B, log E (and the exponents as they are); users read E, A, B, alpha,
// beta. A parameter reported as exp(theta_j) gets, by the delta method, the standard error exp(theta_j) SE(theta_j)
// and the covariance row scaled by the same factor; correlations are unchanged by that positive diagonal scaling.
//
// Unconstrained parameters (the data do not pin them down), each with its reason:
//   - the Hessian J^T W J is singular or ill-conditioned: the smallest eigenvalue of its correlation form (unit
//     diagonal) is below kMinHessianEigenvalue (1e-10, a reciprocal condition number at the edge of double precision
//     round-off of J) or the diagonal has a zero; the parameters carrying more than a third of that eigenvector's
//     weight are named;
//   - a relative standard error SE(x) / |x| above kMaxRelativeError (1): the one-sigma band is as wide as the value,
//     so not even its order of magnitude is known;
//   - |correlation| above kMaxCorrelation (0.99) with another parameter, between parameters of different terms of
//     the law, when the parameter is also imprecise: relative standard error above kCorrelatedRelativeError (10%).
//     Runs that pin both parameters down (noise-free runs give standard errors near zero) may still correlate them
//     above 0.99; that is no defect of the data, and is not reported. The pairs (A, alpha) and (B, beta) of one
//     power-law term A / N^alpha are exempt: their correlation comes from measuring A at N = 1, far outside any runs (d
//     log L / d log A and d log L / d alpha differ by the factor -log N, nearly constant across runs), and is near 1 in
//     every fit; it says where A is quoted, not that the runs fail to fix the term. Kaplan's law pairs (N_c, alpha_N)
//     and (D_c, alpha_D) the same way;
//   - a bootstrap interval (when there is one) whose ends differ by more than kMaxIntervalRatio (100x) for a positive
//     parameter, or that reaches zero or below for one.
//
// Poor fit and trends:
//   - log-space RMSE above kPoorFitRmse (0.05, about 5% in loss; fitting/residuals.h, whose PoorFitWarning the fits
//     carry already): mixed sources, a wrong column, or a law that does not fit;
//   - residuals trending with log N, log D or log C (the routing law, which has no tokens: log N and log E): the
//     least-squares slope of r against log x over the runs, with its t-statistic t = slope / SE(slope). A trend is
//     reported when |t| > kTrendTStatistic (4: under independent normal residuals a false alarm on any of the three
//     axes has probability below 2e-4) AND the trend moves the prediction by more than kTrendMinChange (0.01 in log,
//     about 1% of the loss) across the runs' range of log x. Both are needed: with thousands of runs a negligible
//     trend is significant; with ten runs a large one may not be. A law fitted to data from its own form leaves no
//     trend (its residuals are noise); a missing term leaves one.
#ifndef SCALEPLAN_FITTING_DIAGNOSTICS_H_
#define SCALEPLAN_FITTING_DIAGNOSTICS_H_

#include <ceres/jet.h>

#include <Eigen/Core>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/runs_table.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/data_constrained_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/residuals.h"
#include "fitting/sparse_fit.h"

namespace scaleplan {

inline constexpr double kTrendTStatistic = 4.0;
inline constexpr double kTrendMinChange = 0.01;
inline constexpr double kMaxRelativeError = 1.0;
inline constexpr double kMaxCorrelation = 0.99;
inline constexpr double kCorrelatedRelativeError = 0.1;
inline constexpr double kMaxIntervalRatio = 100.0;
inline constexpr double kMinHessianEigenvalue = 1e-10;

// How a parameter is reported: its name, which fit parameter it comes from, whether the fit parameter is its log,
// and which term of the law it belongs to (parameters of one term are exempt from the correlation rule).
struct ReportedParameter {
  std::string name;     // "E"
  int fit_index = 0;    // index into the fit's parameter vector
  bool is_log = false;  // the fit parameter is log(value): value = exp(theta)
  int term = 0;         // parameters sharing a term (A and alpha) share this number
};

// A least-squares slope of the log residuals against log x over the runs.
struct ResidualTrend {
  std::string axis;          // "N", "D" or "C"
  double slope = 0.0;        // d r / d log x
  double t_statistic = 0.0;  // slope / its standard error
  double change_log = 0.0;   // slope * (max log x - min log x): the trend's size across the runs
  bool flagged = false;      // |t| > kTrendTStatistic and |change_log| > kTrendMinChange
};

struct UnconstrainedParameter {
  std::string name;
  std::string reason;  // "its one-sigma uncertainty 3.2 is 4.1 times its value", ... (never the word "error": a
                       // successful command's stderr holds none)
};

struct FitDiagnostics {
  std::string method;              // how the standard errors were computed ("": the Huber covariance above)
  bool available = false;          // false: no standard errors (fewer runs than parameters, or no finite residuals)
  std::vector<std::string> names;  // reported parameters, in report order
  std::vector<double> values;      // in the reported scale
  std::vector<double> standard_errors;  // in the reported scale; +inf where the Hessian is singular
  Eigen::MatrixXd covariance;           // in the reported scale (NaN rows where singular)
  Eigen::MatrixXd correlations;         // NaN where undefined
  double residual_scale = 0.0;          // s = sqrt(SUM w r^2 / (n - p))
  double huber_factor = 1.0;            // kappa / s^2: 1 for least squares, pi/2 for the L1 limit
  double min_eigenvalue = 0.0;          // smallest eigenvalue of the correlation form of J^T W J
  int num_runs = 0;
  int num_params = 0;
  std::vector<UnconstrainedParameter> unconstrained;
  double rmse_log = 0.0;              // sqrt(mean r^2), unweighted over runs
  std::vector<ResidualTrend> trends;  // N, D, C (empty when not computed)
  bool poor_fit = false;              // rmse_log > kPoorFitRmse (the fit carries PoorFitWarning already)
  std::vector<std::string> warnings;  // one line each: trends, unconstrained parameters
};

// The core: covariance, standard errors, correlations and the Hessian rules from the Jacobian of the log predictions
// (rows: runs, columns: fit parameters), the residuals r = log L_hat - log L, the run weights and the fit
// parameters. Fills everything but the trends, the RMSE warning and the warnings list (see FinishDiagnostics).
FitDiagnostics DiagnoseFromJacobian(const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& residuals,
                                    const Eigen::VectorXd& weights, const std::vector<double>& fit_params,
                                    const std::vector<ReportedParameter>& reported, double huber_delta);

// Huber's kappa / s^2 for normal residuals of scale s (see above): 1 when delta >> s, pi/2 when delta << s.
double HuberVarianceFactor(double huber_delta, double residual_scale);

// The least-squares slope of `residuals` against `log_x`, its t-statistic and size (ResidualTrend). A constant
// log_x gives a zero trend.
ResidualTrend FitResidualTrend(const std::string& axis, const std::vector<double>& log_x,
                               const std::vector<double>& residuals);

// An axis the residuals' trend is taken along: its name ("N", "E") and log x, one per run in the model's order.
struct TrendAxis {
  std::string name;
  std::vector<double> log_x;
};

// log N, log D and log C of `table`'s runs, in order: the axes of every law with a tokens term.
std::vector<TrendAxis> RunsTrendAxes(const RunsTable& table);

// The trends of the residuals (one per run, in order) along each axis, in the axes' order.
std::vector<ResidualTrend> ResidualTrends(const std::vector<TrendAxis>& axes, const std::vector<double>& residuals);

// Bootstrap percentile intervals by reported name: {"alpha", {lower, upper}}.
using NamedIntervals = std::vector<std::pair<std::string, std::pair<double, double>>>;

// Adds the bootstrap rule: `intervals` by reported name (names not reported are ignored).
void AddIntervalRule(const NamedIntervals& intervals, FitDiagnostics* diagnostics);

// Sets rmse_log, poor_fit and trends from the residuals along `axes`, and writes the warnings: each flagged trend,
// each unconstrained parameter ("E is not constrained by these runs: <reason>").
void FinishDiagnostics(const std::vector<TrendAxis>& axes, const std::vector<double>& residuals,
                       FitDiagnostics* diagnostics);
// The same along RunsTrendAxes(table).
void FinishDiagnostics(const RunsTable& table, const std::vector<double>& residuals, FitDiagnostics* diagnostics);

// The Jacobian of a model's log predictions (fitting/multistart.h) at `params`, exactly, with Ceres Jets.
template <class Model>
Eigen::MatrixXd LogPredictionJacobian(const Model& model, const std::vector<double>& params) {
  constexpr int kP = Model::kNumParams;
  using Jet = ceres::Jet<double, kP>;
  Jet jet_params[kP];
  for (int j = 0; j < kP; ++j) jet_params[j] = Jet(params[j], j);
  Eigen::MatrixXd jacobian(model.NumSamples(), kP);
  for (int i = 0; i < model.NumSamples(); ++i) {
    const Jet prediction = model.LogPrediction(jet_params, i);
    for (int j = 0; j < kP; ++j) jacobian(i, j) = prediction.v[j];
  }
  return jacobian;
}

// Diagnostics of any model's fit at `params` (the optimum): the Huber covariance and its rules, the bootstrap rule on
// `intervals` (none when empty), and the trends of the residuals along `axes` (one log x per sample of the model, in
// its order; every run weight 1). Every built-in law's Diagnose*Fit is this with its model, reported parameters and
// axes.
template <class Model>
FitDiagnostics DiagnoseModelFit(const Model& model, const std::vector<TrendAxis>& axes,
                                const std::vector<double>& params, const std::vector<ReportedParameter>& reported,
                                double huber_delta, const NamedIntervals& intervals = {}) {
  const int n = model.NumSamples();
  Eigen::VectorXd residuals(n), weights(n);
  std::vector<double> residual_list(n);
  for (int i = 0; i < n; ++i) {
    residuals[i] = model.LogPrediction(params.data(), i) - model.LogTarget(i);
    weights[i] = model.Weight(i);
    residual_list[i] = residuals[i];
  }
  FitDiagnostics diagnostics =
      DiagnoseFromJacobian(LogPredictionJacobian(model, params), residuals, weights, params, reported, huber_delta);
  AddIntervalRule(intervals, &diagnostics);
  FinishDiagnostics(axes, residual_list, &diagnostics);
  return diagnostics;
}

// The same with the trends along log N, log D and log C of `table`'s runs (the model was built from `table`).
template <class Model>
FitDiagnostics DiagnoseModelFit(const Model& model, const RunsTable& table, const std::vector<double>& params,
                                const std::vector<ReportedParameter>& reported, double huber_delta,
                                const NamedIntervals& intervals = {}) {
  return DiagnoseModelFit(model, RunsTrendAxes(table), params, reported, huber_delta, intervals);
}

// A Chinchilla fit's diagnostics, reported as E, A, B, alpha, beta (the fit's log E, log A, log B by the delta
// method), with the bootstrap rule when `bootstrap` has intervals.
FitDiagnostics DiagnoseChinchillaFit(const RunsTable& table, const ChinchillaFit& fit,
                                     const ChinchillaBootstrap* bootstrap = nullptr);

// A Kaplan fit's diagnostics, reported as N_c, D_c, alpha_N, alpha_D, with the bootstrap rule on `intervals`
// (by those names) when given.
FitDiagnostics DiagnoseKaplanFit(
    const RunsTable& table, const KaplanFit& fit,
    const std::vector<std::pair<std::string, std::pair<double, double>>>* intervals = nullptr);

// A data-constrained fit's diagnostics (R_D_star, R_N_star with `base` frozen, as FitDataConstrained fits them),
// with its bootstrap intervals' verdicts when it has them (AddIntervalRule).
FitDiagnostics DiagnoseDataConstrainedFit(const DataConstrainedRunsTable& table, const ChinchillaLaw& base,
                                          const DataConstrainedFit& fit);

// A sparse fit's diagnostics, reported as a_S, b_S, c_S, b_N, a_D, b_D, c (a_S, c_S, a_D, c by the delta method from
// their logs), with the bootstrap rule when the fit has intervals. Trends are against the non-zero N.
FitDiagnostics DiagnoseSparseFit(const SparseRunsTable& table, const SparseFit& fit);

// A fine-grained MoE fit's diagnostics (Krajewski et al. 2024, eq. 9), reported as a, alpha, b, beta, g, gamma, c
// (a, b, g, c by the delta method from their logs), with the bootstrap rule when the fit has intervals. Terms: the N
// term (g / G^gamma + a) / N^alpha (a, alpha, g, gamma), the D term b / D^beta, c. Trends are against the total N,
// the runs' D and the nominal compute 6 N D.
FitDiagnostics DiagnoseMoeFit(const MoeRunsTable& table, const MoeFit& fit);

// A routing fit's diagnostics (Clark et al. 2022, eq. 1, one router): `table` holds the runs FitRoutingLaws was given,
// of which the fit's router's runs and the Dense runs (RoutingRunsFor) are diagnosed.
// Reported as a, b, c, d, E_start, E_max (E_start and E_max by the delta method from their logs), with the bootstrap
// rule when the fit has intervals. Terms: the dense power law 10^d N^a (a, d), the expert term (b + c log10 N)
// log10 E^ (b, c, E_start, E_max); each pair of an affine coefficient in log10 N is quoted at N = 1, far from the
// runs, like A and alpha. The law has no tokens: the trends are against the dense N and the experts E.
FitDiagnostics DiagnoseRoutingFit(const RoutingRunsTable& table, const RoutingFit& fit);

// {"method", "residual_scale", "huber_factor", "standard_errors": {name: se}, "correlations": {name: {name: r}},
//  "unconstrained": [names], "unconstrained_reasons": {name: reason}, "rmse_log", "residual_trends": [...]}.
// Non-finite numbers are null.
nlohmann::ordered_json DiagnosticsToJson(const FitDiagnostics& diagnostics);

// The table shown by `fit --diagnostics`: standard errors, the correlation matrix, unconstrained parameters, trends.
std::string FormatDiagnosticsTable(const FitDiagnostics& diagnostics);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_DIAGNOSTICS_H_
