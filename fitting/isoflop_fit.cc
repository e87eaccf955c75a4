#include "fitting/isoflop_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include <Eigen/Dense>

#include "core/error.h"
#include "core/parallel.h"
#include "core/scalar_search.h"
#include "core/statistics.h"
#include "fitting/validation.h"

namespace scaleplan {
namespace {

// Weighted least squares: minimise || sqrt(w) (X beta - y) ||.
Eigen::VectorXd WeightedLeastSquares(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& w) {
  const Eigen::VectorXd root = w.cwiseSqrt();
  return (root.asDiagonal() * x).colPivHouseholderQr().solve(root.asDiagonal() * y);
}

IsoFlopBudget FitBudget(const RunsTable& table, const std::vector<size_t>& group, const std::vector<int>* counts) {
  IsoFlopBudget budget;
  std::vector<size_t> members;
  for (size_t i : group) {
    if (counts == nullptr || (*counts)[i] > 0) members.push_back(i);
  }
  double log_c_sum = 0.0;
  double weight_sum = 0.0;
  std::set<double> distinct_n;
  budget.min_params_sampled = std::numeric_limits<double>::infinity();
  for (size_t i : members) {
    const double w = counts == nullptr ? 1.0 : (*counts)[i];
    log_c_sum += w * std::log(table.runs[i].compute_flops);
    weight_sum += w;
    distinct_n.insert(table.runs[i].num_params);
    budget.min_params_sampled = std::min(budget.min_params_sampled, table.runs[i].num_params);
    budget.max_params_sampled = std::max(budget.max_params_sampled, table.runs[i].num_params);
  }
  budget.num_runs = static_cast<int>(members.size());
  if (weight_sum > 0) budget.compute_flops = std::exp(log_c_sum / weight_sum);
  if (distinct_n.size() < 3) {
    budget.note = "fewer than 3 distinct model sizes";
    return budget;
  }
  // loss = c0 + c1 x + c2 x^2 with x = log N - centre, centred for conditioning.
  const double centre = 0.5 * (std::log(budget.min_params_sampled) + std::log(budget.max_params_sampled));
  const Eigen::Index n = static_cast<Eigen::Index>(members.size());
  Eigen::MatrixXd x(n, 3);
  Eigen::VectorXd y(n), w(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    const TrainingRun& run = table.runs[members[static_cast<size_t>(k)]];
    const double t = std::log(run.num_params) - centre;
    x.row(k) << 1.0, t, t * t;
    y[k] = run.loss_nats;
    w[k] = counts == nullptr ? 1.0 : (*counts)[members[static_cast<size_t>(k)]];
  }
  const Eigen::VectorXd c = WeightedLeastSquares(x, y, w);
  if (!(c[2] > 0)) {
    budget.note = "the parabola opens downwards: no minimum";
    return budget;
  }
  const double t_min = -c[1] / (2 * c[2]);
  budget.num_params_opt = std::exp(centre + t_min);
  budget.num_tokens_opt = budget.compute_flops / (6.0 * budget.num_params_opt);
  budget.loss_at_opt = c[0] + c[1] * t_min + c[2] * t_min * t_min;
  budget.minimum_inside =
      budget.num_params_opt >= budget.min_params_sampled && budget.num_params_opt <= budget.max_params_sampled;
  budget.usable = std::isfinite(budget.num_params_opt) && budget.num_params_opt > 0;
  if (!budget.minimum_inside) budget.note = "minimum outside the sampled model sizes (extrapolated)";
  return budget;
}

// Fits log y = log k + e log C over the budgets used; returns (e, k).
std::pair<double, double> PowerLaw(const std::vector<IsoFlopBudget>& budgets, bool params) {
  std::vector<const IsoFlopBudget*> used;
  for (const auto& b : budgets) {
    if (b.used) used.push_back(&b);
  }
  const Eigen::Index n = static_cast<Eigen::Index>(used.size());
  Eigen::MatrixXd x(n, 2);
  Eigen::VectorXd y(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    const IsoFlopBudget& b = *used[static_cast<size_t>(k)];
    x.row(k) << 1.0, std::log(b.compute_flops);
    y[k] = std::log(params ? b.num_params_opt : b.num_tokens_opt);
  }
  const Eigen::VectorXd c = WeightedLeastSquares(x, y, Eigen::VectorXd::Ones(n));
  return {c[1], std::exp(c[0])};
}

}  // namespace

IsoFlopLaw IsoFlopFit::Law() const {
  IsoFlopLaw law;
  law.coeff_params = coeff_params;
  law.exponent_params = exponent_params;
  law.coeff_tokens = coeff_tokens;
  law.exponent_tokens = exponent_tokens;
  law.has_frontier = has_frontier;
  law.frontier = frontier;
  return law;
}

Allocation IsoFlopFit::ComputeOptimal(double compute_flops) const { return Law().ComputeOptimal(compute_flops); }

std::optional<LossFrontier> FitLossFrontier(const std::vector<std::pair<double, double>>& points, std::string* why) {
  std::set<double> distinct;
  for (const auto& [compute, loss] : points) distinct.insert(compute);
  if (distinct.size() < 3) {
    if (why != nullptr) *why = "the loss frontier needs minima at 3 or more budgets, found " +
                               std::to_string(distinct.size());
    return std::nullopt;
  }
  // For a given gamma: x = (C / C_ref)^-gamma (C_ref, the geometric mean, keeps x near 1), L = E + K' x.
  double log_ref = 0.0;
  for (const auto& point : points) log_ref += std::log(point.first);
  log_ref /= static_cast<double>(points.size());
  const auto solve = [&](double gamma, double* e_out, double* k_out) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    const double n = static_cast<double>(points.size());
    for (const auto& [compute, loss] : points) {
      const double x = std::exp(-gamma * (std::log(compute) - log_ref));
      sx += x;
      sy += loss;
      sxx += x * x;
      sxy += x * loss;
    }
    const double det = n * sxx - sx * sx;
    double k = (n * sxy - sx * sy) / det;
    double e = (sy - k * sx) / n;
    if (e < 0) {  // E >= 0: the best K with E = 0
      e = 0;
      k = sxy / sxx;
    }
    if (e_out != nullptr) *e_out = e;
    if (k_out != nullptr) *k_out = k;
    if (!(k > 0) || !std::isfinite(k)) return std::numeric_limits<double>::infinity();
    double sse = 0;
    for (const auto& [compute, loss] : points) {
      const double r = e + k * std::exp(-gamma * (std::log(compute) - log_ref)) - loss;
      sse += r * r;
    }
    return sse;
  };
  constexpr double kGammaMin = 1e-3, kGammaMax = 2.0;
  const ScalarMinimum best = MinimizeScanGolden([&](double gamma) { return solve(gamma, nullptr, nullptr); },
                                                kGammaMin, kGammaMax, 401, 1e-10);
  if (!std::isfinite(best.value)) {
    if (why != nullptr) *why = "the budgets' minimum losses do not fall with compute: no frontier E + K C^-gamma";
    return std::nullopt;
  }
  LossFrontier frontier;
  double k_ref = 0.0;
  solve(best.x, &frontier.E, &k_ref);
  frontier.gamma = best.x;
  frontier.K = k_ref * std::exp(best.x * log_ref);  // K' (C/C_ref)^-gamma = K' C_ref^gamma C^-gamma
  return frontier;
}

IsoFlopFit FitIsoFlop(const RunsTable& table, const std::vector<std::vector<size_t>>& groups,
                      const std::vector<int>* counts, bool keep_extrapolated) {
  SCALEPLAN_CHECK(counts == nullptr || counts->size() == table.runs.size(), "one count per run");
  IsoFlopFit fit;
  fit.keep_extrapolated = keep_extrapolated;
  for (const auto& group : groups) {
    fit.budgets.push_back(FitBudget(table, group, counts));
    IsoFlopBudget& b = fit.budgets.back();
    b.used = b.usable && (b.minimum_inside || keep_extrapolated);
    if (b.usable && !b.minimum_inside) {
      ++fit.num_budgets_extrapolated;
      b.note += keep_extrapolated ? "; kept (--keep-extrapolated-minima)" : "; left out of the exponent fit";
    }
    if (!b.note.empty()) {
      char text[200];
      std::snprintf(text, sizeof text, "budget %.3g FLOPs (%d runs): %s", b.compute_flops, b.num_runs,
                    b.note.c_str());
      fit.warnings.push_back(text);
    }
    fit.num_budgets_used += b.used ? 1 : 0;
  }
  if (fit.num_budgets_used < 2) {
    fit.status = "Approach 2 needs at least 2 budgets with 3 or more model sizes each" +
                 std::string(keep_extrapolated ? "" : " and a minimum inside them") + "; found " +
                 std::to_string(fit.num_budgets_used);
    if (!keep_extrapolated && fit.num_budgets_extrapolated > 0) {
      fit.status += " (" + std::to_string(fit.num_budgets_extrapolated) +
                    " more with an extrapolated minimum: --keep-extrapolated-minima uses them)";
    }
    return fit;
  }
  std::tie(fit.exponent_params, fit.coeff_params) = PowerLaw(fit.budgets, true);
  std::tie(fit.exponent_tokens, fit.coeff_tokens) = PowerLaw(fit.budgets, false);
  fit.usable = std::isfinite(fit.exponent_params) && std::isfinite(fit.exponent_tokens);
  fit.status = fit.usable ? "fitted" : "the power-law fit across budgets is not finite";
  if (fit.usable && counts == nullptr) {
    std::vector<std::pair<double, double>> minima;
    for (const IsoFlopBudget& b : fit.budgets) {
      if (b.used) minima.emplace_back(b.compute_flops, b.loss_at_opt);
    }
    const std::optional<LossFrontier> frontier = FitLossFrontier(minima, &fit.frontier_status);
    fit.has_frontier = frontier.has_value();
    if (frontier) {
      fit.frontier = *frontier;
      fit.frontier_status = "fitted to the minima of " + std::to_string(minima.size()) + " budgets";
    }
  }
  return fit;
}

FitDiagnostics DiagnoseIsoFlopFit(const IsoFlopFit& fit, const IsoFlopBootstrap* bootstrap) {
  SCALEPLAN_CHECK(fit.usable, "diagnostics need a usable fit");
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  FitDiagnostics out;
  out.method =
      "ordinary least squares of log N_opt = log k_N + a log C over the budgets used: Cov = s^2 (X^T X)^-1, "
      "s^2 = SUM r^2 / (n - 2); b = 1 - a and log k_D = -log 6 - log k_N (D_opt = C / (6 N_opt)); k_N and k_D by "
      "the delta method";
  out.names = {"exponent_params", "coeff_params", "exponent_tokens", "coeff_tokens"};
  out.values = {fit.exponent_params, fit.coeff_params, fit.exponent_tokens, fit.coeff_tokens};
  out.num_params = 2;
  out.huber_factor = 1.0;
  out.standard_errors.assign(4, kNaN);
  out.covariance = Eigen::MatrixXd::Constant(4, 4, kNaN);
  out.correlations = Eigen::MatrixXd::Constant(4, 4, kNaN);
  std::vector<const IsoFlopBudget*> used;
  for (const IsoFlopBudget& b : fit.budgets) {
    if (b.used) used.push_back(&b);
  }
  const Eigen::Index n = static_cast<Eigen::Index>(used.size());
  out.num_runs = static_cast<int>(n);
  Eigen::MatrixXd x(n, 2);
  Eigen::VectorXd residuals(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    const IsoFlopBudget& b = *used[static_cast<size_t>(k)];
    x.row(k) << 1.0, std::log(b.compute_flops);
    residuals[k] = std::log(b.num_params_opt) - (std::log(fit.coeff_params) + fit.exponent_params * x(k, 1));
  }
  out.rmse_log = n > 0 ? std::sqrt(residuals.squaredNorm() / static_cast<double>(n)) : 0.0;
  if (n < 3 || !residuals.allFinite()) return out;
  out.residual_scale = std::sqrt(residuals.squaredNorm() / static_cast<double>(n - 2));
  const Eigen::Matrix2d hessian = x.transpose() * x;
  const Eigen::Vector2d scale = hessian.diagonal().cwiseSqrt();
  const Eigen::Matrix2d unit = scale.cwiseInverse().asDiagonal() * hessian * scale.cwiseInverse().asDiagonal();
  out.min_eigenvalue = Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>(unit).eigenvalues()[0];
  if (!(out.min_eigenvalue >= kMinHessianEigenvalue)) {
    for (const char* name : {"exponent_params", "exponent_tokens"}) {
      out.unconstrained.push_back({name, "every budget used has the same compute: the exponent fit is singular"});
    }
  } else {
    out.available = true;
    // Fit parameters theta = (log k_N, a); the reported values' derivatives with respect to them (rows: reported).
    const Eigen::Matrix2d theta_covariance = out.residual_scale * out.residual_scale * hessian.inverse();
    Eigen::Matrix<double, 4, 2> g;
    g << 0, 1,                 // a
        fit.coeff_params, 0,   // k_N = exp(log k_N)
        0, -1,                 // b = 1 - a
        -fit.coeff_tokens, 0;  // k_D = exp(-log 6 - log k_N)
    out.covariance = g * theta_covariance * g.transpose();
    for (int a = 0; a < 4; ++a) out.standard_errors[static_cast<size_t>(a)] = std::sqrt(out.covariance(a, a));
    for (int a = 0; a < 4; ++a) {
      for (int b = 0; b < 4; ++b) {
        out.correlations(a, b) = a == b ? 1.0
                                        : out.covariance(a, b) / (out.standard_errors[static_cast<size_t>(a)] *
                                                                  out.standard_errors[static_cast<size_t>(b)]);
      }
    }
    for (int a : {0, 2}) {
      const double relative =
          out.standard_errors[static_cast<size_t>(a)] / std::abs(out.values[static_cast<size_t>(a)]);
      if (relative > kMaxRelativeError) {
        char text[160];
        std::snprintf(text, sizeof text, "its one-sigma uncertainty %.3g is %.3g times its value",
                      out.standard_errors[static_cast<size_t>(a)], relative);
        out.unconstrained.push_back({out.names[static_cast<size_t>(a)], text});
      }
    }
  }
  if (bootstrap != nullptr && bootstrap->exponents.size() > 0) {
    AddIntervalRule({{"exponent_params", {bootstrap->exponent_params.lower, bootstrap->exponent_params.upper}},
                     {"exponent_tokens", {bootstrap->exponent_tokens.lower, bootstrap->exponent_tokens.upper}}},
                    &out);
  }
  for (const UnconstrainedParameter& parameter : out.unconstrained) {
    out.warnings.push_back(parameter.name + " is not constrained by these budgets: " + parameter.reason);
  }
  return out;
}

IsoFlopBootstrap BootstrapIsoFlop(const RunsTable& table, const std::vector<std::vector<size_t>>& groups,
                                  const BootstrapOptions& options, const ProgressCallback& progress,
                                  bool keep_extrapolated) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  IsoFlopBootstrap out;
  out.options = options;
  const IsoFlopFit full = FitIsoFlop(table, groups, nullptr, keep_extrapolated);
  out.num_budgets_used_full = full.num_budgets_used;
  std::vector<IsoFlopFit> fits(static_cast<size_t>(options.num_resamples));
  const int total = options.num_resamples;
  ParallelFor(
      total, options.num_threads,
      [&](int i) {
        const std::vector<int> counts = StratifiedResampleCounts(table.runs.size(), groups, options.seed, i);
        fits[static_cast<size_t>(i)] = FitIsoFlop(table, groups, &counts, keep_extrapolated);
      },
      progress ? [&](int done) { progress(done, total); } : std::function<void(int)>());
  out.num_resamples_used.assign(groups.size(), 0);
  long long used_total = 0, left_out_total = 0;
  std::vector<double> a, b;
  for (const IsoFlopFit& fit : fits) {
    for (size_t k = 0; k < groups.size(); ++k) {
      out.num_resamples_used[k] += fit.budgets[k].used ? 1 : 0;
      used_total += fit.budgets[k].used ? 1 : 0;
      left_out_total += full.budgets[k].used && !fit.budgets[k].used ? 1 : 0;
    }
    if (fit.num_budgets_used < 2) {
      ++out.num_degenerate;
    } else if (!fit.usable) {
      ++out.num_failed;
    } else {
      a.push_back(fit.exponent_params);
      b.push_back(fit.exponent_tokens);
      out.exponents.emplace_back(fit.exponent_params, fit.exponent_tokens);
    }
  }
  out.mean_budgets_used = static_cast<double>(used_total) / total;
  out.mean_budgets_left_out = static_cast<double>(left_out_total) / total;
  if (!a.empty()) {
    const auto [a_lo, a_hi] = PercentileInterval(a, options.confidence);
    const auto [b_lo, b_hi] = PercentileInterval(b, options.confidence);
    out.exponent_params = {a_lo, a_hi};
    out.exponent_tokens = {b_lo, b_hi};
  }
  return out;
}

IsoFlopValidation ValidateIsoFlop(const RunsTable& table, const std::vector<std::vector<size_t>>& groups,
                                  double holdout_above_flops, bool keep_extrapolated) {
  IsoFlopValidation out;
  // Each budget's own minimum, as the full fit finds it (its compute too).
  const IsoFlopFit own = FitIsoFlop(table, groups, nullptr, keep_extrapolated);
  std::vector<double> budget_flops;
  for (const IsoFlopBudget& budget : own.budgets) budget_flops.push_back(budget.compute_flops);
  double sum_params = 0.0, sum_loss = 0.0;
  for (const BudgetFold& split : BudgetFolds(budget_flops, holdout_above_flops)) {
    const IsoFlopBudget& held = own.budgets[split.held_out];
    IsoFlopValidationFold fold;
    fold.compute_flops = held.compute_flops;
    fold.num_runs = held.num_runs;
    std::vector<std::vector<size_t>> train;
    for (const size_t j : split.train) train.push_back(groups[j]);
    const IsoFlopFit fit = FitIsoFlop(table, train, nullptr, keep_extrapolated);
    fold.num_budgets_trained = fit.num_budgets_used;
    fold.extrapolation_factor = split.train_max_flops > 0 ? held.compute_flops / split.train_max_flops : 0.0;
    if (!held.usable || (!keep_extrapolated && !held.minimum_inside)) {
      fold.status = "the held-out budget has no usable minimum of its own (" + held.note + ")";
    } else if (!fit.usable) {
      fold.status = "the other budgets give no fit: " + fit.status;
    } else {
      const Allocation predicted = fit.ComputeOptimal(held.compute_flops);
      fold.usable = true;
      fold.status = "predicted";
      fold.num_params_observed = held.num_params_opt;
      fold.num_params_predicted = predicted.num_params;
      fold.loss_observed = held.loss_at_opt;
      fold.loss_predicted = predicted.loss_nats;
      fold.log_error_params = std::log(predicted.num_params / held.num_params_opt);
      sum_params += fold.log_error_params * fold.log_error_params;
      ++out.num_usable;
      if (std::isfinite(predicted.loss_nats)) {
        fold.error_loss_nats = predicted.loss_nats - held.loss_at_opt;
        sum_loss += fold.error_loss_nats * fold.error_loss_nats;
        ++out.num_loss_predictions;
      }
    }
    out.folds.push_back(fold);
  }
  if (out.num_usable > 0) out.rmse_log_params = std::sqrt(sum_params / out.num_usable);
  if (out.num_loss_predictions > 0) out.rmse_loss_nats = std::sqrt(sum_loss / out.num_loss_predictions);
  return out;
}

}  // namespace scaleplan
