#include "fitting/diagnostics.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <sstream>

#include "core/error.h"

namespace scaleplan {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Format(const char* format, double x) {
  char text[64];
  std::snprintf(text, sizeof text, format, x);
  return text;
}

std::string Format(const char* format, double x, double y) {
  char text[96];
  std::snprintf(text, sizeof text, format, x, y);
  return text;
}

nlohmann::ordered_json NumberOrNull(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

// Records `name` as unconstrained for `reason`, once (the first reason found is kept).
void MarkUnconstrained(const std::string& name, const std::string& reason, FitDiagnostics* diagnostics) {
  for (const UnconstrainedParameter& known : diagnostics->unconstrained) {
    if (known.name == name) return;
  }
  diagnostics->unconstrained.push_back({name, reason});
}

}  // namespace

double HuberVarianceFactor(double huber_delta, double residual_scale) {
  if (!(residual_scale > 0) || !std::isfinite(huber_delta)) return 1.0;
  const double c = huber_delta / residual_scale;
  const double inside = std::erf(c / std::numbers::sqrt2);                          // 2 Phi(c) - 1 = E[psi']
  const double density = std::exp(-0.5 * c * c) / std::sqrt(2 * std::numbers::pi);  // phi(c)
  const double tail = 0.5 * std::erfc(c / std::numbers::sqrt2);                     // 1 - Phi(c)
  // E[psi^2] / s^2 = (2 Phi(c) - 1 - 2 c phi(c)) + 2 c^2 (1 - Phi(c)).
  const double second_moment = std::max(0.0, inside - 2 * c * density) + 2 * c * c * tail;
  if (!(inside > 0)) return std::numbers::pi / 2;  // c so small that erf underflows: the L1 limit
  return second_moment / (inside * inside);
}

FitDiagnostics DiagnoseFromJacobian(const Eigen::MatrixXd& jacobian, const Eigen::VectorXd& residuals,
                                    const Eigen::VectorXd& weights, const std::vector<double>& fit_params,
                                    const std::vector<ReportedParameter>& reported, double huber_delta) {
  const int p = static_cast<int>(jacobian.cols());
  SCALEPLAN_CHECK(jacobian.rows() == residuals.size() && residuals.size() == weights.size(),
                  "one Jacobian row, residual and weight per run");
  SCALEPLAN_CHECK(static_cast<int>(fit_params.size()) == p, "one fit parameter per Jacobian column");
  FitDiagnostics out;
  out.num_params = p;
  const int k = static_cast<int>(reported.size());
  for (const ReportedParameter& parameter : reported) {
    SCALEPLAN_CHECK(parameter.fit_index >= 0 && parameter.fit_index < p, "reported parameter out of range");
    const double theta = fit_params[parameter.fit_index];
    out.names.push_back(parameter.name);
    out.values.push_back(parameter.is_log ? std::exp(theta) : theta);
  }
  out.standard_errors.assign(k, kNaN);
  out.covariance = Eigen::MatrixXd::Constant(k, k, kNaN);
  out.correlations = Eigen::MatrixXd::Constant(k, k, kNaN);
  const double num_runs = weights.sum();
  out.num_runs = static_cast<int>(std::lround(num_runs));
  if (!(num_runs > p) || !residuals.allFinite() || !jacobian.allFinite()) return out;

  // s^2 = SUM w r^2 / (n - p), and Huber's kappa = factor * s^2.
  out.residual_scale = std::sqrt(weights.dot(residuals.cwiseProduct(residuals)) / (num_runs - p));
  out.huber_factor = HuberVarianceFactor(huber_delta, out.residual_scale);
  const double kappa = out.huber_factor * out.residual_scale * out.residual_scale;

  // H = J^T W J, in its correlation form R = S^-1 H S^-1 (S = sqrt(diag H)), whose eigenvalues measure how well the
  // runs pin down each direction independently of the parameters' units.
  const Eigen::MatrixXd hessian = jacobian.transpose() * weights.asDiagonal() * jacobian;
  Eigen::VectorXd scale = hessian.diagonal().cwiseSqrt();
  std::vector<bool> singular(p, false);
  for (int j = 0; j < p; ++j) {
    if (!(scale[j] > 0)) {
      singular[j] = true;
      scale[j] = 1.0;
    }
  }
  const Eigen::MatrixXd unit = scale.cwiseInverse().asDiagonal() * hessian * scale.cwiseInverse().asDiagonal();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(unit);
  out.min_eigenvalue = eigen.eigenvalues()[0];
  // The pseudo-inverse of R over its well-determined directions; a direction below the threshold is left out, and
  // the parameters carrying more than a third of it are singular.
  Eigen::MatrixXd unit_inverse = Eigen::MatrixXd::Zero(p, p);
  for (int e = 0; e < p; ++e) {
    const double lambda = eigen.eigenvalues()[e];
    const Eigen::VectorXd v = eigen.eigenvectors().col(e);
    if (lambda < kMinHessianEigenvalue) {
      for (int j = 0; j < p; ++j) singular[j] = singular[j] || v[j] * v[j] > 1.0 / 3;
    } else {
      unit_inverse += v * v.transpose() / lambda;
    }
  }
  // Cov(theta) = kappa S^-1 R^+ S^-1.
  Eigen::MatrixXd fit_covariance =
      kappa * scale.cwiseInverse().asDiagonal() * unit_inverse * scale.cwiseInverse().asDiagonal();
  for (int j = 0; j < p; ++j) {
    if (!singular[j]) continue;
    fit_covariance.row(j).setConstant(kNaN);
    fit_covariance.col(j).setConstant(kNaN);
    fit_covariance(j, j) = kInf;
  }

  // The reported scale: x = exp(theta) gives dx/dtheta = x (the delta method).
  Eigen::VectorXd derivative(k);
  for (int a = 0; a < k; ++a) derivative[a] = reported[a].is_log ? out.values[a] : 1.0;
  for (int a = 0; a < k; ++a) {
    for (int b = 0; b < k; ++b) {
      out.covariance(a, b) =
          derivative[a] * derivative[b] * fit_covariance(reported[a].fit_index, reported[b].fit_index);
    }
  }
  for (int a = 0; a < k; ++a) {
    out.standard_errors[a] = std::sqrt(out.covariance(a, a));
    // exp(theta) underflowed (a term fitted away, log B -> -inf): the delta method has nothing to scale.
    if (reported[a].is_log && !(out.values[a] > 0)) out.standard_errors[a] = kNaN;
  }
  for (int a = 0; a < k; ++a) {
    for (int b = 0; b < k; ++b) {
      const double denominator = out.standard_errors[a] * out.standard_errors[b];
      out.correlations(a, b) = a == b                                          ? 1.0
                               : std::isfinite(denominator) && denominator > 0 ? out.covariance(a, b) / denominator
                                                                               : kNaN;
    }
  }
  out.available = true;

  // The rules, in order of strength.
  for (int a = 0; a < k; ++a) {
    if (singular[reported[a].fit_index]) {
      MarkUnconstrained(out.names[a],
                        "the Hessian of the fit is singular in its direction (the runs cannot tell it from a change "
                        "of the other parameters)",
                        &out);
    }
  }
  for (int a = 0; a < k; ++a) {
    // SE(x) / |x|; for x = exp(theta) that is SE(theta), which stays defined when x underflows.
    const int j = reported[a].fit_index;
    const double relative =
        reported[a].is_log ? std::sqrt(fit_covariance(j, j)) : out.standard_errors[a] / std::abs(out.values[a]);
    if (!(std::isfinite(relative) && relative > kMaxRelativeError)) continue;
    if (std::isfinite(out.standard_errors[a])) {
      MarkUnconstrained(
          out.names[a],
          Format("its one-sigma uncertainty %.3g is %.3g times its value", out.standard_errors[a], relative) +
              " (not even its order of magnitude is known)",
          &out);
    } else {
      MarkUnconstrained(
          out.names[a],
          Format("it went to %.3g, and the one-sigma uncertainty of its logarithm is %.3g", out.values[a], relative) +
              " (the runs do not fix even its order of magnitude)",
          &out);
    }
  }
  for (int a = 0; a < k; ++a) {
    const int j = reported[a].fit_index;
    const double relative =
        reported[a].is_log ? std::sqrt(fit_covariance(j, j)) : out.standard_errors[a] / std::abs(out.values[a]);
    if (!(relative > kCorrelatedRelativeError)) continue;  // known precisely, however correlated
    for (int b = 0; b < k; ++b) {
      if (a == b || reported[a].term == reported[b].term) continue;
      const double r = out.correlations(a, b);
      if (std::isfinite(r) && std::abs(r) > kMaxCorrelation) {
        MarkUnconstrained(out.names[a],
                          "its correlation with " + out.names[b] + " is " + Format("%.4f", r) + " and it is known to " +
                              Format("%.0f%%", 100 * relative) + " (the runs fix a combination of the two, not each)",
                          &out);
        break;
      }
    }
  }
  return out;
}

ResidualTrend FitResidualTrend(const std::string& axis, const std::vector<double>& log_x,
                               const std::vector<double>& residuals) {
  SCALEPLAN_CHECK(log_x.size() == residuals.size(), "one residual per run");
  ResidualTrend trend;
  trend.axis = axis;
  const size_t n = log_x.size();
  if (n < 3) return trend;
  double mean_x = 0, mean_r = 0;
  for (size_t i = 0; i < n; ++i) {
    mean_x += log_x[i] / n;
    mean_r += residuals[i] / n;
  }
  double sxx = 0, sxr = 0;
  double lowest = log_x[0], highest = log_x[0];
  for (size_t i = 0; i < n; ++i) {
    sxx += (log_x[i] - mean_x) * (log_x[i] - mean_x);
    sxr += (log_x[i] - mean_x) * (residuals[i] - mean_r);
    lowest = std::min(lowest, log_x[i]);
    highest = std::max(highest, log_x[i]);
  }
  // A constant log x (relative to its size) carries no trend.
  if (!(sxx > 1e-24 * n * std::max(1.0, mean_x * mean_x))) return trend;
  trend.slope = sxr / sxx;
  double rss = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = residuals[i] - mean_r - trend.slope * (log_x[i] - mean_x);
    rss += e * e;
  }
  const double slope_error = std::sqrt(rss / (n - 2) / sxx);
  trend.t_statistic = slope_error > 0 ? trend.slope / slope_error : (trend.slope != 0 ? kInf : 0.0);
  trend.change_log = trend.slope * (highest - lowest);
  trend.flagged = std::abs(trend.t_statistic) > kTrendTStatistic && std::abs(trend.change_log) > kTrendMinChange;
  return trend;
}

std::vector<TrendAxis> RunsTrendAxes(const RunsTable& table) {
  std::vector<TrendAxis> axes = {{"N", {}}, {"D", {}}, {"C", {}}};
  for (const TrainingRun& run : table.runs) {
    axes[0].log_x.push_back(std::log(run.num_params));
    axes[1].log_x.push_back(std::log(run.num_tokens));
    axes[2].log_x.push_back(std::log(run.compute_flops));
  }
  return axes;
}

std::vector<ResidualTrend> ResidualTrends(const std::vector<TrendAxis>& axes, const std::vector<double>& residuals) {
  std::vector<ResidualTrend> trends;
  for (const TrendAxis& axis : axes) trends.push_back(FitResidualTrend(axis.name, axis.log_x, residuals));
  return trends;
}

void AddIntervalRule(const NamedIntervals& intervals, FitDiagnostics* diagnostics) {
  for (const auto& [name, interval] : intervals) {
    const auto found = std::find(diagnostics->names.begin(), diagnostics->names.end(), name);
    if (found == diagnostics->names.end()) continue;
    const double value = diagnostics->values[found - diagnostics->names.begin()];
    if (!(value > 0)) continue;  // the rule is for positive parameters
    const auto [lower, upper] = interval;
    if (!(lower > 0)) {
      MarkUnconstrained(name, Format("its bootstrap interval [%.3g, %.3g] reaches zero", lower, upper), diagnostics);
    } else if (upper / lower > kMaxIntervalRatio) {
      MarkUnconstrained(name,
                        Format("its bootstrap interval [%.3g, %.3g]", lower, upper) +
                            Format(" spans a factor of %.3g", upper / lower),
                        diagnostics);
    }
  }
}

void FinishDiagnostics(const RunsTable& table, const std::vector<double>& residuals, FitDiagnostics* diagnostics) {
  SCALEPLAN_CHECK(table.runs.size() == residuals.size(), "one residual per run");
  FinishDiagnostics(RunsTrendAxes(table), residuals, diagnostics);
}

void FinishDiagnostics(const std::vector<TrendAxis>& axes, const std::vector<double>& residuals,
                       FitDiagnostics* diagnostics) {
  double sum = 0;
  for (double r : residuals) sum += r * r;
  diagnostics->rmse_log = residuals.empty() ? 0.0 : std::sqrt(sum / residuals.size());
  diagnostics->trends = ResidualTrends(axes, residuals);
  diagnostics->poor_fit = diagnostics->rmse_log > kPoorFitRmse;
  diagnostics->warnings.clear();
  for (const ResidualTrend& trend : diagnostics->trends) {
    if (!trend.flagged) continue;
    char text[320];
    std::snprintf(text, sizeof text,
                  "the residuals trend with log %s: slope %+.4f per e-fold of %s (t = %.1f), %+.1f%% in loss across "
                  "the runs' range; the law misses a dependence on %s (a missing term, or runs of different set-ups)",
                  trend.axis.c_str(), trend.slope, trend.axis.c_str(), trend.t_statistic,
                  100 * std::expm1(trend.change_log), trend.axis.c_str());
    diagnostics->warnings.push_back(text);
  }
  for (const UnconstrainedParameter& parameter : diagnostics->unconstrained) {
    diagnostics->warnings.push_back(parameter.name + " is not constrained by these runs: " + parameter.reason);
  }
}

FitDiagnostics DiagnoseChinchillaFit(const RunsTable& table, const ChinchillaFit& fit,
                                     const ChinchillaBootstrap* bootstrap) {
  // Fit order (a, b, e, alpha, beta); terms: E alone, A with alpha, B with beta.
  const std::vector<ReportedParameter> reported = {
      {"E", 2, true, 0}, {"A", 0, true, 1}, {"B", 1, true, 2}, {"alpha", 3, false, 1}, {"beta", 4, false, 2}};
  NamedIntervals intervals;
  if (bootstrap != nullptr) {
    for (const auto& [name, interval] : bootstrap->intervals) {
      intervals.push_back({name, {interval.lower, interval.upper}});
    }
  }
  return DiagnoseModelFit(ChinchillaModel(table), table, fit.search.params, reported, fit.options.huber_delta,
                          intervals);
}

FitDiagnostics DiagnoseKaplanFit(const RunsTable& table, const KaplanFit& fit,
                                 const std::vector<std::pair<std::string, std::pair<double, double>>>* intervals) {
  // Fit order (log N_c, log D_c, alpha_N, alpha_D). Terms: N_c with alpha_N ((N_c / N)^alpha_N when data are
  // plentiful), D_c with alpha_D ((D_c / D)^alpha_D when the model is large): each pair is a coefficient quoted far
  // from the runs and its exponent, correlated like A and alpha.
  const std::vector<ReportedParameter> reported = {
      {"N_c", 0, true, 1}, {"D_c", 1, true, 2}, {"alpha_N", 2, false, 1}, {"alpha_D", 3, false, 2}};
  return DiagnoseModelFit(KaplanModel(table), table, fit.search.params, reported, fit.options.huber_delta,
                          intervals != nullptr ? *intervals : NamedIntervals{});
}

FitDiagnostics DiagnoseDataConstrainedFit(const DataConstrainedRunsTable& table, const ChinchillaLaw& base,
                                          const DataConstrainedFit& fit) {
  RunsTable runs;  // N, D, C for the trends
  runs.source = table.source;
  for (const DataConstrainedRun& run : table.runs) {
    runs.runs.push_back(
        TrainingRun{run.num_params, run.num_tokens, 6 * run.num_params * run.num_tokens, run.loss_nats, run.line, 0});
  }
  return DiagnoseModelFit(DataConstrainedModel(table, base), runs, fit.search.params,
                          {{"R_D_star", 0, false, 1}, {"R_N_star", 1, false, 2}}, fit.options.huber_delta,
                          fit.intervals);
}

FitDiagnostics DiagnoseSparseFit(const SparseRunsTable& table, const SparseFit& fit) {
  RunsTable runs;
  runs.source = table.source;
  for (const SparseRun& run : table.runs) {
    runs.runs.push_back(TrainingRun{run.num_nonzero_params, run.num_tokens, 6 * run.num_nonzero_params * run.num_tokens,
                                    run.loss_nats, run.line, 0});
  }
  // Fit order (log a_S, b_S, log c_S, b_N, log a_D, b_D, log c); terms: the N term (a_S, b_S, c_S, b_N), the D term
  // (a_D, b_D), c.
  const std::vector<ReportedParameter> reported = {{"a_S", 0, true, 1},  {"b_S", 1, false, 1}, {"c_S", 2, true, 1},
                                                   {"b_N", 3, false, 1}, {"a_D", 4, true, 2},  {"b_D", 5, false, 2},
                                                   {"c", 6, true, 0}};
  return DiagnoseModelFit(SparseModel(table), runs, fit.search.params, reported, fit.options.huber_delta,
                          fit.intervals);
}

FitDiagnostics DiagnoseMoeFit(const MoeRunsTable& table, const MoeFit& fit) {
  RunsTable runs;  // N total, D and the nominal compute 6 N D for the trends
  runs.source = table.source;
  for (const MoeRun& run : table.runs) {
    runs.runs.push_back(
        TrainingRun{run.num_params, run.num_tokens, 6 * run.num_params * run.num_tokens, run.loss_nats, run.line, 0});
  }
  // Fit order (log a, alpha, log b, beta, log g, gamma, log c); terms: the N term (a, alpha, g, gamma), the D term
  // (b, beta), c.
  const std::vector<ReportedParameter> reported = {
      {"a", 0, true, 1}, {"alpha", 1, false, 1}, {"b", 2, true, 2}, {"beta", 3, false, 2},
      {"g", 4, true, 1}, {"gamma", 5, false, 1}, {"c", 6, true, 0}};
  return DiagnoseModelFit(MoeModel(table), runs, fit.search.params, reported, fit.options.huber_delta, fit.intervals);
}

FitDiagnostics DiagnoseRoutingFit(const RoutingRunsTable& table, const RoutingFit& fit) {
  const RoutingRunsTable runs = RoutingRunsFor(table, fit.router);  // as FitRoutingLaws fitted them
  std::vector<TrendAxis> axes = {{"N", {}}, {"E", {}}};             // dense N and experts: the law reads no tokens
  for (const RoutingRun& run : runs.runs) {
    axes[0].log_x.push_back(std::log(run.num_params));
    axes[1].log_x.push_back(std::log(run.num_experts));
  }
  // Fit order (a, b, c, d, ln E_start, ln E_max); terms: 10^d N^a (a, d), (b + c log10 N) log10 E^ (b, c, E_start,
  // E_max).
  const std::vector<ReportedParameter> reported = {{"a", 0, false, 1}, {"b", 1, false, 2},      {"c", 2, false, 2},
                                                   {"d", 3, false, 1}, {"E_start", 4, true, 2}, {"E_max", 5, true, 2}};
  return DiagnoseModelFit(RoutingModel(runs), axes, fit.search.params, reported, fit.options.huber_delta,
                          fit.intervals);
}

nlohmann::ordered_json DiagnosticsToJson(const FitDiagnostics& diagnostics) {
  nlohmann::ordered_json out;
  out["method"] =
      !diagnostics.method.empty()
          ? diagnostics.method
          : "Huber M-estimator covariance kappa (J^T J)^-1 at the optimum: J the exact Jacobian of the log "
            "predictions, "
            "kappa = E[psi^2] / E[psi']^2 under normal residuals of scale residual_scale; parameters the fit takes in "
            "log (E, A, B; N_c, D_c; a_S, c_S, a_D, c; moe's a, b, g, c; routing's E_start, E_max) by the delta method";
  out["available"] = diagnostics.available;
  out["num_runs"] = diagnostics.num_runs;
  out["residual_scale"] = NumberOrNull(diagnostics.residual_scale);
  out["huber_factor"] = NumberOrNull(diagnostics.huber_factor);
  out["min_hessian_eigenvalue"] = NumberOrNull(diagnostics.min_eigenvalue);
  nlohmann::ordered_json errors = nlohmann::ordered_json::object();
  nlohmann::ordered_json correlations = nlohmann::ordered_json::object();
  const size_t k = diagnostics.names.size();
  for (size_t a = 0; a < k; ++a) {
    errors[diagnostics.names[a]] = NumberOrNull(diagnostics.standard_errors[a]);
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (size_t b = 0; b < k; ++b) {
      row[diagnostics.names[b]] = NumberOrNull(diagnostics.correlations(a, b));
    }
    correlations[diagnostics.names[a]] = row;
  }
  out["standard_errors"] = errors;
  out["correlations"] = correlations;
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
  for (const UnconstrainedParameter& parameter : diagnostics.unconstrained) {
    names.push_back(parameter.name);
    reasons[parameter.name] = parameter.reason;
  }
  out["unconstrained"] = names;
  out["unconstrained_reasons"] = reasons;
  out["rmse_log"] = NumberOrNull(diagnostics.rmse_log);
  out["poor_fit"] = diagnostics.poor_fit;
  nlohmann::ordered_json trends = nlohmann::ordered_json::array();
  for (const ResidualTrend& trend : diagnostics.trends) {
    trends.push_back({{"axis", trend.axis},
                      {"slope", NumberOrNull(trend.slope)},
                      {"t_statistic", NumberOrNull(trend.t_statistic)},
                      {"change_log", NumberOrNull(trend.change_log)},
                      {"flagged", trend.flagged}});
  }
  out["residual_trends"] = trends;
  return out;
}

std::string FormatDiagnosticsTable(const FitDiagnostics& diagnostics) {
  std::ostringstream out;
  char line[256];
  if (diagnostics.method.empty()) {
    out << "\n  diagnostics (Huber M-estimator covariance at the optimum; see README, Diagnostics)\n";
  } else {
    out << "\n  diagnostics (" << diagnostics.method.substr(0, diagnostics.method.find(':')) << ")\n";
  }
  int longest = 0;  // the parameter column and a correlation's column are as wide as the longest name
  for (const std::string& name : diagnostics.names) longest = std::max(longest, static_cast<int>(name.size()));
  const int width = std::max(10, longest);
  const int cell = std::max(8, longest);
  if (!diagnostics.available) {
    out << "    no standard errors: " << diagnostics.num_runs << " runs for " << diagnostics.num_params
        << " parameters\n";
  } else {
    std::snprintf(
        line, sizeof line,
        "    residual scale s %.4f (log), kappa = %.3f s^2, smallest Hessian eigenvalue %.3g (unit diagonal)\n",
        diagnostics.residual_scale, diagnostics.huber_factor, diagnostics.min_eigenvalue);
    out << line;
    std::snprintf(line, sizeof line, "    %-*s %14s %14s %10s\n", width, "parameter", "value", "std. error",
                  "relative");
    out << line;
    for (size_t a = 0; a < diagnostics.names.size(); ++a) {
      const double se = diagnostics.standard_errors[a];
      const double relative = se / std::abs(diagnostics.values[a]);
      std::snprintf(line, sizeof line, "    %-*s %14.6g %14.4g %9.3g%%\n", width, diagnostics.names[a].c_str(),
                    diagnostics.values[a], se, 100 * relative);
      out << line;
    }
    out << "    correlations\n    " << std::string(static_cast<size_t>(width), ' ');
    for (const std::string& name : diagnostics.names) {
      std::snprintf(line, sizeof line, " %*s", cell, name.c_str());
      out << line;
    }
    out << '\n';
    for (size_t a = 0; a < diagnostics.names.size(); ++a) {
      std::snprintf(line, sizeof line, "    %-*s", width, diagnostics.names[a].c_str());
      out << line;
      for (size_t b = 0; b < diagnostics.names.size(); ++b) {
        const double r = diagnostics.correlations(a, b);
        if (std::isfinite(r)) {
          std::snprintf(line, sizeof line, " %+*.4f", cell, r);
        } else {
          std::snprintf(line, sizeof line, " %*s", cell, "-");
        }
        out << line;
      }
      out << '\n';
    }
  }
  if (!diagnostics.trends.empty()) {
    out << "    residual trends (slope of r against log x; flagged when |t| > " << kTrendTStatistic
        << " and the trend moves the loss by more than " << 100 * kTrendMinChange << "%)\n";
  }
  for (const ResidualTrend& trend : diagnostics.trends) {
    std::snprintf(line, sizeof line, "      log %-2s slope %+.5f  t %+7.2f  across the runs %+.2f%%%s\n",
                  trend.axis.c_str(), trend.slope, trend.t_statistic, 100 * std::expm1(trend.change_log),
                  trend.flagged ? "  TREND" : "");
    out << line;
  }
  out << "    unconstrained: ";
  if (diagnostics.unconstrained.empty()) out << "none";
  for (size_t i = 0; i < diagnostics.unconstrained.size(); ++i) {
    out << (i ? ", " : "") << diagnostics.unconstrained[i].name;
  }
  out << '\n';
  return out.str();
}

}  // namespace scaleplan
